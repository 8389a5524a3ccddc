"""Requests without Redis (core.degrade): the breaker, throttles counted in the
process, the dispatcher's flag kept in the process, presence unknown.

Redis is "down" for real here: the cache points at a port where nothing
listens (tests/faults/dead_redis.py). The whole API without Redis, in real
processes: tests/faults/test_redis_down.py.
"""

import logging

import pytest
from django.core.cache import cache
from django.db import transaction
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from core import realtime
from core.degrade import Breaker
from core.events import dispatch, publish
from core.tasks import dispatch_now, run_handlers
from tests.eventapp.events import Effect
from tests.faults.dead_redis import redis_down


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def refused():
    raise RedisConnectionError("Error 111 connecting to 127.0.0.1:1. Connection refused.")


# --- the breaker ----------------------------------------------------------------


def test_a_redis_failure_runs_the_fallback_then_skips_redis_until_the_interval_ends(caplog):
    clock = Clock()
    breaker = Breaker("test", retry_after=5, clock=clock)
    calls = []

    def run():
        calls.append(clock.now)
        refused()

    with caplog.at_level(logging.WARNING, logger="core.degrade"):
        assert breaker.call("the thing is skipped", run, lambda: "fallback") == "fallback"
    assert "Redis unavailable (test): the thing is skipped" in caplog.text
    assert "Connection refused" in caplog.text

    clock.now += 4.9  # within the interval: Redis is not even tried (a hung one costs nothing)
    assert breaker.call("the thing is skipped", run, lambda: "fallback") == "fallback"
    assert calls == [1000.0]
    assert breaker.is_open()

    clock.now += 0.2  # past it: tried again, and used again once it answers
    assert breaker.call("the thing is skipped", lambda: "redis", lambda: "fallback") == "redis"
    assert not breaker.is_open()
    assert "Redis available again (test)" in caplog.text


def test_errors_that_are_not_redis_errors_are_not_swallowed():
    breaker = Breaker("test", retry_after=5, clock=Clock())

    def broken():
        raise KeyError("a bug, not an outage")

    with pytest.raises(KeyError):
        breaker.call("the thing is skipped", broken, lambda: "fallback")
    assert not breaker.is_open()


def test_an_error_raised_while_handling_a_redis_error_is_a_redis_failure():
    """redis-py's socket buffer, closed by the disconnect that follows a timeout
    mid-handshake, raises ValueError from its clean-up; the feed answered 500."""
    breaker = Breaker("test", retry_after=5, clock=Clock())

    def handshake_times_out():
        try:
            raise RedisTimeoutError("Timeout reading from socket")
        finally:
            raise ValueError("I/O operation on closed file.")

    assert breaker.call("the thing is skipped", handshake_times_out, lambda: "fallback") == (
        "fallback"
    )
    assert breaker.is_open()


def test_the_interval_is_a_setting(settings):
    settings.REDIS_RETRY_AFTER_SECONDS = 7
    assert Breaker("test").retry_after == 7


# --- throttles ---------------------------------------------------------------------


@pytest.fixture
def tight_rates(monkeypatch, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "user": "3/min"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)


@pytest.mark.django_db
def test_without_redis_throttles_count_in_the_process_instead_of_failing(user, tight_rates, caplog):
    client = APIClient()
    client.force_authenticate(user=user)
    with redis_down(), caplog.at_level(logging.WARNING, logger="core.degrade"):
        statuses = [client.get("/api/v1/users/me").status_code for _ in range(4)]
    # Before issue 14: 500, 500, 500, 500 (the cache's connection error escaped).
    assert statuses == [200, 200, 200, 429]
    assert "Redis unavailable (cache): throttles count in this process" in caplog.text

    # Redis back: counted there again, from its own (empty) count.
    assert [client.get("/api/v1/users/me").status_code for _ in range(4)] == [200] * 3 + [429]
    assert cache.keys("throttle_user_*")


# --- the dispatcher's flag -----------------------------------------------------------


class Sent:
    def __init__(self, monkeypatch) -> None:
        self.countdowns: list[float | None] = []
        run_handlers.app.conf.task_always_eager = False  # the autouse fixture resets it
        monkeypatch.setattr(dispatch_now, "apply_async", self.apply_async)

    def apply_async(self, *, countdown=None):
        self.countdowns.append(countdown)


@pytest.mark.django_db(transaction=True)
def test_without_redis_commits_queue_one_dispatcher_per_window_and_process(monkeypatch, settings):
    settings.EVENTS_DISPATCH_WINDOW_MS = 50
    sent = Sent(monkeypatch)
    clock = Clock()
    monkeypatch.setattr(dispatch, "_local_flag", dispatch._LocalFlag(clock))
    with redis_down():
        for _ in range(3):
            with transaction.atomic():
                publish(Effect())
        assert sent.countdowns == [0.05]  # the first commit queued it; it covers the others
        clock.now += 0.05  # the window ends: the dispatcher is starting, the next commit queues
        with transaction.atomic():
            publish(Effect())
        assert sent.countdowns == [0.05, 0.05]


@pytest.mark.django_db(transaction=True)
def test_without_redis_a_dispatcher_that_the_broker_refused_is_queued_by_the_next_commit(
    monkeypatch, settings
):
    settings.EVENTS_DISPATCH_WINDOW_MS = 50
    refusals = []

    def refuse(**kwargs):
        refusals.append(kwargs)
        raise ConnectionRefusedError("the broker too")

    run_handlers.app.conf.task_always_eager = False
    monkeypatch.setattr(dispatch_now, "apply_async", refuse)
    with redis_down():
        with transaction.atomic():
            publish(Effect())  # logged, left to the sweeper
        with transaction.atomic():
            publish(Effect())
    assert len(refusals) == 2  # the refused one left no flag behind, not even in the process


@pytest.mark.django_db(transaction=True)
def test_the_dispatcher_runs_without_redis(monkeypatch):
    """The worker's side: clearing the flag fails, the dispatcher goes on."""
    sent = []
    run_handlers.app.conf.task_always_eager = False
    monkeypatch.setattr(run_handlers, "apply_async", lambda **kw: sent.append(kw))
    monkeypatch.setattr(dispatch_now, "apply_async", lambda **kw: None)
    with transaction.atomic():
        event_id = publish(Effect())
    with redis_down():
        assert dispatch.drain() == 1
    record = "tests.eventapp.handlers.record"
    assert [kw["kwargs"]["batches"] for kw in sent] == [[(record, [event_id])]]


# --- presence ------------------------------------------------------------------------


def test_without_redis_nobody_is_online():
    with redis_down():
        assert realtime.online_among([1, 2, 3]) == []


@pytest.mark.django_db
def test_without_redis_pushes_are_dropped_and_not_tried_again_for_a_while(
    monkeypatch, django_capture_on_commit_callbacks
):
    tried = []

    class DeadLayer:
        async def group_send(self, group, message):
            tried.append(group)
            refused()

    clock = Clock()
    monkeypatch.setattr(realtime, "get_channel_layer", DeadLayer)
    monkeypatch.setattr(realtime, "layer_breaker", Breaker("layer", retry_after=5, clock=clock))
    with django_capture_on_commit_callbacks(execute=True):
        realtime.push_to_user(user_id=1, payload={"type": "test"})  # fails: logged, dropped
        realtime.push_to_user(user_id=2, payload={"type": "test"})  # not even tried
    clock.now += 5
    with django_capture_on_commit_callbacks(execute=True):
        realtime.push_to_user(user_id=3, payload={"type": "test"})
    assert tried == ["user.1", "user.3"]
