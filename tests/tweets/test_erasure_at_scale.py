"""Erasing a heavy account finishes: 10,000 posts and 40,000 likes; 3,000 followers.

One transaction for all of it (50,000 posts and 200,000 likes, as first reported)
outlived every task time limit and ended as a dead letter. The erasure handlers
now work in chunks within a budget and hand the rest on with a continuation
event; here a first run dies in the middle (a chunk's transaction is rolled
back), then runs with a small budget are driven until no continuation is left,
and every counter and row is checked. A run's work is bounded by its budget
whatever the account's size, so forty chunks of likes show it as well as two
hundred did (those took 160 s of the suite's time).

Rows are generated with COPY (the test is about the erasure, not about posting).
"""

import itertools
import time

import pytest
from django.db import connection, transaction

from accounts.events import UserErased
from accounts.models import User
from core import chunked
from core.events import Delivered
from core.ids import new_id
from core.models import OutboxEvent
from relationships import erasure as relationship_erasure
from relationships import handlers as relationship_handlers
from relationships.events import RelationshipsErasureContinued
from relationships.models import Follow
from tests.factories import UserFactory
from tweets import erasure as content_erasure
from tweets import handlers as content_handlers
from tweets.events import ContentErasureContinued
from tweets.models import Like, Post

# Committed chunks, as in production: inside one test transaction every later chunk
# would step over the earlier chunks' dead rows again (no hint bits, no pruning).
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _events_stay_in_the_outbox(settings):
    """Commits hand their events to the broker (nobody consumes it here) instead of
    running 50,000 handler calls in process: the erasure itself is under test."""
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


OWN_POSTS = 10_000
LIKED_POSTS = 40_000  # the heavy account likes each of them once: its own 10,000 among them
FOLLOWERS = 3_000


def copy(table: str, columns: list[str], rows) -> None:
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as stream,
    ):
        for row in rows:
            stream.write_row(row)


def post_rows(author_id: int, count: int, *, like_count: int):
    now = time.strftime("%Y-%m-%d %H:%M:%S+00")
    for n in range(count):
        post_id = new_id()
        yield (post_id, author_id, f"post {n}", post_id, "[]", now, like_count, 0, 0, 0, 0)


POST_COLUMNS = [
    "id", "author_id", "text", "conversation_id", "media_ids", "created_at",
    "like_count", "retweet_count", "reply_count", "quote_count", "version",
]  # fmt: skip


@pytest.fixture
def heavy():
    heavy, other = UserFactory(username="heavy"), UserFactory(username="other")
    copy("tweets_post", POST_COLUMNS, post_rows(heavy.pk, OWN_POSTS, like_count=1))
    copy("tweets_post", POST_COLUMNS, post_rows(other.pk, LIKED_POSTS - OWN_POSTS, like_count=1))
    now = time.strftime("%Y-%m-%d %H:%M:%S+00")
    copy(
        "tweets_like",
        ["id", "user_id", "post_id", "created_at"],
        (
            (new_id(), heavy.pk, post_id, now)
            for post_id in Post.objects.values_list("id", flat=True)
        ),
    )
    User.objects.filter(pk=heavy.pk).update(posts_count=OWN_POSTS)
    User.objects.filter(pk=other.pk).update(posts_count=LIKED_POSTS - OWN_POSTS)
    assert Like.objects.filter(user=heavy).count() == LIKED_POSTS
    return heavy, other


@pytest.fixture
def followed():
    star = UserFactory(username="star")
    fans = User.objects.bulk_create(
        User(username=f"fan{n}", email=f"fan{n}@example.com", following_count=1)
        for n in range(FOLLOWERS)
    )
    Follow.objects.bulk_create(Follow(follower=fan, followee=star) for fan in fans)
    User.objects.filter(pk=star.pk).update(followers_count=FOLLOWERS)
    return star


def delivered(event_class, user_id: int) -> list[Delivered]:
    return [Delivered(id=new_id(), created_at=None, event=event_class(user_id=user_id))]


def continuations(name: str) -> int:
    return OutboxEvent.objects.filter(name=name).count()


def test_a_heavy_account_is_erased_in_resumable_chunks(heavy, monkeypatch):
    heavy, other = heavy
    # A first attempt dies in its fifth chunk of likes (after every post and text chunk):
    # that chunk rolls back whole.
    monkeypatch.setattr(chunked, "DEFAULT_BUDGET_SECONDS", 3600.0)
    real = content_erasure.publish_many
    calls = itertools.count()

    def dying(events):
        if next(calls) == 4:  # the likes' and retweets' events (posts publish elsewhere)
            raise RuntimeError("worker killed")
        return real(events)

    monkeypatch.setattr(content_erasure, "publish_many", dying)
    with pytest.raises(RuntimeError):
        content_handlers.erase_user_content(delivered(UserErased, heavy.pk))
    monkeypatch.setattr(content_erasure, "publish_many", real)
    assert Post.objects.filter(author=heavy, deleted_at__isnull=True).count() == 0
    liked_left = Like.objects.filter(user=heavy).count()
    assert liked_left == LIKED_POSTS - 4 * content_erasure.CHUNK  # 4 chunks committed
    assert Post.objects.filter(like_count=0).count() == 4 * content_erasure.CHUNK

    # Redelivered, with a budget that cuts each run short: continuation events carry it.
    monkeypatch.setattr(chunked, "DEFAULT_BUDGET_SECONDS", 0.5)
    runs = 0
    events = delivered(UserErased, heavy.pk)  # the redelivery of user.erased
    while events:
        before = continuations("user.content_erasure_continued")
        content_handlers.erase_user_content(events)
        runs += 1
        handed_on = continuations("user.content_erasure_continued") > before
        events = delivered(ContentErasureContinued, heavy.pk) if handed_on else []
        assert runs < 500
    assert runs > 1, "the budget never cut a run short: the test proves nothing"

    assert not Like.objects.filter(user=heavy).exists()
    assert not Post.objects.filter(like_count__gt=0).exists()  # every like counted back once
    assert not Post.objects.filter(author=heavy, deleted_at__isnull=True).exists()
    assert not Post.objects.filter(author=heavy).exclude(text="").exists()
    assert User.objects.get(pk=heavy.pk).posts_count == 0
    assert User.objects.get(pk=other.pk).posts_count == LIKED_POSTS - OWN_POSTS
    # One event per row removed, none twice (the rolled-back chunk published nothing).
    assert OutboxEvent.objects.filter(name="post.deleted").count() == OWN_POSTS
    assert OutboxEvent.objects.filter(name="post.unliked").count() == LIKED_POSTS
    assert not content_erasure.erase_step(user_id=heavy.pk)  # nothing left: idempotent


def test_a_heavy_accounts_followers_are_released_in_chunks(followed, monkeypatch):
    heavy = followed
    monkeypatch.setattr(chunked, "DEFAULT_BUDGET_SECONDS", 0.0)  # one chunk per run
    runs = 0
    events = delivered(UserErased, heavy.pk)
    while events:
        before = continuations("user.relationships_erasure_continued")
        relationship_handlers.drop_relationships_of_erased_users(events)
        runs += 1
        handed_on = continuations("user.relationships_erasure_continued") > before
        events = delivered(RelationshipsErasureContinued, heavy.pk) if handed_on else []
    assert runs == FOLLOWERS // relationship_erasure.CHUNK + 1  # the last run finds the rest empty
    assert not Follow.objects.filter(followee=heavy).exists()
    assert not User.objects.filter(username__startswith="fan", following_count__gt=0).exists()
    assert User.objects.get(pk=heavy.pk).followers_count == 0
    assert OutboxEvent.objects.filter(name="user.unfollowed").count() == FOLLOWERS


def test_two_concurrent_erasures_of_one_account_move_each_counter_once():
    """A redelivery racing the first delivery: SKIP LOCKED gives each run other rows."""
    import threading

    heavy, liked = UserFactory(), UserFactory()
    posts = [Post.objects.create(author=liked, text=f"p{n}", conversation_id=0) for n in range(60)]
    Like.objects.bulk_create(Like(user=heavy, post=post) for post in posts)
    Post.objects.filter(author=liked).update(like_count=1)
    content_erasure_chunk = content_erasure.CHUNK
    content_erasure.CHUNK = 5
    try:
        errors = []

        def run():
            try:
                while content_erasure.erase_step(user_id=heavy.pk):
                    pass
            except Exception as exc:  # reported below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=run) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        content_erasure.CHUNK = content_erasure_chunk
    assert errors == []
    assert not Like.objects.filter(user=heavy).exists()
    assert list(Post.objects.filter(author=liked).values_list("like_count", flat=True)) == [0] * 60
    assert OutboxEvent.objects.filter(name="post.unliked").count() == 60
    with transaction.atomic():
        assert not content_erasure.erase_step(user_id=heavy.pk)
