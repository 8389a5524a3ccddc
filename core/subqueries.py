"""`Probe`: an EXISTS that PostgreSQL runs as one index probe per outer row."""

from typing import Any

from django.db.models import Exists, QuerySet


class Probe(Exists):
    """EXISTS, with `OFFSET 0` so that PostgreSQL cannot hash it.

    In an OR (`public OR followed`, `own OR followed`) PostgreSQL may plan an
    EXISTS as a *hashed* subplan: it reads every row the subquery can return (all
    of a viewer's follows) and hashes them, once per statement. A generic plan
    (the feed's prepared statements) expects a user's average number of follows,
    so it hashes, and for a reader following 5,000 the hash cost more than the
    rest of the page statement. An OFFSET keeps PostgreSQL from rewriting the
    subquery (simplify_EXISTS_query), which hashing needs; the limit Django adds
    stays, and the subquery remains one probe of the pair index per row.
    """

    template = "EXISTS(%(subquery)s OFFSET 0)"

    def __init__(self, queryset: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(queryset, **kwargs)
        # The template appends the OFFSET: one already there, or a FOR UPDATE,
        # would come before it and make the SQL invalid.
        if self.query.low_mark or self.query.select_for_update:
            raise ValueError("a Probe's subquery cannot have an offset or FOR UPDATE")
