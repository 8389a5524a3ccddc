"""Feed queries compiled to SQL once per process and run as prepared statements.

Building and compiling the feed's querysets (nested EXISTS, joins) cost ~25 ms of
Python per request and planning them 0.5-0.9 ms of PostgreSQL's time, more than
running them; the templates here are compiled from the very querysets the pull
feed uses (tweets.feed.rules), so every mode still applies one rule. They run
through core.postgresql.prepared's cursor.
"""

from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL

from accounts.viewer import SignedInViewer
from core.postgresql.arrays import int_array
from core.postgresql.prepared import prepared_cursor


class Compiled:
    """A queryset compiled to SQL once per process, run with a viewer's id and a list
    of entry ids.

    `build(viewer, ids_q)` gets a stand-in viewer whose pk is a marker and a filter
    `ids_q` restricting the base table's id to a marker array parameter; the markers
    are found in the compiled parameters and replaced on each run. `ids_in`: a
    subquery (SQL without parameters) the ids come from instead, for a template
    that is part of a bigger statement (tweets.feed.rules.entries_among)."""

    _VIEWER = -(2**62) + 7  # no real id or value: ids are positive
    _IDS = ["ids"]  # found by identity

    def __init__(
        self,
        model,
        build,
        *,
        with_ids: bool = True,
        prepared: bool = True,
        ids_in: str | None = None,
    ):
        # prepared=False: planned on each run, for a query whose best plan depends
        # on the viewer (a generic plan cannot know how many accounts they follow).
        self.model, self.build = model, build
        self.with_ids, self.prepared, self.ids_in = with_ids, prepared, ids_in
        self._sql: tuple[str, list] | None = None

    def _compile(self) -> tuple[str, list]:
        viewer = SignedInViewer(pk=self._VIEWER)
        # The table name comes from the model and the ids are a parameter or our own
        # subquery: no input in SQL.
        column = f'"{self.model._meta.db_table}"."id"'
        if self.ids_in is None:
            ids_q = RawSQL(f"{column} = ANY(%s)", (self._IDS,), output_field=BooleanField())  # noqa: S611
        else:
            ids_q = RawSQL(f"{column} IN ({self.ids_in})", (), output_field=BooleanField())  # noqa: S611
        queryset = self.build(viewer, ids_q)
        sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
        slots = ["ids" if p is self._IDS else "viewer" if p == self._VIEWER else p for p in params]
        wanted = int(self.with_ids and self.ids_in is None)
        if slots.count("ids") != wanted or "viewer" not in slots:
            raise RuntimeError("feed query markers lost in compilation")
        return sql, slots

    def template(self) -> tuple[str, list]:
        """The SQL (PostgreSQL) and its parameter slots: "viewer", "ids" or a value."""
        if self._sql is None:
            self._sql = self._compile()
        return self._sql

    def rows(self, viewer_id: int, ids: list[int] | None = None) -> list[tuple]:
        if connection.vendor != "postgresql":
            # `= ANY(array)` and prepared statements are PostgreSQL's; elsewhere (the
            # embedded SQLite mode) the queryset is built per call, with an IN list.
            viewer = SignedInViewer(pk=viewer_id)
            return list(self.build(viewer, Q(pk__in=ids) if self.with_ids else Q()))
        sql, slots = self.template()
        return run_template(sql, slots, viewer_id, ids, prepared=self.prepared)


def run_template(
    sql: str,
    slots: list,
    viewer_id: int,
    ids: list[int] | None,
    *,
    prepared: bool = True,
    limit: int | None = None,
    **named: object,
) -> list[tuple]:
    """Run a template with its slots filled: "viewer", "ids", "limit" and `named`."""
    array = None if ids is None else int_array(ids)
    marks = {"viewer": viewer_id, "ids": array, "limit": limit, **named}
    params = [marks[s] if isinstance(s, str) and s in marks else s for s in slots]
    with prepared_cursor() if prepared else connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
