"""Pushes over `/ws/` and `/api/v1/stream`, driven in process through the ASGI app.

pytest-asyncio is not installed: each test runs its scenario with asyncio.run.
Writes run in a worker thread (sync_to_async) and commit for real
(`transactional_db`), so their events are delivered on commit and the pushes
go through the in-memory channel layer to the consumer under test.
"""

import asyncio
import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from asgiref.testing import ApplicationCommunicator
from channels.db import aclose_old_connections
from channels.layers import InMemoryChannelLayer, get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import connections
from redis.exceptions import ConnectionError as RedisConnectionError

from accounts.api.serializers import TokenObtainSerializer
from config.asgi import application
from core.realtime import user_group
from notifications.consumers import CLOSE_UNAUTHORIZED, CLOSE_UNAVAILABLE
from notifications.models import Verb
from tests.factories import PostFactory, UserFactory
from tweets import services as tweets

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _in_memory_layer(settings, monkeypatch):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.NOTIFICATIONS_POST_UPDATE_INTERVAL_SECONDS = 60
    from channels.layers import channel_layers

    channel_layers.backends.clear()  # a fresh in-memory layer per test
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    yield
    close_consumer_connections()


def close_consumer_connections() -> None:
    """channels.testing stubs out close_old_connections while it talks to the app:
    a consumer that ends inside that window leaves its database connection open in
    asgiref's sync thread (and the test database could not be dropped). Close it there."""
    asyncio.run(aclose_old_connections())


def access_token(user, lifetime: timedelta | None = None) -> str:
    token = TokenObtainSerializer.get_token(user).access_token
    if lifetime is not None:
        token.set_exp(lifetime=lifetime)
    return str(token)


async def open_socket(token: str) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, f"/ws/?token={token}")
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    assert (await communicator.receive_json_from(timeout=5))["type"] == "hello"
    return communicator


def in_thread(func):
    """Run a write in a worker thread with its own connection, closed afterwards."""

    def run(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        finally:
            connections.close_all()

    return sync_to_async(run, thread_sensitive=False)


def test_a_like_pushes_the_notification_and_the_unread_count():
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    post = PostFactory(author=alice)
    token = access_token(alice)

    async def scenario():
        socket = await open_socket(token)
        await in_thread(tweets.like_create)(user=bob, post_id=post.id)
        created = await socket.receive_json_from(timeout=5)
        count = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return created, count

    created, count = asyncio.run(scenario())
    assert created["type"] == "notification.created"
    notification = created["notification"]
    assert set(notification) == {"id", "verb", "actor", "target", "is_read", "created_at"}
    assert notification["verb"] == Verb.LIKE
    assert notification["actor"]["username"] == "bob"
    assert notification["target"]["id"] == str(post.id)
    assert count == {"type": "notification.unread_count", "count": 1}


def test_subscribed_posts_push_updates_and_invisible_posts_are_refused(monkeypatch):
    from notifications.tasks import push_post_updates_later

    trailing: list[dict] = []  # eager Celery would run the trailing push at once
    monkeypatch.setattr(
        push_post_updates_later, "apply_async", lambda **options: trailing.append(options)
    )
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    post = PostFactory(author=bob, text="first text")
    hidden = PostFactory(author=UserFactory(is_private=True))
    token = access_token(alice)

    async def scenario():
        socket = await open_socket(token)
        await socket.send_json_to(
            {"type": "subscribe", "post_ids": [str(post.id), str(hidden.id), "1"]}
        )
        subscribed = await socket.receive_json_from(timeout=5)
        await in_thread(tweets.like_create)(user=alice, post_id=post.id)
        liked = await socket.receive_json_from(timeout=5)
        # Counters are throttled: a second change within the interval waits for the
        # trailing push; an edit goes out at once.
        await in_thread(tweets.retweet_create)(user=alice, post_id=post.id)
        await in_thread(tweets.post_edit)(user=bob, post_id=post.id, text="second text")
        edited = await socket.receive_json_from(timeout=5)
        await in_thread(tweets.post_delete)(user=bob, post_id=post.id)
        deleted = await socket.receive_json_from(timeout=5)
        await socket.send_json_to({"type": "unsubscribe", "post_ids": [str(post.id)]})
        unsubscribed = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return subscribed, liked, edited, deleted, unsubscribed

    subscribed, liked, edited, deleted, unsubscribed = asyncio.run(scenario())
    assert subscribed == {"type": "subscribed", "post_ids": [str(post.id)]}
    assert liked == {
        "type": "post.updated",
        "post": {
            "id": str(post.id),
            "deleted": False,
            "text": "first text",
            "edited_at": None,
            "like_count": 1,
            "retweet_count": 0,
            "reply_count": 0,
            "quote_count": 0,
        },
    }
    assert edited["post"]["text"] == "second text"
    assert edited["post"]["retweet_count"] == 1  # the current state, not a delta
    assert edited["post"]["edited_at"] is not None
    assert deleted == {"type": "post.updated", "post": {"id": str(post.id), "deleted": True}}
    assert trailing == [{"kwargs": {"post_ids": [post.id]}, "countdown": 60}]
    assert unsubscribed == {"type": "unsubscribed", "post_ids": [str(post.id)]}


@pytest.mark.parametrize(
    "message",
    [
        {"type": "subscribe", "post_ids": "1"},
        {"type": "subscribe", "post_ids": []},
        {"type": "subscribe", "post_ids": ["x"]},
        {"type": "subscribe", "post_ids": [True]},
        {"type": "subscribe", "post_ids": [str(2**63)]},
        {"type": "dance"},
        ["not", "an", "object"],
    ],
)
def test_bad_messages_get_an_error_frame_and_the_socket_stays_open(message):
    alice = UserFactory(username="alice")
    token = access_token(alice)

    async def scenario():
        socket = await open_socket(token)
        await socket.send_json_to(message)
        error = await socket.receive_json_from(timeout=5)
        await socket.send_to(text_data="{not json")
        not_json = await socket.receive_json_from(timeout=5)
        await socket.send_json_to({"type": "ping"})
        pong = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return error, not_json, pong

    error, not_json, pong = asyncio.run(scenario())
    assert error["type"] == "error"
    assert error["code"] in {"invalid_post_ids", "invalid_message"}
    assert not_json["code"] == "invalid_message"
    assert pong == {"type": "pong"}


def test_subscriptions_are_capped_per_socket(settings):
    settings.NOTIFICATIONS_MAX_POST_SUBSCRIPTIONS = 2
    alice = UserFactory(username="alice")
    posts = PostFactory.create_batch(3)
    token = access_token(alice)

    async def scenario():
        socket = await open_socket(token)
        await socket.send_json_to({"type": "subscribe", "post_ids": [str(p.id) for p in posts]})
        refused = await socket.receive_json_from(timeout=5)
        await socket.send_json_to({"type": "subscribe", "post_ids": [str(posts[0].id)]})
        accepted = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return refused, accepted

    refused, accepted = asyncio.run(scenario())
    assert refused["code"] == "too_many_subscriptions"
    assert accepted == {"type": "subscribed", "post_ids": [str(posts[0].id)]}


def test_the_socket_closes_with_4401_when_the_token_expires():
    alice = UserFactory(username="alice")
    token = access_token(alice, lifetime=timedelta(seconds=3))

    async def scenario():
        socket = await open_socket(token)
        closed = await socket.receive_output(timeout=10)
        await socket.disconnect(code=CLOSE_UNAUTHORIZED)
        return closed

    assert asyncio.run(scenario()) == {"type": "websocket.close", "code": CLOSE_UNAUTHORIZED}


# --- Server-Sent Events -------------------------------------------------------------------


def http_scope(path: str, query: str = "", headers=()) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"localhost"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 80),
    }


def parse_events(chunk: bytes) -> list[tuple[str, dict]]:
    found = []
    for block in chunk.decode().split("\n\n"):
        lines = dict(
            line.split(": ", 1) for line in block.splitlines() if ": " in line and line[0] != ":"
        )
        if "event" in lines:
            found.append((lines["event"], json.loads(lines["data"])))
    return found


def test_the_event_stream_relays_the_users_pushes():
    alice = UserFactory(username="alice")
    token = access_token(alice)

    async def scenario():
        app = ApplicationCommunicator(application, http_scope("/api/v1/stream", f"token={token}"))
        await app.send_input({"type": "http.request", "body": b"", "more_body": False})
        start = await app.receive_output(timeout=5)
        hello = await app.receive_output(timeout=5)
        layer = get_channel_layer()
        await layer.group_send(
            user_group(alice.pk),
            {"type": "push", "payload": {"type": "notification.unread_count", "count": 3}},
        )
        pushed = await app.receive_output(timeout=5)
        await app.send_input({"type": "http.disconnect"})
        await app.wait(timeout=5)
        return start, hello, pushed, layer.groups.get(user_group(alice.pk), {})

    start, hello, pushed, members_after = asyncio.run(scenario())
    assert start["status"] == 200
    headers = {name.lower(): value for name, value in start["headers"]}
    assert headers[b"content-type"] == b"text/event-stream"
    assert headers[b"cache-control"] == b"no-cache"
    assert parse_events(hello["body"]) == [("hello", {"type": "hello", "user_id": str(alice.pk)})]
    assert parse_events(pushed["body"]) == [
        ("notification.unread_count", {"type": "notification.unread_count", "count": 3})
    ]
    assert members_after == {}  # the stream left the group when the client went away


def test_the_event_stream_needs_a_valid_token():
    async def scenario():
        app = ApplicationCommunicator(application, http_scope("/api/v1/stream", "token=garbage"))
        await app.send_input({"type": "http.request", "body": b"", "more_body": False})
        start = await app.receive_output(timeout=5)
        body = await app.receive_output(timeout=5)
        return start, json.loads(body["body"])

    start, body = asyncio.run(scenario())
    assert start["status"] == 401
    assert body["errors"][0]["code"] == "not_authenticated"


def test_the_wsgi_server_does_not_serve_the_event_stream(client):
    alice = UserFactory(username="alice")
    response = client.get("/api/v1/stream", HTTP_AUTHORIZATION=f"Bearer {access_token(alice)}")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"


def test_the_wsgi_server_checks_the_token_before_answering_404(client):
    """401 without a valid token on either server, like every authenticated route
    (issue 14: the schemathesis battery found the WSGI server's 404 came first)."""
    response = client.get("/api/v1/stream", {"token": "garbage"})
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "not_authenticated"


def test_an_open_socket_keeps_its_user_online_past_the_presence_ttl(monkeypatch):
    from core import realtime

    monkeypatch.setattr(realtime, "PRESENCE_TTL", 0.3)
    monkeypatch.setattr(realtime, "PRESENCE_REFRESH", 0.05)
    user = UserFactory()
    token = access_token(user)

    async def scenario():
        socket = await open_socket(token)
        await asyncio.sleep(0.7)  # more than twice the TTL: only the heartbeat keeps it
        online_while_open = await in_thread(realtime.online_among)([user.pk])
        await socket.disconnect()
        return online_while_open, await in_thread(realtime.online_among)([user.pk])

    while_open, after_close = asyncio.run(scenario())
    assert while_open == [user.pk]
    assert after_close == []


# --- keep-alives, revocation, a failing channel layer (issue 12) ----------------------


def test_the_channel_layer_reads_from_redis_longer_than_it_blocks():
    """channels-redis blocks up to `brpop_timeout` in a read that Redis answers only
    then; a read timeout no longer than that closed idle sockets with 1011."""
    from channels_redis.core import RedisChannelLayer

    from config.settings import tasks

    layer = RedisChannelLayer(**tasks.CHANNEL_LAYERS["default"]["CONFIG"])
    pool = layer.create_pool(0)
    connection = pool.connection_class(**pool.connection_kwargs)
    assert connection.socket_timeout > layer.brpop_timeout
    assert connection.socket_connect_timeout is not None


def test_a_burst_to_every_socket_of_a_process_waits_in_redis_until_it_reads_it():
    """All the sockets of one daphne process receive through one Redis key, and
    channels-redis drops what goes past `capacity`: with the default 100, a fan-out
    to 300 followers connected to one process, sent faster than it read, lost its
    pushes to the 101st socket onwards (the 200-socket soak test saw it)."""
    import uuid

    from channels_redis.core import RedisChannelLayer

    from config.settings import tasks

    sockets = 300
    config = {**tasks.CHANNEL_LAYERS["default"]["CONFIG"], "prefix": f"t-{uuid.uuid4().hex[:8]}"}
    layer = RedisChannelLayer(**config)

    async def scenario():
        channels = [await layer.new_channel() for _ in range(sockets)]
        for index, channel in enumerate(channels):
            await layer.group_add(f"user.{index}", channel)
        for index in range(sockets):  # the process reads nothing meanwhile
            await layer.group_send(f"user.{index}", {"type": "push", "payload": {"n": index}})
        received = []
        try:
            for channel in channels:
                message = await asyncio.wait_for(layer.receive(channel), timeout=3)
                received.append(message["payload"]["n"])
        except TimeoutError:
            pass
        finally:
            await layer.flush()
        return received

    assert asyncio.run(scenario()) == list(range(sockets))


def test_an_idle_socket_gets_heartbeat_frames(settings):
    settings.NOTIFICATIONS_WS_HEARTBEAT_SECONDS = 0.05
    token = access_token(UserFactory())

    async def scenario():
        socket = await open_socket(token)
        frames = [await socket.receive_json_from(timeout=5) for _ in range(2)]
        await socket.disconnect()
        return frames

    assert asyncio.run(scenario()) == [{"type": "heartbeat"}] * 2


async def open_stream(token: str) -> ApplicationCommunicator:
    app = ApplicationCommunicator(application, http_scope("/api/v1/stream", f"token={token}"))
    await app.send_input({"type": "http.request", "body": b"", "more_body": False})
    assert (await app.receive_output(timeout=5))["status"] == 200
    assert parse_events((await app.receive_output(timeout=5))["body"])[0][0] == "hello"
    return app


def test_revoking_the_users_tokens_ends_their_event_stream():
    from accounts import services

    alice = UserFactory(username="alice")
    token = access_token(alice)

    async def scenario():
        app = await open_stream(token)
        await in_thread(services.revoke_tokens)(user=alice)
        last = await app.receive_output(timeout=5)
        ended = await app.receive_output(timeout=5)
        await app.wait(timeout=5)
        return last, ended

    last, ended = asyncio.run(scenario())
    assert parse_events(last["body"]) == [("token.revoked", {"type": "token.revoked"})]
    assert ended == {"type": "http.response.body"}  # no more_body: the response ended


def test_an_open_event_stream_counts_its_user_online():
    """Fan-out announces feed.new_entries only to users online: a client with only
    the event stream must count too."""
    from core import realtime

    alice = UserFactory()
    token = access_token(alice)

    async def scenario():
        app = await open_stream(token)
        during = await in_thread(realtime.online_among)([alice.pk])
        await app.send_input({"type": "http.disconnect"})
        await app.wait(timeout=5)
        return during, await in_thread(realtime.online_among)([alice.pk])

    during, after = asyncio.run(scenario())
    assert during == [alice.pk]
    assert after == []


class LayerThatLosesRedis(InMemoryChannelLayer):
    """Receives for a moment, then fails as channels-redis does when Redis goes away."""

    async def receive(self, channel):
        await asyncio.sleep(0.2)
        raise RedisConnectionError("Connection closed by server.")


@pytest.fixture
def layer_loses_redis(settings):
    from channels.layers import channel_layers

    backend = f"{__name__}.LayerThatLosesRedis"
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": backend}}
    channel_layers.backends.clear()


def test_a_socket_whose_channel_layer_fails_closes_with_4503(layer_loses_redis):
    token = access_token(UserFactory())

    async def scenario():
        socket = await open_socket(token)
        closed = await socket.receive_output(timeout=5)
        await socket.wait(timeout=5)  # the consumer ended, no traceback for daphne
        return closed

    assert asyncio.run(scenario()) == {"type": "websocket.close", "code": CLOSE_UNAVAILABLE}


def test_an_event_stream_whose_channel_layer_fails_ends_with_reconnect(layer_loses_redis):
    token = access_token(UserFactory())

    async def scenario():
        app = await open_stream(token)
        last = await app.receive_output(timeout=5)
        ended = await app.receive_output(timeout=5)
        await app.wait(timeout=5)
        return last, ended

    last, ended = asyncio.run(scenario())
    assert parse_events(last["body"]) == [("reconnect", {"type": "reconnect"})]
    assert ended == {"type": "http.response.body"}  # no more_body: the response ended


def test_the_event_stream_is_in_the_openapi_schema():
    from drf_spectacular.generators import SchemaGenerator

    operation = SchemaGenerator().get_schema(request=None, public=True)["paths"]["/api/v1/stream"]
    assert set(operation) == {"get"}
    get = operation["get"]
    assert get["summary"]
    assert get["security"] == [{"jwtAuth": []}]
    assert "text/event-stream" in get["responses"]["200"]["content"]
    assert {"401", "404"} <= set(get["responses"])
    assert [p["name"] for p in get["parameters"]] == ["token"]


def test_signing_out_ends_that_sessions_event_stream_and_refuses_its_token():
    """Issue 14, item 12: the stream of a signed-out session ends with
    `token.revoked`, and the token (Bearer in any case) opens no new one."""
    from rest_framework.test import APIClient

    alice = UserFactory(username="alice")
    refresh = TokenObtainSerializer.get_token(alice)
    token = str(refresh.access_token)

    def sign_out() -> int:
        client = APIClient()
        return client.post(
            "/api/v1/auth/logout", {"refresh": str(refresh)}, format="json"
        ).status_code

    async def refused(headers=(), query="") -> int:
        app = ApplicationCommunicator(application, http_scope("/api/v1/stream", query, headers))
        await app.send_input({"type": "http.request", "body": b"", "more_body": False})
        status = (await app.receive_output(timeout=5))["status"]
        await app.receive_output(timeout=5)
        return status

    async def scenario():
        app = await open_stream(token)
        assert await sync_to_async(sign_out)() == 204
        last = await app.receive_output(timeout=5)
        ended = await app.receive_output(timeout=5)
        await app.wait(timeout=5)
        statuses = [
            await refused(query=f"token={token}"),
            await refused(headers=[(b"authorization", f"bearer {token}".encode())]),
            await refused(headers=[(b"authorization", f"Bearer {token}".encode())]),
        ]
        return last, ended, statuses

    last, ended, statuses = asyncio.run(scenario())
    assert parse_events(last["body"]) == [("token.revoked", {"type": "token.revoked"})]
    assert ended == {"type": "http.response.body"}
    assert statuses == [401, 401, 401]


@pytest.mark.parametrize("scheme", ["bearer", "BEARER"])
def test_the_event_stream_takes_the_bearer_scheme_in_any_case(scheme):
    alice = UserFactory(username="alice")
    header = f"{scheme} {access_token(alice)}".encode()

    async def scenario():
        app = ApplicationCommunicator(
            application, http_scope("/api/v1/stream", headers=[(b"authorization", header)])
        )
        await app.send_input({"type": "http.request", "body": b"", "more_body": False})
        start = await app.receive_output(timeout=5)
        hello = await app.receive_output(timeout=5)
        await app.send_input({"type": "http.disconnect"})
        await app.wait(timeout=5)
        return start["status"], parse_events(hello["body"])

    status, events = asyncio.run(scenario())
    assert status == 200
    assert events[0][0] == "hello"
