"""A signed token whose `user_id` is not an id (issue 14, item 7).

Only someone holding the signing key can make one (item 13 keeps the public
development key off servers), but such a token made simplejwt query with
whatever the claim held: a 500 over HTTP and a broken WebSocket handshake.
Now it is a bad token like any other: 401, and 4401 on /ws/.
"""

import asyncio

import pytest
from channels.testing import WebsocketCommunicator
from django.db import connections
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.authentication import TOKEN_VERSION_CLAIM
from config.asgi import application
from notifications.consumers import CLOSE_UNAUTHORIZED
from tests.accounts.helpers import assert_error, client_with
from tests.factories import UserFactory
from tests.notifications.test_realtime import close_consumer_connections

BAD_USER_IDS = ["abc", "1.5", 1.5, "", " 1", "1e3", -1, 0, 2**64, "9" * 30, [1], {"id": 1}, True]


def signed(token_class, user, user_id):
    token = token_class.for_user(user)
    token[TOKEN_VERSION_CLAIM] = user.token_version
    token["user_id"] = user_id
    return str(token)


@pytest.fixture
def user(db, settings):
    settings.THROTTLE_ENABLED = False
    return UserFactory()


@pytest.mark.django_db
@pytest.mark.parametrize("user_id", BAD_USER_IDS, ids=repr)
def test_an_access_token_with_a_bad_user_id_is_a_401(user, user_id):
    response = client_with(signed(AccessToken, user, user_id)).get("/api/v1/users/me")
    assert_error(response, 401)


@pytest.mark.django_db
@pytest.mark.parametrize("user_id", BAD_USER_IDS, ids=repr)
def test_a_refresh_token_with_a_bad_user_id_is_a_401(user, user_id):
    refresh = signed(RefreshToken, user, user_id)
    client = APIClient()
    assert_error(client.post("/api/v1/auth/token/refresh", {"refresh": refresh}), 401)
    assert_error(client.post("/api/v1/auth/logout", {"refresh": refresh}), 401)


@pytest.mark.django_db
def test_a_good_token_still_works(user):
    """The check lets the tokens simplejwt makes through (their user_id is a string)."""
    access = signed(AccessToken, user, str(user.pk))
    assert client_with(access).get("/api/v1/users/me").status_code == 200
    numeric = signed(AccessToken, user, user.pk)
    assert client_with(numeric).get("/api/v1/users/me").status_code == 200


async def first_frame(token: str):
    communicator = WebsocketCommunicator(application, f"/ws/?token={token}")
    connected, _ = await communicator.connect(timeout=5)
    frame = await communicator.receive_output(timeout=5) if connected else None
    await communicator.disconnect()
    return connected, frame


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("user_id", ["abc", 1.5, [1], -1], ids=repr)
def test_a_websocket_with_a_bad_user_id_closes_with_4401(settings, monkeypatch, user_id):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    user = UserFactory()
    try:
        connected, frame = asyncio.run(first_frame(signed(AccessToken, user, user_id)))
    finally:
        close_consumer_connections()
    assert connected
    assert frame == {"type": "websocket.close", "code": CLOSE_UNAUTHORIZED}
