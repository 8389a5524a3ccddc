"""Admin for the event backbone: the outbox (read-only, with its numbers) and failed pairs."""

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse

from core.events.dispatch import replay
from core.events.status import status
from core.models import DeadLetter, EventDelivery, OutboxEvent

if TYPE_CHECKING:
    _OutboxEventModelAdmin = admin.ModelAdmin[OutboxEvent]
    _DeliveryModelAdmin = admin.ModelAdmin[EventDelivery]
else:  # ModelAdmin takes no type argument at run time
    _OutboxEventModelAdmin = _DeliveryModelAdmin = admin.ModelAdmin


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyMixin, _OutboxEventModelAdmin):
    list_display = ["id", "name", "created_at", "dispatched_at"]
    search_fields = ["=name", "=id"]
    ordering = ["-id"]
    show_full_result_count = False  # the outbox holds hours of events: no COUNT(*) per page
    readonly_fields = ["id", "name", "payload", "created_at", "dispatched_at"]

    def has_delete_permission(self, request: HttpRequest, obj: OutboxEvent | None = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = {**(extra_context or {}), "events_status": status()}
        return super().changelist_view(request, extra_context=extra_context)


@admin.action(description="Replay now (fresh round of retries)", permissions=["change"])
def replay_selected(
    modeladmin: "DeliveryAdminBase", request: HttpRequest, queryset: QuerySet[EventDelivery]
) -> None:
    sent = replay(queryset)
    modeladmin.message_user(request, f"Replayed {sent} of {queryset.count()}.", messages.SUCCESS)


class DeliveryAdminBase(ReadOnlyMixin, _DeliveryModelAdmin):
    list_display = [
        "event_id",
        "event_name",
        "handler",
        "state",
        "attempts",
        "next_attempt_at",
        "updated_at",
    ]
    list_filter = ["state", "handler"]
    search_fields = ["=event__id", "handler"]
    list_select_related = ["event"]
    ordering = ["-updated_at"]
    readonly_fields = [
        "event",
        "handler",
        "state",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "updated_at",
    ]
    actions = [replay_selected]

    @admin.display(description="event")
    def event_name(self, obj: EventDelivery) -> str:
        return obj.event.name

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # No edit form, but the replay action needs the change permission.
        return obj is None and request.user.has_perm("core.change_eventdelivery")


@admin.register(EventDelivery)
class EventDeliveryAdmin(DeliveryAdminBase):
    """Every pair that failed at least once: retrying or dead."""


@admin.register(DeadLetter)
class DeadLetterAdmin(DeliveryAdminBase):
    """Pairs that used all their attempts."""

    list_filter = ["handler"]
