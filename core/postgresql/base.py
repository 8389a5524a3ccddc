"""Django's PostgreSQL backend, with a connection health check that costs no query
and timestamps parsed by psycopg's C loader.

Web processes keep their connections between requests (CONN_MAX_AGE), and
`conn_health_checks` makes Django check a kept connection before a request's
first query, so one PostgreSQL dropped (a restart, `pg_terminate_backend`, an
idle-session killer) is replaced instead of failing that query. Django checks
with `SELECT 1`: a round trip on every request that touches the database.

An idle connection has nothing to read: the server only speaks when asked. A
server that dropped it sent its FATAL message and closed the socket, which
makes the socket readable. So the check here is a poll of the socket with no
timeout: anything to read on an idle connection (that message, the close, or an
unexpected notice) or a connection not idle counts as unusable, and Django
reconnects. tests/faults/test_postgres_connections_killed.py kills every
backend and checks each kind of request still succeeds.

Django reads `timestamptz` values with a loader of its own, a subclass of
psycopg's pure-Python one (psycopg's C loaders cannot be subclassed) that then
sets the zone Django expects: 3.3 µs a value, 40 and more per feed page. The
session's zone is Django's (it sets it on connecting), so when that is UTC,
psycopg's C loader gives the same datetime, `tzinfo=datetime.timezone.utc` and
all, in 0.2 µs (tests/core/test_postgresql_timestamps.py).
"""

import datetime
import select
from typing import Any, cast

import psycopg
from django.db.backends.postgresql import base
from psycopg import pq
from psycopg.abc import AdaptContext, Buffer
from psycopg.adapt import Loader

_TIMESTAMPTZ = psycopg.postgres.types["timestamptz"].oid
# psycopg registers one by default; with psycopg[binary] the map gives its C class.
_PSYCOPG_LOADER = cast(
    type[Loader], psycopg.postgres.adapters.get_loader(_TIMESTAMPTZ, pq.Format.TEXT)
)


class UtcTimestamptzLoader(Loader):
    """psycopg's own timestamptz loader (its C one with psycopg[binary]), with the
    `timezone` attribute Django's cursors check before registering theirs."""

    timezone = datetime.UTC

    def __init__(self, oid: int, context: AdaptContext | None = None) -> None:
        super().__init__(oid, context)
        # psycopg calls the `load` it finds on the instance: the C loader's own.
        self._loader = _PSYCOPG_LOADER(oid, context)
        self.load = self._loader.load  # type: ignore[method-assign]

    def load(self, data: Buffer) -> object:  # the instance's own replaces it
        return self._loader.load(data)


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: dict[str, Any]) -> psycopg.Connection:
        connection: psycopg.Connection = super().get_new_connection(conn_params)
        if self.timezone is datetime.UTC:  # USE_TZ, and the session zone is UTC
            connection.adapters.register_loader(_TIMESTAMPTZ, UtcTimestamptzLoader)
        return connection

    def is_usable(self) -> bool:
        conn = self.connection
        if conn is None or conn.closed or conn.broken:
            return False
        if conn.info.transaction_status != pq.TransactionStatus.IDLE:
            return False
        poller = select.poll()
        try:
            poller.register(conn.fileno(), select.POLLIN | select.POLLPRI)
            return not poller.poll(0)
        except (OSError, ValueError):
            return False
