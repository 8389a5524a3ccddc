"""Liveness and readiness probes (core.health)."""

import pytest
from django.test import override_settings

from config.celery import app as celery_app
from tests.accounts.helpers import assert_error

pytestmark = pytest.mark.django_db

DEAD_CACHE = "redis://:secret@127.0.0.1:1/0"  # nothing listens on port 1
DEAD_BROKER = "amqp://guest:secret@127.0.0.1:1//"


@pytest.fixture
def real_broker(settings, monkeypatch):
    """Readiness only checks the broker (the test RabbitMQ) when tasks are not run in process."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setitem(celery_app.conf, "broker_url", settings.CELERY_BROKER_URL)


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_with_everything_up(client, real_broker):
    response = client.get("/readyz")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert body["down"] == []
    assert body["checks"] == {"database": "ok", "cache": "ok", "broker": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_names_a_dead_cache(client, real_broker):
    dead_cache = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": DEAD_CACHE,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1},
        }
    }
    # A context manager, not the settings fixture: the cache must be back before
    # the autouse fixture clears it at teardown.
    with override_settings(CACHES=dead_cache):
        response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["down"] == ["cache"]
    # Which cache, where, and why; never its password.
    assert body["checks"]["cache"].startswith(
        "down: CacheDown: Redis at redis://:**@127.0.0.1:1/0: ConnectionError: "
    )
    assert "secret" not in body["checks"]["cache"]
    assert body["checks"]["database"] == body["checks"]["broker"] == "ok"


def test_readyz_names_a_dead_broker(client, real_broker, monkeypatch):
    # The write URL: Celery prefers a CELERY_BROKER_URL in the environment to broker_url.
    monkeypatch.setitem(celery_app.conf, "broker_write_url", DEAD_BROKER)

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["broker"]
    # Which broker, where, and why; never its password.
    assert body["checks"]["broker"].startswith(
        "down: BrokerDown: RabbitMQ at amqp://guest:**@127.0.0.1:1//: "
    )
    assert "secret" not in body["checks"]["broker"]
    assert body["checks"]["cache"] == "ok"


def test_readyz_names_a_dead_database(client, monkeypatch):
    from core import health

    def database_down():
        raise ConnectionError("connection refused")

    monkeypatch.setitem(health.CHECKS, "database", database_down)

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["database"]
    assert body["checks"]["database"] == "down: ConnectionError: connection refused"
    assert body["detail"] == {}  # detail providers read the database: skipped


def test_probes_answer_head_and_refuse_writes(client):
    assert client.head("/healthz").status_code == 200
    for url in ("/healthz", "/readyz"):
        assert_error(client.post(url), 405, code="method_not_allowed")
        assert_error(client.delete(url), 405, code="method_not_allowed")


def test_probes_need_no_authentication(client):
    assert client.get("/healthz", HTTP_AUTHORIZATION="Bearer garbage").status_code == 200
