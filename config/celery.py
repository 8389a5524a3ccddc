"""The Celery application. Workers: `celery -A config worker`; beat: `celery -A config beat`."""

import os

from celery import Celery
from celery.signals import beat_init, worker_init

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
