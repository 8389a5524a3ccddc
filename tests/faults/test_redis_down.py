"""Issue 14, fault 1: with Redis down the API keeps answering, and recovers by itself.

Before the fix, a SIGKILLed Redis made every request answer 500 (`GET /users/me`
included): the throttles, on by default, let the cache's connection error
escape. Here gunicorn and a Celery worker run on a private redis-server, which
the test SIGKILLs (with the worker: nothing can deliver events meanwhile). A
battery of mixed requests must then get no 5xx but `/readyz`'s 503: sign-in
(throttled, and locked out by axes), `/users/me`, the home feed (served by the SQL
pull feed), posts with an Idempotency-Key, likes, follows, notifications,
suggestions, registration and the password reset (throttled per address).
Writes commit and their events wait in the outbox. Redis and the worker come
back (Redis empty, as after a crash): `/readyz` is 200 again without a restart,
the outbox drains, the timeline rebuilt on the next read equals the SQL feed,
and the throttles count again. A Redis that hangs (SIGSTOP) instead of dying
costs requests a socket timeout, once per backend and interval, never a 500.
"""

import uuid
from collections import Counter

import httpx
import pytest

from core.models import DeadLetter, EventDelivery, OutboxEvent
from notifications.models import Notification
from relationships.models import Follow
from tests.factories import DEFAULT_PASSWORD, FollowFactory, PostFactory, UserFactory
from tests.faults.injectors import PrivateRedis
from tests.integration.celery_workers import broker
from tests.integration.procs import Procs, wait_until
from tests.integration.servers import start_wsgi
from tweets.feed import rules
from tweets.models import Like, Post

pytestmark = pytest.mark.integration

RESET_RATE = 3  # password resets per hour and address: small, to see the throttle count
LOCKOUT_AFTER = 5  # failed sign-ins (AXES_FAILURE_LIMIT)


class Api:
    """An HTTP client that records every answer (method, path, status) it got."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        self.seen: list[tuple[str, str, int]] = []

    def call(self, method: str, path: str, *, token: str | None = None, **kwargs):
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = self.http.request(method, path, headers=headers, **kwargs)
        self.seen.append((method, path, response.status_code))
        return response

    def server_errors(self) -> list[tuple[str, str, int]]:
        return [seen for seen in self.seen if seen[2] >= 500 and seen[1] != "/readyz"]


def proc_named(procs, name: str):
    return next(proc for proc in procs.started if proc.name == name)


def sign_in(api: Api, username: str) -> str:
    response = api.call(
        "POST", "/api/v1/auth/token", json={"username": username, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return response.json()["access"]


def feed_ids(api: Api, token: str) -> list[int]:
    response = api.call("GET", "/api/v1/feed", token=token, params={"limit": 100})
    assert response.status_code == 200, response.text
    return [int(entry["id"]) for entry in response.json()["results"]]


def sql_feed_ids(user) -> list[int]:
    return [row.id for row in rules.sql_entries(user, n=100)]


def test_api_answers_while_redis_is_down_and_recovers_when_it_is_back(workers):
    redis = PrivateRedis(workers).start()
    env = {
        "REDIS_URL": redis.url,
        "CHANNELS_PREFIX": f"faults-redis-down-{redis.port}",
        "THROTTLE_ENABLED": "1",  # the default, said out loud: this is what 500'd
        "THROTTLE_PASSWORD_RESET_RATE": f"{RESET_RATE}/hour",
        "AXES_ENABLED": "1",
        "AXES_FAILURE_LIMIT": str(LOCKOUT_AFTER),
        # Requests try Redis again at once after a failure (5 s by default), so the
        # first read after the restart uses it: no waiting out the interval here.
        "REDIS_RETRY_AFTER_SECONDS": "0",
    }
    alice, bob, carol = (UserFactory(username=n) for n in ("alice", "bob", "carol"))
    UserFactory(username="dave")
    FollowFactory(follower=alice, followee=bob)
    FollowFactory(follower=bob, followee=alice)
    bob_post = PostFactory(author=bob, text="before the outage")
    PostFactory(author=alice, text="mine, before")
    workers.start_worker("worker", **env)
    api = Api(start_wsgi(workers, "web", **env))

    # Redis up: a warm timeline, and everything ready.
    token = sign_in(api, "alice")
    assert feed_ids(api, token) == sql_feed_ids(alice)
    assert redis.client().exists(f"tl:{alice.pk}")
    assert api.call("GET", "/readyz").status_code == 200

    redis.kill()
    proc_named(workers, "worker").kill()  # nothing delivers events meanwhile
    outbox_before = set(OutboxEvent.objects.values_list("id", flat=True))
    first = len(api.seen)  # the battery's answers start here

    # --- the battery, Redis down ----------------------------------------------
    token = sign_in(api, "alice")  # throttled (auth scope), counted by axes
    wrong = api.call("POST", "/api/v1/auth/token", json={"username": "alice", "password": "not it"})
    assert wrong.status_code == 401, wrong.text

    me = api.call("GET", "/api/v1/users/me", token=token)
    assert me.status_code == 200, me.text
    assert me.json()["username"] == "alice"

    assert feed_ids(api, token) == sql_feed_ids(alice)  # the SQL pull feed

    key = str(uuid.uuid4())
    created = api.call(
        "POST",
        "/api/v1/posts",
        token=token,
        json={"text": "during"},
        headers={"Idempotency-Key": key},
    )
    assert created.status_code == 201, created.text
    post_id = int(created.json()["id"])
    replayed = api.call(
        "POST",
        "/api/v1/posts",
        token=token,
        json={"text": "during"},
        headers={"Idempotency-Key": key},
    )
    assert replayed.status_code == 201, replayed.text
    assert replayed.headers.get("Idempotent-Replayed") == "true"
    assert replayed.json()["id"] == str(post_id)
    reused = api.call(
        "POST",
        "/api/v1/posts",
        token=token,
        json={"text": "other"},
        headers={"Idempotency-Key": key},
    )
    assert reused.status_code == 422, reused.text
    # Read-your-writes without Redis: the new post is in the very next read.
    assert feed_ids(api, token)[0] == post_id

    liked = api.call("POST", f"/api/v1/posts/{bob_post.pk}/like", token=token)
    assert liked.status_code == 201, liked.text
    followed = api.call("POST", f"/api/v1/users/{carol.pk}/follow", token=token)
    assert followed.status_code == 201, followed.text
    assert api.call("GET", "/api/v1/notifications", token=token).status_code == 200
    assert api.call("GET", "/api/v1/users/suggestions", token=token).status_code == 200
    assert api.call("GET", f"/api/v1/posts/{post_id}", token=token).status_code == 200
    assert api.call("GET", f"/api/v1/users/{bob.pk}/posts", token=token).status_code == 200
    registered = api.call(  # anonymous, throttled, with an Idempotency-Key
        "POST",
        "/api/v1/auth/register",
        json={"username": "erin", "email": "erin@example.com", "password": DEFAULT_PASSWORD},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert registered.status_code == 201, registered.text
    # Throttles count in the process meanwhile: never 500, and the limit holds.
    resets = [
        api.call("POST", "/api/v1/auth/password/reset", json={"email": "x@example.com"})
        for _ in range(RESET_RATE + 1)
    ]
    assert [r.status_code for r in resets] == [202] * RESET_RATE + [429], resets[-1].text
    # The sign-in lock-out (django-axes, counted in PostgreSQL) holds too.
    fails = [
        api.call("POST", "/api/v1/auth/token", json={"username": "dave", "password": "no"})
        for _ in range(LOCKOUT_AFTER)
    ]
    assert [f.status_code for f in fails] == [401] * (LOCKOUT_AFTER - 1) + [429]
    locked = api.call(
        "POST", "/api/v1/auth/token", json={"username": "dave", "password": DEFAULT_PASSWORD}
    )
    assert locked.status_code == 429, locked.text
    assert locked.json()["errors"][0]["code"] == "login_locked_out"

    ready = api.call("GET", "/readyz")
    assert ready.status_code == 503, ready.text
    assert "cache" in ready.json()["down"]
    assert "Redis" in ready.json()["checks"]["cache"]

    assert api.server_errors() == []
    battery = api.seen[first:]
    statuses = Counter(status for _, path, status in battery if path != "/readyz")
    assert set(statuses) <= {200, 201, 202, 401, 422, 429}, statuses
    print(f"Redis down: {statuses.total()} requests, {dict(sorted(statuses.items()))}")

    # Writes committed; their events wait in the outbox.
    assert Post.objects.filter(pk=post_id, author=alice).exists()
    assert Like.objects.filter(user=alice, post=bob_post).exists()
    assert Follow.objects.filter(follower=alice, followee=carol).exists()
    new_events = OutboxEvent.objects.exclude(id__in=outbox_before)
    names = set(new_events.values_list("name", flat=True))
    assert {"post.created", "post.liked", "user.followed"} <= names, names
    assert not new_events.filter(dispatched_at__isnull=False).exists()

    # The web process logged what it skipped.
    web_log = proc_named(workers, "web").log()
    assert "Redis unavailable" in web_log

    # --- Redis and the worker come back ---------------------------------------
    redis.start()  # same port, empty: as after a crash
    workers.start_worker("worker-again", **env)
    wait_until(lambda: api.call("GET", "/readyz").status_code == 200, timeout=30, what="readyz")

    # The timeline is gone with Redis; the next read rebuilds it, equal to the SQL feed.
    assert not redis.client().exists(f"tl:{alice.pk}")
    assert feed_ids(api, token) == sql_feed_ids(alice)
    assert redis.client().exists(f"tl:{alice.pk}")

    # The outbox drains: every event of the outage is delivered, none dead.
    def delivered() -> bool:
        return not OutboxEvent.objects.filter(dispatched_at__isnull=True).exists()

    # No beat runs here: the dispatcher the requests queued did it, or the next
    # write's does (the flag it set, if any, died with Redis).
    api.call("POST", "/api/v1/posts", token=token, json={"text": "after"})
    wait_until(delivered, timeout=60, what="the outbox to drain")
    workers.wait_idle(timeout=60)
    assert not DeadLetter.objects.exists()
    assert not EventDelivery.objects.exists()
    assert Notification.objects.filter(recipient=bob, actor=alice, verb="like").exists()
    assert Notification.objects.filter(recipient=carol, actor=alice, verb="follow").exists()

    # Bob's timeline (never read, lost with Redis) is rebuilt with alice's post.
    bob_token = sign_in(api, "bob")
    assert post_id in feed_ids(api, bob_token)
    assert feed_ids(api, bob_token) == sql_feed_ids(bob)

    # The throttles count in Redis again, from zero (the process's own count of the
    # outage would refuse the first reset).
    answers = [
        api.call("POST", "/api/v1/auth/password/reset", json={"email": "x@example.com"})
        for _ in range(RESET_RATE + 1)
    ]
    assert [a.status_code for a in answers] == [202] * RESET_RATE + [429]
    assert redis.client().keys("*throttle_password_reset*")
    assert api.server_errors() == []


@pytest.fixture
def procs(transactional_db):
    with Procs() as started:
        yield started
    broker().purge()  # the dispatchers the writes queued (no worker runs here)


def test_a_hung_redis_is_waited_for_once_per_interval_not_answered_with_500(procs):
    """SIGSTOP: Redis accepts connections and never answers, so every call waits
    for its socket timeout. Requests still answer; after one timeout per
    backend the process skips Redis for REDIS_RETRY_AFTER_SECONDS (default)."""
    redis = PrivateRedis(procs).start()
    env = {
        "REDIS_URL": redis.url,
        "CHANNELS_PREFIX": f"faults-redis-hung-{redis.port}",
        "THROTTLE_ENABLED": "1",
    }
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    FollowFactory(follower=alice, followee=bob)
    bob_post = PostFactory(author=bob, text="before the hang")
    api = Api(start_wsgi(procs, "web", **env))
    token = sign_in(api, "alice")
    assert feed_ids(api, token) == sql_feed_ids(alice)

    redis.proc.freeze()
    first = len(api.seen)
    assert api.call("GET", "/api/v1/users/me", token=token).status_code == 200
    assert feed_ids(api, token) == sql_feed_ids(alice)
    created = api.call("POST", "/api/v1/posts", token=token, json={"text": "during the hang"})
    assert created.status_code == 201, created.text
    assert feed_ids(api, token)[0] == int(created.json()["id"])
    liked = api.call("POST", f"/api/v1/posts/{bob_post.pk}/like", token=token)
    assert liked.status_code == 201, liked.text
    ready = api.call("GET", "/readyz")
    assert ready.status_code == 503, ready.text
    assert ready.json()["checks"]["cache"].startswith("down: CacheDown: Redis at redis://")
    assert "Timeout" in ready.json()["checks"]["cache"]
    assert [s for _, _, s in api.seen[first:] if s >= 500] == [503]  # /readyz only

    log = proc_named(procs, "web").log()
    assert "Redis unavailable (cache)" in log
    assert "Redis unavailable (timelines)" in log
    assert "TimeoutError" in log
