"""Fixtures for the notifications tests.

`delivered` runs a block of writes with their events delivered: the outbox
dispatch runs on commit, eagerly (the autouse fixture), so the notification
handlers run in process, and pushes are recorded instead of sent.
"""

import contextlib
import threading

import pytest
from rest_framework.test import APIClient

from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.THROTTLE_ENABLED = False


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


class Pushes:
    """Frames sent through core.realtime.push_to_user, as (user id, payload)."""

    def __init__(self) -> None:
        self.frames: list[tuple[int, dict]] = []
        self._lock = threading.Lock()

    def record(self, *, user_id: int, payload: dict) -> None:
        with self._lock:
            self.frames.append((user_id, payload))

    def of(self, user, kind: str) -> list[dict]:
        return [p for uid, p in self.frames if uid == user.pk and p["type"] == kind]


@pytest.fixture
def pushes(monkeypatch) -> Pushes:
    recorder = Pushes()
    monkeypatch.setattr("notifications.realtime.push_to_user", recorder.record)
    return recorder


@pytest.fixture
def delivered(django_capture_on_commit_callbacks, pushes):
    """`with delivered(): ...` commits (as far as on_commit goes) and delivers events."""

    @contextlib.contextmanager
    def run():
        with django_capture_on_commit_callbacks(execute=True):
            yield

    return run


@pytest.fixture
def carol(db):
    return UserFactory(username="carol")
