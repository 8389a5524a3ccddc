"""Event handlers of relationships (docs/events.md lists their ordering rules)."""

from core.events import Event, handler
from relationships import services


@handler("user.erased")
def drop_relationships_of_erased_users(events: list[Event]) -> None:
    """Idempotent: a second run finds nothing left to remove. Order does not
    matter: an erased account can no longer follow, so nothing comes after."""
    for event in events:
        services.user_relationships_erase(user_id=event.payload["user_id"])
