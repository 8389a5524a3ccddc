"""The numbers an operator watches: `manage.py events_status`, /readyz detail, the admin."""

from django.db.models import Min
from django.utils import timezone

from core.health import register_detail
from core.ids import id_to_datetime
from core.models import EventDelivery, OutboxEvent


def status(*, include_dispatched: bool = True) -> dict[str, int | float | None]:
    """Pending, dispatched, retrying and dead counts and the age of the oldest pending row.

    Counting dispatched rows scans the retained outbox (hours of events), so the
    readiness probe, called every few seconds, leaves it out.
    """
    pending = OutboxEvent.objects.filter(dispatched_at__isnull=True)
    oldest = pending.aggregate(oldest=Min("id"))["oldest"]
    numbers: dict[str, int | float | None] = {"pending": pending.count()}
    if include_dispatched:
        numbers["dispatched"] = OutboxEvent.objects.filter(dispatched_at__isnull=False).count()
    deliveries = EventDelivery.objects.all()
    numbers["retrying"] = deliveries.filter(state=EventDelivery.State.RETRYING).count()
    numbers["dead"] = deliveries.filter(state=EventDelivery.State.DEAD).count()
    numbers["oldest_pending_age_seconds"] = (
        round((timezone.now() - id_to_datetime(oldest)).total_seconds(), 3)
        if oldest is not None
        else None
    )
    return numbers


@register_detail
def readiness_detail() -> dict[str, object]:
    return {"events": status(include_dispatched=False)}
