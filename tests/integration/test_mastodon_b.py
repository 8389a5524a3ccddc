"""Mastodon.py, a real client library, against live servers (gunicorn + daphne + a
Celery worker on PostgreSQL, Redis and RabbitMQ): media v2 upload processed by the
worker, a post with it, search v2, notifications (list, dismiss, clear) and
`stream_user` receiving `update` and `notification` events caused by another
user's actions through gunicorn, carried by the worker and channels-redis to
daphne (Server-Sent Events, Mastodon.py's default), and the same over the
WebSocket `/api/v1/streaming`."""

import io
import threading
import time

import pytest
from mastodon import Mastodon, StreamListener
from PIL import Image

from tests.factories import FollowFactory, UserFactory
from tests.integration.realtime_clients import assert_no_application_errors
from tests.integration.servers import start_asgi, start_wsgi
from tests.mastodon_api.conftest import oauth_token

pytestmark = pytest.mark.integration

# Longer than every (shortened) timeout of the stack: the channel layer's read timeout
# (6 s) and blocking receive (5 s), the presence TTL (4 s, re-armed every 2 s by each
# open connection: without it the home fan-out would skip alice), the SSE keep-alive
# and the token re-check (2 s). daphne's 20 s protocol ping is not outlasted here.
IDLE_SECONDS = 8


class Recorder(StreamListener):
    """Every event received, kept: a test waits for one without dropping the others
    (the events of two pushes may arrive in either order)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []
        self.arrived = threading.Condition()

    def _record(self, kind: str, payload) -> None:
        with self.arrived:
            self.events.append((kind, payload))
            self.arrived.notify_all()

    def on_update(self, status):
        self._record("update", status)

    def on_notification(self, notification):
        self._record("notification", notification)

    def on_delete(self, status_id):
        self._record("delete", status_id)

    def wait(self, kind: str, timeout: float, match=lambda _: True):
        deadline = time.monotonic() + timeout
        with self.arrived:
            while True:
                for got, payload in self.events:
                    if got == kind and match(payload):
                        return payload
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {kind} event within {timeout}s: {self.events}")
                self.arrived.wait(left)


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def stack(workers):
    import uuid

    env = {
        "CHANNELS_PREFIX": f"warble-test-{uuid.uuid4().hex[:8]}",
        "THROTTLE_ENABLED": "0",
        "MASTODON_API_HOSTS": "localhost",
        # Soak, shortened: the streams below idle IDLE_SECONDS, past every one of these
        # (and channels-redis's 5 s blocking receive) before anything is pushed to them.
        "CHANNELS_REDIS_SOCKET_TIMEOUT": "6",
        "NOTIFICATIONS_SSE_KEEPALIVE_SECONDS": "2",
        "NOTIFICATIONS_WS_HEARTBEAT_SECONDS": "2",  # the token re-check
        "REALTIME_PRESENCE_TTL_SECONDS": "4",
        "REALTIME_PRESENCE_REFRESH_SECONDS": "2",
    }
    workers.start_worker("worker", **env)
    asgi = start_asgi(workers, **env)
    daphne = workers.started[-1]
    port = asgi.rsplit(":", 1)[1]
    wsgi = start_wsgi(workers, MASTODON_STREAMING_URL=f"ws://localhost:{port}", **env)
    return wsgi.replace("127.0.0.1", "localhost"), daphne


def client(user, base: str, scopes: str = "read write follow") -> Mastodon:
    token = oauth_token(user, scopes)["access_token"]
    return Mastodon(access_token=token, api_base_url=base, request_timeout=10)


def test_mastodon_py_media_search_notifications_and_stream_user(stack):
    base, daphne = stack
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    FollowFactory(follower=alice, followee=bob)
    alice_api, bob_api = client(alice, base), client(bob, base)
    assert alice_api.stream_healthy()

    listener = Recorder()
    handle = alice_api.stream_user(listener, run_async=True, reconnect_async=False)
    socket_listener = Recorder()
    socket = alice_api.stream_open_websocket(socket_listener)
    alice_api.stream_user(socket_listener, websocket_handle=socket)
    try:
        time.sleep(IDLE_SECONDS)  # idle streams, then they must deliver
        # v2 upload: 202 while the worker processes it; poll until it has a URL.
        media = bob_api.media_post(png(), mime_type="image/png", description="a red box")
        deadline = time.monotonic() + 20
        while media.url is None and time.monotonic() < deadline:
            time.sleep(0.2)
            media = bob_api.media(media)
        assert media.url
        assert media.description == "a red box"
        media = bob_api.media_update(media, focus=(0.5, -0.5))
        assert media.meta.focus.x == 0.5
        status = bob_api.status_post("hello @alice, look #redbox", media_ids=[media])
        assert status.media_attachments[0].id == media.id

        update = listener.wait("update", 30, lambda s: s.id == status.id)
        assert update.account.username == "bob"
        assert update.media_attachments[0].description == "a red box"
        mention = listener.wait("notification", 10, lambda n: n.type == "mention")
        assert mention.status.id == status.id
        assert socket_listener.wait("update", 10, lambda s: s.id == status.id).id == status.id

        mine = alice_api.status_post("my own #redbox post")
        bob_api.status_favourite(mine)
        favourite = listener.wait("notification", 15, lambda n: n.type == "favourite")
        assert favourite.account.username == "bob"
        assert favourite.status.id == mine.id
        assert socket_listener.wait("notification", 10, lambda n: n.type == "favourite")

        found = alice_api.search_v2("redbox", resolve=False)
        assert {s.id for s in found.statuses} == {status.id, mine.id}
        assert [h.name for h in found.hashtags] == ["redbox"]
        assert [
            a.username for a in alice_api.search_v2("bob", result_type="accounts").accounts
        ] == ["bob"]

        listed = alice_api.notifications()
        assert [n.type for n in listed][:2] == ["favourite", "mention"]
        only = alice_api.notifications(types=["mention"])
        assert [n.type for n in only] == ["mention"]
        alice_api.notifications_dismiss(listed[0])
        assert [n.id for n in alice_api.notifications()] == [n.id for n in listed[1:]]
        alice_api.notifications_clear()
        assert alice_api.notifications() == []
    finally:
        handle.close()
        socket.close()
    assert_no_application_errors(daphne)
