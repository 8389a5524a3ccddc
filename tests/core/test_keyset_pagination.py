"""core.pagination keyset pieces: cursors, windows, merged pages, links."""

from types import SimpleNamespace

import pytest
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from core.pagination import KeysetPagination, KeysetWindow, decode_cursor, encode_cursor

ROWS = [SimpleNamespace(id=i) for i in range(1, 11)]  # keys 1..10


def request(query: str = "") -> Request:
    return Request(APIRequestFactory().get(f"/things?{query}"))


def fetch(window: KeysetWindow) -> list:
    """What a reader does: rows in the window, in window order, limit + 1 of them."""
    if window.ascending:
        rows = [r for r in ROWS if r.id > window.after]
    else:
        rows = [r for r in reversed(ROWS) if window.before is None or r.id < window.before]
    return rows[: window.fetch_size]


def page(query: str) -> tuple[list[int], str | None, str | None]:
    paginator = KeysetPagination()
    window = paginator.get_window(request(query))
    rows = paginator.paginate_rows(fetch(window))
    return [r.id for r in rows], paginator.next_cursor, paginator.previous_cursor


def test_cursor_round_trip():
    assert decode_cursor(encode_cursor(before=2**63 - 1)) == (2**63 - 1, None)
    assert decode_cursor(encode_cursor(after=7)) == (None, 7)


@pytest.mark.parametrize("bad", ["", "!!", "eDEyMw", "Yi0x", "YjEyYQ", encode_cursor(before=2**63)])
def test_malformed_cursors_are_refused(bad):
    with pytest.raises(ValueError, match="not a cursor"):
        decode_cursor(bad)


def test_walking_forward_and_back():
    first, next_cursor, previous = page("limit=4")
    assert (first, previous) == ([10, 9, 8, 7], None)
    second, next_cursor, previous = page(f"limit=4&cursor={next_cursor}")
    assert second == [6, 5, 4, 3]
    third, last_next, _ = page(f"limit=4&cursor={next_cursor}")
    assert (third, last_next) == ([2, 1], None)
    back, forward, previous_of_back = page(f"limit=4&cursor={previous}")
    assert back == first
    assert previous_of_back is None
    assert page(f"limit=4&cursor={forward}")[0] == second


def test_merge_keeps_window_order_and_size():
    window = KeysetWindow(limit=2, before=9)
    merged = window.merge([ROWS[7], ROWS[2]], [ROWS[5], ROWS[0]])
    assert [r.id for r in merged] == [8, 6, 3]
    ascending = KeysetWindow(limit=2, after=1)
    assert [r.id for r in ascending.merge([ROWS[7], ROWS[2]], [ROWS[5]])] == [3, 6, 8]


@pytest.mark.parametrize("query", ["limit=0", "limit=-1", "limit=abc", "cursor=zzz"])
def test_bad_parameters_are_validation_errors(query):
    with pytest.raises(ValidationError):
        KeysetPagination().get_window(request(query))


def test_limit_defaults_and_is_refused_past_the_maximum():
    """Past 100 is a 400 (it was capped silently; the schema says 1 to 100)."""
    assert KeysetPagination().get_window(request()).limit == 20
    assert KeysetPagination().get_window(request("limit=100")).limit == 100
    with pytest.raises(ValidationError):
        KeysetPagination().get_window(request("limit=500"))


def test_response_links_carry_the_cursor():
    paginator = KeysetPagination()
    window = paginator.get_window(request("limit=3&other=x"))
    paginator.paginate_rows(fetch(window))
    body = paginator.get_paginated_response([]).data
    assert body["previous"] is None
    assert body["next"].startswith("http://testserver/things?")
    assert "other=x" in body["next"]
    assert f"cursor={encode_cursor(before=8)}" in body["next"]
