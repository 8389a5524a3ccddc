"""The cursor of post search: where the last page ended, by rank and id.

Results ranked by relevance cannot be paged by id alone, so the cursor holds the
last post's (rank, id) and the next page is the keyset after it (stable while
new posts arrive); by `sort=latest` only its id is used. Only `next` links: a
search is read forward.
"""

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from core.pagination import (
    CURSOR_PARAM,
    BoundedPagination,
    envelope_schema,
    invalid_cursor,
    page_parameters,
    parse_limit,
)
from search.selectors import RankCursor

CURSOR_FORMAT = "search-cursor"


class SearchPagination(BoundedPagination):
    def read(self, request: Request) -> tuple[RankCursor | None, int]:
        self.request = request
        self.limit = parse_limit(request)
        token = request.query_params.get(CURSOR_PARAM)
        cursor = None
        if token:
            try:
                cursor = RankCursor.decode(token)
            except ValueError:
                raise invalid_cursor() from None
        return cursor, self.limit

    def paginate_rows(self, rows: list) -> list:
        page = rows[: self.limit]
        self.next_cursor = None
        if len(rows) > self.limit:
            last = page[-1]
            self.next_cursor = RankCursor(rank=float(getattr(last, "rank", 0.0)), id=last.id)
        return page

    def get_paginated_response(self, data) -> Response:
        link = None
        if self.next_cursor is not None:
            link = replace_query_param(
                self.request.build_absolute_uri(), CURSOR_PARAM, self.next_cursor.encode()
            )
        return Response({"results": data, "next": link, "previous": None})

    def get_paginated_response_schema(self, schema):
        return envelope_schema(schema)

    def get_schema_operation_parameters(self, view):
        return page_parameters(cursor_format=CURSOR_FORMAT)
