"""Loaded into a test worker (`--include tests.integration.pool_probe`): tasks that
break their pool process the ways a signal can (config/pool_process.py), on their
first run only; every run leaves its process id in the cache the test reads."""

import os
import signal
import time

from celery import shared_task
from django.core.cache import cache
from django.db import transaction


def _ran(key: str) -> bool:
    """Note this run's process; True on the first run."""
    runs = cache.get(key, [])
    cache.set(key, [*runs, os.getpid()], 120)
    return not runs


@shared_task(name="tests.integration.pool_probe.leave_a_transaction_open")
def leave_a_transaction_open(key: str) -> None:
    """As when SystemExit lands on the first line of Atomic.__exit__: never closed."""
    if _ran(key):
        transaction.atomic().__enter__()


@shared_task(name="tests.integration.pool_probe.swallow_the_terminate_signal")
def swallow_the_terminate_signal(key: str) -> None:
    """As when cleanup code replaces billiard's SystemExit with another exception."""
    if _ran(key):
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler raises SystemExit here
        except SystemExit:
            pass
