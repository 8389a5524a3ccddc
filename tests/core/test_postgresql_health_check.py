"""core.postgresql: the connection health check that polls the socket (no SELECT 1)."""

import time
from unittest import mock

import psycopg
import pytest
from django.db import connection, connections

pytestmark = pytest.mark.django_db(transaction=True)


def _other_connection() -> psycopg.Connection:
    params = connection.get_connection_params()
    return psycopg.connect(autocommit=True, **params)


def test_the_engine_is_ours():
    assert type(connections["default"]).__module__ == "core.postgresql.base"
    assert connection.vendor == "postgresql"


def test_an_idle_open_connection_is_usable_without_a_query():
    connection.ensure_connection()
    raw = connection.connection
    # Django's own check runs SELECT 1 on a raw psycopg cursor: none may be opened.
    with mock.patch.object(type(raw), "cursor", side_effect=AssertionError("a query ran")):
        assert connection.is_usable()


def test_a_connection_the_server_terminated_is_not_usable_and_is_replaced():
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    with _other_connection() as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    # The server's FATAL message and the close arrive asynchronously: wait for them
    # (an event, not a timeout: the loop ends as soon as the socket says so).
    deadline = time.monotonic() + 10
    while connection.is_usable() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not connection.is_usable()
    # What Django does before a request's first query: close, then reconnect.
    connection.health_check_done = False
    connection.close_if_health_check_failed()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid


def test_a_connection_inside_a_transaction_is_not_counted_usable():
    connection.ensure_connection()
    connection.set_autocommit(False)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        assert not connection.is_usable()
    finally:
        connection.rollback()
        connection.set_autocommit(True)
    assert connection.is_usable()


def test_a_closed_connection_is_not_usable():
    connection.ensure_connection()
    raw = connection.connection
    raw.close()
    assert not connection.is_usable()
    connections["default"].close()
