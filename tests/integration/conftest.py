"""Fixtures of the multi-process tests."""

import pytest

from tests.integration.celery_workers import Workers, broker


@pytest.fixture
def workers(transactional_db, settings):
    """Start Celery workers with `workers.start_worker(name)`; this process sends real tasks.

    Stopped (and their logs printed, which pytest shows on failure) before the
    database is flushed.
    """
    from core.tasks import run_handlers

    settings.CELERY_TASK_ALWAYS_EAGER = False
    run_handlers.app.conf.task_always_eager = False  # the autouse fixture resets it
    broker().purge()  # no task left over from another test
    with Workers() as started:
        yield started
    broker().purge()
