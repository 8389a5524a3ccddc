"""Matching post text against a search query: the one place that knows how.

On PostgreSQL a post's text is indexed by a stored generated column,
`tweets_post.search_vector = to_tsvector('english', text)`, with a GIN index
(both created by the search app's PostgreSQL-only migration, so this model does
not declare them and SQLite never sees them). A query is parsed by
`websearch_to_tsquery('english', ...)`: words are stemmed ("running" finds
"run"), `"exact phrase"`, `-exclude` and `or` work as on web search engines,
and a query of stop words only matches nothing. An edit re-indexes the post by
itself (the column is generated from `text`).

Elsewhere (the embedded SQLite mode) a simple fallback: every word or quoted
phrase must occur in the text (case-insensitive `icontains`), every `-word`
must not; `or` and stemming are not supported there.

The search app (`search.selectors`) and the home feed's `?q=` (tweets.feed.rules)
both filter through `text_search_q`, so they can never disagree.
"""

import re
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Expression, Field, FloatField, Q

FTS_CONFIG = "english"
VECTOR_COLUMN = "search_vector"
# "quoted phrase", -"excluded phrase", -word, word
_TERM = re.compile(r'(-?)"([^"]*)"?|(-?)(\S+)')


def uses_fts() -> bool:
    """True where the generated column and its GIN index exist (PostgreSQL)."""
    return connection.vendor == "postgresql"


class _VectorSQL(Expression):
    """SQL over the search vector of the post row of the query it is compiled in:
    `template` with `{vector}` standing for "<alias>"."search_vector", where the
    alias is that query's own base table (a subquery's is U0, not tweets_post, so
    a match inside `id IN (SELECT ...)` never refers to the outer row)."""

    def __init__(
        self, template: str, params: tuple[str, ...], output_field: "Field[Any, Any]"
    ) -> None:
        super().__init__(output_field=output_field)
        self.template, self.params = template, params

    def as_sql(self, compiler, connection):  # type: ignore[no-untyped-def]
        alias = compiler.query.get_initial_alias()
        vector = (
            f"{compiler.quote_name_unless_alias(alias)}.{connection.ops.quote_name(VECTOR_COLUMN)}"
        )
        return self.template.format(vector=vector), self.params


_TSQUERY = f"websearch_to_tsquery('{FTS_CONFIG}', %s)"


def text_search_q(query: str) -> Q:
    """Posts (a queryset over Post itself) whose text matches `query`."""
    if uses_fts():
        return Q(_VectorSQL(f"{{vector}} @@ {_TSQUERY}", (query,), BooleanField()))
    return fallback_q(query)


def text_rank(query: str) -> Expression:
    """Relevance of a post's text to `query` (PostgreSQL only): ts_rank_cd, which
    counts how many query terms occur and how close together."""
    # float8: a real (float4) read as text and sent back would not compare equal,
    # and the search cursor compares ranks for equality.
    return _VectorSQL(f"ts_rank_cd({{vector}}, {_TSQUERY})::float8", (query,), FloatField())


def fallback_terms(query: str) -> tuple[list[str], list[str]]:
    """(required, excluded) terms of a web-search query, for the icontains fallback."""
    required: list[str] = []
    excluded: list[str] = []
    for match in _TERM.finditer(query):
        if match.group(2) is not None:
            negative, term = match.group(1), match.group(2).strip()
        else:
            negative, term = match.group(3), match.group(4)
        if not term or (not negative and term.lower() == "or"):
            continue
        (excluded if negative else required).append(term)
    return required, excluded


def fallback_q(query: str) -> Q:
    """The embedded mode's match: every required term contained, no excluded one."""
    required, excluded = fallback_terms(query)
    if not required:
        return Q(pk__in=[])  # like websearch_to_tsquery: nothing to look for, no match
    q = Q()
    for term in required:
        q &= Q(text__icontains=term)
    for term in excluded:
        q &= ~Q(text__icontains=term)
    return q
