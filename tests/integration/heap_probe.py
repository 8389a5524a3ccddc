"""Loaded into a test worker (`--include tests.integration.heap_probe`): how many
objects the garbage collector holds frozen in the worker's main process (a
remote-control command, answered there) and in a pool process (a task, which
leaves its answer in the cache the test reads)."""

import gc

from celery import shared_task
from celery.worker.control import inspect_command
from django.core.cache import cache

COMMAND = "test_heap_frozen"


@inspect_command(name=COMMAND)
def test_heap_frozen(state) -> dict[str, int]:
    return {"frozen": gc.get_freeze_count()}


@shared_task(name="tests.integration.heap_probe.frozen_in_pool")
def frozen_in_pool(key: str) -> None:
    cache.set(key, gc.get_freeze_count(), 60)
