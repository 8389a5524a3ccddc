"""Thin Celery tasks of moderation: they call moderation's services."""

from celery import shared_task

from moderation import export, services


@shared_task(name="moderation.build_export", acks_late=True, reject_on_worker_lost=True)
def build_export(*, export_id: int) -> None:
    export.export_build(export_id=export_id)


@shared_task(name="moderation.prune_exports")
def prune_exports() -> int:
    return export.export_prune()


@shared_task(name="moderation.expire_suspensions")
def expire_suspensions() -> int:
    return services.suspensions_expire()
