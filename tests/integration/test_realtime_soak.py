"""Soak: connections that stay open keep delivering (issue 12, point 1).

Real processes as in production: gunicorn takes the writes, a Celery worker
runs the handlers, daphne holds the sockets and streams, channels-redis joins
them; PostgreSQL and Redis. Connections are held idle longer than every
timeout in the stack (docs/realtime.md, "Keep-alives and timeouts"): redis-py's read timeout
(5 s by default, 15 s for the channel layer), channels-redis's 5 s blocking
receive, the 15 s SSE keep-alive, daphne's 20 s protocol ping and 30 s ping
timeout, the 25 s heartbeat frame and the 30 s presence refresh; the many-socket
test also outlasts the presence TTL (shortened to 40 s for it). Then they must deliver.

Before the fix, an idle socket was closed with 1011 after ~5 s and the event
stream went silent: both tests fail on that code.
"""

import asyncio
import time

import httpx
import pytest

from tests.factories import FollowFactory, PostFactory, UserFactory
from tests.integration.realtime_clients import (
    Socket,
    Stream,
    access_token,
    assert_no_application_errors,
    bearer,
    stream_client,
)
from tests.integration.servers import start_stack

pytestmark = pytest.mark.integration

IDLE_SECONDS = 35  # longer than every timeout above but the presence TTL
DELIVERY = 60  # upper bound for a push to arrive (a loaded CI machine); never a speed claim


def warm_up(wsgi: str, workers) -> None:
    """The worker's first tasks pay for imports and connections: a post by someone
    nobody follows, so that its fan-out, however late, announces nothing to the
    connections under test (wait_idle can return before the commit's dispatch
    task is even queued)."""
    stranger = UserFactory(username="stranger")
    with httpx.Client(base_url=wsgi, headers=bearer(stranger), timeout=30) as api:
        assert api.post("/api/v1/posts", json={"text": "warm-up"}).status_code == 201
    workers.wait_idle()


def is_notification(verb: str, target_id: int):
    def match(frame) -> bool:
        notification = frame.get("notification") or {}
        target = notification.get("target") or {}
        return (
            frame["type"] == "notification.created"
            and notification.get("verb") == verb
            and target.get("id") == str(target_id)
        )

    return match


def test_idle_sockets_and_streams_deliver_a_like_a_mention_and_a_new_post(workers):
    wsgi, asgi, daphne = start_stack(workers)
    alice, carol = UserFactory(username="alice"), UserFactory(username="carol")
    bob = UserFactory(username="bob")
    for follower in (alice, carol):
        FollowFactory(follower=follower, followee=bob)
    posts = {alice.pk: PostFactory(author=alice), carol.pk: PostFactory(author=carol)}
    warm_up(wsgi, workers)
    tokens = {user: access_token(user) for user in (alice, carol)}
    bob_headers = bearer(bob)

    async def scenario():
        async with (
            httpx.AsyncClient(base_url=wsgi, headers=bob_headers, timeout=30) as as_bob,
            stream_client() as http,
        ):
            owners = {}
            for label, owner, connection in [
                ("alice /ws/ (header)", alice, Socket),
                ("alice /ws/ (query)", alice, Socket),
                ("alice stream", alice, Stream),
                ("carol stream", carol, Stream),  # no socket: the stream alone counts her online
            ]:
                opened = connection(label)
                if connection is Socket:
                    await opened.open(asgi, tokens[owner], header="header" in label)
                else:
                    await opened.open(asgi, tokens[owner], http=http)
                owners[opened] = owner
            await asyncio.sleep(IDLE_SECONDS)
            for connection in owners:
                assert connection.closed_with is None, (connection.label, connection.closed_with)
                assert [f["type"] for f in connection.frames] == ["hello"] + ["heartbeat"] * (
                    len(connection.frames) - 1
                ), connection.frames
                assert connection.keepalives, f"{connection.label}: no keep-alive while idle"

            for post in posts.values():
                assert (await as_bob.post(f"/api/v1/posts/{post.id}/like")).status_code == 201
            mention = await as_bob.post("/api/v1/posts", json={"text": "@alice @carol look"})
            news = await as_bob.post("/api/v1/posts", json={"text": "news"})
            assert mention.status_code == news.status_code == 201
            mention_id, news_id = int(mention.json()["id"]), int(news.json()["id"])

            for connection, owner in owners.items():
                liked = posts[owner.pk].id
                await connection.wait_for(is_notification("like", liked), timeout=DELIVERY)
                await connection.wait_for(is_notification("mention", mention_id), timeout=DELIVERY)
                await connection.wait_for(
                    lambda f: f["type"] == "feed.new_entries" and int(f["newest_id"]) >= news_id,
                    timeout=DELIVERY,
                )
                assert connection.closed_with is None
            for connection in owners:
                await connection.close()

    asyncio.run(scenario())
    assert_no_application_errors(daphne)


SOCKETS = 200
# The stack runs with a 40 s presence TTL re-armed every 12 s (90 s / 30 s in
# production): holding 60 s outlasts it, and every other timeout above, in half
# the time a 90 s TTL would take.
PRESENCE_TTL = 40
HOLD_SECONDS = 60
PUSH_EVERY = 10


def covered(frames: list[dict], post_ids: list[int]) -> set[int]:
    """The posts that feed.new_entries frames announced: each frame counts the
    `count` posts of the author up to `newest_id` (one fan-out batch)."""
    found: set[int] = set()
    for frame in frames:
        end = post_ids.index(int(frame["newest_id"])) + 1
        found.update(post_ids[max(0, end - frame["count"]) : end])
    return found


def test_200_sockets_held_past_the_presence_ttl_lose_no_periodic_push(workers):
    # Redelivery after the visibility timeout as in production (600 s), not the
    # 3 s the event tests use to recover quickly: a fan-out that pushes to 200
    # sockets can take longer than 3 s here, and would then run twice.
    wsgi, asgi, daphne = start_stack(
        workers,
        CELERY_VISIBILITY_TIMEOUT="600",
        REALTIME_PRESENCE_TTL_SECONDS=str(PRESENCE_TTL),
        REALTIME_PRESENCE_REFRESH_SECONDS="12",
    )
    author = UserFactory(username="author")
    readers = UserFactory.create_batch(SOCKETS)
    for reader in readers:
        FollowFactory(follower=reader, followee=author)
    tokens = [access_token(reader) for reader in readers]
    warm_up(wsgi, workers)
    author_headers = bearer(author)

    async def scenario():
        sockets: list[Socket] = []
        for start in range(0, SOCKETS, 20):  # open them 20 at a time
            batch = [Socket(f"socket {i}") for i in range(start, min(start + 20, SOCKETS))]
            await asyncio.gather(
                *(s.open(asgi, tokens[i], header=bool(i % 2)) for i, s in enumerate(batch, start))
            )
            sockets.extend(batch)
        post_ids: list[int] = []
        async with httpx.AsyncClient(base_url=wsgi, headers=author_headers, timeout=30) as api:
            held_since = time.monotonic()
            while time.monotonic() - held_since < HOLD_SECONDS:
                await asyncio.sleep(PUSH_EVERY)
                response = await api.post("/api/v1/posts", json={"text": f"push {len(post_ids)}"})
                assert response.status_code == 201
                post_ids.append(int(response.json()["id"]))

        def told(socket: Socket) -> set[int]:
            return covered(socket.of_type("feed.new_entries"), post_ids)

        deadline = time.monotonic() + DELIVERY
        while time.monotonic() < deadline and any(told(s) != set(post_ids) for s in sockets):
            await asyncio.sleep(0.5)
        results = [
            (s.label, len(told(s)), s.closed_with, len(s.of_type("heartbeat"))) for s in sockets
        ]
        for socket in sockets:
            await socket.close()
        return post_ids, results

    post_ids, results = asyncio.run(scenario())
    assert len(post_ids) >= HOLD_SECONDS // PUSH_EVERY - 1
    short = [r for r in results if r[1] != len(post_ids) or r[2] is not None]
    assert not short, (
        f"{len(short)} of {SOCKETS} sockets missed some of the {len(post_ids)} posts "
        f"or closed: {short[:10]}"
    )
    # Every socket got its heartbeat all along (25 s interval over the hold).
    assert min(r[3] for r in results) >= HOLD_SECONDS // 25 - 1
    assert_no_application_errors(daphne)
