"""Thin Celery tasks of media (routed to the `media` queue: CELERY_TASK_ROUTES)."""

from celery import Task, shared_task

from media import services

PROCESS_RETRIES = 5


@shared_task(
    bind=True, name="media.process", acks_late=True, ignore_result=True, max_retries=PROCESS_RETRIES
)
def process_media(self: Task[..., None], *, media_id: int) -> None:
    """A bad image fails the item inside the service; anything else (the storage
    unreachable) is retried with backoff, and after the last try the item is marked
    failed rather than left processing."""
    try:
        services.media_process(media_id=media_id)
    except Exception as exc:
        if self.request.is_eager or self.request.retries >= PROCESS_RETRIES:
            services.media_mark_failed(media_id=media_id, reason="Processing failed.")
            raise
        raise self.retry(exc=exc, countdown=5 * 2**self.request.retries) from exc


@shared_task(name="media.delete_unattached", ignore_result=True)
def delete_unattached() -> None:
    """Beat (hourly): uploads never attached within MEDIA_UNATTACHED_TTL_HOURS, in
    batches until none is left."""
    while services.media_delete_unattached():
        pass
