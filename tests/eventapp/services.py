"""The test app's writes: each publishes one test event (the catalogue check reads these)."""

from django.db import transaction

from core.events import publish
from tests.eventapp.events import Effect, Flaky, Indexed


@transaction.atomic
def effect_create(
    *, n: int = 0, sleep: float = 0, poison: bool = False, announce: bool = False
) -> int:
    return publish(Effect(n=n, sleep=sleep, poison=poison, announce=announce))


@transaction.atomic
def flaky_create() -> int:
    return publish(Flaky())


@transaction.atomic
def indexed_create() -> int:
    return publish(Indexed())
