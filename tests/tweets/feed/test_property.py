"""Property: whatever users do, the Redis-backed feed equals the SQL pull feed.

Random sequences of follow, unfollow, post, reply, retweet, unretweet, delete,
block, unblock, mute, unmute, Redis flushes and evicted timelines across four
users; after every step, for every user, the feed walked page by page (3 per
page) through Redis and through SQL has identical ids in identical order.
Handlers run eagerly on commit (`committed()`), as fan-out runs after a real one.
"""

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis.stateful import initialize, invariant, rule, run_state_machine_as_test

from tests.tweets.feed.conftest import walk
from tests.tweets.feed.machines import SocialMachine, who
from tweets.feed import store

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("fanout_max", "merge_min", "cap"),
    [
        pytest.param(10_000, 5_000, 800, id="fan-out"),
        pytest.param(1, 1, 800, id="hybrid: authors with 2+ followers merged at read"),
        pytest.param(10_000, 5_000, 2, id="lists trimmed to 2: deep pages from SQL"),
    ],
)
def test_redis_feed_equals_sql_feed(redis_feed, committed, settings, fanout_max, merge_min, cap):
    settings.FEED_FANOUT_MAX_FOLLOWERS = fanout_max
    settings.FEED_MERGE_MIN_FOLLOWERS = merge_min
    settings.FEED_MAX_ENTRIES = cap

    class FeedMachine(SocialMachine):
        @initialize()
        def users(self):
            self.start()
            for user in self.users[:3]:  # three active users, one inactive
                walk(user, backend="redis")

        @rule(a=who)
        def post(self, a):
            self.add_post(a, text="p")

        @rule(a=who)
        def burst(self, a):
            for _ in range(3):
                self.post(a)

        @rule()
        def flush(self):
            # This run's Redis db only (FLUSHDB), never FLUSHALL on the shared server.
            store.client().flushdb()

        @rule(x=who, a=who)
        def evict_then_post(self, x, a):
            """x's timeline is lost (evicted, or x went inactive) just before a post."""
            store.client().delete(store.timeline_key(self.users[x].pk))
            self.post(a)

        @invariant()
        def redis_feed_equals_sql_feed(self):
            for user in self.users:
                assert walk(user, backend="redis") == walk(user, backend="sql"), user.username

    FeedMachine.committed = committed
    run_state_machine_as_test(
        FeedMachine,
        settings=hypothesis_settings(
            max_examples=6,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
