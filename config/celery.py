"""The Celery application. Workers: `celery -A config worker`; beat: `celery -A config beat`."""

import os

from celery import Celery
from celery.signals import beat_init, task_postrun, task_prerun, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("warble")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _refuse_development_key(server: str) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from config.secret_key import refuse_development_key

    try:
        refuse_development_key(server=server)
    except ImproperlyConfigured as exc:
        # Celery logs an Exception from a signal handler and starts anyway.
        raise SystemExit(f"ImproperlyConfigured: {exc}") from exc


@worker_init.connect
def _refuse_development_key_in_worker(**kwargs: object) -> None:
    _refuse_development_key("a Celery worker")


@beat_init.connect
def _refuse_development_key_in_beat(**kwargs: object) -> None:
    _refuse_development_key("Celery beat")


@task_prerun.connect
@task_postrun.connect
def _recycle_database_connections(sender=None, **kwargs: object) -> None:
    """Database connections outlive a task, as they outlive a web request: Django's
    request-start rule (CONN_MAX_AGE, and a health check before the next use, which
    reconnects after PostgreSQL dropped the connection). Celery's own rule closed
    them around every task (CELERY_DB_REUSE_MAX unset), and the connections a
    post's tasks opened cost more CPU than the tasks' work (bench/README.md)."""
    if sender is not None and getattr(sender.request, "is_eager", False):
        return  # in process: the caller's connection, maybe inside its transaction
    from django.db import close_old_connections

    close_old_connections()
