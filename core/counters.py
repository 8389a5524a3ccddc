"""Bulk counter moves: many rows' counters in a fixed number of statements."""

from collections import Counter, defaultdict

from django.db.models import F, Model, Value
from django.db.models.functions import Greatest


def decrement(model: type[Model], field: str, counts: Counter[int]) -> None:
    """Take `counts[pk]` off `field` of each row, never below zero: one UPDATE per
    distinct amount (usually one), rows in pk order."""
    by_amount: dict[int, list[int]] = defaultdict(list)
    for pk, amount in counts.items():
        by_amount[amount].append(pk)
    for amount, pks in sorted(by_amount.items()):
        model._default_manager.filter(pk__in=sorted(pks)).update(
            **{field: Greatest(F(field) - amount, Value(0))}
        )
