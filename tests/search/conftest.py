"""Fixtures for the search tests: signed-in clients, and writes whose events are
delivered in process on commit (the hashtag handler runs, as in embedded mode)."""

import contextlib

import pytest
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.THROTTLE_ENABLED = False


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def delivered(django_capture_on_commit_callbacks):
    """`with delivered(): ...` commits (as far as on_commit goes) and delivers events."""

    @contextlib.contextmanager
    def run():
        with django_capture_on_commit_callbacks(execute=True):
            yield

    return run


def results(response) -> list:
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def texts(response) -> list[str]:
    return [post["text"] for post in results(response)]


@pytest.fixture
def carol(db):
    from tests.factories import UserFactory

    return UserFactory(username="carol")
