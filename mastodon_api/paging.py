"""Mastodon's paging: `max_id`, `since_id`, `min_id`, `limit` in, `Link` out.

`Page.from_request` parses the query (ids as strings of digits; anything else
is a 400 in the error shape). A list is read newest first below `max_id` and
above `since_id`; with `min_id` it is read oldest first right above `min_id`
(Mastodon's "newer page") and returned newest first, as Mastodon does.
`Page.apply(queryset, field)` does it for a queryset; `Page.window` gives the
`core.pagination.KeysetWindow` Warble's selectors take (`since_id` there
behaves as `min_id`: those selectors read one bound at a time).
`link_header(request, page, ids)` writes `Link: <...max_id=..>; rel="next",
<...min_id=..>; rel="prev"` from the page's paging ids (for lists whose paging
id is not the entity id, e.g. follows, the caller passes the row ids).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError

from core.pagination import KeysetWindow

DEFAULT_LIMIT = 20
MAX_LIMIT = 40
_MAX_ID = 2**63 - 1


def _id(request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value in (None, ""):
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= 19 and int(value) <= _MAX_ID):
        raise ValidationError({name: ["Must be an id."]}, code="invalid")
    return int(value)


@dataclass(frozen=True)
class Page:
    limit: int
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None

    @classmethod
    def from_request(cls, request, *, default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT):
        raw = request.query_params.get("limit")
        limit = default
        if raw not in (None, ""):
            if not (raw.isascii() and raw.isdigit() and len(raw) <= 6):
                raise ValidationError({"limit": ["Must be a number."]}, code="invalid")
            limit = max(1, min(int(raw), maximum))
        return cls(
            limit=limit,
            max_id=_id(request, "max_id"),
            since_id=_id(request, "since_id"),
            min_id=_id(request, "min_id"),
        )

    @property
    def ascending(self) -> bool:
        return self.min_id is not None

    @property
    def window(self) -> KeysetWindow:
        after = self.min_id if self.min_id is not None else self.since_id
        if after is not None:
            return KeysetWindow(limit=self.limit, after=after)
        return KeysetWindow(limit=self.limit, before=self.max_id)

    def apply(self, queryset: QuerySet, field: str = "id") -> QuerySet:
        """At most `limit + 1` rows of the page, in read order (see `finish`)."""
        if self.max_id is not None:
            queryset = queryset.filter(**{f"{field}__lt": self.max_id})
        if self.since_id is not None:
            queryset = queryset.filter(**{f"{field}__gt": self.since_id})
        if self.min_id is not None:
            queryset = queryset.filter(**{f"{field}__gt": self.min_id}).order_by(field)
        else:
            queryset = queryset.order_by(f"-{field}")
        return queryset[: self.limit + 1]

    def finish(self, rows: Sequence, *, window: bool = False) -> tuple[list, bool]:
        """(the page's rows newest first, whether older rows exist). `rows`: what
        `apply` (or a selector given `window`) returned, limit + 1 at most."""
        rows = list(rows)
        more = len(rows) > self.limit
        rows = rows[: self.limit]
        ascending = self.window.ascending if window else self.ascending
        if ascending:
            rows.reverse()
            more = True  # older rows exist: the ones below min_id
        return rows, more


def link_header(request, page: Page, ids: Sequence[int], *, more: bool = True) -> str | None:
    """`Link` with the next (older) and prev (newer) pages; None for an empty page."""
    if not ids:
        return None
    base = request.build_absolute_uri(request.path)
    kept = {
        k: v for k, v in request.query_params.lists() if k not in ("max_id", "since_id", "min_id")
    }

    def url(**bound: int) -> str:
        params = [(k, v) for k, values in kept.items() for v in values]
        params += [(k, str(v)) for k, v in bound.items()]
        return f"{base}?{urlencode(params)}"

    links = []
    if more:
        links.append(f'<{url(max_id=min(ids))}>; rel="next"')
    links.append(f'<{url(min_id=max(ids))}>; rel="prev"')
    return ", ".join(links)


def paged(response, request, page: Page, ids: Sequence[int], *, more: bool = True):
    """Set the Link header on a response (returns it)."""
    link = link_header(request, page, ids, more=more)
    if link:
        response["Link"] = link
    return response
