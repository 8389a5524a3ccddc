"""The few SQL statements the ORM cannot write: names for INSERT ... ON CONFLICT, and
several writes as one statement (`write_together`)."""

import functools
from collections.abc import Mapping
from typing import Any

from django.db import connection, transaction
from django.db.models import Field, Model, QuerySet
from django.db.models.sql import InsertQuery, UpdateQuery

from core.postgresql.prepared import prepared_cursor

# One SQL statement and its parameters, as the ORM compiles them.
Statement = tuple[str, tuple[Any, ...]]


def quoted_column(model: type[Model], name: str) -> str:
    """The column of `model`'s concrete field `name`, quoted for the default database."""
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or field.column is None:
        raise ValueError(f"{model.__name__}.{name} is not a concrete field with a column")
    return connection.ops.quote_name(field.column)


def insert_sql(obj: Model) -> Statement:
    """The INSERT the ORM would run to save the new `obj` (defaults and auto_now
    values applied; generated columns left to the database).

    The statement's text depends on the model only, so it is built once per model
    (compiling it was 11 % of a POST /posts); the values go through each field's
    `pre_save` and `get_db_prep_save`, as the ORM's compiler does. An expression
    value takes the compiler (tests/core/test_sql_write_together.py compares both)."""
    sql, fields = _insert_template(type(obj))
    values = [field.pre_save(obj, True) for field in fields]
    if any(hasattr(value, "resolve_expression") for value in values):
        return compiled_insert_sql(obj)
    params = tuple(
        field.get_db_prep_save(value, connection=connection)
        for field, value in zip(fields, values, strict=True)
    )
    return sql, params


def compiled_insert_sql(obj: Model) -> Statement:
    """insert_sql through the ORM's compiler."""
    fields = _inserted_fields(type(obj))
    query = InsertQuery(type(obj))
    query.insert_values(fields, [obj])
    [(sql, params)] = query.get_compiler(connection=connection).as_sql()
    return sql, tuple(params)


def _inserted_fields(model: type[Model]) -> "list[Field[Any, Any]]":
    return [f for f in model._meta.local_concrete_fields if not f.generated]


@functools.cache
def _insert_template(model: type[Model]) -> "tuple[str, tuple[Field[Any, Any], ...]]":
    fields = tuple(_inserted_fields(model))
    if any(hasattr(field, "get_placeholder") for field in fields):
        raise TypeError(f"{model.__name__} has a field with its own SQL placeholder")
    quote = connection.ops.quote_name
    columns = ", ".join(quoted_column(model, field.name) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    table = quote(model._meta.db_table)
    return f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", fields  # noqa: S608


def update_sql(queryset: QuerySet[Any], values: Mapping[str, Any]) -> Statement:
    """The UPDATE `queryset.update(**values)` would run (a plain filter, F() values)."""
    query = queryset.query.chain(UpdateQuery)
    assert isinstance(query, UpdateQuery)  # narrows the type for mypy
    query.add_update_values(dict(values))
    sql, params = query.get_compiler(connection=connection).as_sql()
    return sql, tuple(params)


def increment_sql(model: type[Model], *, pk: int, field: str, by: int) -> Statement:
    """The UPDATE `model.objects.filter(pk=pk).update(field=F(field) + by)` runs, its
    text built once per model and field: compiling that queryset cost ~0.27 ms, 6 %
    of a POST /posts in process (tests/core/test_sql_write_together.py compares both)."""
    return _increment_template(model, field), (by, pk)


@functools.cache
def _increment_template(model: type[Model], field: str) -> str:
    table = connection.ops.quote_name(model._meta.db_table)
    column = quoted_column(model, field)
    key = quoted_column(model, model._meta.pk.name)
    return f"UPDATE {table} SET {column} = {column} + %s WHERE {key} = %s"  # noqa: S608


def write_together(*statements: Statement) -> None:
    """INSERTs and UPDATEs (insert_sql, update_sql) run as one statement of
    data-modifying CTEs on PostgreSQL: one round trip, and outside a transaction
    one implicit transaction, so all or none of them happen. Elsewhere (SQLite)
    one after the other, in a transaction."""
    if connection.vendor != "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
        return
    parts = [f"w{i} AS ({sql})" for i, (sql, _) in enumerate(statements)]
    params = tuple(p for _, statement_params in statements for p in statement_params)
    # Prepared: the text depends on the statements' templates only (a post's write is
    # always the same), and parsing and planning it was a quarter of its PostgreSQL time.
    with prepared_cursor() as cursor:
        cursor.execute(f"WITH {', '.join(parts)} SELECT 1", params)
