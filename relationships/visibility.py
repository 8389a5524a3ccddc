"""Who may see whom: the relationship rules every read path applies.

The posts app's `visible_to` QuerySet method and its write services call these;
they are the only place that knows about blocks, private accounts and mutes.
Everything here is an EXISTS subquery over the pair indexes, never a Python
list of ids, so a viewer following or blocking thousands of accounts costs the
same as one following none. Where PostgreSQL would hash them anyway (the feed's
statements, whose generic plans expect a user's average follow count),
`probe=True` forbids it (core.subqueries.Probe).
"""

from django.db.models import Exists, OuterRef, Q

from accounts.viewer import Viewer, viewer_id
from core.subqueries import Probe
from relationships.models import Block, Follow, Mute


def block_between_q(*, viewer_id: int, user_field: str = "pk", probe: bool = False) -> Q:
    """True for rows whose user at `user_field` blocks the viewer or is blocked by them.
    `probe`: one index probe per row, never a hash of all the viewer's blocks (Probe)."""
    other = OuterRef(user_field)
    exists = Probe if probe else Exists
    return Q(exists(Block.objects.filter(blocker_id=viewer_id, blocked_id=other))) | Q(
        exists(Block.objects.filter(blocker_id=other, blocked_id=viewer_id))
    )


def follows_q(*, viewer_id: int, user_field: str = "pk", probe: bool = False) -> Q:
    """True for rows whose user at `user_field` the viewer follows (an approved follow).
    `probe`: one index probe per row, never a hash of all the viewer's follows (Probe)."""
    exists = Probe if probe else Exists
    return Q(exists(Follow.objects.filter(follower_id=viewer_id, followee_id=OuterRef(user_field))))


def author_visibility_q(*, viewer: Viewer, author_field: str = "author", probe: bool = False) -> Q:
    """A filter over rows with an author FK named `author_field` that keeps only
    rows whose author the viewer may see: an active account, not blocked in
    either direction, and public or followed by the viewer (or the viewer's own).
    An anonymous viewer sees public, active authors only. `author_field="pk"`
    filters a User queryset itself. `probe`: follows and blocks as Probe (the
    feed's statements)."""
    # "pk" filters users themselves (a user search); anything else is an FK path.
    attr = "{}" if author_field == "pk" else f"{author_field}__{{}}"
    active = Q(**{attr.format("is_active"): True, attr.format("deactivated_at__isnull"): True})
    public = Q(**{attr.format("is_private"): False})
    me = viewer_id(viewer)
    if me is None:
        return active & public
    own = Q(**{author_field: me})
    followed = follows_q(viewer_id=me, user_field=author_field, probe=probe)
    blocked = block_between_q(viewer_id=me, user_field=author_field, probe=probe)
    return active & (own | public | followed) & ~blocked


def is_blocked_between(*, user_id: int, other_id: int) -> bool:
    """True if either user blocks the other."""
    return Block.objects.filter(
        Q(blocker_id=user_id, blocked_id=other_id) | Q(blocker_id=other_id, blocked_id=user_id)
    ).exists()


# --- mutes: only the feed and notifications apply them ---------------------


def muted_user_ids_q(*, viewer: Viewer, author_field: str = "author") -> Q:
    """True for rows whose author at `author_field` the viewer mutes.
    Use as `.exclude(muted_user_ids_q(viewer=user))`; never true for anonymous viewers."""
    me = viewer_id(viewer)
    if me is None:
        return Q(pk__in=[])
    return Q(Exists(Mute.objects.filter(muter_id=me, muted_id=OuterRef(author_field))))
