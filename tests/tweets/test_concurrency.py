"""Counters stay exact when many clients like/unlike and retweet/unretweet at once.

20 threads, each with its own PostgreSQL connection, hammer one post. Four
threads share each user, so the same (user, post) pair is inserted and deleted
concurrently: the unique constraint, `ON CONFLICT DO NOTHING RETURNING` and the
DELETE row count must decide who moves the counter.
"""

import random
import threading

import pytest
from django.db import connection, connections

from core.models import OutboxEvent
from tests.factories import PostFactory, UserFactory
from tweets import services
from tweets.models import Like, Post, Retweet

THREADS = 20
USERS = 5
CYCLES = 15


@pytest.fixture(autouse=True)
def _postgresql_only():
    assert connection.vendor == "postgresql", "concurrency is proven against PostgreSQL"


def hammer(*, post_id: int, users, create, delete) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def work(index: int) -> None:
        user = users[index % len(users)]
        rng = random.Random(index)
        try:
            barrier.wait()
            for _ in range(CYCLES):
                create(user=user, post_id=post_id)
                if rng.random() < 0.5:
                    create(user=user, post_id=post_id)  # a retried request
                delete(user=user, post_id=post_id)
                if rng.random() < 0.5:
                    create(user=user, post_id=post_id)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def event_balance(created: str, deleted: str) -> int:
    return (
        OutboxEvent.objects.filter(name=created).count()
        - OutboxEvent.objects.filter(name=deleted).count()
    )


def test_parallel_likes_and_unlikes_keep_the_counter_exact(transactional_db):
    post = PostFactory()
    users = UserFactory.create_batch(USERS)
    errors = hammer(
        post_id=post.id, users=users, create=services.like_create, delete=services.like_delete
    )
    assert errors == []
    post.refresh_from_db()
    rows = Like.objects.filter(post=post).count()
    assert post.like_count == rows
    assert event_balance("post.liked", "post.unliked") == rows
    assert OutboxEvent.objects.filter(name="post.liked").count() >= THREADS  # it really raced


def test_parallel_retweets_and_unretweets_keep_the_counter_exact(transactional_db):
    post = PostFactory()
    users = UserFactory.create_batch(USERS)
    errors = hammer(
        post_id=post.id,
        users=users,
        create=services.retweet_create,
        delete=services.retweet_delete,
    )
    assert errors == []
    post.refresh_from_db()
    rows = Retweet.objects.filter(post=post).count()
    assert post.retweet_count == rows
    assert event_balance("retweet.created", "retweet.deleted") == rows


def test_parallel_replies_and_deletes_keep_reply_and_post_counts_exact(transactional_db):
    root = PostFactory()
    authors = UserFactory.create_batch(USERS)
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def work(index: int) -> None:
        author = authors[index % USERS]
        try:
            barrier.wait()
            for cycle in range(5):
                reply = services.post_create(author=author, text="hi", reply_to_id=root.id)
                if cycle % 2:
                    services.post_delete(user=author, post_id=reply.id)
                    services.post_soft_delete(post=reply)  # a second delete changes nothing
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    root.refresh_from_db()
    live = Post.objects.filter(reply_to=root, deleted_at__isnull=True)
    assert root.reply_count == live.count() == THREADS * 3
    for author in authors:
        author.refresh_from_db()
        assert author.posts_count == live.filter(author=author).count()
