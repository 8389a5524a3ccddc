"""Pushes from sync code (request threads, Celery tasks) run on one event loop per
process (core.realtime.run_layer_call), so the Redis channel layer keeps its
connections: `async_to_sync` made a loop, and a Redis connection, per push."""

import asyncio
import threading

import pytest
import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer
from django.conf import settings

from core import realtime

pytestmark = pytest.mark.django_db


@pytest.fixture
def layer():
    layer = get_channel_layer()
    assert isinstance(layer, RedisChannelLayer)  # services mode, as every test run has
    return layer


def test_pushes_reuse_the_layers_redis_connections(layer, django_capture_on_commit_callbacks):
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(realtime.user_group(7), channel)
    realtime.run_layer_call(layer, layer.group_send("nobody", {"type": "push"}))  # connects
    stats = redis.Redis.from_url(settings.REDIS_URL)
    before = stats.info("stats")["total_connections_received"]

    def push(n: int) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            realtime.push_to_user(user_id=7, payload={"n": n})

    for n in range(5):
        push(n)
    other = threading.Thread(target=lambda: [push(n) for n in range(5, 10)])
    other.start()
    other.join()

    assert stats.info("stats")["total_connections_received"] - before <= 1  # was 10

    async def receive_all():  # on one loop, as a consumer receives
        return [await layer.receive(channel) for _ in range(10)]

    frames = async_to_sync(receive_all)()
    assert [frame["payload"]["n"] for frame in frames] == list(range(10))


def test_a_forked_process_gets_its_own_loop(monkeypatch):
    loops = realtime._LayerLoop()
    first = loops.loop()
    assert loops.loop() is first
    monkeypatch.setattr(realtime.os, "getpid", lambda: -1)  # as in a prefork child
    assert loops.loop() is not first


def test_a_call_that_outlasts_the_bound_is_cancelled(layer, monkeypatch):
    monkeypatch.setattr(realtime, "LAYER_CALL_TIMEOUT_SECONDS", 0.05)
    started = threading.Event()

    async def hangs():
        started.set()
        await asyncio.sleep(5)

    with pytest.raises(TimeoutError):
        realtime.run_layer_call(layer, hangs())
    assert started.is_set()
