"""Every write to notifications. Keyword-only, typed, transactional.

Creation is idempotent and concurrency-safe: the unique constraint over the
cause decides, `get_or_create` runs the INSERT in a savepoint and, when a
concurrent transaction won the race (IntegrityError), reads the winner's row.
An existing notification the recipient already read is re-surfaced (unread, a
new `sort_id`, so it moves to the top) instead of duplicated; an unread one is
left alone (the recipient has not seen the first one yet).

What a notification causes outside the database (the WebSocket pushes, the
email digest) happens after commit and never twice for one change: only rows
this call created or re-surfaced are pushed.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Case, Q, QuerySet, Value, When
from django.utils import timezone

from accounts import selectors as accounts
from accounts.models import User
from core.background import send_task
from core.errors import Invalid
from core.ids import new_id
from core.sql import quoted_column
from notifications import realtime, selectors
from notifications.models import (
    NO_TARGET_ID,
    Mention,
    Notification,
    NotificationSettings,
    TargetType,
    Verb,
)
from relationships import selectors as relationships

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Cause:
    """Something that happened that `recipient_id` should hear about."""

    recipient_id: int
    actor_id: int
    verb: str
    target_type: str = TargetType.NONE
    target_id: int = NO_TARGET_ID

    @property
    def key(self) -> dict[str, str | int]:
        return {
            "recipient_id": self.recipient_id,
            "actor_id": self.actor_id,
            "verb": self.verb,
            "target_type": self.target_type,
            "target_id": self.target_id,
        }


def allowed_causes(causes: Iterable[Cause]) -> list[Cause]:
    """Drop what must never notify: your own actions, a block between the two
    users (either way), a recipient muting the actor, accounts that are gone.
    A fixed number of queries for the whole batch."""
    causes = [c for c in dict.fromkeys(causes) if c.actor_id != c.recipient_id]
    if not causes:
        return []
    pairs = {(c.recipient_id, c.actor_id) for c in causes}
    blocked = relationships.blocked_pairs(pairs)
    muting = relationships.muting_pairs(pairs)
    active = accounts.active_user_ids({i for pair in pairs for i in pair})
    return [
        c
        for c in causes
        if (c.recipient_id, c.actor_id) not in blocked
        and (c.recipient_id, c.actor_id) not in muting
        and c.recipient_id in active
        and c.actor_id in active
    ]


_CAUSE_FIELDS = ("recipient_id", "actor_id", "verb", "target_type", "target_id")


def _insert_new(causes: list[Cause]) -> dict[int, Cause]:
    """INSERT a notification per cause unless its cause already has one; return the
    ids inserted now with their causes. One statement: the unique constraint over
    the cause decides, so concurrent deliveries of one cause insert it once."""
    if not causes:
        return {}
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    table = connection.ops.quote_name(Notification._meta.db_table)
    columns = ", ".join(
        quoted_column(Notification, name)
        for name in ("id", "sort_id", "is_read", "created_at", "surfaced_at", *_CAUSE_FIELDS)
    )
    conflict = ", ".join(quoted_column(Notification, name) for name in _CAUSE_FIELDS)
    by_id = {new_id(): cause for cause in causes}
    params: list[int | str | bool | None] = []
    for nid, cause in by_id.items():
        params += [nid, nid, False, now, now, *(getattr(cause, name) for name in _CAUSE_FIELDS)]
    values = ", ".join(["(" + ", ".join(["%s"] * 10) + ")"] * len(by_id))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) VALUES {values} "  # noqa: S608 - names from model meta
            f"ON CONFLICT ({conflict}) DO NOTHING RETURNING id",
            params,
        )
        return {row[0]: by_id[row[0]] for row in cursor.fetchall()}


def _resurface(causes: list[Cause]) -> list[int]:
    """Re-surface the read notifications of these causes (already notified): unread
    again, a new sort_id (to the top), emailable again. Returns their ids. The rows
    are locked first, so of two deliveries racing to re-surface one, one moves it."""
    if not causes:
        return []
    keys = Q(
        *[Q(**{name: getattr(c, name) for name in _CAUSE_FIELDS}) for c in causes], _connector=Q.OR
    )
    read = list(
        Notification.objects.filter(keys, is_read=True)
        .select_for_update()
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if read:
        Notification.objects.filter(pk__in=read).update(
            is_read=False,
            sort_id=Case(*[When(pk=pk, then=Value(new_id())) for pk in read]),
            surfaced_at=timezone.now(),
            emailed_at=None,
        )
    return read


@transaction.atomic
def notify(*, causes: Iterable[Cause]) -> list[Notification]:
    """Create (or re-surface) a notification per allowed cause; return those the
    recipients should hear about, which are pushed and emailed after commit. A fixed
    number of queries for any number of causes."""
    allowed = allowed_causes(causes)
    created = _insert_new(allowed)
    known = set(created.values())
    news = [*created, *_resurface([c for c in allowed if c not in known])]
    fresh = list(Notification.objects.filter(pk__in=news).order_by("sort_id")) if news else []
    if fresh:
        by_recipient: dict[int, list[int]] = defaultdict(list)
        for notification in fresh:
            by_recipient[notification.recipient_id].append(notification.id)
        transaction.on_commit(lambda: _after_commit(dict(by_recipient)))
    return fresh


def _after_commit(ids_by_recipient: dict[int, list[int]]) -> None:
    """Push to sockets and schedule email digests. Best effort: a failure here is
    logged, never raised into the handler that already committed."""
    try:
        realtime.push_new_notifications(ids_by_recipient=ids_by_recipient)
    except Exception:
        logger.warning("pushing notifications failed", exc_info=True)
    try:
        schedule_email_digests(ids_by_recipient=ids_by_recipient)
    except Exception:
        logger.warning("scheduling email digests failed", exc_info=True)


@transaction.atomic
def withdraw(*, notifications: QuerySet[Notification]) -> int:
    """Delete notifications whose cause is gone; push the recipients' new unread counts."""
    affected = set(notifications.filter(is_read=False).values_list("recipient_id", flat=True))
    deleted, _ = notifications.delete()
    if affected:
        transaction.on_commit(lambda: _push_counts(affected))
    return deleted


def _push_counts(user_ids: set[int]) -> None:
    try:
        realtime.push_unread_counts(user_ids=user_ids)
    except Exception:
        logger.warning("pushing unread counts failed", exc_info=True)


# --- read state ------------------------------------------------------------------

MAX_READ_IDS = 500


@transaction.atomic
def notifications_mark_read(
    *,
    user: User,
    ids: list[int] | None = None,
    read_all: bool = False,
    max_id: int | None = None,
) -> int:
    """Mark the user's notifications read: these ids, all, or every one at or below
    `max_id` in the list order (the newest one the client has shown). Returns how
    many changed; pushes the new unread count to the user's other sockets."""
    chosen = sum(x is not None for x in (ids, read_all or None, max_id))
    if chosen != 1:
        raise Invalid("Send exactly one of ids, all or max_id.", code="one_of_ids_all_max_id")
    rows = Notification.objects.filter(recipient_id=user.pk, is_read=False)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    elif max_id is not None:
        # The client holds ids; the list is ordered by sort_id. A known id stands
        # for its position; an unknown one (deleted) is read as a time marker.
        marker = (
            Notification.objects.filter(recipient_id=user.pk, pk=max_id)
            .values_list("sort_id", flat=True)
            .first()
        )
        rows = rows.filter(sort_id__lte=marker if marker is not None else max_id)
    changed = rows.update(is_read=True)
    if changed:
        transaction.on_commit(lambda: _push_counts({user.pk}))
    return changed


@transaction.atomic
def notification_delete(*, user: User, notification_id: int) -> bool:
    """Delete one of the user's notifications; someone else's is left alone (no error)."""
    rows = Notification.objects.filter(recipient_id=user.pk, pk=notification_id)
    return withdraw(notifications=rows) > 0


@transaction.atomic
def notifications_clear(*, user: User) -> int:
    """Delete every notification of the user (the Mastodon API's `clear`); pushes
    the new unread count. Returns how many were deleted."""
    return withdraw(notifications=Notification.objects.filter(recipient_id=user.pk))


# --- settings --------------------------------------------------------------------


@transaction.atomic
def settings_update(*, user: User, email: dict[str, bool]) -> NotificationSettings:
    """Switch email digests on or off per verb; verbs not named keep their value."""
    unknown = sorted(set(email) - set(Verb.values))
    if unknown:
        raise Invalid(fields={"email": [f"Unknown verbs: {', '.join(unknown)}."]})
    row, _ = NotificationSettings.objects.select_for_update().get_or_create(user_id=user.pk)
    verbs = set(row.email_verbs or [])
    verbs |= {verb for verb, on in email.items() if on}
    verbs -= {verb for verb, on in email.items() if not on}
    row.email_verbs = [verb for verb in Verb.values if verb in verbs]
    row.save(update_fields=["email_verbs"])
    return row


# --- email digests -----------------------------------------------------------------


EMAIL_DIGEST_TASK = "notifications.send_email_digest"  # notifications.tasks.send_email_digest


def digest_key(user_id: int) -> str:
    return f"notifications:digest-scheduled:{user_id}"


def schedule_email_digests(*, ids_by_recipient: dict[int, list[int]]) -> None:
    """One digest per recipient per window: the first emailable notification of a
    burst schedules the task (countdown = the window); later ones find the key.
    The task clears the key before it gathers, so nothing that arrives after the
    gathering is left without a digest."""
    from django.core.cache import cache

    wants = selectors.email_verbs_for(user_ids=ids_by_recipient)
    if not wants:
        return
    verbs = dict(
        Notification.objects.filter(
            pk__in=[i for ids in ids_by_recipient.values() for i in ids]
        ).values_list("id", "verb")
    )
    delay = settings.NOTIFICATIONS_EMAIL_DIGEST_SECONDS
    for recipient_id, ids in ids_by_recipient.items():
        if not wants.get(recipient_id, set()) & {verbs.get(i) for i in ids}:
            continue
        # The key outlives the countdown so a late task still finds it set.
        if cache.add(digest_key(recipient_id), 1, timeout=delay * 2 + 60):
            send_task(EMAIL_DIGEST_TASK, kwargs={"user_id": recipient_id}, countdown=delay)


DIGEST_MAX_ITEMS = 50

_PHRASES: dict[str, str] = {
    Verb.FOLLOW: "{actor} followed you",
    Verb.FOLLOW_REQUEST: "{actor} asked to follow you",
    Verb.FOLLOW_APPROVED: "{actor} approved your follow request",
    Verb.LIKE: "{actor} liked your post",
    Verb.RETWEET: "{actor} reposted your post",
    Verb.REPLY: "{actor} replied to your post",
    Verb.QUOTE: "{actor} quoted your post",
    Verb.MENTION: "{actor} mentioned you",
}


def describe(notification: Notification) -> str:
    return _PHRASES[notification.verb].format(actor=f"@{notification.actor.username}")


def email_digest_send(*, user_id: int) -> int:
    """Email the user one digest of their unread, not yet emailed notifications of
    the verbs they opted into. Returns how many it covered (0: nothing sent).

    The settings row is locked for the whole run, so two digest tasks for one
    user (a redelivery, a second schedule) send one email between them; the
    rows are marked emailed in the same transaction.
    """
    from django.core.cache import cache

    cache.delete(digest_key(user_id))
    with transaction.atomic():
        row = NotificationSettings.objects.select_for_update().filter(user_id=user_id).first()
        user = User.objects.visible().filter(pk=user_id).first()
        if row is None or not row.email_verbs or user is None or not user.email:
            return 0
        pending = list(
            selectors.visible_notifications(user=user)
            .filter(is_read=False, emailed_at__isnull=True, verb__in=row.email_verbs)
            .order_by("-sort_id")[:DIGEST_MAX_ITEMS]
        )
        if not pending:
            return 0
        lines = [f"- {describe(n)}" for n in pending]
        count = len(pending)
        send_mail(
            subject=f"You have {count} new notification{'s' if count != 1 else ''} on Warble",
            message="\n".join([f"Hi @{user.username},", "", *lines, ""]),
            from_email=None,
            recipient_list=[user.email],
        )
        now = timezone.now()
        Notification.objects.filter(pk__in=[n.pk for n in pending]).update(emailed_at=now)
        row.last_digest_at = now
        row.save(update_fields=["last_digest_at"])
        return count


# --- mentions ----------------------------------------------------------------------


@transaction.atomic
def mentions_sync(*, wanted: dict[int, set[int]]) -> dict[int, tuple[set[int], set[int]]]:
    """Make each post's mention rows exactly `wanted[post_id]` (user ids); return
    (added, removed) per post. At most three queries for the whole batch."""
    existing = selectors.mentioned_user_ids(post_ids=wanted)
    changes = {}
    for post_id, user_ids in wanted.items():
        had = existing.get(post_id, set())
        changes[post_id] = (user_ids - had, had - user_ids)
    Mention.objects.bulk_create(
        [
            Mention(post_id=post_id, user_id=user_id)
            for post_id, (added, _) in changes.items()
            for user_id in added
        ],
        ignore_conflicts=True,
    )
    gone = [
        Q(post_id=post_id, user_id__in=removed)
        for post_id, (_, removed) in changes.items()
        if removed
    ]
    if gone:
        Mention.objects.filter(Q(*gone, _connector=Q.OR)).delete()
    return changes
