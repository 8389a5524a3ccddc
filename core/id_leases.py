"""Worker ids for core.ids, each held by one live process at a time.

PostgreSQL (services and production mode): a row of `core_idworkerlease` per
worker id, with a holder and an expiry set by the database clock. A process
takes a row whose lease expired (or a new one), renews it while it makes ids,
and stops using it before the expiry by its own monotonic clock, measured from
before the database set it: so the old holder is done with an id before anyone
can take it over, whatever happened to the connection, the process (SIGKILL,
a long pause) or Redis. Chosen over session advisory locks, which a dropped
connection (pg_terminate_backend, a restart, a pooler) releases silently
while the process goes on using the id.

The lease is taken and renewed on a connection of its own, opened for the
statement and closed after it: the caller may be inside a transaction (an id
is made for every INSERT), which must neither carry nor roll back the lease.
Renewal happens when an id is made after a third of the lease: no thread, so
forks and servers need no care, and a process that makes no ids lets its id
go. Releasing at a clean exit makes the id free at once.

SQLite (embedded mode, one machine): a byte of a lock file next to the
database, locked with fcntl; the kernel frees it when the process dies, and a
forked child does not inherit it.
"""

import atexit
import contextlib
import fcntl
import os
import secrets
import socket
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from core.ids import MAX_LEASED_WORKER, WorkerLease


class IdsUnavailable(RuntimeError):
    """No worker id could be leased: every one is held by a live process."""


@dataclass(frozen=True)
class Held:
    worker: int
    renew_at: float  # monotonic: renew when an id is made after this
    valid_until: float  # monotonic: never use the id after this


def _table() -> str:
    from core.models import IdWorkerLease

    return IdWorkerLease._meta.db_table


SqlValue = str | int | float | None  # the parameters these statements bind


class DatabaseLease:
    """A worker id leased in PostgreSQL; see the module docstring."""

    def __init__(
        self,
        *,
        seconds: float,
        database: dict[str, Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
        holder: str | None = None,
    ) -> None:
        self.seconds = seconds
        # Stop early by this much: covers clock rates drifting apart over a lease.
        self.margin = min(2.0, seconds / 10)
        self.database = database
        self.clock = clock
        self.holder = holder or f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"
        self.held: Held | None = None

    def worker_id(self) -> int:
        held = self.held
        if held is None:
            self.held = self._acquire()
            return self.held.worker
        now = self.clock()
        if now < held.renew_at:
            return held.worker
        try:
            renewed = self._renew(held.worker)
        except Exception:
            if now >= held.valid_until:
                raise  # no lease, no ids: never risk another holder's
            # The database is unreachable: the lease still runs; try again in a second.
            self.held = Held(held.worker, min(now + 1, held.valid_until), held.valid_until)
            return held.worker
        # Renewed: still ours (even past our deadline: nobody took it meanwhile).
        # Lost: it lapsed and another process holds it now, so lease another.
        self.held = renewed or self._acquire()
        return self.held.worker

    def release(self) -> None:
        """Give the id back now (at a clean exit): the next process may take it at once."""
        held, self.held = self.held, None
        if held is not None:
            self._execute(
                f"UPDATE {_table()} SET expires_at = '-infinity' "  # noqa: S608 - our table name
                "WHERE worker_id = %s AND holder = %s",
                [held.worker, self.holder],
            )

    # --- statements, each on a connection of its own ---------------------------

    def _acquire(self) -> Held:
        table = _table()
        started = self.clock()
        # 1. An id whose lease ran out (the oldest first); SKIP LOCKED keeps two
        #    processes off the same row, and the expiry is re-checked under the lock.
        # 2. Else the lowest id never leased; a race for it ends in the conflict.
        take_expired = (
            f"UPDATE {table} SET holder = %(holder)s, "  # noqa: S608 - our table name
            "expires_at = statement_timestamp() + %(seconds)s * interval '1 second' "
            f"WHERE worker_id = (SELECT worker_id FROM {table} "
            "WHERE expires_at < statement_timestamp() ORDER BY expires_at, worker_id "
            "LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING worker_id"
        )
        take_new = (
            f"INSERT INTO {table} (worker_id, holder, expires_at) "  # noqa: S608
            "SELECT n, %(holder)s, statement_timestamp() + %(seconds)s * interval '1 second' "
            "FROM generate_series(0, %(max)s) AS n "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE worker_id = n) "
            "ORDER BY n LIMIT 1 ON CONFLICT DO NOTHING RETURNING worker_id"
        )
        params: dict[str, SqlValue] = {
            "holder": self.holder,
            "seconds": self.seconds,
            "max": MAX_LEASED_WORKER,
        }
        count = f"SELECT count(*) FROM {table} WHERE expires_at >= statement_timestamp()"  # noqa: S608
        for _ in range(50):
            row = self._execute(take_expired, params) or self._execute(take_new, params)
            if row is not None:
                return self._held(row[0], started)
            live = self._execute(count, [])
            if live is not None and live[0] > MAX_LEASED_WORKER:
                raise IdsUnavailable(
                    f"all {MAX_LEASED_WORKER + 1} id worker ids are leased by live processes"
                )
            # Lost a race for the last free row: try again.
        raise IdsUnavailable("no id worker id could be leased (50 races lost)")

    def _renew(self, worker: int) -> Held | None:
        """Extend the lease; None when it is no longer ours (it lapsed and was taken)."""
        started = self.clock()
        row = self._execute(
            f"UPDATE {_table()} "  # noqa: S608 - our table name
            "SET expires_at = statement_timestamp() + %s * interval '1 second' "
            "WHERE worker_id = %s AND holder = %s RETURNING worker_id",
            [self.seconds, worker, self.holder],
        )
        return self._held(worker, started) if row is not None else None

    def _held(self, worker: int, started: float) -> Held:
        return Held(
            worker,
            renew_at=started + self.seconds / 3,
            valid_until=started + self.seconds - self.margin,
        )

    def _execute(
        self, sql: str, params: Sequence[SqlValue] | Mapping[str, SqlValue]
    ) -> tuple[Any, ...] | None:
        """Run one statement in autocommit on a new connection; its first row."""
        wrapper = connections.create_connection(DEFAULT_DB_ALIAS)
        options = {**wrapper.settings_dict.get("OPTIONS", {}), "connect_timeout": 5}
        wrapper.settings_dict = {
            **wrapper.settings_dict,
            "OPTIONS": options,
            **(self.database or {}),
        }
        try:
            with wrapper.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchone() if cursor.description else None
        finally:
            wrapper.close()


class FileLease:
    """A worker id held as an fcntl lock on one byte of a file (one machine: SQLite)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.worker: int | None = None

    def worker_id(self) -> int:
        if self.worker is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Kept open for the life of the process: closing any descriptor of the
            # file would drop this process's locks on it.
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            for worker in range(MAX_LEASED_WORKER + 1):
                try:
                    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, worker)
                except OSError:
                    continue
                self.worker = worker
                break
            else:
                os.close(fd)
                raise IdsUnavailable(f"all id worker ids of {self.path} are locked")
        return self.worker


def lease_for_settings() -> WorkerLease:
    """The lease of this process, for the configured database."""
    db = settings.DATABASES[DEFAULT_DB_ALIAS]
    if connections[DEFAULT_DB_ALIAS].vendor == "postgresql":
        lease = DatabaseLease(seconds=settings.ID_WORKER_LEASE_SECONDS)
        atexit.register(_release_quietly, lease)
        return lease
    name = str(db.get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:"):
        return FileLease(Path(tempfile.gettempdir()) / "warble-id-workers.lock")
    return FileLease(Path(f"{name}-id-workers"))


def _release_quietly(lease: DatabaseLease) -> None:
    if lease.held is not None and os.getpid() == int(lease.holder.rsplit(":", 2)[1]):
        with contextlib.suppress(Exception):
            lease.release()
