"""Real Celery worker processes for the event tests, pointed at the test database.

A worker gets the test database (pytest-django's `test_...` name), the same
Redis and RabbitMQ virtual host, Celery not eager, and the test settings
(tests/settings.py), which load tests/eventapp and its handlers. Tests use
`transactional_db` so the worker sees their rows.

The broker is inspected over AMQP itself, without the management plugin: a
passive queue declare answers how many messages are ready and how many
consumers listen; what a worker holds (running, reserved, waiting for a
countdown) it says itself when asked over Celery's remote control.
"""

import socket
import sys
from urllib.parse import quote

from amqp.exceptions import NotFound
from django.conf import settings
from kombu import Connection

from tests.integration.procs import Proc, Procs, wait_until

QUEUES = ("default", "fanout", "media")

# Failed pairs retry after ~0.05 s, 3 attempts (production: 5 s doubling, 8).
TEST_WORKER_ENV = {
    # Cached authentication verdicts, as production runs (tests/settings.py turns
    # them off in the test process only).
    "AUTH_CACHE_SECONDS": "30",
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


class Broker:
    """The test's RabbitMQ virtual host, seen over AMQP."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or settings.CELERY_BROKER_URL

    def _connection(self) -> Connection:
        return Connection(self.url, connect_timeout=5)

    def queues(self) -> dict[str, tuple[int, int]]:
        """(messages ready, consumers) per queue; a queue not declared yet is (0, 0)."""
        found = {}
        with self._connection() as conn:
            for name in QUEUES:
                channel = conn.channel()
                try:
                    _, ready, consumers = channel.queue_declare(name, passive=True)
                    found[name] = (ready, consumers)
                except NotFound:  # closes the channel
                    found[name] = (0, 0)
                else:
                    channel.close()
        return found

    def ready(self) -> dict[str, int]:
        return {name: ready for name, (ready, _) in self.queues().items()}

    def consumers(self) -> dict[str, int]:
        return {name: consumers for name, (_, consumers) in self.queues().items()}

    def purge(self) -> None:
        """Drop every message waiting in the queues (none may be held: stop workers first)."""
        from config.celery import app

        with self._connection() as conn:
            channel = conn.channel()
            for name in QUEUES:
                queue = app.amqp.queues[name](channel)
                queue.declare()
                queue.purge()
            channel.close()


def broker() -> Broker:
    return Broker()


class Workers(Procs):
    def __init__(self) -> None:
        super().__init__()
        self.names: dict[str, Proc] = {}

    def start_worker(self, name: str, *, include: str | None = None, **env: str) -> Proc:
        """A worker of one prefork process on every queue; `include` names a module
        it imports beside the project's tasks (a probe)."""
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
            *(["--include", include] if include else []),
        ]
        proc = self.start(name, argv, env=process_env(**env), ready=rf"{name}@\S+ ready\.")
        self.names[f"{name}@{socket.gethostname()}"] = proc
        return proc

    def start_beat(self, name: str = "beat", **env: str) -> Proc:
        argv = [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO"]
        argv += ["--schedule", f"/tmp/{name}-{id(self)}-celerybeat-schedule"]
        return self.start(name, argv, env=process_env(**env), ready=r"beat: Starting")

    def holding(self) -> bool | None:
        """Whether a live worker holds a task (running, reserved, or waiting for its
        countdown); None when one of them did not answer."""
        from config.celery import app

        live = [name for name, proc in self.names.items() if proc.running()]
        if not live:
            return False
        inspect = app.control.inspect(destination=live, timeout=2, limit=len(live))
        held = 0
        for ask in (inspect.active, inspect.reserved, inspect.scheduled):
            replies = ask() or {}
            if set(replies) != set(live):
                return None
            held += sum(len(tasks) for tasks in replies.values())
        return held > 0

    def idle(self) -> bool:
        """Every task sent was run and acknowledged: nothing queued, nothing held.

        Asked twice around the workers' answer, so a task published by a task that
        just finished, or delivered between the two questions, is seen.
        """
        queued = broker().ready
        return not any(queued().values()) and self.holding() is False and not any(queued().values())

    def wait_idle(self, timeout: float = 60) -> None:
        def settled() -> bool:
            return self.idle() and self.idle()

        wait_until(settled, timeout=timeout, interval=0.2, what="the workers to finish every task")
