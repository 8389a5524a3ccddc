"""Thin Celery tasks of media (routed to the `media` queue: CELERY_TASK_ROUTES)."""

from celery import shared_task

from media import services


@shared_task(name="media.process", acks_late=True, ignore_result=True)
def process_media(*, media_id: int) -> None:
    services.media_process(media_id=media_id)


@shared_task(name="media.delete_unattached", ignore_result=True)
def delete_unattached() -> None:
    """Beat (hourly): uploads never attached within MEDIA_UNATTACHED_TTL_HOURS, in
    batches until none is left."""
    while services.media_delete_unattached():
        pass
