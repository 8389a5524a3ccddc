"""Real Celery worker processes for the event tests, pointed at the test database.

A worker gets the test database (pytest-django's `test_...` name), the same
Redis, Celery not eager, and the test settings (tests/settings.py), which load tests/eventapp
and its handlers. Tests use `transactional_db` so the worker sees their rows.
"""

import sys
from urllib.parse import quote

import redis
from django.conf import settings

from tests.integration.procs import Procs, wait_until

QUEUES = ("default", "fanout", "media")

# Fast recovery for tests: an unacknowledged task of a dead worker comes back
# after 3 s (production: 600 s), failed pairs retry after ~0.05 s, 3 attempts.
TEST_WORKER_ENV = {
    "CELERY_VISIBILITY_TIMEOUT": "3",
    "EVENTS_MAX_ATTEMPTS": "3",
    "EVENTS_RETRY_BASE_SECONDS": "0.05",
}


def database_url() -> str:
    db = settings.DATABASES["default"]
    user = quote(db.get("USER") or "")
    password = db.get("PASSWORD") or ""
    auth = f"{user}:{quote(password)}@" if password else (f"{user}@" if user else "")
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def process_env(**overrides: str) -> dict[str, str]:
    """Environment for a subprocess running this project against the test services."""
    return {
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        **TEST_WORKER_ENV,
        **overrides,
    }


def broker() -> redis.Redis:
    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


def broker_idle() -> bool:
    """Every task sent was run and acknowledged: nothing queued, nothing in flight."""
    client = broker()
    return not any(client.llen(q) for q in QUEUES) and client.hlen("unacked") == 0


class Workers(Procs):
    def start_worker(self, name: str, **env: str):
        argv = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            ",".join(QUEUES),
            "-P",
            "prefork",
            "-c",
            "1",
            "-n",
            f"{name}@%h",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        return self.start(name, argv, env=process_env(**env), ready=rf"{name}@\S+ ready\.")

    def wait_idle(self, timeout: float = 60) -> None:
        wait_until(broker_idle, timeout=timeout, what="the workers to finish every task")
