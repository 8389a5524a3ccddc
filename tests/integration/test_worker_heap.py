"""A Celery worker moves its startup objects out of the garbage collector's full
collections (config/celery.py, config.heap), in its main process, which takes
every message off the broker, and in the pool processes it forks, which run the
tasks."""

import uuid

import pytest
from django.core.cache import cache

from config.celery import app
from tests.integration.heap_probe import COMMAND, frozen_in_pool
from tests.integration.procs import wait_until

pytestmark = pytest.mark.integration

# Django, the apps and the task modules: far more than an interpreter starts with.
STARTUP_OBJECTS = 100_000


def test_a_worker_and_its_pool_processes_hold_their_startup_objects_frozen(workers):
    workers.start_worker("heap", include="tests.integration.heap_probe")
    [name] = workers.names

    replies = app.control.broadcast(COMMAND, reply=True, destination=[name], timeout=5, limit=1)
    assert replies, "the worker did not answer"
    assert replies[0][name]["frozen"] > STARTUP_OBJECTS

    key = f"test:heap:{uuid.uuid4().hex}"
    frozen_in_pool.apply_async(args=[key], queue="default")
    wait_until(lambda: cache.get(key) is not None, timeout=30, what="the pool process's answer")
    assert cache.get(key) > STARTUP_OBJECTS
