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
from tests.integration.servers import sign_in, start_stack

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


def test_signing_out_closes_that_sessions_socket_and_stream_and_refuses_its_access_token(workers):
    """Issue 14, item 12: logout revoked only the refresh token; the session's
    access token kept working over HTTP, /ws/ and the stream for up to 15
    minutes, and its open socket and stream stayed open. Now the session (its
    "sid") is revoked: everything of it stops at once, another session of the
    same user stays signed in."""
    wsgi, asgi, daphne = start_stack(workers)
    UserFactory(username="alice")

    this, other = sign_in(wsgi, "alice"), sign_in(wsgi, "alice")

    async def scenario():
        async with (
            stream_client() as http,
            httpx.AsyncClient(base_url=wsgi, timeout=30) as api,
        ):
            socket = await Socket("this session /ws/").open(asgi, this["access"])
            stream = await Stream("this session stream").open(asgi, this["access"], http=http)
            other_socket = await Socket("other session /ws/").open(asgi, other["access"])
            other_stream = await Stream("other stream").open(asgi, other["access"], http=http)

            signed_out = await api.post("/api/v1/auth/logout", json={"refresh": this["refresh"]})
            assert signed_out.status_code == 204, signed_out.text

            assert await socket.wait_closed(timeout=WITHIN) == 4401
            await stream.wait_for(lambda f: f["type"] == "token.revoked", timeout=WITHIN)
            assert await stream.wait_closed(timeout=WITHIN) == "ended"

            answers = {}
            for scheme in ("Bearer", "bearer"):
                for name, tokens in (("this", this), ("other", other)):
                    me = await api.get(
                        "/api/v1/users/me",
                        headers={"Authorization": f"{scheme} {tokens['access']}"},
                    )
                    answers[scheme, name] = me.status_code
            refused_socket = await Socket("this session again").open_refused(asgi, this["access"])
            refused_stream = await http.get(
                f"http://{asgi}/api/v1/stream",
                headers={"Authorization": f"bearer {this['access']}"},
            )

            await other_socket.send({"type": "ping"})
            await other_socket.wait_for(lambda f: f["type"] == "pong", timeout=WITHIN)
            assert other_socket.closed_with is None
            assert other_stream.closed_with is None
            assert not other_stream.of_type("token.revoked")
            for connection in (socket, stream, other_socket, other_stream):
                await connection.close()
            return answers, refused_socket, refused_stream.status_code

    answers, refused_socket, refused_stream = asyncio.run(scenario())
    assert answers == {
        ("Bearer", "this"): 401,
        ("Bearer", "other"): 200,
        ("bearer", "this"): 401,
        ("bearer", "other"): 200,
    }
    assert refused_socket == 4401
    assert refused_stream == 401
    assert_no_application_errors(daphne)
