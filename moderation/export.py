""" "Your data": a zip of JSON files with everything the account holds (GDPR art. 15/20).

`export_request` records a pending DataExport (at most one per day and user:
409 `export_limit` otherwise) and queues the Celery task `moderation.build_
export`, which calls `export_build`: it writes one JSON file per kind of row
into a zip in `default_storage` under a random name (exports/<user id>/<uuid>.zip).
The file is never served by its storage URL: the owner downloads it through
the authenticated `GET /api/v1/users/me/export/<id>/download` (anyone else: 404).
Archives are deleted after EXPORT_RETENTION (7 days) by a daily beat task.
"""

import io
import json
import logging
import uuid
import zipfile
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from accounts.models import User
from core.background import send_task
from core.errors import Conflict, NotFound
from moderation.models import DataExport, ExportState
from notifications.models import Notification
from relationships.models import Block, Follow, FollowRequest, Mute
from tweets.models import Bookmark, Like, Post, PostEdit, Retweet

logger = logging.getLogger(__name__)

EXPORT_INTERVAL = timedelta(days=1)
# Archives (and their rows) are deleted this long after they were asked for
# (`export_prune`, the daily beat task `moderation.prune_exports`).
EXPORT_RETENTION = timedelta(days=7)
BUILD_TASK = "moderation.build_export"
PROFILE_FIELDS = (
    "id", "username", "email", "display_name", "bio", "location", "website", "avatar",
    "is_private", "created_at", "deactivated_at", "followers_count", "following_count",
    "posts_count",
)  # fmt: skip


@transaction.atomic
def export_request(*, user: User, now: datetime | None = None) -> DataExport:
    """Start an export of `user`'s data; one per EXPORT_INTERVAL (a failed one does not
    count). The row lock on the user serializes two requests at once."""
    now = now or timezone.now()
    User.objects.select_for_update().filter(pk=user.pk).first()
    last = (
        DataExport.objects.filter(user=user, created_at__gt=now - EXPORT_INTERVAL)
        .exclude(state=ExportState.FAILED)
        .order_by("-created_at")
        .first()
    )
    if last is not None:
        next_at = (last.created_at + EXPORT_INTERVAL).isoformat()
        raise Conflict(f"One export per day: the next can start at {next_at}.", code="export_limit")
    export = DataExport.objects.create(user=user, created_at=now)
    transaction.on_commit(lambda: send_task(BUILD_TASK, kwargs={"export_id": export.pk}))
    return export


def export_latest(*, user: User) -> DataExport:
    export = DataExport.objects.filter(user=user).order_by("-created_at", "-pk").first()
    if export is None:
        raise NotFound("You have not asked for an export yet.")
    return export


def export_file(*, user: User, export_id: int) -> DataExport:
    """The owner's ready export (anyone else's, or one not ready: 404)."""
    export = DataExport.objects.filter(pk=export_id, user=user, state=ExportState.READY).first()
    if export is None or not export.file_name:
        raise NotFound()
    return export


def _rows(queryset: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            key: (value.isoformat() if isinstance(value, datetime) else value)
            for key, value in row.items()
        }
        for row in queryset
    ]


def _values(model: type[Model], **filters: Any) -> Any:
    return model._default_manager.filter(**filters).order_by("pk")


def collect(*, user: User) -> dict[str, Any]:
    """Every row of the account, by file name (ids as numbers, times in ISO 8601)."""
    profile = _rows(User.objects.filter(pk=user.pk).values(*PROFILE_FIELDS))[0]
    return {
        "profile.json": profile,
        "posts.json": _rows(
            _values(Post, author=user).values(
                "id",
                "text",
                "reply_to_id",
                "quote_of_id",
                "conversation_id",
                "media_ids",
                "created_at",
                "edited_at",
                "deleted_at",
                "hidden_at",
                "like_count",
                "retweet_count",
                "reply_count",
                "quote_count",
            )
        ),
        "post_edits.json": _rows(
            _values(PostEdit, post__author=user).values("id", "post_id", "text", "edited_at")
        ),
        "retweets.json": _rows(_values(Retweet, user=user).values("id", "post_id", "created_at")),
        "likes.json": _rows(_values(Like, user=user).values("id", "post_id", "created_at")),
        "bookmarks.json": _rows(_values(Bookmark, user=user).values("id", "post_id", "created_at")),
        "following.json": _rows(
            _values(Follow, follower=user).values("followee_id", "followee__username", "created_at")
        ),
        "followers.json": _rows(
            _values(Follow, followee=user).values("follower_id", "follower__username", "created_at")
        ),
        "follow_requests_sent.json": _rows(
            _values(FollowRequest, requester=user).values(
                "target_id", "target__username", "created_at"
            )
        ),
        "follow_requests_received.json": _rows(
            _values(FollowRequest, target=user).values(
                "requester_id", "requester__username", "created_at"
            )
        ),
        "blocks.json": _rows(
            _values(Block, blocker=user).values("blocked_id", "blocked__username", "created_at")
        ),
        "mutes.json": _rows(
            _values(Mute, muter=user).values("muted_id", "muted__username", "created_at")
        ),
        "notifications.json": _rows(
            _values(Notification, recipient=user).values(
                "id", "verb", "actor_id", "target_type", "target_id", "is_read", "created_at"
            )
        ),
    }


def export_build(*, export_id: int) -> None:
    """Write the archive of a pending export (the task; idempotent: a ready export
    is left alone, a retry writes a fresh file)."""
    export = DataExport.objects.select_related("user").filter(pk=export_id).first()
    if export is None or export.state == ExportState.READY:
        return
    buffer = io.BytesIO()
    try:
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, content in collect(user=export.user).items():
                archive.writestr(name, json.dumps(content, indent=2, ensure_ascii=False))
        name = default_storage.save(
            f"exports/{export.user_id}/{uuid.uuid4().hex}.zip", ContentFile(buffer.getvalue())
        )
    except Exception:  # the owner sees "failed" and may ask again at once
        logger.exception("export %s failed", export_id)
        DataExport.objects.filter(pk=export_id).update(
            state=ExportState.FAILED, finished_at=timezone.now()
        )
        return
    DataExport.objects.filter(pk=export_id).update(
        state=ExportState.READY,
        file_name=name,
        size=buffer.getbuffer().nbytes,
        finished_at=timezone.now(),
    )


def export_prune(*, now: datetime | None = None) -> int:
    """Delete the archives and rows of exports older than EXPORT_RETENTION. Returns how
    many. A file already gone is no error; a row goes after its file."""
    now = now or timezone.now()
    old = DataExport.objects.filter(created_at__lt=now - EXPORT_RETENTION).order_by("pk")
    pruned = 0
    for export in old.iterator():
        if export.file_name:
            default_storage.delete(export.file_name)
        export.delete()
        pruned += 1
    return pruned
