"""A suspension closes the account's open sockets (4401) and ends its event streams,
through the same revocation as a password change (accounts.services.revoke_tokens)."""

import asyncio

import pytest

from moderation import services
from notifications.consumers import CLOSE_UNAUTHORIZED
from tests.factories import UserFactory
from tests.moderation.conftest import make_moderator
from tests.notifications.test_realtime import (
    _in_memory_layer,  # noqa: F401 - the autouse fixture of those tests, here too
    access_token,
    in_thread,
    open_socket,
    open_stream,
    parse_events,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_suspending_closes_sockets_with_4401_and_ends_streams():
    moderator = make_moderator()
    bob = UserFactory(username="bob")
    token = access_token(bob)

    async def scenario():
        socket = await open_socket(token)
        stream = await open_stream(token)
        await in_thread(services.user_suspend)(moderator=moderator, user=bob, reason="abuse")
        closed = await socket.receive_output(timeout=5)
        last = await stream.receive_output(timeout=5)
        ended = await stream.receive_output(timeout=5)
        await stream.wait(timeout=5)
        await socket.disconnect()
        return closed, last, ended

    closed, last, ended = asyncio.run(scenario())
    assert closed == {"type": "websocket.close", "code": CLOSE_UNAUTHORIZED}
    assert parse_events(last["body"]) == [("token.revoked", {"type": "token.revoked"})]
    assert ended == {"type": "http.response.body"}
