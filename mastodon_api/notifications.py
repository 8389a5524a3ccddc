"""Mastodon's Notification entity and notifications API, over the notifications app.

Warble's verbs map to Mastodon's types: follow → `follow`, follow_request →
`follow_request`, like → `favourite`, retweet → `reblog`, reply and mention →
`mention`, quote → `quote` (Mastodon 4.5's type; its status is the quoting
post). `follow_approved` has no Mastodon type and is left out of this API (the
native API lists it). What a recipient sees is the notifications app's rule
(`notifications.selectors.visible_notifications`); rendering reuses its batch
gathering of targets (`NotificationRenderer.get_attrs`: the target posts the
viewer may see, in a fixed number of queries) and renders the posts as
Mastodon Statuses with mastodon_api.entities.
"""

from notifications.models import TargetType, Verb

VERB_TYPES: dict[str, str] = {
    Verb.FOLLOW: "follow",
    Verb.FOLLOW_REQUEST: "follow_request",
    Verb.LIKE: "favourite",
    Verb.RETWEET: "reblog",
    Verb.REPLY: "mention",
    Verb.MENTION: "mention",
    Verb.QUOTE: "quote",
}
TYPES = sorted(set(VERB_TYPES.values()))
WITH_STATUS = {"favourite", "reblog", "mention", "quote"}


def verbs_for(*, types: list[str] | None, exclude_types: list[str] | None) -> list[str]:
    """The verbs a `types[]` / `exclude_types[]` filter keeps (unknown types are
    ignored, as Mastodon does)."""
    wanted = set(types or []) & set(TYPES) if types else set(TYPES)
    wanted -= set(exclude_types or [])
    return sorted(verb for verb, kind in VERB_TYPES.items() if kind in wanted)


def render(*, viewer, notifications, request=None) -> list[dict]:
    """Mastodon Notifications for a page of rows, in a fixed number of queries; rows
    whose target the viewer may no longer see, and unmapped verbs, are left out."""
    from mastodon_api.entities import Accounts, StatusRenderer
    from notifications import selectors

    rows = [n for n in notifications if n.verb in VERB_TYPES]
    targets = selectors.notification_targets(viewer=viewer, notifications=rows)
    statuses = StatusRenderer(viewer=viewer, request=request)
    by_post = {int(s["id"]): s for s in statuses.render(targets.posts)}
    accounts: Accounts = statuses.accounts
    out = []
    for row in rows:
        kind = VERB_TYPES[row.verb]
        status = None
        if row.target_type == TargetType.POST:
            status = by_post.get(row.target_id)
            if status is None:
                continue  # the post is gone or hidden from the viewer: so is this
        out.append(
            {
                "id": str(row.id),
                "type": kind,
                "created_at": _iso(row.surfaced_at),
                "group_key": f"ungrouped-{row.id}",
                "account": accounts(row.actor),
                "status": status if kind in WITH_STATUS else None,
            }
        )
    return out


def _iso(value) -> str:
    from core.datetimes import iso_datetime

    return iso_datetime(value)
