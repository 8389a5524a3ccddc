"""The work the stack still has to do, and when it has done all of it (the drain).

Work is somewhere at every instant: an outbox row not dispatched (or a handler
retry waiting) in PostgreSQL, a message ready in a RabbitMQ queue, or a task a
worker holds (received and not finished: reserved, running, or waiting for a
countdown such as the 50 ms dispatch window). A handoff never leaves a gap: the
dispatcher publishes (with publisher confirms) before it commits the rows as
dispatched, and a task publishes its follow-up tasks and commits its events
before it finishes.

The three places cannot be read at one instant, and work moves while they
are read: a worker can take a message after its queue was read and finish,
having published another one, before the workers are asked. So the workers
are asked twice, before and after the outbox and the queues, and say how many
tasks they have started since they booted: the backlog is empty only if they
held nothing at both asks and started nothing in between. Any work that
existed while the queues were read was then either seen, or moved, and moving
it took a task that started in the window. (A message in flight from RabbitMQ
to a worker reaches the worker before the second ask does: both travel on its
one connection, and the ask is sent after the queue was seen empty.)
"""

import threading
from collections.abc import Callable, Mapping

import psycopg

from bench.broker import Broker, holding

Answers = Mapping[str, tuple[int, int]]  # worker -> (tasks held, tasks started since boot)


def held_and_started(
    before: Answers, after: Answers, workers: list[str]
) -> tuple[int | None, int | None]:
    """(most tasks held at either ask, tasks started between the asks); None when a
    worker did not answer both asks (paused, dead) or restarted in between."""
    held = started = 0
    for name in workers:
        if name not in before or name not in after:
            return None, None
        (held0, started0), (held1, started1) = before[name], after[name]
        if started1 < started0:  # a new process: its counts say nothing about the window
            return None, None
        held += max(held0, held1)
        started += started1 - started0
    return held, started


def is_drained(backlog: dict) -> bool:
    """Nothing ready, held, started, pending or retrying; unknown is not empty.
    Dead letters are counted, not waited for."""
    values = [
        *backlog["ready"].values(),
        backlog["held"],
        backlog["started"],
        backlog["outbox_pending"],
        backlog["retrying"],
    ]
    return all(value == 0 for value in values)


class Backlog:
    """Reads the backlog of one stack: its database, its virtual host, its workers."""

    def __init__(
        self,
        *,
        broker_url: str,
        database_url: str,
        workers: list[str],
        ask: Callable[[list[str]], Answers] | None = None,
        timeout: float = 1.0,
    ) -> None:
        self.database_url = database_url
        self.workers = list(workers)
        self.broker = Broker(broker_url)
        self._ask = ask or self._ask_workers
        self.timeout = timeout
        self._lock = threading.Lock()

    def _ask_workers(self, names: list[str]) -> Answers:
        from config.celery import app

        return holding(app, names, timeout=self.timeout)

    def outbox(self) -> dict[str, int]:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            pending = conn.execute(
                "SELECT count(*) FROM core_outboxevent WHERE dispatched_at IS NULL"
            ).fetchone()[0]
            states = dict(
                conn.execute("SELECT state, count(*) FROM core_eventdelivery GROUP BY state")
            )
        return {
            "outbox_pending": pending,
            "retrying": states.get("retrying", 0),
            "dead": states.get("dead", 0),
        }

    def read(self) -> dict:
        """{"ready": {queue: n}, "held", "started", "outbox_pending", "retrying", "dead"}.

        "held": tasks the workers held (received, unacknowledged: running, reserved or
        waiting for a countdown), the larger count of the two asks; "started": tasks
        they started between the asks. Both None when a worker did not answer.
        """
        with self._lock:
            before = self._ask(self.workers)
            outbox = self.outbox()
            ready = self.broker.ready()
            after = self._ask(self.workers)
        held, started = held_and_started(before, after, self.workers)
        return {"ready": ready, "held": held, "started": started, **outbox}

    def close(self) -> None:
        self.broker.close()
