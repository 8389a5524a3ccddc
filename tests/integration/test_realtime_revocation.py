"""Revoked tokens close open connections (issue 12, point 4), across real processes.

A password change made through gunicorn revokes the user's tokens; the request
announces it after commit on the channel layer, and daphne closes the user's
socket with 4401 and ends their event stream with `token.revoked`. Another
user's socket stays open. Before the fix, both stayed open until the token
expired (15 minutes).
"""

import asyncio

import httpx
import pytest

from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.integration.realtime_clients import (
    Socket,
    Stream,
    access_token,
    assert_no_application_errors,
    stream_client,
)
from tests.integration.servers import start_stack

pytestmark = pytest.mark.integration

WITHIN = 10  # seconds: an upper bound for "within seconds" on a loaded machine


def test_a_password_change_closes_the_users_socket_and_stream_but_no_one_elses(workers):
    wsgi, asgi, daphne = start_stack(workers)
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    alice_token, bob_token = access_token(alice), access_token(bob)

    async def scenario():
        async with (
            stream_client() as http,
            httpx.AsyncClient(base_url=wsgi, timeout=30) as api,
        ):
            socket = await Socket("alice /ws/").open(asgi, alice_token)
            stream = await Stream("alice stream").open(asgi, alice_token, http=http)
            other = await Socket("bob /ws/").open(asgi, bob_token, header=True)

            changed = await api.post(
                "/api/v1/auth/password/change",
                headers={"Authorization": f"Bearer {alice_token}"},
                json={"old_password": DEFAULT_PASSWORD, "new_password": "a-brand-New-passphrase-8"},
            )
            assert changed.status_code == 204, changed.text

            assert await socket.wait_closed(timeout=WITHIN) == 4401
            await stream.wait_for(lambda f: f["type"] == "token.revoked", timeout=WITHIN)
            assert await stream.wait_closed(timeout=WITHIN) == "ended"

            await other.send({"type": "ping"})
            await other.wait_for(lambda f: f["type"] == "pong", timeout=WITHIN)
            assert other.closed_with is None

            # The revoked token cannot come back: a new socket is closed at once,
            # a new stream is refused.
            retry = await Socket("alice again").open_refused(asgi, alice_token)
            refused = await http.get(
                f"http://{asgi}/api/v1/stream", headers={"Authorization": f"Bearer {alice_token}"}
            )
            for connection in (socket, stream, other):
                await connection.close()
            return retry, refused.status_code

    retry, refused = asyncio.run(scenario())
    assert retry == 4401
    assert refused == 401
    assert_no_application_errors(daphne)
