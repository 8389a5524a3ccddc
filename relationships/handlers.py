"""Event handlers of relationships (docs/events.md lists their ordering rules)."""

from accounts.events import UserErased
from core import chunked
from core.events import Delivered, handler
from relationships import erasure
from relationships.events import RelationshipsErasureContinued


@handler(UserErased, RelationshipsErasureContinued, transactional=False)
def drop_relationships_of_erased_users(
    events: list[Delivered[UserErased | RelationshipsErasureContinued]],
) -> None:
    """Chunked and resumable (relationships.erasure): steps until the budget is spent,
    then a RelationshipsErasureContinued takes the rest to the next run. Order does
    not matter: an erased account can no longer follow, so nothing comes after."""
    chunked.run_each(
        (delivered.event.user_id for delivered in events),
        step=lambda user_id: erasure.erase_step(user_id=user_id),
        hand_on=lambda user_id: erasure.continue_later(user_id=user_id),
    )
