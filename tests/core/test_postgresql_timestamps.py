"""core.postgresql: timestamps read by psycopg's C loader give what Django's loader gives."""

import datetime

import psycopg
import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django.db.utils import DataError
from psycopg import pq

from core.postgresql.base import UtcTimestamptzLoader

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL backend"),
]

VALUES = [
    "timestamptz '2020-01-01 10:00:00.5+02'",
    "timestamptz '2020-06-01 00:00:00.000001+00'",
    "timestamptz '0001-01-01 00:00:00+00'",
    "timestamptz '1900-01-01 00:00:00+05:53:28'",
    "timestamptz '9999-12-31 23:59:59.999999+00'",
    "null::timestamptz",
]
TIMESTAMPTZ = psycopg.postgres.types["timestamptz"].oid


def _read(cursor) -> list:
    cursor.execute(f"SELECT {', '.join(VALUES)}")
    return list(cursor.fetchone())


def _loader():
    return connection.connection.adapters.get_loader(TIMESTAMPTZ, pq.Format.TEXT)


def test_the_c_loader_reads_what_djangos_loader_reads():
    connection.ensure_connection()
    assert _loader() is UtcTimestamptzLoader
    with connection.cursor() as cursor:
        ours = _read(cursor)
        for bad in ("'infinity'", "'-infinity'"):
            cursor.execute(f"SELECT {bad}::timestamptz")
            with pytest.raises(DataError, match="timestamp too"):
                cursor.fetchone()
    register_tzloader(connection.timezone, connection.connection)  # Django's own
    try:
        assert _loader() is not UtcTimestamptzLoader
        with connection.cursor() as cursor:
            djangos = _read(cursor)
            cursor.execute("SELECT 'infinity'::timestamptz")
            with pytest.raises(DataError, match="timestamp too"):
                cursor.fetchone()
    finally:
        connection.connection.adapters.register_loader(TIMESTAMPTZ, UtcTimestamptzLoader)
    assert ours == djangos
    assert ours[0] == datetime.datetime(2020, 1, 1, 8, 0, 0, 500000, tzinfo=datetime.UTC)
    assert all(value.tzinfo is datetime.UTC for value in ours if value is not None)


def test_without_utc_djangos_cursors_use_their_own_loader(settings):
    connection.ensure_connection()
    settings.USE_TZ = False  # the connection's zone is None: naive datetimes
    with connection.cursor() as cursor:
        values = _read(cursor)
    assert values[0] == datetime.datetime(2020, 1, 1, 8, 0, 0, 500000)
    assert all(value.tzinfo is None for value in values if value is not None)
