"""Notifications stay one per cause when deliveries race, against PostgreSQL.

20 threads, each with its own database connection, run like → unlike → like
cycles on one post as the same user, through tweets.services. Every commit
dispatches its events on commit and the notification handler runs right there,
in that thread (eager Celery, as in embedded mode), so up to 20 deliveries of
post.liked for the same (author, liker, post) race to create or re-surface
one notification.
"""

import threading

import pytest
from django.db import connection, connections

from core.models import OutboxEvent, ProcessedEvent
from notifications.models import Notification, Verb
from tests.factories import PostFactory, UserFactory
from tweets import services as tweets

THREADS = 20
CYCLES = 5


@pytest.fixture(autouse=True)
def _postgresql_only():
    assert connection.vendor == "postgresql", "concurrency is proven against PostgreSQL"


def race(*, user, post_id: int) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def work() -> None:
        try:
            barrier.wait()
            for _ in range(CYCLES):
                tweets.like_create(user=user, post_id=post_id)
                tweets.like_delete(user=user, post_id=post_id)
                tweets.like_create(user=user, post_id=post_id)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_parallel_like_cycles_leave_exactly_one_notification(transactional_db, pushes):
    author, fan = UserFactory(username="author"), UserFactory(username="fan")
    post = PostFactory(author=author)

    assert race(user=fan, post_id=post.id) == []
    handled = ProcessedEvent.objects.filter(handler="notifications.handlers.notify_liked")
    # How many likes really got inserted depends on the interleaving (it was exactly
    # 20 once); what matters is that several deliveries raced and each was handled.
    assert handled.count() == OutboxEvent.objects.filter(name="post.liked").count() > 1
    notification = Notification.objects.get(recipient=author, verb=Verb.LIKE)
    assert notification.actor_id == fan.pk
    assert notification.target_id == post.id
    assert not notification.is_read
    assert len(pushes.of(author, "notification.created")) == 1  # not one per delivery

    # The author reads it; the next round of races re-surfaces it, once.
    Notification.objects.filter(pk=notification.pk).update(is_read=True)
    assert race(user=fan, post_id=post.id) == []

    again = Notification.objects.get(recipient=author, verb=Verb.LIKE)
    assert again.pk == notification.pk
    assert not again.is_read  # the last action was a like, which re-surfaced it
    assert again.sort_id > notification.sort_id
    assert Notification.objects.count() == 1
    # Pushed once for the re-surfacing, not once per racing delivery.
    assert len(pushes.of(author, "notification.created")) == 2
