"""Cursor pagination (DESIGN.md §6): `{"results", "next", "previous"}`, never offsets.

Ordering is by the time-ordered id, newest first, so a cursor is stable while
new rows arrive: a page never repeats or skips an older row.
"""

from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    ordering = "-id"
    page_size = 20
    page_size_query_param = "limit"
    max_page_size = 100


class CreatedCursorPagination(IdCursorPagination):
    """For relation rows whose primary key is not time-ordered (follows, likes)."""

    ordering = ("-created_at", "-id")
