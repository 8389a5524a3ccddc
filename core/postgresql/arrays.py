"""Array parameters as PostgreSQL literals."""

from collections.abc import Iterable


def int_array(values: Iterable[int]) -> str:
    """`values` as a PostgreSQL array literal, for a parameter whose type the statement
    gives (`id = ANY(%s)`): psycopg dumps a list element by element in Python, 140 µs
    for a feed page's two lists of 42 ids, against 7 µs for this text. Ints only, so
    nothing in it needs quoting."""
    return "{" + ",".join(map(str, map(int, values))) + "}"
