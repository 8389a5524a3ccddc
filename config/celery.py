"""The Celery application. Workers: `celery -A config worker`; beat: `celery -A config beat`."""

import os
import warnings

from celery import Celery, Task
from celery.exceptions import CPendingDeprecationWarning
from celery.signals import (
    beat_init,
    celeryd_after_setup,
    task_postrun,
    task_prerun,
    worker_init,
)

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


@celeryd_after_setup.connect
def _quiet_the_cancel_notice(**kwargs: object) -> None:
    """Running tasks are not cancelled when the broker connection drops, on purpose
    (config/settings/tasks.py). Celery's notice of its future default, seven lines
    logged as a warning at every reconnect, tells an operator nothing. (After the
    worker's logging setup, which turns every Celery deprecation warning on.)"""
    warnings.filterwarnings(
        "ignore",
        message=r"\s*In Celery 5\.1 we introduced an optional breaking change",
        category=CPendingDeprecationWarning,
    )


@worker_init.connect
def _freeze_startup_objects(**kwargs: object) -> None:
    """Django, the apps and the task modules are loaded by now, and the prefork
    pool's processes are forked after it: they inherit the frozen generation.
    Unfrozen, the fan-out pool processes' full collections walked all they
    inherited: 141-704 ms each while fanning out to 5,000 followers, about 2 s
    per process in a small bench run; frozen, 2-88 ms (config/heap.py,
    bench/README.md, issue 18, sixth pass)."""
    from config.heap import freeze_startup_objects

    freeze_startup_objects()


@task_prerun.connect
@task_postrun.connect
def _recycle_database_connections(
    sender: "Task[..., object] | None" = None, **kwargs: object
) -> None:
    """Database connections outlive a task, as they outlive a web request: Django's
    request-start rule (CONN_MAX_AGE, and a health check before the next use, which
    reconnects after PostgreSQL dropped the connection). Celery's own rule closed
    them around every task (CELERY_DB_REUSE_MAX unset), and the connections a
    post's tasks opened cost more CPU than the tasks' work (bench/README.md).
    First, a pool process whose connection or exit a signal broke leaves
    (config/pool_process.py)."""
    if sender is not None and getattr(sender.request, "is_eager", False):
        return  # in process: the caller's connection, maybe inside its transaction
    from django.db import close_old_connections

    from config.pool_process import leave_if_unsound

    leave_if_unsound()
    close_old_connections()
