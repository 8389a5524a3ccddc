"""Names for the few raw SQL statements (INSERT ... ON CONFLICT) the ORM cannot write."""

from django.db import connection
from django.db.models import Field, Model


def quoted_column(model: type[Model], name: str) -> str:
    """The column of `model`'s concrete field `name`, quoted for the default database."""
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or field.column is None:
        raise ValueError(f"{model.__name__}.{name} is not a concrete field with a column")
    return connection.ops.quote_name(field.column)
