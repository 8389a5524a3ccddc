"""The harness's backlog and drain (bench/backlog.py, bench/broker.py, bench/probe.py).

A drain that ends while work is in flight makes every fan-out, seed and latency
figure wrong, silently: with RabbitMQ as the broker the Redis lists the harness
used to read are always empty. The unit tests script the race the drain must
not lose; the integration tests read a real RabbitMQ virtual host (the suite's
CELERY_BROKER_URL) and a real worker.
"""

import asyncio
import re
import sys

import pytest
from django.conf import settings
from kombu import Connection, Consumer, Exchange, Queue

from bench import broker as bench_broker
from bench.backlog import Backlog, held_and_started, is_drained
from bench.broker import QUEUES, Broker, node_name
from bench.phases.common import Bench
from tests.integration.celery_workers import database_url, process_env
from tests.integration.procs import Procs, wait_until

W1, W2 = "one@host", "two@host"
EMPTY = {
    "ready": dict.fromkeys(QUEUES, 0),
    "held": 0,
    "started": 0,
    "outbox_pending": 0,
    "retrying": 0,
    "dead": 0,
}


# --- the logic, without services ------------------------------------------------------


def test_held_and_started_adds_up_both_asks():
    before = {W1: (1, 10), W2: (0, 5)}
    after = {W1: (0, 12), W2: (2, 5)}
    assert held_and_started(before, after, [W1, W2]) == (3, 2)
    assert held_and_started(before, before, [W1, W2]) == (1, 0)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ({W1: (0, 3)}, {W1: (0, 3), W2: (0, 0)}),  # W2 did not answer the first ask (paused)
        ({W1: (0, 3), W2: (0, 0)}, {W1: (0, 3)}),  # ... or the second
        ({W1: (0, 3), W2: (0, 9)}, {W1: (0, 3), W2: (0, 0)}),  # W2 restarted in between
    ],
)
def test_a_worker_that_did_not_answer_both_asks_makes_the_counts_unknown(before, after):
    assert held_and_started(before, after, [W1, W2]) == (None, None)


@pytest.mark.parametrize(
    "change",
    [
        {"ready": {**EMPTY["ready"], "fanout": 1}},
        {"held": 1},
        {"held": None},  # a worker did not answer: unknown is not empty
        {"started": 1},
        {"started": None},
        {"outbox_pending": 1},
        {"retrying": 1},
    ],
)
def test_the_backlog_is_drained_only_when_everything_is_zero(change):
    assert is_drained(EMPTY)
    assert not is_drained({**EMPTY, **change})


def test_dead_letters_are_counted_not_waited_for():
    assert is_drained({**EMPTY, "dead": 2})


class World:
    """A scripted stack: what the outbox, the queues and the workers answer, call by call."""

    def __init__(self, steps: list[dict]) -> None:
        self.steps = steps  # per read(): ask1, outbox, ready, ask2
        self.calls: list[str] = []

    def backlog(self) -> Backlog:
        backlog = Backlog(broker_url="amqp://unused", database_url="unused", workers=[W1])
        backlog._ask = self._answer("ask")
        backlog.outbox = self._answer("outbox")
        backlog.broker.ready = self._answer("ready")
        return backlog

    def _answer(self, what: str):
        def answer(*args):
            self.calls.append(what)
            step = self.steps[0]
            value = step[what].pop(0) if what == "ask" else step[what]
            if what == "ask" and not step["ask"]:
                self.steps.pop(0)
            return value

        return answer


def outbox(pending=0):
    return {"outbox_pending": pending, "retrying": 0, "dead": 0}


def test_a_task_that_ran_while_the_queues_were_read_is_not_missed():
    """The worker takes the last message after the first ask, runs it and, before the
    second ask, publishes a follow-up into a queue already read. The queues and the
    asks each look empty; only the count of tasks started shows it."""
    world = World(
        [
            {"ask": [{W1: (0, 7)}, {W1: (0, 8)}], "outbox": outbox(), "ready": EMPTY["ready"]},
            {
                "ask": [{W1: (0, 8)}, {W1: (0, 8)}],
                "outbox": outbox(),
                "ready": {**EMPTY["ready"], "default": 1},  # the follow-up
            },
            {"ask": [{W1: (0, 8)}, {W1: (0, 9)}], "outbox": outbox(), "ready": EMPTY["ready"]},
            {"ask": [{W1: (0, 9)}, {W1: (0, 9)}], "outbox": outbox(), "ready": EMPTY["ready"]},
        ]
    )
    backlog = world.backlog()
    reads = [backlog.read() for _ in range(4)]
    assert [is_drained(r) for r in reads] == [False, False, False, True]
    assert reads[0]["started"] == 1
    # The workers are asked before and after the outbox and the queues.
    assert world.calls[:4] == ["ask", "outbox", "ready", "ask"]


def test_a_countdown_held_by_a_worker_is_backlog():
    """RabbitMQ counts a task a worker waits on (the 50 ms dispatch window) as
    unacknowledged, not ready: only the worker's answer shows it."""
    world = World(
        [{"ask": [{W1: (1, 3)}, {W1: (1, 3)}], "outbox": outbox(), "ready": EMPTY["ready"]}]
    )
    read = world.backlog().read()
    assert read["held"] == 1
    assert not is_drained(read)


class FakeBacklog:
    def __init__(self, reads: list[dict]) -> None:
        self.reads = reads

    def read(self) -> dict:
        return self.reads.pop(0) if len(self.reads) > 1 else self.reads[0]


def bench_with(reads: list[dict]) -> Bench:
    return Bench(
        scale=None,
        stack=None,
        graph=None,
        tokens={},
        database_url="unused",
        redis_url="unused",
        broker_url="unused",
        rng=None,
        _backlog=FakeBacklog(reads),
    )


def test_drain_waits_for_the_first_empty_backlog():
    reads = [{**EMPTY, "held": None}, {**EMPTY, "started": 1}, EMPTY]
    b = bench_with(reads)
    drained_at, backlog = asyncio.run(b.drain(timeout=30))
    assert drained_at is not None
    assert backlog == EMPTY
    assert b._backlog.reads == [EMPTY]  # every read before it was consumed


def test_drain_gives_up_at_its_timeout_with_the_last_backlog():
    stuck = {**EMPTY, "ready": {**EMPTY["ready"], "fanout": 4}}
    drained_at, backlog = asyncio.run(bench_with([stuck]).drain(timeout=0.2))
    assert drained_at is None
    assert backlog["ready"]["fanout"] == 4


# --- a real RabbitMQ virtual host and a real worker --------------------------------------


@pytest.fixture
def broker_url():
    url = settings.CELERY_BROKER_URL
    if not url.startswith("amqp://"):
        pytest.skip("needs RabbitMQ (CELERY_BROKER_URL)")
    Broker(url).purge()
    yield url
    Broker(url).purge()


def publish(url: str, queue: str, count: int = 1) -> None:
    with Connection(url) as conn:
        producer = conn.Producer()
        for i in range(count):
            producer.publish({"n": i}, exchange=Exchange(queue, type="direct"), routing_key=queue)


@pytest.mark.integration
def test_ready_messages_are_counted_per_queue_and_purged(broker_url):
    broker = Broker(broker_url)
    try:
        assert broker.ready() == dict.fromkeys(QUEUES, 0)
        publish(broker_url, "fanout", 3)
        publish(broker_url, "default")
        assert broker.ready() == {"default": 1, "fanout": 3, "media": 0}
        assert broker.purge() == {"default": 1, "fanout": 3, "media": 0}
        assert broker.ready() == dict.fromkeys(QUEUES, 0)
    finally:
        broker.close()


@pytest.mark.integration
def test_prepare_refuses_a_virtual_host_another_stack_consumes_from(broker_url):
    publish(broker_url, "fanout")
    with Connection(broker_url) as conn:
        channel = conn.channel()
        queue = Queue("fanout", Exchange("fanout", type="direct"), "fanout", channel=channel)
        with (
            Consumer(channel, [queue], callbacks=[], auto_declare=False),
            pytest.raises(SystemExit, match="already has consumers"),
        ):
            bench_broker.prepare(broker_url)
    # Alone again: prepared, and the message left over is gone.
    assert bench_broker.prepare(broker_url)["purged"]["fanout"] == 1
    assert Broker(broker_url).ready()["fanout"] == 0


@pytest.mark.integration
def test_a_real_worker_holding_a_countdown_keeps_the_backlog_open(transactional_db, broker_url):
    """The worker the bench starts (`--include bench.probe`) answers what it holds; a
    task waiting for its countdown is backlog until it ran, then the backlog is empty."""
    from config.celery import app

    name = node_name("bench-probe-test")
    argv = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", ",".join(QUEUES)]
    argv += ["-P", "prefork", "-c", "1", "-n", name, "--include", "bench.probe"]
    argv += ["--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"]
    backlog = Backlog(broker_url=broker_url, database_url=database_url(), workers=[name])
    with Procs() as procs:
        procs.start("worker", argv, env=process_env(), ready=r"bench-probe-test@\S+ ready\.")
        assert is_drained(backlog.read())
        app.conf.task_always_eager = False  # the suite's autouse fixture sets it
        app.send_task("core.sweep_outbox", countdown=3)
        read = wait_until(lambda: (r := backlog.read())["held"] and r, timeout=10, what="held")
        assert read["ready"] == dict.fromkeys(QUEUES, 0)  # RabbitMQ has handed it over
        assert not is_drained(read)
        wait_until(lambda: is_drained(backlog.read()), timeout=20, what="the countdown to run")
        assert re.search(r"Task core\.sweep_outbox\[\S+\] succeeded", procs.started[0].log())
    backlog.close()
