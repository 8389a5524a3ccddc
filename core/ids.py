"""Time-ordered 64-bit ids (DESIGN.md §4).

Layout, high bit to low: 1 sign bit (always 0) | 41 bits of milliseconds since
EPOCH | 10 bits of worker id | 12 bits of sequence. Order by id is order by
creation time (to the millisecond, then per worker), ids are generated in
Python so SQLite and PostgreSQL behave alike, and they fit a signed BIGINT.

Uniqueness across processes comes from the worker id: with Redis configured
each process leases one from a shared counter (1,024 live processes before a
reuse); without Redis (embedded mode, one process) it falls back to the pid.
"""

import os
import threading
import time
from datetime import UTC, datetime

from django.conf import settings

EPOCH_MS = 1_577_836_800_000  # 2020-01-01T00:00:00Z
WORKER_BITS = 10
SEQUENCE_BITS = 12
MAX_WORKER = (1 << WORKER_BITS) - 1
MAX_SEQUENCE = (1 << SEQUENCE_BITS) - 1
TIME_SHIFT = WORKER_BITS + SEQUENCE_BITS
WORKER_COUNTER_KEY = "warble:ids:worker-counter"


def _lease_worker_id() -> int:
    url = getattr(settings, "ID_WORKER_REDIS_URL", "")
    if url:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        try:
            return int(client.incr(WORKER_COUNTER_KEY)) & MAX_WORKER
        except redis.RedisError:
            pass  # Redis down: fall back to the pid rather than refuse to write.
        finally:
            client.close()
    return os.getpid() & MAX_WORKER


class IdGenerator:
    """Per-process generator; re-leases its worker id after a fork."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._worker = 0
        self._last_ms = 0
        self._sequence = 0

    def next_id(self) -> int:
        with self._lock:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                self._worker = _lease_worker_id()
                self._last_ms = 0
                self._sequence = 0
            now = int(time.time() * 1000)
            if now > self._last_ms:
                self._last_ms = now
                self._sequence = 0
            else:
                # Same millisecond, or the clock stepped back: keep counting from
                # the last timestamp so ids never repeat or go backwards.
                self._sequence += 1
                if self._sequence > MAX_SEQUENCE:
                    self._last_ms += 1
                    self._sequence = 0
            return (
                ((self._last_ms - EPOCH_MS) << TIME_SHIFT)
                | (self._worker << SEQUENCE_BITS)
                | self._sequence
            )


_generator = IdGenerator()


def new_id() -> int:
    """A new time-ordered id; use as the `default` of a BigIntegerField primary key."""
    return _generator.next_id()


def id_to_datetime(value: int) -> datetime:
    return datetime.fromtimestamp(((value >> TIME_SHIFT) + EPOCH_MS) / 1000, tz=UTC)


def min_id_for(moment: datetime) -> int:
    """The smallest id that could have been made at `moment` (for time-range queries by id)."""
    return (int(moment.timestamp() * 1000) - EPOCH_MS) << TIME_SHIFT
