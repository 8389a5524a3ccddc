"""A PostgreSQL cursor whose statements are planned once per connection.

Django binds parameters on the client and turns psycopg's automatic preparing
off, so nothing it runs is ever prepared: PostgreSQL parses and plans every
statement on every run. For the few statements that run on every request, that
costs more than running them (the feed's nested EXISTS: 0.5-0.9 ms of planning;
a post's write: a quarter of its PostgreSQL time). `prepared_cursor` binds on
the server and prepares every statement, and `plan_cache_mode=force_generic_plan`
(config/settings/base.py; it only concerns prepared statements, i.e. these)
keeps one plan per connection instead of planning each run. With
DB_PREPARED_STATEMENTS=0 (a pooler in transaction mode) psycopg prepares
nothing and the parameters are still bound on the server. Wrapped by Django, so
logging and query counts see it as usual.
"""

import functools
from typing import Any

from django.db import connection
from django.db.backends.utils import CursorWrapper


def prepared_cursor() -> CursorWrapper:
    """A cursor of the default connection that prepares what it runs."""
    connection.ensure_connection()
    cursor = preparing_cursor_class()(connection.connection)
    return connection._prepare_cursor(cursor)  # type: ignore[attr-defined, no-any-return]


@functools.cache
def preparing_cursor_class() -> Any:
    import psycopg
    from psycopg import _queries

    # psycopg caches the parsing of a statement's placeholders only for statements
    # under 4 KB (against ORMs' one-off bulk INSERTs); the feed templates are longer,
    # few and run on every read, so these cursors keep their own cache (parsing one
    # cost ~0.1 ms a run). psycopg is pinned; tests/tweets/feed/test_feed.py
    # (test_the_compiled_templates_are_parsed_once...) checks these internals still fit.
    parsed = functools.lru_cache(maxsize=64)(_queries._query2pg_nocache)

    class TemplateQuery(_queries.PostgresQuery):
        def convert(self, query: Any, vars: Any) -> None:
            if vars is None or not isinstance(query, str | bytes):
                return super().convert(query, vars)
            query = self._ensure_bytes(query)
            self.query, self._want_formats, self._order, self._parts = parsed(
                query, self._tx.encoding
            )
            self.dump(vars)

    class PreparingCursor(psycopg.Cursor):
        _query_cls = TemplateQuery

        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            super().execute(query, params, **{**kwargs, "prepare": True})
            if self._query is None and connection.queries_logged:
                # A prepared run keeps no text; Django's query log (DEBUG, tests) wants it.
                self._query = self._convert_query(query, params)
            return self

    PreparingCursor.parsed = parsed  # type: ignore[attr-defined]  # for the tests
    return PreparingCursor
