"""Every moderation write: reports, hiding posts, suspending users, the first pass.

Each moderator action goes through the owning app's service (tweets, accounts),
so its domain events, token revocation and cache versions are what any other
path would cause, and appends one record to the audit ledger in the same
transaction (moderation.audit). The stock admin delete is never used.
"""

from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import User
from core.errors import Invalid, NotAllowed
from core.results import CreateResult
from moderation import audit, blocklist
from moderation.models import Reason, Report, ReportState, TargetType
from relationships.selectors import user_get_visible_to
from tweets import services as tweets_services
from tweets.models import Post
from tweets.selectors import post_get_visible

HIDE_PERMISSION = "moderation.hide_post"
SUSPEND_PERMISSION = "moderation.suspend_user"
HANDLE_REPORT_PERMISSION = "moderation.change_report"


def _require(actor: User, permission: str) -> None:
    if not (actor.is_active and actor.is_staff and actor.has_perm(permission)):
        raise NotAllowed()


# --- reports -------------------------------------------------------------------------


@transaction.atomic
def report_create(
    *, reporter: User, target_type: str, target_id: int, reason: str, comment: str = ""
) -> CreateResult[Report]:
    """A user reports a post or a user they can see (else 404). One open report per
    (reporter, target): reporting again while it is open returns that report."""
    if target_type == TargetType.POST:
        post = post_get_visible(viewer=reporter, post_id=target_id)
        target_user_id, post_id = post.author_id, post.pk
    else:
        target_user_id, post_id = user_get_visible_to(viewer=reporter, user_id=target_id).pk, None
    if target_user_id == reporter.pk:
        raise Invalid(fields={"target_id": ["You cannot report yourself or your own posts."]})
    report = Report(
        reporter=reporter,
        target_type=target_type,
        target_id=target_id,
        post_id=post_id,
        target_user_id=target_user_id,
        reason=reason,
        comment=comment,
    )
    try:
        with transaction.atomic():
            report.save(force_insert=True)
    except IntegrityError:  # report_one_open_per_reporter: the open one stands
        existing = Report.objects.get(
            reporter=reporter, target_type=target_type, target_id=target_id, state="open"
        )
        return CreateResult(existing, created=False)
    return CreateResult(report, created=True)


def _open_reports(*, target_type: str, target_id: int) -> QuerySet[Report]:
    return Report.objects.filter(target_type=target_type, target_id=target_id, state="open")


def _close(*, reports: QuerySet[Report], moderator: User | None, state: str, note: str) -> int:
    return reports.update(
        state=state, handled_by=moderator, handled_at=timezone.now(), resolution_note=note[:500]
    )


@transaction.atomic
def report_close(*, moderator: User, report: Report, state: str, note: str = "") -> int:
    """Resolve (action taken) or dismiss (no action) a report, and with it every other
    open report of the same target: the decision is about the target. Audited once
    per report closed. Returns how many were closed (0: it was closed already)."""
    _require(moderator, HANDLE_REPORT_PERMISSION)
    if state not in (ReportState.RESOLVED, ReportState.DISMISSED):
        raise Invalid(fields={"state": ["resolved or dismissed"]})
    reports = _open_reports(target_type=report.target_type, target_id=report.target_id)
    ids = list(reports.select_for_update().values_list("pk", flat=True))
    closed = _close(reports=Report.objects.filter(pk__in=ids), moderator=moderator,
                    state=state, note=note)  # fmt: skip
    for report_id in ids:
        audit.append(
            actor=moderator,
            action=f"report.{state}",
            target_type="report",
            target_id=report_id,
            reason=note,
        )
    return closed


# --- posts -----------------------------------------------------------------------------


@transaction.atomic
def post_hide(*, moderator: User, post: Post, reason: str) -> bool:
    """Hide a post from every read path (404 to everyone through the API; moderators
    still see it in the admin). Resolves the post's open reports."""
    _require(moderator, HIDE_PERMISSION)
    if not tweets_services.post_set_hidden(post=post, hidden=True):
        return False
    audit.append(
        actor=moderator, action="post.hide", target_type="post", target_id=post.pk, reason=reason
    )
    _close(
        reports=_open_reports(target_type=TargetType.POST, target_id=post.pk),
        moderator=moderator,
        state=ReportState.RESOLVED,
        note=f"post hidden: {reason}",
    )
    return True


@transaction.atomic
def post_unhide(*, moderator: User, post: Post, reason: str) -> bool:
    _require(moderator, HIDE_PERMISSION)
    if not tweets_services.post_set_hidden(post=post, hidden=False):
        return False
    audit.append(
        actor=moderator, action="post.unhide", target_type="post", target_id=post.pk, reason=reason
    )
    return True


# --- users -----------------------------------------------------------------------------


@transaction.atomic
def user_suspend(
    *, moderator: User, user: User, reason: str, until: datetime | None = None
) -> bool:
    """Suspend an account (accounts.services.user_suspend: signed out everywhere,
    sockets and streams closed with 4401, the account and its content hidden) until
    `until`, or until a moderator lifts it. Resolves the open reports against it."""
    _require(moderator, SUSPEND_PERMISSION)
    if user.pk == moderator.pk or user.is_superuser:
        raise NotAllowed("Moderators cannot suspend themselves or a superuser.")
    if until is not None and until <= timezone.now():
        raise Invalid(fields={"until": ["The end of a suspension must be in the future."]})
    if not accounts_services.user_suspend(user=user, reason=reason, until=until):
        return False
    ends = f" (until {until.isoformat()})" if until else ""
    audit.append(
        actor=moderator,
        action="user.suspend",
        target_type="user",
        target_id=user.pk,
        reason=f"{reason}{ends}",
    )
    _close(
        reports=_open_reports(target_type=TargetType.USER, target_id=user.pk),
        moderator=moderator,
        state=ReportState.RESOLVED,
        note=f"user suspended: {reason}",
    )
    return True


@transaction.atomic
def user_unsuspend(*, moderator: User | None, user: User, reason: str) -> bool:
    """Lift a suspension (`moderator` None: it expired). Old tokens stay revoked."""
    if moderator is not None:
        _require(moderator, SUSPEND_PERMISSION)
    if not accounts_services.user_unsuspend(user=user):
        return False
    audit.append(
        actor=moderator,
        action="user.unsuspend" if moderator is not None else "user.suspension_expired",
        target_type="user",
        target_id=user.pk,
        reason=reason,
    )
    return True


def suspensions_expire(*, now: datetime | None = None) -> int:
    """Lift every suspension whose end date passed (the beat task `moderation.expire_
    suspensions`, every minute). `now` is injectable for tests. Returns how many."""
    now = now or timezone.now()
    due = User.objects.filter(
        is_active=False, suspended_at__isnull=False, suspended_until__lte=now
    ).order_by("pk")
    lifted = 0
    for user in due.iterator():
        lifted += user_unsuspend(moderator=None, user=user, reason="suspension ended")
    return lifted


# --- the automatic first pass ----------------------------------------------------------


def flag_posts(*, posts: Iterable[tuple[str, int]]) -> int:
    """Report, as the system, every post among (`key`, post id) whose current text
    matches the word or link blocklist (moderation.blocklist). `key` names the
    event that asked (`post.created:<id>`, `post.edited:<edit id>`): a second run
    of the same event files nothing, nor does another event while the post's
    system report is still open. Returns how many reports were filed."""
    wanted = dict(posts)
    if not wanted or not blocklist.enabled():
        return 0
    texts = Post.objects.filter(pk__in=set(wanted.values()), deleted_at__isnull=True).values_list(
        "id", "author_id", "text"
    )
    by_id = {post_id: (author_id, text) for post_id, author_id, text in texts}
    filed = 0
    for key, post_id in wanted.items():
        if post_id not in by_id:
            continue
        author_id, text = by_id[post_id]
        found = blocklist.matches(text)
        if found.words or found.links:
            filed += _file_system_report(
                key=key,
                post_id=post_id,
                author_id=author_id,
                # a blocked link is most often spam; a blocked word, abuse
                reason=Reason.SPAM if found.links else Reason.ABUSE,
                comment=found.describe(),
            )
    return filed


def _file_system_report(
    *, key: str, post_id: int, author_id: int, reason: str, comment: str
) -> bool:
    try:
        with transaction.atomic():
            Report.objects.create(
                reporter=None,
                target_type=TargetType.POST,
                target_id=post_id,
                post_id=post_id,
                target_user_id=author_id,
                reason=reason,
                comment=comment[:1000],
                auto_key=key,
            )
    except IntegrityError:  # this event's report, or the post's open one, exists
        return False
    return True
