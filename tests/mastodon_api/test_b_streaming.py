"""Mastodon streaming in process, through the ASGI app and the in-memory channel
layer: the WebSocket `/api/v1/streaming` (stream=user: update, notification,
status.update, delete; subscribe/unsubscribe; hashtag and public streams;
revocation) and the SSE routes' refusals, `GET /api/v1/streaming/health`.
The SSE stream itself is driven by Mastodon.py against live servers
(tests/integration/test_mastodon_b.py)."""

import asyncio
import json

import pytest
from channels.testing import WebsocketCommunicator
from django.db import connections

from accounts.services import revoke_tokens
from config.asgi import application
from mastodon_api.streaming.consumer import CLOSE_UNAUTHORIZED
from tests.factories import FollowFactory, UserFactory
from tests.mastodon_api.conftest import MASTO_HOST, masto_client, oauth_token
from tests.notifications.test_realtime import (  # noqa: F401 - the in-memory layer
    _in_memory_layer,
    access_token,
    in_thread,
)
from tweets import services as tweets

pytestmark = pytest.mark.django_db(transaction=True)


async def open_stream(query: str, *, host: bytes = MASTO_HOST.encode(), protocols=None):
    socket = WebsocketCommunicator(
        application,
        f"/api/v1/streaming?{query}",
        headers=[(b"host", host)],
        subprotocols=protocols,
    )
    connected, _ = await socket.connect(timeout=5)
    return socket, connected


async def next_event(socket, event: str, *, seen: list | None = None) -> dict:
    """The first message of `event`, among those already `seen` or to come (the
    others are kept in `seen`: events of two pushes may arrive in either order)."""
    seen = [] if seen is None else seen
    for message in seen:
        if message.get("event") == event:
            seen.remove(message)
            return message
    while True:
        message = await socket.receive_json_from(timeout=5)
        if message.get("event") == event:
            return message
        seen.append(message)


def test_the_user_stream_carries_updates_notifications_edits_and_deletes():
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    FollowFactory(follower=alice, followee=bob)
    token = oauth_token(alice, "read")["access_token"]

    async def scenario():
        socket, connected = await open_stream(f"stream=user&access_token={token}")
        assert connected
        post = await in_thread(tweets.post_create)(author=bob, text="hello @alice #news")
        seen: list = []
        update = await next_event(socket, "update", seen=seen)
        mention = await next_event(socket, "notification", seen=seen)
        await in_thread(tweets.post_edit)(user=bob, post_id=post.id, text="edited @alice")
        edited = await next_event(socket, "status.update")
        await in_thread(tweets.post_delete)(user=bob, post_id=post.id)
        deleted = await next_event(socket, "delete")
        await socket.disconnect()
        return post, update, mention, edited, deleted

    post, update, mention, edited, deleted = asyncio.run(scenario())
    assert update["stream"] == ["user"]
    status = json.loads(update["payload"])
    assert status["id"] == str(post.id)
    assert status["account"]["username"] == "bob"
    assert status["uri"] == f"http://{MASTO_HOST}/api/v1/statuses/{post.id}"  # the socket host
    assert 'class="mention hashtag"' in status["content"]
    notification = json.loads(mention["payload"])
    assert notification["type"] == "mention"
    assert notification["status"]["id"] == str(post.id)
    assert json.loads(edited["payload"])["edited_at"] is not None
    assert deleted == {"stream": ["user"], "event": "delete", "payload": str(post.id)}


def test_subscribe_messages_hashtag_and_public_streams_and_errors():
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    token = access_token(alice)  # a Warble JWT works too, as the subprotocol

    async def scenario():
        socket, connected = await open_stream("", protocols=[token])
        assert connected
        await socket.send_json_to({"type": "subscribe", "stream": "hashtag", "tag": "#Cats"})
        await socket.send_json_to({"type": "subscribe", "stream": "nope"})
        unknown = await socket.receive_json_from(timeout=5)
        await socket.send_json_to({"type": "subscribe", "stream": "hashtag"})
        no_tag = await socket.receive_json_from(timeout=5)
        await socket.send_to(text_data="{not json")
        not_json = await socket.receive_json_from(timeout=5)
        await in_thread(tweets.post_create)(author=bob, text="look #cats")
        tagged = await next_event(socket, "update")
        await socket.send_json_to({"type": "unsubscribe", "stream": "hashtag", "tag": "cats"})
        await socket.send_json_to({"type": "subscribe", "stream": "public"})
        await asyncio.sleep(0.1)
        await in_thread(tweets.post_create)(author=bob, text="more #cats")
        public = await next_event(socket, "update")
        assert await socket.receive_nothing(timeout=0.3)  # once: the hashtag stream is gone
        await socket.disconnect()
        return unknown, no_tag, not_json, tagged, public

    unknown, no_tag, not_json, tagged, public = asyncio.run(scenario())
    assert unknown["status"] == 400
    assert "Unknown stream" in unknown["error"]
    assert no_tag["status"] == 400
    assert "tag" in no_tag["error"]
    assert not_json["status"] == 400
    assert tagged["stream"] == ["hashtag", "cats"]
    assert "look" in json.loads(tagged["payload"])["content"]
    assert public["stream"] == ["public"]


def test_strangers_are_refused_and_a_revocation_closes_the_socket():
    alice = UserFactory(username="alice")
    statuses_only = oauth_token(alice, "read:statuses")["access_token"]
    token = oauth_token(alice, "read")["access_token"]

    async def scenario():
        _, anonymous = await open_stream("stream=user")
        _, bad = await open_stream("stream=user&access_token=nonsense")
        _, native_host = await open_stream(f"stream=user&access_token={token}", host=b"testserver")
        limited, connected = await open_stream(
            f"stream=user:notification&access_token={statuses_only}"
        )
        assert connected
        scoped = await limited.receive_json_from(timeout=5)
        await limited.disconnect()
        socket, connected = await open_stream(f"stream=user&access_token={token}")
        assert connected
        await in_thread(revoke_tokens)(user=alice)
        closed = await socket.receive_output(timeout=5)
        return anonymous, bad, native_host, scoped, closed

    anonymous, bad, native_host, scoped, closed = asyncio.run(scenario())
    assert (anonymous, bad, native_host) == (False, False, False)
    assert scoped["status"] == 403
    assert closed == {"type": "websocket.close", "code": CLOSE_UNAUTHORIZED}


def test_sse_routes_refuse_strangers_and_the_wsgi_server_and_health_answers():
    alice = UserFactory(username="alice")
    client = masto_client(alice, "read:statuses")
    from tests.mastodon_api.conftest import masto_api_client

    anonymous = masto_api_client()
    assert anonymous.get("/api/v1/streaming/health").content == b"OK"
    for path in (
        "/api/v1/streaming/user",
        "/api/v1/streaming/user/notification",
        "/api/v1/streaming/public",
        "/api/v1/streaming/public/local",
        "/api/v1/streaming/hashtag?tag=cats",
        "/api/v1/streaming/hashtag/local?tag=cats",
    ):
        response = anonymous.get(path)
        assert response.status_code == 401, path
        assert "error" in response.json(), path
        # Under the WSGI server (the test client): not served here, after the checks.
        assert client.get(path).status_code in (403, 404), path
    assert client.get("/api/v1/streaming/user").status_code == 404
    assert client.get("/api/v1/streaming/user/notification").status_code == 403
    assert client.get("/api/v1/streaming/hashtag").status_code == 400
    assert client.get("/api/v1/streaming/nowhere").status_code == 404
    connections.close_all()


@pytest.mark.django_db
def test_the_instance_names_the_streaming_server(settings):
    """Mastodon.py streams from the instance's `urls.streaming_api` (it asks for
    `/api/v1/instance/`, with the slash): the ASGI server's URL when it is set."""
    from tests.mastodon_api.conftest import masto_api_client

    client = masto_api_client()
    default = client.get("/api/v1/instance/").json()["urls"]["streaming_api"]
    assert default == f"ws://{MASTO_HOST}"
    settings.MASTODON_STREAMING_URL = "wss://stream.example.org"
    assert client.get("/api/v1/instance/").json()["urls"]["streaming_api"] == (
        "wss://stream.example.org"
    )
    v2 = client.get("/api/v2/instance/").json()
    assert v2["configuration"]["urls"]["streaming"] == "wss://stream.example.org"
    assert client.get("/api/v1/instance/nothing").status_code == 404


def test_an_sse_stream_delivers_for_its_stream_and_ends_when_the_tokens_are_revoked():
    """Through the ASGI app (daphne's side): `/api/v1/streaming/hashtag?tag=` carries
    the tag's new posts as `event: update`, then ends when the user's tokens are
    revoked (password change), and leaves its groups."""
    from asgiref.testing import ApplicationCommunicator
    from channels.layers import get_channel_layer

    from core.realtime import user_group
    from mastodon_api.streaming.session import hashtag_group
    from tests.notifications.test_realtime import http_scope

    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    token = oauth_token(alice, "read")["access_token"]
    scope = http_scope("/api/v1/streaming/hashtag", "tag=Cats")
    scope["headers"] = [(b"host", MASTO_HOST.encode())]

    async def scenario():
        app = ApplicationCommunicator(
            application, {**scope, "query_string": f"tag=Cats&access_token={token}".encode()}
        )
        await app.send_input({"type": "http.request", "body": b"", "more_body": False})
        start = await app.receive_output(timeout=5)
        first = await app.receive_output(timeout=5)
        post = await in_thread(tweets.post_create)(author=bob, text="a #cats post")
        update = await app.receive_output(timeout=5)
        await in_thread(revoke_tokens)(user=alice)
        end = await app.receive_output(timeout=5)
        while end.get("more_body"):
            end = await app.receive_output(timeout=5)
        await app.wait(timeout=5)
        layer = get_channel_layer()
        groups = (
            layer.groups.get(user_group(alice.pk), {}),
            layer.groups.get(hashtag_group("cats"), {}),
        )
        return start, first, post, update, groups

    start, first, post, update, groups = asyncio.run(scenario())
    assert start["status"] == 200
    assert dict(start["headers"])[b"Content-Type"] == b"text/event-stream"
    assert first["body"] == b":thump\n\n"
    event, data = update["body"].decode().split("\n", 1)
    assert event == "event: update"
    status = json.loads(data.removeprefix("data: "))
    assert status["id"] == str(post.id)
    assert status["url"].startswith(f"http://{MASTO_HOST}/")
    assert groups == ({}, {})
