"""Counters and uniqueness under real concurrency: parallel processes against PostgreSQL."""

import contextlib
import multiprocessing
import traceback

import pytest
from django.db import connection, connections

from accounts.models import User
from core.errors import NotAllowed
from relationships import services
from relationships.models import Block, Follow
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]

PROCESSES = 20
CYCLES = 10


def _run_in_processes(work, count: int) -> None:
    """Fork `count` processes that start `work(index)` together; fail on any error."""
    connections.close_all()  # each child opens its own connection
    ctx = multiprocessing.get_context("fork")
    barrier, errors = ctx.Barrier(count), ctx.Queue()

    def child(index: int) -> None:
        try:
            barrier.wait(timeout=60)
            work(index)
        except BaseException:
            errors.put(traceback.format_exc())
            raise
        finally:
            connections.close_all()

    processes = [ctx.Process(target=child, args=(i,)) for i in range(count)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=300)
    failures = [errors.get() for _ in range(errors.qsize())] if not errors.empty() else []
    assert not failures, failures[0]
    assert [p.exitcode for p in processes] == [0] * count


def assert_counters_match_rows(*users: User) -> None:
    for user in users:
        user.refresh_from_db(fields=["followers_count", "following_count"])
        assert user.followers_count == Follow.objects.filter(followee=user).count(), user
        assert user.following_count == Follow.objects.filter(follower=user).count(), user


def test_parallel_follow_and_unfollow_of_one_pair_keep_counters_exact():
    alice, bob = UserFactory(), UserFactory()

    def work(index: int) -> None:
        # Most processes churn alice → bob; some churn bob → alice (opposite lock
        # order on the pair if locks were not sorted), some remove the follower.
        follower, followee = (bob, alice) if index % 4 == 3 else (alice, bob)
        for cycle in range(CYCLES):
            services.follow_create(follower=follower, followee_id=followee.pk)
            if index % 5 == 4 and cycle % 2:
                services.follower_remove(user=followee, follower_id=follower.pk)
            else:
                services.follow_delete(follower=follower, followee_id=followee.pk)
        if index in (0, 3):  # leave a follow standing in each direction
            services.follow_create(follower=follower, followee_id=followee.pk)

    _run_in_processes(work, PROCESSES)

    assert Follow.objects.filter(follower=alice, followee=bob).count() <= 1
    assert Follow.objects.filter(follower=bob, followee=alice).count() <= 1
    assert_counters_match_rows(alice, bob)


def test_parallel_follows_racing_a_block_never_leave_a_follow_beside_it():
    blocker, fan = UserFactory(), UserFactory()

    def work(index: int) -> None:
        if index % 2:
            for _ in range(CYCLES):
                services.block_create(blocker=blocker, blocked_id=fan.pk)
                services.block_delete(blocker=blocker, blocked_id=fan.pk)
            services.block_create(blocker=blocker, blocked_id=fan.pk)
            return
        for _ in range(CYCLES):
            with contextlib.suppress(NotAllowed):  # blocked at that moment: expected
                services.follow_create(follower=fan, followee_id=blocker.pk)

    _run_in_processes(work, PROCESSES)

    assert Block.objects.filter(blocker=blocker, blocked=fan).count() == 1
    assert not Follow.objects.exists()
    assert_counters_match_rows(blocker, fan)
