"""Realtime pushes across real processes: a WSGI server takes the writes, a
Celery worker runs the notification handlers, an ASGI server holds the
sockets, and channels-redis joins them. PostgreSQL (the test database) and
Redis as in production.
"""

import json
import uuid

import httpx
import pytest
from websockets.sync.client import connect

from accounts.api.serializers import TokenObtainSerializer
from tests.factories import PostFactory, UserFactory
from tests.integration.servers import start_asgi, start_wsgi

pytestmark = pytest.mark.integration


def access_token(user) -> str:
    return str(TokenObtainSerializer.get_token(user).access_token)


@pytest.fixture
def stack(workers):
    """(WSGI base URL, ASGI host:port, the ASGI process) sharing one channel prefix."""
    env = {"CHANNELS_PREFIX": f"warble-test-{uuid.uuid4().hex[:8]}", "THROTTLE_ENABLED": "0"}
    workers.start_worker("worker", **env)
    wsgi = start_wsgi(workers, **env)
    asgi = start_asgi(workers, **env)
    return wsgi, asgi, workers.started[-1]


def next_frame(socket, kind: str, timeout: float) -> dict:
    """The next frame of type `kind` (other frames, such as unread counts, are skipped)."""
    while True:
        frame = json.loads(socket.recv(timeout=timeout))
        if frame["type"] == kind:
            return frame


def test_a_like_through_the_wsgi_server_reaches_a_socket_on_the_asgi_server(stack):
    wsgi, asgi, daphne = stack
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    post = PostFactory(author=alice)
    alice_token, bob_token = access_token(alice), access_token(bob)
    api = httpx.Client(base_url=wsgi, headers={"Authorization": f"Bearer {bob_token}"})

    # A browser-style connection: the token in the query string.
    with connect(f"ws://{asgi}/ws/?token={alice_token}", open_timeout=10) as socket:
        assert json.loads(socket.recv(timeout=10)) == {"type": "hello", "user_id": str(alice.pk)}

        # Warm-up (the worker's first task imports the handlers): a follow.
        assert api.post(f"/api/v1/users/{alice.pk}/follow").status_code == 201
        followed = next_frame(socket, "notification.created", timeout=30)
        assert followed["notification"]["verb"] == "follow"

        assert api.post(f"/api/v1/posts/{post.id}/like").status_code == 201
        liked = next_frame(socket, "notification.created", timeout=2)

    notification = liked["notification"]
    assert notification["verb"] == "like"
    assert notification["actor"]["username"] == "bob"
    assert notification["target"]["id"] == str(post.id)
    assert notification["is_read"] is False
    # The token in the query string stays out of the ASGI server's access log.
    assert "WSCONNECT /ws/" in daphne.log()
    assert alice_token not in daphne.log()


def test_post_updates_and_the_event_stream_across_processes(stack):
    wsgi, asgi, _ = stack
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    post = PostFactory(author=alice, text="before")
    alice_token, bob_token = access_token(alice), access_token(bob)
    as_alice = httpx.Client(base_url=wsgi, headers={"Authorization": f"Bearer {alice_token}"})
    as_bob = httpx.Client(base_url=wsgi, headers={"Authorization": f"Bearer {bob_token}"})

    headers = {"Authorization": f"Bearer {bob_token}"}  # a non-browser client
    with (
        connect(f"ws://{asgi}/ws/", additional_headers=headers, open_timeout=10) as socket,
        httpx.Client(base_url=f"http://{asgi}", timeout=30) as sse,
        sse.stream(
            "GET", "/api/v1/stream", headers={"Authorization": f"Bearer {alice_token}"}
        ) as stream,
    ):
        assert json.loads(socket.recv(timeout=10))["type"] == "hello"
        socket.send(json.dumps({"type": "subscribe", "post_ids": [str(post.id)]}))
        assert next_frame(socket, "subscribed", timeout=10)["post_ids"] == [str(post.id)]
        assert stream.status_code == 200
        events = stream.iter_lines()
        assert next(events) == "retry: 3000"
        assert next(events) == "event: hello"

        assert as_alice.patch(f"/api/v1/posts/{post.id}", json={"text": "after"}).status_code == 200
        updated = next_frame(socket, "post.updated", timeout=30)
        assert updated["post"]["text"] == "after"

        assert as_bob.post(f"/api/v1/posts/{post.id}/like").status_code == 201
        liked = next_frame(socket, "post.updated", timeout=30)
        assert liked["post"]["like_count"] == 1

        for line in events:  # alice's stream carries her new notification
            if line == "event: notification.created":
                data = json.loads(next(events).removeprefix("data: "))
                break
    assert data["notification"]["verb"] == "like"
    assert data["notification"]["actor"]["username"] == "bob"
