"""Django's PostgreSQL backend, with a connection health check that costs no query.

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
"""

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
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
