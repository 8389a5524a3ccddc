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
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from core.errors import DomainError
from relationships import services as rel
from tests.factories import UserFactory
from tests.tweets.feed.conftest import walk
from tweets import services as posts
from tweets.feed import store

pytestmark = pytest.mark.django_db

who = st.integers(min_value=0, max_value=3)
which = st.integers(min_value=0, max_value=10_000)


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

    class FeedMachine(RuleBasedStateMachine):
        @initialize()
        def users(self):
            self.users = UserFactory.create_batch(4)
            self.posts = []  # (post id, author index)
            for user in self.users[:3]:  # three active users, one inactive
                walk(user, backend="redis")

        def act(self, func, **kwargs):
            try:
                with committed():
                    return func(**kwargs)
            except DomainError:
                return None  # refused (blocked, not visible, ...): nothing changed

        def pair(self, a, b):
            return self.users[a], self.users[b]

        @rule(a=who, b=who)
        def follow(self, a, b):
            if a != b:
                self.act(rel.follow_create, follower=self.users[a], followee_id=self.users[b].pk)

        @rule(a=who, b=who)
        def unfollow(self, a, b):
            self.act(rel.follow_delete, follower=self.users[a], followee_id=self.users[b].pk)

        @rule(a=who)
        def post(self, a):
            made = self.act(posts.post_create, author=self.users[a], text="p")
            self.posts.append((made.id, a))

        @rule(a=who)
        def burst(self, a):
            for _ in range(3):
                self.post(a)

        @rule(a=who, i=which)
        def reply(self, a, i):
            if self.posts:
                parent, _ = self.posts[i % len(self.posts)]
                made = self.act(
                    posts.post_create, author=self.users[a], text="r", reply_to_id=parent
                )
                if made:
                    self.posts.append((made.id, a))

        @rule(a=who, i=which)
        def retweet(self, a, i):
            if self.posts:
                post_id, _ = self.posts[i % len(self.posts)]
                self.act(posts.retweet_create, user=self.users[a], post_id=post_id)

        @rule(a=who, i=which)
        def unretweet(self, a, i):
            if self.posts:
                post_id, _ = self.posts[i % len(self.posts)]
                self.act(posts.retweet_delete, user=self.users[a], post_id=post_id)

        @rule(i=which)
        def delete(self, i):
            if self.posts:
                post_id, author = self.posts[i % len(self.posts)]
                self.act(posts.post_delete, user=self.users[author], post_id=post_id)

        @rule(a=who, b=who)
        def block(self, a, b):
            if a != b:
                self.act(rel.block_create, blocker=self.users[a], blocked_id=self.users[b].pk)

        @rule(a=who, b=who)
        def unblock(self, a, b):
            self.act(rel.block_delete, blocker=self.users[a], blocked_id=self.users[b].pk)

        @rule(a=who, b=who)
        def mute(self, a, b):
            if a != b:
                self.act(rel.mute_create, muter=self.users[a], muted_id=self.users[b].pk)

        @rule(a=who, b=who)
        def unmute(self, a, b):
            self.act(rel.mute_delete, muter=self.users[a], muted_id=self.users[b].pk)

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

    run_state_machine_as_test(
        FeedMachine,
        settings=hypothesis_settings(
            max_examples=6,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
