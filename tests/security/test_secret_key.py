"""No server starts with the public development SECRET_KEY (issue 14, item 13).

Services mode without `SECRET_KEY` signed tokens with the key in the
repository. Each entry point is started as a real process with a clean
environment and config.settings: the WSGI and ASGI servers, a Celery worker and
beat, runserver. Only embedded mode on a loopback address may use the key.
"""

import os
import secrets
import subprocess
import sys
import tempfile

import pytest

from tests.integration.procs import ROOT, free_port

pytestmark = pytest.mark.integration

REFUSED = "with the development SECRET_KEY"


def environment(*, services: bool, **extra: str) -> dict[str, str]:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONUNBUFFERED": "1",
    }
    if services:
        env |= {
            "DATABASE_URL": os.environ["DATABASE_URL"],
            "REDIS_URL": os.environ["REDIS_URL"],
            "CELERY_BROKER_URL": os.environ["CELERY_BROKER_URL"],
        }
    return env | extra


def run(argv: list[str], env: dict[str, str], timeout: float = 60):
    """(exit code, output); a server still running after `timeout` is stopped (code None)."""
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        output, _ = proc.communicate(timeout=timeout)
        return proc.returncode, output
    except subprocess.TimeoutExpired:
        proc.kill()
        output, _ = proc.communicate()
        return None, output


def gunicorn(port: int) -> list[str]:
    return [sys.executable, "-m", "gunicorn", "config.wsgi:application", "-b", f"127.0.0.1:{port}"]


def daphne(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "daphne",
        "-b",
        "127.0.0.1",
        "-p",
        str(port),
        "config.asgi:application",
    ]


CELERY = [sys.executable, "-m", "celery", "-A", "config"]


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(gunicorn, id="gunicorn"),
        pytest.param(daphne, id="daphne"),
        pytest.param(
            lambda port: [*CELERY, "worker", "-Q", "default", "--pool", "solo"], id="worker"
        ),
        # A schedule file of its own: beat removes a schedule it cannot open, and
        # `-s /dev/null` made it delete the machine's /dev/null (as root).
        pytest.param(
            lambda port: [*CELERY, "beat", "-s", os.path.join(tempfile.mkdtemp(), "schedule")],
            id="beat",
        ),
    ],
)
def test_services_mode_servers_refuse_the_development_key(argv):
    code, output = run(argv(free_port()), environment(services=True), timeout=90)
    assert code not in (None, 0), output[-3000:]
    assert REFUSED in output, output[-3000:]
    assert "services mode" in output


def test_the_development_key_spelled_out_is_refused_too():
    key = "django-insecure-warble-development-key-not-for-production"
    code, output = run(gunicorn(free_port()), environment(services=True, SECRET_KEY=key))
    assert code not in (None, 0)
    assert REFUSED in output, output[-3000:]


def test_services_mode_starts_with_a_real_key():
    env = environment(services=True, SECRET_KEY=secrets.token_urlsafe(50))
    code, output = run(gunicorn(free_port()), env, timeout=8)
    assert code is None, output[-3000:]  # still serving when stopped
    assert REFUSED not in output


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1", "warble.example"])  # noqa: S104
def test_embedded_runserver_off_loopback_refuses_the_development_key(tmp_path, host):
    env = environment(services=False, WARBLE_VAR_DIR=str(tmp_path))
    argv = [sys.executable, "manage.py", "runserver", f"{host}:{free_port()}", "--noreload"]
    code, output = run(argv, env)
    assert code not in (None, 0), output[-3000:]
    assert REFUSED in output
    assert "embedded mode" in output


def test_embedded_runserver_on_loopback_starts_with_the_development_key(tmp_path):
    """`make run` needs nothing set."""
    env = environment(services=False, WARBLE_VAR_DIR=str(tmp_path))
    argv = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{free_port()}", "--noreload"]
    code, output = run(argv, env, timeout=10)
    assert code is None, output[-3000:]
    assert REFUSED not in output
