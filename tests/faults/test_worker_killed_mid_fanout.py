"""Issue 14, fault 3: a worker SIGKILLed in the middle of a fan-out loses nothing.

With Redis as the broker, the chunk the dead worker held came back only after
the visibility timeout: followers missed the post for 11.6 minutes. RabbitMQ
requeues it the moment the worker's connection drops, so after a restart every
active follower has the post within 15 s. No test knob shortens anything
here: the worker runs with the production redelivery settings.
"""

import time

import pytest

from accounts.models import User
from tests.factories import UserFactory
from tests.integration.procs import wait_until
from tests.integration.test_feed_fanout import activate, holding, make_followers
from tests.tweets.conftest import client_for
from tweets import services as posts
from tweets.feed import store

pytestmark = pytest.mark.integration

FOLLOWERS = 5000
FEED_ENV = {
    "FEED_FANOUT_MAX_FOLLOWERS": str(FOLLOWERS),
    "FEED_MERGE_MIN_FOLLOWERS": str(FOLLOWERS),
    "FEED_FANOUT_CHUNK": "10",  # 500 chunk tasks: the kill lands in the middle
}


@pytest.fixture
def feed_settings(settings):
    settings.FEED_BACKEND = "redis"
    settings.FEED_FANOUT_MAX_FOLLOWERS = settings.FEED_MERGE_MIN_FOLLOWERS = FOLLOWERS


def test_after_a_sigkill_mid_fanout_every_follower_gets_the_post_once_within_15s(
    workers, feed_settings
):
    author = UserFactory()
    fans = make_followers(author, FOLLOWERS)
    activate(fans)
    first = workers.start_worker("first", **FEED_ENV)

    post = posts.post_create(author=author, text="to five thousand, through a crash")

    wait_until(lambda: holding(fans, post.id) >= 500, timeout=60, interval=0.01, what="the fan-out")
    first.freeze()  # stopped where it is, so the count below is the state at the kill
    at_kill = holding(fans, post.id)
    first.kill()  # SIGKILL, parent and prefork child: no ack, no cleanup
    assert 500 <= at_kill < FOLLOWERS  # killed in the middle

    second = workers.start_worker("second", **FEED_ENV)
    restarted = time.monotonic()
    wait_until(
        lambda: holding(fans, post.id) == FOLLOWERS,
        timeout=15,
        interval=0.1,
        what="every follower to get the post after the restart",
    )
    assert time.monotonic() - restarted <= 15
    workers.wait_idle()

    # Once each: one member per timeline, and a reader sees it once.
    pipe = store.client().pipeline(transaction=False)
    for fan in fans:
        pipe.zrange(store.timeline_key(fan), 0, -1)
    members = [m for timeline in pipe.execute() for m in timeline if m != store.SENTINEL]
    assert members == [store.member(post.id)] * FOLLOWERS
    for fan in (fans[0], fans[-1]):
        reader = client_for(User.objects.get(pk=fan)).get("/api/v1/feed").json()["results"]
        assert [entry["id"] for entry in reader] == [str(post.id)]
    assert "tweets.feed.push_chunk" in second.log()  # the rest of the fan-out ran there
