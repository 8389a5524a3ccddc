"""Event handlers of relationships (docs/events.md lists their ordering rules)."""

from accounts.events import UserErased
from core.events import Delivered, handler
from relationships import services


@handler(UserErased)
def drop_relationships_of_erased_users(events: list[Delivered[UserErased]]) -> None:
    """Idempotent: a second run finds nothing left to remove. Order does not
    matter: an erased account can no longer follow, so nothing comes after."""
    for delivered in events:
        services.user_relationships_erase(user_id=delivered.event.user_id)
