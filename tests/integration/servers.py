"""Real WSGI (gunicorn) and ASGI (daphne) servers for integration tests.

They run this project against the test database and Redis like the Celery
workers do (`celery_workers.process_env`), started through a `Procs` group so
they are stopped, and their logs printed on failure, at teardown. Give every
process of one test the same CHANNELS_PREFIX: channels-redis then joins them
(a push from the worker reaches the sockets held by daphne) without seeing
other tests' groups.
"""

import sys
import uuid

import httpx

from tests.factories import DEFAULT_PASSWORD
from tests.integration.celery_workers import process_env
from tests.integration.procs import Proc, Procs, free_port


def _answers_health(port: int):
    def ready(proc: Proc) -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    return ready


def start_wsgi(procs: Procs, name: str = "wsgi", **env: str) -> str:
    """gunicorn serving config.wsgi; returns its base URL."""
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--threads",
        "4",
        "--access-logfile",
        "-",
    ]
    procs.start(name, argv, env=process_env(**env), ready=_answers_health(port))
    return f"http://127.0.0.1:{port}"


def sign_in(base: str, username: str) -> dict[str, str]:
    """A user's token pair from a running server (the factories' password)."""
    response = httpx.post(
        f"{base}/api/v1/auth/token",
        json={"username": username, "password": DEFAULT_PASSWORD},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()


def start_asgi(procs: Procs, name: str = "asgi", **env: str) -> str:
    """daphne serving config.asgi (WebSockets and the event stream); returns host:port."""
    port = free_port()
    argv = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
    argv += ["--access-log", "-", "config.asgi:application"]
    procs.start(name, argv, env=process_env(**env), ready=_answers_health(port))
    return f"127.0.0.1:{port}"


def start_stack(procs, **env: str) -> tuple[str, str, Proc]:
    """A Celery worker, gunicorn and daphne sharing a fresh channel prefix, as in
    production (`procs`: the `workers` fixture). Returns (WSGI base URL, ASGI
    host:port, the daphne process)."""
    env = {"CHANNELS_PREFIX": f"warble-test-{uuid.uuid4().hex[:8]}", "THROTTLE_ENABLED": "0", **env}
    procs.start_worker("worker", **env)
    wsgi = start_wsgi(procs, **env)
    asgi = start_asgi(procs, **env)
    return wsgi, asgi, procs.started[-1]


def start_runserver(procs: Procs, name: str = "runserver", **env: str) -> str:
    """`manage.py runserver` (daphne's) with DEBUG on, which also serves the static
    files (the admin's CSS and JavaScript, Swagger UI's bundle) as `make run` does:
    what a browser test needs. Returns its base URL."""
    port = free_port()
    argv = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    env = {"DJANGO_DEBUG": "1", "CELERY_TASK_ALWAYS_EAGER": "1", **env}
    procs.start(name, argv, env=process_env(**env), ready=_answers_health(port))
    return f"http://127.0.0.1:{port}"
