"""Celery tasks of notifications: thin, each calls one function.

Services and realtime send these by name (core.background), so that this module,
which imports them, is not imported back; notifications.apps registers it.
"""

from celery import shared_task
from django.core.cache import cache

from notifications import realtime, services


@shared_task(name=services.EMAIL_DIGEST_TASK, ignore_result=True, acks_late=True)
def send_email_digest(*, user_id: int) -> int:
    """One digest email of the user's pending emailable notifications (see services)."""
    return services.email_digest_send(user_id=user_id)


@shared_task(name=realtime.TRAILING_PUSH_TASK, ignore_result=True)
def push_post_updates_later(*, post_ids: list[int]) -> None:
    """The trailing push of a throttled post.updated window."""
    for post_id in post_ids:
        cache.delete(f"notifications:post-push-trailing:{post_id}")
    realtime.push_post_updates(post_ids=post_ids, throttled=False)
