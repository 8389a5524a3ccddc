"""Fan-out with a real Celery worker: 5,000 followers, chunked tasks, and the hybrid merge."""

import pytest
from django.contrib.auth.hashers import make_password

from accounts.models import User
from relationships.models import Follow
from tests.factories import UserFactory
from tests.integration.procs import wait_until
from tests.tweets.conftest import client_for
from tweets import services as posts
from tweets.feed import store

pytestmark = pytest.mark.integration

THRESHOLD = "5000"  # the 5,000-follower author is fanned out; 5,001 is not
FEED_ENV = {"FEED_FANOUT_MAX_FOLLOWERS": THRESHOLD, "FEED_MERGE_MIN_FOLLOWERS": THRESHOLD}


@pytest.fixture
def feed_settings(settings):
    settings.FEED_BACKEND = "redis"
    settings.FEED_FANOUT_MAX_FOLLOWERS = settings.FEED_MERGE_MIN_FOLLOWERS = int(THRESHOLD)


def make_followers(author, count: int) -> list[int]:
    password = make_password(None)
    fans = User.objects.bulk_create(
        User(username=f"fan{author.pk}x{i}", email=f"fan{i}@example.com", password=password)
        for i in range(count)
    )
    Follow.objects.bulk_create(Follow(follower=fan, followee=author) for fan in fans)
    User.objects.filter(pk=author.pk).update(followers_count=count)
    return [fan.pk for fan in fans]


def activate(user_ids) -> None:
    """Timelines exist (empty, complete) for these users: they count as active."""
    pipe = store.client().pipeline(transaction=False)
    for user_id in user_ids:
        pipe.zadd(store.timeline_key(user_id), {store.SENTINEL: 0})
    pipe.execute()


def holding(user_ids, entry_id: int) -> int:
    pipe = store.client().pipeline(transaction=False)
    for user_id in user_ids:
        pipe.zscore(store.timeline_key(user_id), store.member(entry_id))
    return sum(score is not None for score in pipe.execute())


def test_a_post_reaches_every_active_follower_of_a_5000_follower_author(workers, feed_settings):
    worker = workers.start_worker("fanout", **FEED_ENV)
    author = UserFactory()
    fans = make_followers(author, 5000)
    active, inactive = fans[:4000], fans[4000:]
    activate(active)

    post = posts.post_create(author=author, text="to five thousand")

    wait_until(lambda: holding(active, post.id) == len(active), timeout=60, what="the fan-out")
    workers.wait_idle()
    assert not any(store.client().exists(store.timeline_key(f)) for f in inactive)
    # 5 chunks of 1,000 followers: the handler pushed one itself and queued four tasks.
    assert worker.log().count("tweets.feed.push_chunk") >= 4
    # An inactive follower's first read rebuilds their timeline from PostgreSQL.
    reader = User.objects.get(pk=inactive[0])
    assert client_for(reader).get("/api/v1/feed").json()["results"][0]["id"] == str(post.id)


def test_an_author_above_the_threshold_is_merged_at_read_time(workers, feed_settings):
    workers.start_worker("fanout", **FEED_ENV)
    star, fan = UserFactory(), UserFactory()
    Follow.objects.create(follower=fan, followee=star)
    User.objects.filter(pk=star.pk).update(followers_count=int(THRESHOLD) + 1)
    activate([fan.pk])

    post = posts.post_create(author=star, text="from the star")
    workers.wait_idle()

    assert holding([fan.pk], post.id) == 0  # not fanned out
    feed = client_for(fan).get("/api/v1/feed").json()["results"]
    assert [entry["id"] for entry in feed] == [str(post.id)]  # merged from ul:<star>
    assert store.all_ids(store.author_key(star.pk)) == [post.id]
