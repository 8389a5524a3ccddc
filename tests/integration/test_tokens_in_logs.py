"""Access tokens stay out of the servers' logs (issue 14, item 12).

EventSource cannot set headers, so browsers put the access token in the
stream's query string (`GET /api/v1/stream?token=...`), and `/ws/?token=...`
is allowed too. The servers log request lines with their query strings:
daphne (as production runs it, its access log on by default), gunicorn and
granian with their access logs on. Each must still log the request, with the
token's value redacted (core.log_redaction). Before the fix the token was in
daphne's and gunicorn's logs in full.
"""

import asyncio
import sys

import httpx
import pytest

from tests.factories import UserFactory
from tests.integration.celery_workers import process_env
from tests.integration.procs import Procs, free_port, wait_until
from tests.integration.realtime_clients import Socket, access_token
from tests.integration.servers import _answers_health

pytestmark = pytest.mark.integration

REDACTED = "token=[redacted]"


def _start(procs: Procs, name: str, argv: list[str], port: int):
    # Unbuffered, as in the image: the access log is read while the server runs.
    env = process_env(PYTHONUNBUFFERED="1", THROTTLE_ENABLED="0")
    return procs.start(name, argv, env=env, ready=_answers_health(port))


def _logged(proc, *needles: str) -> str:
    return wait_until(
        lambda: all(needle in proc.log() for needle in needles) and proc.log(),
        timeout=15,
        what=f"{proc.name} to log {needles}",
    )


def test_daphne_as_run_in_production_logs_the_stream_and_socket_requests_without_tokens(
    transactional_db,
):
    user = UserFactory()
    token = access_token(user)
    bad = token[:-4] + "AAAA"  # a token-shaped secret the server refuses
    port = free_port()
    with Procs() as procs:
        # README "Running in production": no access-log flag (daphne's default
        # verbosity writes it to stdout).
        argv = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
        daphne = _start(procs, "daphne", [*argv, "config.asgi:application"], port)
        refused = httpx.get(f"http://127.0.0.1:{port}/api/v1/stream?token={bad}", timeout=30)
        assert refused.status_code == 401
        encoded = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/stream", params={"x": "1", "token": bad}, timeout=30
        )
        assert encoded.status_code == 401

        async def open_socket():
            socket = await Socket("query token").open(f"127.0.0.1:{port}", token)
            await socket.close()

        asyncio.run(open_socket())
        log = _logged(
            daphne,
            f'"GET /api/v1/stream?{REDACTED}" 401',
            f'"GET /api/v1/stream?x=1&{REDACTED}" 401',
            "WSDISCONNECT /ws/",
        )
    assert token not in log
    assert bad not in log
    assert token[-20:] not in log
    assert bad[-20:] not in log


@pytest.mark.parametrize(
    "server",
    [
        "gunicorn",
        # Production's web server; its default format has no query string, so the
        # test names it in the format as an operator might.
        "granian",
    ],
)
def test_the_wsgi_servers_access_logs_redact_tokens(transactional_db, server):
    secret = access_token(UserFactory())
    port = free_port()
    if server == "gunicorn":
        argv = [sys.executable, "-m", "gunicorn", "config.wsgi:application"]
        argv += ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--access-logfile", "-"]
        expected = f'"GET /api/v1/stream?{REDACTED} HTTP/1.1" 404'
    else:
        argv = [sys.executable, "-m", "granian", "--interface", "wsgi", "--host", "127.0.0.1"]
        argv += ["--port", str(port), "--workers", "1", "--access-log"]
        argv += ["--access-log-fmt", '"%(method)s %(path)s?%(query_string)s" %(status)d']
        argv += ["config.wsgi:application"]
        expected = f'"GET /api/v1/stream?{REDACTED}" 404'
    with Procs() as procs:
        proc = _start(procs, server, argv, port)
        # The WSGI server does not serve the stream (404), but logs the request.
        response = httpx.get(f"http://127.0.0.1:{port}/api/v1/stream?token={secret}", timeout=30)
        assert response.status_code == 404
        log = _logged(proc, expected)
    assert secret not in log
    assert secret[-20:] not in log
