"""A process's layer loop keeps its channel-layer connection (core.realtime.
run_layer_call), so it must survive the layer's Redis restarting: while Redis is
down a push is dropped (logged, the breaker skips Redis for a while), and once
Redis is back the same process's pushes reach it again, without a restart."""

import logging

import pytest
from channels_redis.core import RedisChannelLayer

from core import realtime
from core.degrade import Breaker
from tests.integration.procs import Procs, free_port
from tests.integration.test_realtime_redis_down import start_redis

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_pushes_from_a_long_lived_process_resume_after_redis_restarts(
    monkeypatch, django_capture_on_commit_callbacks, caplog
):
    port = free_port()
    address = f"redis://127.0.0.1:{port}/0"
    layer = RedisChannelLayer(
        hosts=[{"address": address, "socket_timeout": 2, "socket_connect_timeout": 1}],
        prefix="warble-layer-loop",
    )
    clock = Clock()
    monkeypatch.setattr(realtime, "get_channel_layer", lambda: layer)
    monkeypatch.setattr(realtime, "layer_breaker", Breaker("layer", retry_after=5, clock=clock))

    def on_layer_loop(call):  # receives too, as a consumer would, on one loop
        return realtime.run_layer_call(layer, call)

    def push(n: int) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            realtime.push_to_user(user_id=1, payload={"n": n})

    def listening() -> str:
        channel = on_layer_loop(layer.new_channel())
        on_layer_loop(layer.group_add(realtime.user_group(1), channel))
        return channel

    with Procs() as procs:
        redis = start_redis(procs, port)
        channel = listening()
        push(1)
        assert on_layer_loop(layer.receive(channel))["payload"] == {"n": 1}

        redis.kill()  # SIGKILL, waited for
        with caplog.at_level(logging.WARNING):
            push(2)  # dropped: logged, not raised
        assert "realtime pushes are dropped" in caplog.text

        start_redis(procs, port)  # empty: the group is gone with the old one
        clock.now += 5  # the breaker tries Redis again
        channel = listening()
        push(3)
        assert on_layer_loop(layer.receive(channel))["payload"] == {"n": 3}
