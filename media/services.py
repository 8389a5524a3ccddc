"""Every write to media: uploads, processing, alt text, attaching, deleting.

An upload is checked in the request (type from the bytes, pixel count from the
header, one decode for corrupt files: media.imaging.inspect) and stored raw in the
private storage; `media_process` (a Celery task on the `media` queue, or in
process in embedded mode) re-encodes it into the public media storage. Files are
deleted after the transaction that deletes their rows commits.

Avatars and banners use the same pipeline; when one is ready, media hands the
stored names to `accounts.services.user_images_set` (media calls accounts; accounts
knows nothing of media).
"""

import logging
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import IO

from celery import current_app
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import user_images_set
from core.errors import Invalid, NotFound, TooLarge, UnsupportedType
from core.events import publish
from media import imaging
from media.events import MediaUpdated
from media.models import MAX_ALT_TEXT, Media
from media.storage import media_storage, private_storage

logger = logging.getLogger(__name__)

MAX_ATTACHMENTS = 4

# Called with a post id, inside the transaction that changed one of its media: the
# posts app bumps the post's version there (tweets.apps), so whoever edited an
# alt text sees it in their next read, before any worker ran. The media.updated
# event still tells every handler afterwards (media never imports tweets).
_attached_media_changed: list[Callable[[int], None]] = []


def on_attached_media_changed(func: Callable[[int], None]) -> None:
    if func not in _attached_media_changed:
        _attached_media_changed.append(func)


PROCESS_TASK = "media.process"  # media.tasks.process_media
AVATAR_SIZES = {"small": 96, "large": 400}
BANNER_SIZES = {"small": 600, "large": 1500}


def _sizes(kind: str) -> dict[str, int]:
    if kind == Media.Kind.AVATAR:
        return AVATAR_SIZES
    if kind == Media.Kind.BANNER:
        return BANNER_SIZES
    return {"small": settings.MEDIA_SMALL_PX, "large": settings.MEDIA_LARGE_PX}


def _clean_alt_text(alt_text: str) -> str:
    if len(alt_text) > MAX_ALT_TEXT:
        raise Invalid(fields={"alt_text": [f"At most {MAX_ALT_TEXT} characters."]})
    return alt_text


def _clean_focus(focus: tuple[float, float]) -> tuple[float, float]:
    x, y = focus
    if not (-1.0 <= x <= 1.0 and -1.0 <= y <= 1.0):
        raise Invalid(fields={"focus": ["x and y must each be between -1.0 and 1.0."]})
    return x, y


def media_check_upload(*, file: IO[bytes], size: int | None) -> imaging.ImageInfo:
    """The upload's type and size, or the refusal: 413 over the cap, 415 not an image
    we take, 400 a bomb or a corrupt file."""
    if size is not None and size > settings.MEDIA_UPLOAD_MAX_BYTES:
        raise TooLarge(f"Uploads are limited to {settings.MEDIA_UPLOAD_MAX_BYTES} bytes.")
    try:
        return imaging.inspect(file, max_pixels=settings.MEDIA_MAX_PIXELS)
    except imaging.UnsupportedImage as exc:
        raise UnsupportedType(str(exc)) from exc
    except imaging.BadImage as exc:
        raise Invalid(fields={"file": [str(exc)]}, code="invalid_image") from exc


@transaction.atomic
def media_upload(
    *,
    owner: User,
    file: File,  # type: ignore[type-arg]
    alt_text: str = "",
    kind: str = Media.Kind.ATTACHMENT,
    focus: tuple[float, float] | None = None,
) -> Media:
    """Check and store an upload; its processing is queued after commit. `focus`: the
    focal point (x, y), each -1.0..1.0."""
    alt_text = _clean_alt_text(alt_text)
    focus_x, focus_y = _clean_focus(focus) if focus is not None else (None, None)
    info = media_check_upload(file=file, size=file.size)
    key = secrets.token_urlsafe(24)
    file.seek(0)
    upload_name = private_storage().save(f"media-uploads/{key}", file)
    media = Media.objects.create(
        owner=owner,
        kind=kind,
        key=key,
        upload_name=upload_name,
        content_type=info.mime_type,
        alt_text=alt_text,
        width=info.width,
        height=info.height,
        focus_x=focus_x,
        focus_y=focus_y,
    )
    # By name: media.tasks calls these services, so this module does not import it.
    transaction.on_commit(lambda: current_app.tasks[PROCESS_TASK].delay(media_id=media.id))
    return media


def _delete_files_on_commit(*, media_storage_names: list[str], private_names: list[str]) -> None:
    def delete() -> None:
        for storage, names in (
            (media_storage(), media_storage_names),
            (private_storage(), private_names),
        ):
            for name in names:
                try:
                    storage.delete(name)
                except OSError:  # gone already, or the store is down: the row is gone anyway
                    logger.warning("media: could not delete %s", name, exc_info=True)

    if media_storage_names or private_names:
        transaction.on_commit(delete)


def _fail(media: Media, reason: str) -> None:
    media.state = Media.State.FAILED
    media.failure_reason = reason[:200]
    media.processed_at = timezone.now()
    upload = media.upload_name
    media.upload_name = ""
    media.save(update_fields=["state", "failure_reason", "processed_at", "upload_name"])
    _delete_files_on_commit(media_storage_names=[], private_names=[upload] if upload else [])


@transaction.atomic
def media_process(*, media_id: int) -> Media | None:
    """Re-encode an upload: the original without metadata, the variants, the blurhash;
    `ready`, or `failed` with the reason. Idempotent: anything but `processing` is left
    alone (a redelivered task finds it done)."""
    media = Media.objects.select_for_update().filter(pk=media_id).first()
    if media is None or media.state != Media.State.PROCESSING:
        return media
    try:
        with private_storage().open(media.upload_name, "rb") as raw:
            rendered = imaging.render(
                raw,
                max_pixels=settings.MEDIA_MAX_PIXELS,
                sizes=_sizes(media.kind),
                square=media.kind == Media.Kind.AVATAR,
            )
    except FileNotFoundError:
        _fail(media, "The upload is gone.")
    except (imaging.UnsupportedImage, imaging.BadImage) as exc:
        _fail(media, str(exc))
    else:
        _store(media, rendered)
    publish(
        MediaUpdated(
            media_id=media.id, owner_id=media.owner_id, post_id=media.post_id, state=media.state
        )
    )
    if media.state == Media.State.READY and media.kind != Media.Kind.ATTACHMENT:
        _set_profile_image(media)
    return media


def _store(media: Media, rendered: imaging.Rendered) -> None:
    storage = media_storage()
    written: list[str] = []

    def save(encoded: imaging.Encoded) -> str:
        name = storage.save(
            f"{media.key}/{encoded.name}.{encoded.extension}", ContentFile(encoded.data)
        )
        written.append(name)
        return name

    try:
        media.original = save(rendered.original)
        media.variants = {
            v.name: {"name": save(v), "width": v.width, "height": v.height}
            for v in rendered.variants
        }
    except Exception:
        for name in written:  # no orphans in the public store
            storage.delete(name)
        raise
    upload = media.upload_name
    media.width, media.height = rendered.original.width, rendered.original.height
    media.blurhash = rendered.blurhash
    media.size_bytes = len(rendered.original.data) + sum(len(v.data) for v in rendered.variants)
    media.state = Media.State.READY
    media.processed_at = timezone.now()
    media.upload_name = ""
    media.save(
        update_fields=[
            "original", "variants", "width", "height", "blurhash", "size_bytes", "state",
            "processed_at", "upload_name",
        ]
    )  # fmt: skip
    _delete_files_on_commit(media_storage_names=[], private_names=[upload] if upload else [])


def _set_profile_image(media: Media) -> None:
    """The user's new avatar or banner; the one it replaces is deleted."""
    large = media.variants.get("large", {}).get("name", media.original)
    if media.kind == Media.Kind.AVATAR:
        user_images_set(user_id=media.owner_id, avatar=large)
    else:
        user_images_set(user_id=media.owner_id, banner=large)
    older = Media.objects.filter(owner_id=media.owner_id, kind=media.kind).exclude(pk=media.pk)
    media_delete_many(media=older)


@transaction.atomic
def media_mark_failed(*, media_id: int, reason: str) -> None:
    """Give up on an item still processing (its task ran out of retries)."""
    media = Media.objects.select_for_update().filter(pk=media_id).first()
    if media is None or media.state != Media.State.PROCESSING:
        return
    _fail(media, reason)
    publish(
        MediaUpdated(
            media_id=media.id, owner_id=media.owner_id, post_id=media.post_id, state=media.state
        )
    )


@transaction.atomic
def media_update(
    *,
    user: User,
    media_id: int,
    alt_text: str | None = None,
    focus: tuple[float, float] | None = None,
) -> Media:
    """Change the alt text and/or the focal point of your media item (404 for anyone
    else's). The focus is (x, y), each in -1.0..1.0."""
    media = Media.objects.select_for_update().filter(pk=media_id, owner=user).first()
    if media is None:
        raise NotFound("No such media.")
    changed = []
    if alt_text is not None:
        alt_text = _clean_alt_text(alt_text)
        if alt_text != media.alt_text:
            media.alt_text = alt_text
            changed.append("alt_text")
    if focus is not None:
        x, y = _clean_focus(focus)
        if (x, y) != (media.focus_x, media.focus_y):
            media.focus_x, media.focus_y = x, y
            changed += ["focus_x", "focus_y"]
    if changed:
        media.save(update_fields=changed)
        if media.post_id is not None:
            for react in _attached_media_changed:
                react(media.post_id)
        publish(
            MediaUpdated(
                media_id=media.id, owner_id=user.pk, post_id=media.post_id, state=media.state
            )
        )
    return media


def media_attach(*, owner: User, media_ids: Iterable[int], post_id: int) -> list[int]:
    """Attach media to a new post, in order, without repeats. Each must be the owner's
    own, an attachment, ready and attached to nothing: else a 400 naming the id.
    Call it inside the post's transaction (the rows are locked until it ends)."""
    ids = list(dict.fromkeys(int(media_id) for media_id in media_ids))
    if not ids:
        return []
    if len(ids) > MAX_ATTACHMENTS:
        raise Invalid(fields={"media_ids": [f"At most {MAX_ATTACHMENTS} media per post."]})
    found = {
        m.id: m
        for m in Media.objects.select_for_update()
        .filter(pk__in=ids)
        .only("id", "owner_id", "kind", "state", "post_id")
    }
    for media_id in ids:
        media = found.get(media_id)
        problem = None
        if media is None or media.owner_id != owner.pk or media.kind != Media.Kind.ATTACHMENT:
            problem = f"Unknown media id {media_id}."  # someone else's: not told apart
        elif media.state != Media.State.READY:
            problem = f"Media {media_id} is not ready ({media.state})."
        elif media.post_id is not None:
            problem = f"Media {media_id} is already attached to a post."
        if problem:
            raise Invalid(fields={"media_ids": [problem]}, code="invalid")
    Media.objects.filter(pk__in=ids).update(post_id=post_id)
    return ids


def media_delete_many(*, media: Iterable[Media]) -> int:
    """Delete media rows and (after commit) their files."""
    items = list(media)
    if not items:
        return 0
    public = [name for m in items for name in m.stored_names]
    private = [m.upload_name for m in items if m.upload_name]
    Media.objects.filter(pk__in=[m.pk for m in items]).delete()
    _delete_files_on_commit(media_storage_names=public, private_names=private)
    return len(items)


@transaction.atomic
def media_delete_for_posts(*, post_ids: list[int]) -> int:
    """The media of deleted posts, with their files."""
    return media_delete_many(media=Media.objects.filter(post_id__in=post_ids))


@transaction.atomic
def media_delete_of_user(*, user_id: int) -> int:
    """Every media item of an erased account, with its files."""
    return media_delete_many(media=Media.objects.filter(owner_id=user_id))


@transaction.atomic
def media_delete_unattached(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Uploads never attached to a post within MEDIA_UNATTACHED_TTL_HOURS (a batch)."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.MEDIA_UNATTACHED_TTL_HOURS)
    stale = Media.objects.filter(
        kind=Media.Kind.ATTACHMENT, post_id__isnull=True, created_at__lt=cutoff
    ).order_by("created_at")[:limit]
    return media_delete_many(media=stale)
