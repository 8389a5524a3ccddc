"""Celery tasks of notifications: thin, each calls one function."""

from celery import shared_task
from django.core.cache import cache


@shared_task(name="notifications.send_email_digest", ignore_result=True, acks_late=True)
def send_email_digest(*, user_id: int) -> int:
    """One digest email of the user's pending emailable notifications (see services)."""
    from notifications.services import email_digest_send

    return email_digest_send(user_id=user_id)


@shared_task(name="notifications.push_post_updates", ignore_result=True)
def push_post_updates_later(*, post_ids: list[int]) -> None:
    """The trailing push of a throttled post.updated window."""
    from notifications.realtime import push_post_updates

    for post_id in post_ids:
        cache.delete(f"notifications:post-push-trailing:{post_id}")
    push_post_updates(post_ids=post_ids, throttled=False)
