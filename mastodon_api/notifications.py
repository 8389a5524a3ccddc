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


GROUPED_TYPES = {"favourite", "reblog", "follow"}  # Mastodon's defaults for grouped_types[]


def group(notifications: list[dict], *, grouped_types: set[str]) -> dict:
    """Mastodon 4.3's grouped notifications for a page of rendered Notifications
    (newest first): favourites and reblogs of one status, and follows, are grouped
    within the page; everything else is a group of one. Returns the
    GroupedNotificationsResults shape: the accounts and statuses once each, the
    groups in page order."""
    accounts: dict[str, dict] = {}
    statuses: dict[str, dict] = {}
    groups: dict[str, dict] = {}
    for item in notifications:
        kind = item["type"]
        status = item.get("status")
        if kind in grouped_types and kind in GROUPED_TYPES:
            key = f"{kind}-{status['id']}" if status else kind
        else:
            key = f"ungrouped-{item['id']}"
        accounts.setdefault(item["account"]["id"], item["account"])
        if status:
            statuses.setdefault(status["id"], status)
        found = groups.get(key)
        if found is None:
            groups[key] = {
                "group_key": key,
                "notifications_count": 1,
                "type": kind,
                "most_recent_notification_id": item["id"],
                "page_min_id": item["id"],
                "page_max_id": item["id"],
                "latest_page_notification_at": item["created_at"],
                "sample_account_ids": [item["account"]["id"]],
                "status_id": status["id"] if status else None,
            }
            continue
        found["notifications_count"] += 1
        found["page_min_id"] = min(found["page_min_id"], item["id"], key=int)
        found["page_max_id"] = max(found["page_max_id"], item["id"], key=int)
        if item["account"]["id"] not in found["sample_account_ids"][:8]:
            found["sample_account_ids"].append(item["account"]["id"])
    for found in groups.values():
        del found["sample_account_ids"][8:]
    return {
        "accounts": list(accounts.values()),
        "statuses": list(statuses.values()),
        "notification_groups": list(groups.values()),
    }
