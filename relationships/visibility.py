"""Who may see whom: the relationship rules every read path applies.

The posts app's `visible_to` QuerySet method and its write services call these;
they are the only place that knows about blocks and private accounts.

(First cut: no restrictions. The relationships issue fills in blocks and
private accounts behind the same signatures.)
"""

from django.db.models import Q


def author_visibility_q(*, viewer, author_field: str = "author") -> Q:
    """A filter over rows with an author FK named `author_field` that keeps only
    rows whose author the viewer may see: not blocked in either direction, and
    public or followed by the viewer (or the viewer's own)."""
    return Q()


def is_blocked_between(*, user_id: int, other_id: int) -> bool:
    """True if either user blocks the other."""
    return False


def can_see_user_content(*, viewer, author) -> bool:
    """Whether `viewer` (maybe anonymous) may see `author`'s posts."""
    return True
