"""Time-ordered 64-bit ids (DESIGN.md §4).

Layout, high bit to low: 1 sign bit (always 0) | 41 bits of milliseconds since
EPOCH | 10 bits of worker id | 12 bits of sequence. Order by id is order by
creation time (to the millisecond, then per worker), ids are generated in
Python so SQLite and PostgreSQL behave alike, and they fit a signed BIGINT.

Uniqueness across processes comes from the worker id: no two live processes
ever use the same one. Each process leases its own (core.id_leases): from a
PostgreSQL table, renewed while it makes ids, never Redis, whose flush or
restart once handed one id to two servers; in embedded mode (SQLite, one
machine) from a lock file the kernel frees when the process dies. Worker id
1023 is never leased: offline bulk loads (bench/) stamp history with it.
"""

import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

EPOCH_MS = 1_577_836_800_000  # 2020-01-01T00:00:00Z
WORKER_BITS = 10
SEQUENCE_BITS = 12
MAX_WORKER = (1 << WORKER_BITS) - 1
MAX_LEASED_WORKER = MAX_WORKER - 1  # MAX_WORKER is kept for bulk loads
MAX_SEQUENCE = (1 << SEQUENCE_BITS) - 1
TIME_SHIFT = WORKER_BITS + SEQUENCE_BITS


class WorkerLease(Protocol):
    def worker_id(self) -> int:
        """The worker id this process may use now (leasing or renewing it if due)."""
        ...


class FixedWorker:
    """A worker id given, not leased (tests, and tools that own an id, like bench/)."""

    def __init__(self, worker: int) -> None:
        if not 0 <= worker <= MAX_WORKER:
            raise ValueError(f"worker id {worker} is outside 0..{MAX_WORKER}")
        self.worker = worker

    def worker_id(self) -> int:
        return self.worker


def _no_lease_yet() -> WorkerLease:
    raise RuntimeError("no worker-id lease is configured yet (core.apps sets it: use_leases)")


class IdGenerator:
    """Per-process generator; takes a new lease after a fork (a child is a new process)."""

    def __init__(self, lease: Callable[[], WorkerLease] = _no_lease_yet) -> None:
        self._make_lease = lease
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._lease: WorkerLease | None = None
        self._worker: int | None = None
        self._last_ms = 0
        self._sequence = 0

    def next_id(self) -> int:
        with self._lock:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                self._lease = self._make_lease()
                self._worker = None
            assert self._lease is not None
            worker = self._lease.worker_id()
            if worker != self._worker:
                # Another id than before (the old lease lapsed): its sequences start afresh.
                self._worker = worker
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
                | (worker << SEQUENCE_BITS)
                | self._sequence
            )

    def forked(self) -> None:
        """In a forked child: a lock another thread held at the fork stays locked in
        the copy, so take a new one; the next id leases a worker id of the child's own."""
        self._lock = threading.Lock()
        self._pid = None


_generator = IdGenerator()
os.register_at_fork(after_in_child=_generator.forked)


def use_leases(lease: Callable[[], WorkerLease]) -> None:
    """Where this process's worker ids come from: core.apps passes the PostgreSQL
    leases of core.id_leases (which imports this module, so it is handed in)."""
    _generator._make_lease = lease


def new_id() -> int:
    """A new time-ordered id; use as the `default` of a BigIntegerField primary key."""
    return _generator.next_id()


def worker_of(value: int) -> int:
    return (value >> SEQUENCE_BITS) & MAX_WORKER


def id_to_datetime(value: int) -> datetime:
    return datetime.fromtimestamp(((value >> TIME_SHIFT) + EPOCH_MS) / 1000, tz=UTC)


def min_id_for(moment: datetime) -> int:
    """The smallest id that could have been made at `moment` (for time-range queries by id)."""
    return (int(moment.timestamp() * 1000) - EPOCH_MS) << TIME_SHIFT
