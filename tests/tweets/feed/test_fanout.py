"""Fan-out of a batch: chunks by follower count, one Lua call per chunk, the batch's
followers in one query, and the reply, hybrid and active-only rules inside a batch.

`fanout.fan_out` is called directly with the batch's events (posts are created
without running on-commit handlers), so each test sees exactly one batch.
"""

import json
import math
from datetime import UTC, datetime

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test.utils import CaptureQueriesContext
from redis.commands.core import Script

from accounts.models import User
from core.events import Delivered
from relationships.models import Follow
from tests.factories import UserFactory
from tests.tweets.feed.conftest import timeline
from tweets import services as posts
from tweets.events import PostCreated
from tweets.feed import fanout, store
from tweets.feed import tasks as feed_tasks

pytestmark = pytest.mark.django_db


def created(*entries) -> list[Delivered[PostCreated]]:
    now = datetime.now(UTC)
    return [
        Delivered(
            id=i,
            created_at=now,
            event=PostCreated(
                post_id=p.pk,
                author_id=p.author_id,
                reply_to_id=p.reply_to_id,
                quote_of_id=p.quote_of_id,
                conversation_id=p.conversation_id,
            ),
        )
        for i, p in enumerate(entries)
    ]


def fan_out(events: list[Delivered[PostCreated]]) -> None:
    """What the handler does (tweets.handlers.feed_fan_out)."""
    fanout.fan_out(events, queue_chunk=feed_tasks.queue_chunk)


def make_users(count: int, prefix: str) -> list[User]:
    password = make_password(None)
    return User.objects.bulk_create(
        User(username=f"{prefix}{i}", email=f"{prefix}{i}@example.com", password=password)
        for i in range(count)
    )


def follows(pairs) -> None:
    """(follower, followee) pairs; followers_count kept right for the hybrid rule."""
    Follow.objects.bulk_create(Follow(follower=f, followee=g) for f, g in pairs)
    for user in {g for _, g in pairs}:
        User.objects.filter(pk=user.pk).update(
            followers_count=Follow.objects.filter(followee=user).count()
        )


def activate(users) -> None:
    for user in users:
        store.client().zadd(store.timeline_key(user.pk), {store.SENTINEL: 0})


@pytest.fixture
def queued(monkeypatch):
    """The kwargs of every push_chunk task queued (not run until `run_queued`)."""
    calls: list[dict] = []
    monkeypatch.setattr(
        feed_tasks.push_chunk, "apply_async", lambda kwargs, queue: calls.append(kwargs)
    )
    return calls


@pytest.fixture
def lua_calls(monkeypatch):
    calls: list[int] = []
    original = Script.__call__

    def counting(self, *args, **kwargs):
        calls.append(len(kwargs["keys"]))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Script, "__call__", counting)
    return calls


def run_queued(queued) -> None:
    for kwargs in queued:
        feed_tasks.push_chunk(**json.loads(json.dumps(kwargs)))  # as the broker carries it


def test_a_batch_from_many_authors_is_chunked_by_follower_count(
    redis_feed, settings, queued, lua_calls
):
    settings.FEED_FANOUT_CHUNK = 4
    authors = make_users(5, "author")
    fans = make_users(10, "fan")
    # Every fan follows a different subset of the authors: no two get the same entries.
    expected = {fan.pk: [] for fan in fans}
    pairs = []
    for i, fan in enumerate(fans):
        for j, author in enumerate(authors):
            if (i + 1) >> j & 1:
                pairs.append((fan, author))
    follows(pairs)
    activate(fans[:9])  # the last one is inactive
    batch = [posts.post_create(author=a, text="hi") for a in authors]
    for fan, author in pairs:
        expected[fan.pk].append(batch[authors.index(author)].pk)

    fan_out(created(*batch))
    run_queued(queued)

    # 10 followers in chunks of 4: the handler pushes one chunk, two are tasks.
    assert len(queued) == math.ceil(10 / 4) - 1
    for kwargs in queued:
        assert set(kwargs) == {"groups"}
        assert sum(len(followers) for _, followers in kwargs["groups"]) <= 4
    # One Lua call for the authors' own lists, one per chunk.
    assert len(lua_calls) == 1 + 3
    for fan in fans[:9]:
        assert timeline(fan) == sorted(expected[fan.pk], reverse=True)
    assert not redis_feed.exists(store.timeline_key(fans[9].pk))  # inactive: skipped
    for author, entry in zip(authors, batch, strict=True):
        assert store.all_ids(store.author_key(author.pk)) == []  # no ul: key: not created
        assert not redis_feed.exists(store.timeline_key(author.pk))
        del entry


def test_followers_of_all_authors_are_read_in_one_query(redis_feed, queued):
    def queries_for(count: int) -> int:
        authors = make_users(count, f"q{count}a")
        fans = make_users(3, f"q{count}f")
        follows([(fan, author) for fan in fans for author in authors])
        activate(fans)
        batch = [posts.post_create(author=a, text="hi") for a in authors]
        with CaptureQueriesContext(connection) as captured:
            fan_out(created(*batch))
        for fan in fans:
            assert timeline(fan) == sorted((p.pk for p in batch), reverse=True)
        return len(captured)

    assert queries_for(2) == queries_for(8) == 2  # the entries, the followers


def test_replies_in_a_batch_reach_only_followers_of_both_authors(redis_feed, queued):
    author, replied, other, star = UserFactory.create_batch(4)
    both, only_author, only_other = UserFactory.create_batch(3)
    follows(
        [
            (both, author),
            (both, replied),
            (only_author, author),
            (replied, author),  # the replied-to author follows the replier
            (only_other, other),
            (both, star),
        ]
    )
    User.objects.filter(pk=star.pk).update(followers_count=10_001)  # above the threshold
    activate([author, replied, other, star, both, only_author, only_other])
    parent = posts.post_create(author=replied, text="parent")
    batch = [
        posts.post_create(author=author, text="reply", reply_to_id=parent.pk),
        posts.post_create(author=author, text="plain"),
        posts.post_create(author=other, text="other"),
        posts.post_create(author=star, text="star"),
    ]
    reply, plain, others, starred = batch

    with CaptureQueriesContext(connection) as captured:
        fan_out(created(*batch))

    assert len(captured) == 3  # the entries, the followers, who follows the replied-to
    assert timeline(both) == sorted([reply.pk, plain.pk], reverse=True)
    assert timeline(only_author) == [plain.pk]
    assert timeline(replied) == sorted([reply.pk, plain.pk], reverse=True)
    assert timeline(only_other) == [others.pk]
    assert timeline(star) == [starred.pk]  # own timeline; not fanned out to `both`
    assert store.all_ids(store.author_key(star.pk)) == []  # no ul: key until read


def test_fan_out_and_chunk_tasks_are_idempotent(redis_feed, settings, queued):
    settings.FEED_FANOUT_CHUNK = 1
    author = UserFactory()
    fans = make_users(3, "idem")
    follows([(fan, author) for fan in fans])
    activate(fans)
    post = posts.post_create(author=author, text="once")

    fan_out(created(post))
    fan_out(created(post))  # a duplicate event
    run_queued(queued)
    run_queued(queued)  # a retried task

    assert len(queued) == 4
    for fan in fans:
        assert timeline(fan) == [post.pk]


def test_push_groups_writes_existing_keys_only_and_trims(redis_feed, settings):
    settings.FEED_MAX_ENTRIES = 2
    client = store.client()
    client.zadd("tl:1", {store.SENTINEL: 0})
    client.zadd("tl:2", {store.member(5): 0})
    store.push_groups([(["tl:1", "tl:3"], [7, 8, 9]), (["tl:2"], [6]), (["tl:1"], [])])

    assert store.all_ids("tl:1") == [8, 9]  # trimmed to the newest 2 (sentinel first)
    assert store.all_ids("tl:2") == [5, 6]
    assert not client.exists("tl:3")
