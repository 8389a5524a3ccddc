"""Cursor pagination (DESIGN.md §6): `{"results", "next", "previous"}`, never offsets.

Ordering is by the time-ordered id, newest first, so a cursor is stable while
new rows arrive: a page never repeats or skips an older row.
"""

import base64
import binascii
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import BasePagination, Cursor, CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

if TYPE_CHECKING:
    # Not at run time: DRF's GenericAPIView imports the default pagination class.
    from rest_framework.views import APIView

# An OpenAPI schema object, as drf-spectacular builds them.
Schema = dict[str, Any]
M = TypeVar("M", bound=Model)
R = TypeVar("R")

CURSOR_PARAM = "cursor"
LIMIT_PARAM = "limit"
DEFAULT_LIMIT = 20
MAX_LIMIT = 100


def invalid_cursor() -> ValidationError:
    return ValidationError({CURSOR_PARAM: ["Invalid cursor."]}, code="invalid")


def parse_limit(request: Request, *, default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT) -> int:
    """The page size `?limit=` asks for: 1 to `maximum`, else a 400 (never capped
    or ignored silently: the schema says 1 to 100, and so does the answer)."""
    raw = request.query_params.get(LIMIT_PARAM)
    if raw in (None, ""):
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6 and 1 <= int(raw) <= maximum):
        raise ValidationError({LIMIT_PARAM: [f"An integer from 1 to {maximum}."]}, code="invalid")
    return int(raw)


def page_parameters(*, cursor_format: str, maximum: int = MAX_LIMIT) -> list[Schema]:
    """The `cursor` and `limit` query parameters of a paginated list, for the schema."""
    return [
        {
            "name": CURSOR_PARAM,
            "required": False,
            "in": "query",
            "description": "Opaque position from a previous page's `next` or `previous` link.",
            "schema": {"type": "string", "format": cursor_format},
        },
        {
            "name": LIMIT_PARAM,
            "required": False,
            "in": "query",
            "description": f"Page size (default {DEFAULT_LIMIT}, 1 to {maximum}; else a 400).",
            "schema": {"type": "integer", "minimum": 1, "maximum": maximum},
        },
    ]


class IdCursorPagination(CursorPagination):
    """DRF's cursor pagination, with its input checked: a cursor whose position is
    not a value of the ordering column ("p=abc", a date for an id, an id past
    64 bits) reached the database and answered 500; now every bad cursor and
    every bad `limit` is a 400 (DRF answers 404 for the cursors it checks)."""

    ordering: str | tuple[str, ...] = "-id"
    page_size = DEFAULT_LIMIT
    page_size_query_param = LIMIT_PARAM
    max_page_size = MAX_LIMIT
    # The cursor encodes DRF's (offset, reverse, position) triple, the position an id
    # (schema format; tests/security/schemathesis_hooks.py generates such cursors).
    cursor_format = "position-cursor"

    def paginate_queryset(
        self,
        queryset: QuerySet[M, R] | Sequence[R],
        request: Request,
        view: "APIView | None" = None,
    ) -> list[R] | None:
        if not isinstance(queryset, QuerySet):
            raise TypeError("IdCursorPagination pages querysets")
        self._model: type[Model] = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def get_page_size(self, request: Request) -> int:
        return parse_limit(request, default=self.page_size, maximum=self.max_page_size)

    def decode_cursor(self, request: Request) -> Cursor | None:
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise invalid_cursor() from None
        if cursor is not None and cursor.position is not None:
            self._check_position(cursor.position)
        return cursor

    def _check_position(self, position: object) -> None:
        ordering = (self.ordering,) if isinstance(self.ordering, str) else self.ordering
        field = self._model._meta.get_field(ordering[0].lstrip("-"))
        try:
            value = field.to_python(position)  # type: ignore[union-attr]
            field.run_validators(value)  # type: ignore[union-attr]  # the column's range
        except DjangoValidationError:
            raise invalid_cursor() from None
        if isinstance(value, dt.datetime):
            try:
                if value.tzinfo is None:
                    raise ValueError("naive")
                value.astimezone(dt.UTC)
            except (ValueError, OverflowError):
                raise invalid_cursor() from None

    def get_paginated_response_schema(self, schema: Schema) -> Schema:
        return envelope_schema(schema)

    def get_schema_operation_parameters(self, view: "APIView") -> list[Schema]:
        return page_parameters(cursor_format=self.cursor_format, maximum=self.max_page_size)


class CreatedCursorPagination(IdCursorPagination):
    """For relation rows whose primary key is not time-ordered (follows, likes)."""

    ordering = ("-created_at", "-id")
    # The position is a time (schema format).
    cursor_format = "time-position-cursor"


# --- keyset pagination over time-ordered ids ---------------------------------
# For lists that are not one queryset (a user's posts merged with their
# retweets, a home feed read from Redis) and for any list keyed by a unique,
# time-ordered integer. The cursor is an opaque token holding the key of the
# last (or first) row shown, so a merged list sorted by key paginates exactly
# like a single table.


class Keyed(Protocol):
    """A row of a keyset list: its key is its time-ordered id."""

    @property
    def id(self) -> int: ...


K = TypeVar("K", bound=Keyed)


def _row_id(row: Keyed) -> int:
    return row.id


@dataclass(frozen=True)
class KeysetWindow:
    """Which slice of a newest-first list to read.

    `before`: rows with key < before, newest first (the "next" direction).
    `after`: rows with key > after, oldest first (walking back toward newer rows).
    Neither: the newest rows. A reader fetches `limit + 1` rows in this order so
    the paginator knows whether more exist.
    """

    limit: int
    before: int | None = None
    after: int | None = None

    @property
    def ascending(self) -> bool:
        return self.after is not None

    @property
    def fetch_size(self) -> int:
        return self.limit + 1

    def apply(self, queryset: QuerySet[M, R], field: str = "id") -> QuerySet[M, R]:
        """Filter, order and slice a queryset to this window (at most limit + 1 rows)."""
        if self.after is not None:
            queryset = queryset.filter(**{f"{field}__gt": self.after}).order_by(field)
        else:
            if self.before is not None:
                queryset = queryset.filter(**{f"{field}__lt": self.before})
            queryset = queryset.order_by(f"-{field}")
        return queryset[: self.fetch_size]

    def merge(self, *row_lists: Sequence[K], key: Callable[[K], int] = _row_id) -> list[K]:
        """Merge lists each already fetched with this window into one, in window order."""
        rows = sorted(
            (row for rows in row_lists for row in rows), key=key, reverse=not self.ascending
        )
        return rows[: self.fetch_size]


def encode_cursor(*, before: int | None = None, after: int | None = None) -> str:
    token = f"b{before}" if before is not None else f"a{after}"
    return base64.urlsafe_b64encode(token.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int | None, int | None]:
    """(before, after) from a cursor token; ValueError if it is not one of ours."""
    try:
        token = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError("not a cursor") from None
    direction, digits = token[:1], token[1:]
    if direction not in ("a", "b") or not digits.isdigit() or len(digits) > 19:
        raise ValueError("not a cursor")
    key = int(digits)
    if key >= 2**63:
        raise ValueError("not a cursor")
    return (key, None) if direction == "b" else (None, key)


class KeysetPagination(BasePagination):
    """`{"results", "next", "previous"}` over a newest-first list keyed by a unique integer.

    With a queryset, it works as any DRF pagination class (`paginate_queryset`).
    For merged lists: `window = paginator.get_window(request)`, fetch up to
    `window.fetch_size` rows per source with `window.apply(...)` (or a Redis
    range), `rows = window.merge(...)`, then `page = paginator.paginate_rows(rows)`.
    """

    cursor_query_param = CURSOR_PARAM
    limit_query_param = LIMIT_PARAM
    default_limit = DEFAULT_LIMIT
    max_limit = MAX_LIMIT
    key_field = "id"
    # The cursor encodes one key and a direction (schema format).
    cursor_format = "keyset-cursor"

    def get_window(self, request: Request) -> KeysetWindow:
        self.request = request
        limit = parse_limit(request, default=self.default_limit, maximum=self.max_limit)
        before = after = None
        cursor = request.query_params.get(self.cursor_query_param)
        if cursor:
            try:
                before, after = decode_cursor(cursor)
            except ValueError:
                raise invalid_cursor() from None
        self.window = KeysetWindow(limit=limit, before=before, after=after)
        return self.window

    def paginate_rows(self, rows: Sequence[R], key: Callable[[R], int] | None = None) -> list[R]:
        """Trim rows fetched for `self.window` to a page, newest first, and set the links."""
        if key is None:
            key = self._key_of
        window = self.window
        has_more = len(rows) > window.limit
        page = list(rows[: window.limit])
        if window.ascending:
            page.reverse()
        self.next_cursor = self.previous_cursor = None
        if page:
            newest, oldest = key(page[0]), key(page[-1])
            # Walking back (ascending) we came from an older page, so "next" exists;
            # walking forward from a cursor, the page we came from is "previous".
            if has_more or window.ascending:
                self.next_cursor = encode_cursor(before=oldest)
            if (window.ascending and has_more) or (not window.ascending and window.before):
                self.previous_cursor = encode_cursor(after=newest)
        elif window.before is not None:
            self.previous_cursor = encode_cursor(after=window.before - 1)
        elif window.after is not None:
            self.next_cursor = encode_cursor(before=window.after + 1)
        return page

    def _key_of(self, row: object) -> int:
        key: int = getattr(row, self.key_field)
        return key

    def paginate_queryset(
        self,
        queryset: QuerySet[M, R] | Sequence[R],
        request: Request,
        view: "APIView | None" = None,
    ) -> list[R]:
        if not isinstance(queryset, QuerySet):
            raise TypeError("KeysetPagination pages querysets; merged lists use paginate_rows")
        window = self.get_window(request)
        return self.paginate_rows(list(window.apply(queryset, self.key_field)))

    def _link(self, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, cursor)

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {
                "results": data,
                "next": self._link(self.next_cursor),
                "previous": self._link(self.previous_cursor),
            }
        )

    def get_paginated_response_schema(self, schema: Schema) -> Schema:
        return envelope_schema(schema)

    def get_schema_operation_parameters(self, view: "APIView") -> list[Schema]:
        return page_parameters(cursor_format=self.cursor_format, maximum=self.max_limit)


def envelope_schema(results_schema: Schema) -> Schema:
    link = {"type": "string", "nullable": True, "format": "uri"}
    return {
        "type": "object",
        "required": ["results", "next", "previous"],
        "properties": {"results": results_schema, "next": link, "previous": link},
    }


class BoundedPagination(BasePagination):
    """The same envelope for lists bounded by nature (the relationships of at most
    100 ids, at most 50 suggestions): every row in one page, `next` and
    `previous` null. Clients read every list the same way."""

    def paginate_queryset(
        self,
        queryset: QuerySet[M, R] | Sequence[R],
        request: Request,
        view: "APIView | None" = None,
    ) -> list[R]:
        return list(queryset)

    def get_paginated_response(self, data: Any) -> Response:
        return Response({"results": data, "next": None, "previous": None})

    def get_paginated_response_schema(self, schema: Schema) -> Schema:
        return envelope_schema(schema)

    def get_schema_operation_parameters(self, view: "APIView") -> list[Schema]:
        return []
