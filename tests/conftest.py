"""Shared fixtures. Tests run against real PostgreSQL, Redis and RabbitMQ (DESIGN.md §8)."""

import os

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import UserFactory
from tweets.feed import merged


def pytest_terminal_summary(terminalreporter):
    """Figures a test recorded (`record_property("figures", ...)`), also from xdist workers,
    whose own output the run does not show."""
    for outcome in ("passed", "failed"):
        for report in terminalreporter.stats.get(outcome, []):
            for name, value in getattr(report, "user_properties", ()):
                if name == "figures" and report.when == "call":
                    terminalreporter.write_line(value)


def pytest_configure(config):
    # `make test` sets WARBLE_REQUIRE_SERVICES=1: a missing service is a failure, not a skip.
    if os.environ.get("WARBLE_REQUIRE_SERVICES") != "1":
        return
    problems = []
    if settings.DATABASES["default"]["ENGINE"] != "core.postgresql":
        problems.append("DATABASE_URL does not point at PostgreSQL")
    if not settings.REDIS_URL:
        problems.append("REDIS_URL is not set")
    else:
        import redis

        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3).ping()
        except redis.RedisError as exc:
            problems.append(f"Redis at {settings.REDIS_URL} is unreachable: {exc}")
    if not settings.CELERY_BROKER_URL.startswith("amqp://"):
        problems.append("CELERY_BROKER_URL does not point at RabbitMQ")
    else:
        from bench.broker import ensure_vhost

        try:
            ensure_vhost(settings.CELERY_BROKER_URL)  # an xdist process's own (tests/settings.py)
        except SystemExit as exc:
            problems.append(str(exc))
        from kombu import Connection

        conn = Connection(settings.CELERY_BROKER_URL, connect_timeout=3)
        try:
            conn.ensure_connection(max_retries=1)
        except Exception as exc:
            problems.append(f"RabbitMQ at {conn.as_uri()} is unreachable: {exc}")
        finally:
            conn.release()
    if problems:
        raise pytest.UsageError("Required services missing: " + "; ".join(problems))


@pytest.fixture(autouse=True)
def _isolated_environment(settings):
    """Unit tests run Celery tasks in process, hash passwords cheaply, and start
    with an empty cache."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.PASSWORD_HASHERS = ["tests.hashers.CheapArgon2PasswordHasher"]
    from config.celery import app

    app.conf.task_always_eager = True
    cache.clear()
    merged.forget()  # the feed's per-process memory of readers' merged authors
    yield
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def auth_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def bearer_client(user) -> APIClient:
    """A client holding a real access token (exercises JWT authentication)."""
    from accounts.api.serializers import TokenObtainSerializer

    client = APIClient()
    token = TokenObtainSerializer.get_token(user).access_token
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob")
