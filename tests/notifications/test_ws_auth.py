"""WebSocket `/ws/` authentication (accounts.websocket_auth + notifications.consumers).

pytest-asyncio is not installed: each test drives the ASGI app with asyncio.run.
The consumer reads users from the database in a worker thread, hence
`transactional_db` (the test's data must be committed to be seen there).
"""

import asyncio
import json

import pytest
from channels.testing import WebsocketCommunicator
from django.db import connections
from rest_framework.test import APIClient

from config.asgi import application
from notifications.consumers import CLOSE_UNAUTHORIZED
from tests.accounts.helpers import client_with, obtain_tokens
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.notifications.test_realtime import close_consumer_connections, in_thread

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _in_memory_layer(settings, monkeypatch):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.THROTTLE_ENABLED = False
    # The consumer's worker threads would keep their connections open (CONN_MAX_AGE)
    # and block the test database's teardown; close them after each use.
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    yield
    close_consumer_connections()


@pytest.fixture
def alice(transactional_db):
    return UserFactory(username="alice")


@pytest.fixture
def access(api_client, alice) -> str:
    return obtain_tokens(api_client, "alice")["access"]


async def open_socket(path="/ws/", headers=(), subprotocols=None):
    """Connect; return (connected, first message or close event, accepted subprotocol)."""
    communicator = WebsocketCommunicator(
        application, path, headers=list(headers), subprotocols=subprotocols
    )
    connected, subprotocol = await communicator.connect(timeout=5)
    first = None
    if connected:
        first = await communicator.receive_output(timeout=5)
        if first["type"] == "websocket.send":
            first = json.loads(first["text"])
    await communicator.disconnect()
    return connected, first, subprotocol


def connect(**kwargs):
    return asyncio.run(open_socket(**kwargs))


def assert_hello(result, user):
    connected, first, _ = result
    assert connected
    assert first == {"type": "hello", "user_id": str(user.pk)}


def assert_unauthorized(result):
    connected, first, _ = result
    assert connected  # accepted, then closed with the code that says "refresh your token"
    assert first == {"type": "websocket.close", "code": CLOSE_UNAUTHORIZED}


def test_bearer_header(alice, access):
    assert_hello(connect(headers=[(b"authorization", f"Bearer {access}".encode())]), alice)


def test_token_query_parameter(alice, access):
    assert_hello(connect(path=f"/ws/?token={access}"), alice)


def test_bearer_subprotocol_is_echoed(alice, access):
    result = connect(subprotocols=[f"bearer.{access}"])
    assert_hello(result, alice)
    assert result[2] == f"bearer.{access}"


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"headers": [(b"authorization", b"Bearer garbage")]},
        {"headers": [(b"authorization", b"Basic YWxpY2U6cHc=")]},
        {"path": "/ws/?token=garbage"},
        {"path": "/ws/?token="},
        {"subprotocols": ["bearer.garbage"]},
        {"subprotocols": ["bearer."]},
    ],
)
def test_no_or_bad_token_closes_with_4401(alice, kwargs):
    assert_unauthorized(connect(**kwargs))


def test_a_refresh_token_is_not_accepted(api_client, alice):
    refresh = obtain_tokens(api_client, "alice")["refresh"]
    assert_unauthorized(connect(path=f"/ws/?token={refresh}"))


def test_a_token_revoked_by_a_password_change_closes_with_4401(alice, access):
    changed = client_with(access).post(
        "/api/v1/auth/password/change",
        {"old_password": DEFAULT_PASSWORD, "new_password": "a-brand-New-passphrase-8"},
    )
    assert changed.status_code == 204
    assert_unauthorized(connect(path=f"/ws/?token={access}"))


def test_a_deactivated_account_closes_with_4401(alice, access):
    response = client_with(access).post(
        "/api/v1/users/me/deactivate", {"password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 204
    assert_unauthorized(connect(path=f"/ws/?token={access}"))


def test_an_allowed_origin_connects(alice, access):
    result = connect(path=f"/ws/?token={access}", headers=[(b"origin", b"http://localhost")])
    assert_hello(result, alice)


@pytest.mark.parametrize(
    "origin", [b"https://evil.example", b"http://localhost.evil.example", b"null"]
)
def test_a_browser_origin_not_allowed_is_refused(alice, access, origin):
    connected, _, _ = connect(path=f"/ws/?token={access}", headers=[(b"origin", origin)])
    assert not connected  # refused before accept: the handshake fails (HTTP 403)


def test_pushes_to_the_users_group_reach_the_socket(alice, access):
    from channels.layers import get_channel_layer

    from core.realtime import user_group

    async def scenario():
        communicator = WebsocketCommunicator(application, f"/ws/?token={access}")
        assert (await communicator.connect(timeout=5))[0]
        assert (await communicator.receive_json_from(timeout=5))["type"] == "hello"
        await get_channel_layer().group_send(
            user_group(alice.pk), {"type": "push", "payload": {"type": "ping-test", "n": 1}}
        )
        pushed = await communicator.receive_json_from(timeout=5)
        await communicator.send_json_to({"type": "ping"})
        pong = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return pushed, pong

    pushed, pong = asyncio.run(scenario())
    assert pushed == {"type": "ping-test", "n": 1}
    assert pong == {"type": "pong"}


def test_an_open_socket_marks_its_user_online_until_it_closes(alice, access):
    from asgiref.sync import sync_to_async

    from core.realtime import online_among

    async def scenario():
        communicator = WebsocketCommunicator(application, f"/ws/?token={access}")
        assert (await communicator.connect(timeout=5))[0]
        await communicator.receive_json_from(timeout=5)
        during = await sync_to_async(online_among)([alice.pk])
        await communicator.disconnect()
        return during, await sync_to_async(online_among)([alice.pk])

    during, after = asyncio.run(scenario())
    assert during == [alice.pk]
    assert after == []


# --- revocation while connected (issue 12, point 4) -------------------------------


def test_revoking_the_users_tokens_closes_their_open_sockets_with_4401(alice, access):
    from accounts import services

    UserFactory(username="bob")
    bob_access = obtain_tokens(APIClient(), "bob")["access"]

    async def scenario():
        mine = WebsocketCommunicator(application, f"/ws/?token={access}")
        other = WebsocketCommunicator(application, f"/ws/?token={bob_access}")
        for socket in (mine, other):
            assert (await socket.connect(timeout=5))[0]
            assert (await socket.receive_json_from(timeout=5))["type"] == "hello"
        await in_thread(services.revoke_tokens)(user=alice)
        closed = await mine.receive_output(timeout=5)
        await other.send_json_to({"type": "ping"})
        still_open = await other.receive_json_from(timeout=5)
        for socket in (mine, other):
            await socket.disconnect()
        return closed, still_open

    closed, still_open = asyncio.run(scenario())
    assert closed == {"type": "websocket.close", "code": CLOSE_UNAUTHORIZED}
    assert still_open == {"type": "pong"}  # another user's socket is untouched


def test_a_stale_revocation_message_leaves_a_newer_token_connected(alice):
    """A socket opened with a token minted after the revocation stays open."""
    from channels.layers import get_channel_layer

    from accounts import services
    from accounts.websocket_auth import TOKENS_REVOKED
    from core.realtime import user_group

    services.revoke_tokens(user=alice)
    fresh = obtain_tokens(APIClient(), "alice")["access"]

    async def scenario():
        socket = WebsocketCommunicator(application, f"/ws/?token={fresh}")
        assert (await socket.connect(timeout=5))[0]
        await socket.receive_json_from(timeout=5)
        await get_channel_layer().group_send(
            user_group(alice.pk), {"type": TOKENS_REVOKED, "version": alice.token_version}
        )
        await socket.send_json_to({"type": "ping"})
        answer = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return answer

    assert asyncio.run(scenario()) == {"type": "pong"}


def test_a_revocation_between_authenticating_and_joining_still_closes_the_socket(
    alice, access, monkeypatch
):
    """The announcement went to a group the socket had not joined yet: the
    consumer asks the database once it has joined."""
    from accounts import services, websocket_auth

    authenticate = websocket_auth.user_for_token

    async def authenticate_then_revoke(raw):
        user = await authenticate(raw)
        await in_thread(services.revoke_tokens)(user=alice)
        return user

    monkeypatch.setattr(websocket_auth, "user_for_token", authenticate_then_revoke)
    connected, first, _ = connect(path=f"/ws/?token={access}")
    assert connected
    assert first == {"type": "websocket.close", "code": CLOSE_UNAUTHORIZED}


# --- the bearer scheme in any case, and sessions (issue 14, item 12) -----------------


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_the_bearer_scheme_in_any_case(alice, access, scheme):
    assert_hello(connect(headers=[(b"authorization", f"{scheme} {access}".encode())]), alice)


def test_a_malformed_bearer_header_closes_with_4401(alice, access):
    assert_unauthorized(connect(headers=[(b"authorization", f"bearer {access} x".encode())]))


def sign_out(refresh: str) -> int:
    return APIClient().post("/api/v1/auth/logout", {"refresh": refresh}, format="json").status_code


def test_a_signed_out_sessions_token_is_refused_and_another_sessions_is_not(alice):
    this = obtain_tokens(APIClient(), "alice")
    other = obtain_tokens(APIClient(), "alice")
    assert sign_out(this["refresh"]) == 204

    assert_unauthorized(connect(path=f"/ws/?token={this['access']}"))
    assert_unauthorized(connect(headers=[(b"authorization", f"bearer {this['access']}".encode())]))
    assert_hello(connect(path=f"/ws/?token={other['access']}"), alice)


def test_signing_out_closes_that_sessions_open_sockets_only(alice):
    this = obtain_tokens(APIClient(), "alice")
    other = obtain_tokens(APIClient(), "alice")

    async def scenario():
        mine = WebsocketCommunicator(application, f"/ws/?token={this['access']}")
        theirs = WebsocketCommunicator(application, f"/ws/?token={other['access']}")
        for socket in (mine, theirs):
            assert (await socket.connect(timeout=5))[0]
            assert (await socket.receive_json_from(timeout=5))["type"] == "hello"
        assert await in_thread(sign_out)(this["refresh"]) == 204
        closed = await mine.receive_output(timeout=5)
        await theirs.send_json_to({"type": "ping"})
        still_open = await theirs.receive_json_from(timeout=5)
        for socket in (mine, theirs):
            await socket.disconnect()
        return closed, still_open

    closed, still_open = asyncio.run(scenario())
    assert closed == {"type": "websocket.close", "code": CLOSE_UNAUTHORIZED}
    assert still_open == {"type": "pong"}  # the same user's other session is untouched


def test_a_sign_out_between_authenticating_and_joining_still_closes_the_socket(alice, monkeypatch):
    from accounts import websocket_auth

    tokens = obtain_tokens(APIClient(), "alice")
    authenticate = websocket_auth.user_for_token

    async def authenticate_then_sign_out(raw):
        user = await authenticate(raw)
        assert await in_thread(sign_out)(tokens["refresh"]) == 204
        return user

    monkeypatch.setattr(websocket_auth, "user_for_token", authenticate_then_sign_out)
    assert_unauthorized(connect(path=f"/ws/?token={tokens['access']}"))
