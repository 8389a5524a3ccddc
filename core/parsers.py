"""JSON request bodies with a bound on nesting (DESIGN.md §6: bad input is a 400, never a 500).

`json` recurses once per level of nesting, so a 2 KB body of 1,000 nested
arrays raises RecursionError while parsing, or later in any code that walks
the value (serializers, the error formatter). No input of this API is nested
more than a few levels, so anything deeper than MAX_JSON_DEPTH is refused
before a view sees it.
"""

import json
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

# Containers (objects, arrays) inside one another; the deepest real input is 2.
MAX_JSON_DEPTH = 32


class JSONTooDeep(ValueError):
    def __init__(self) -> None:
        super().__init__(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.")


def check_depth(value: object, *, limit: int = MAX_JSON_DEPTH) -> None:
    """JSONTooDeep if `value` nests containers deeper than `limit` (iterative: no recursion)."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            raise JSONTooDeep()
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


def loads(text: str | bytes) -> Any:
    """`json.loads` that raises ValueError (never RecursionError) for over-deep documents."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise JSONTooDeep() from None
    check_depth(value)
    return value


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing over-deep documents with a 400 parse error."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            value = super().parse(stream, media_type, parser_context)
            check_depth(value)
        except (RecursionError, JSONTooDeep):
            raise ParseError(f"JSON parse error - {JSONTooDeep()}") from None
        return value
