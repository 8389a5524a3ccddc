"""A pool process a signal broke leaves before its next task, and that task runs in
the fresh process billiard forks (config/pool_process.py)."""

import uuid

import pytest
from django.core.cache import cache
from django.db import transaction

from core.events import publish
from tests.eventapp.events import Effect
from tests.eventapp.models import EffectRow
from tests.integration import pool_probe
from tests.integration.procs import wait_until

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "probe",
    [pool_probe.leave_a_transaction_open, pool_probe.swallow_the_terminate_signal],
    ids=["a transaction nothing will end", "a swallowed terminate signal"],
)
def test_a_broken_pool_process_leaves_and_its_task_and_the_next_run_in_a_fresh_one(workers, probe):
    worker = workers.start_worker("pool", include="tests.integration.pool_probe")
    key = f"test:pool:{uuid.uuid4().hex}"
    probe.apply_async(args=[key], queue="default")

    # The broken run's task goes back to the queue and runs again, elsewhere.
    runs = wait_until(lambda: len(cache.get(key, [])) >= 2 and cache.get(key), timeout=60)
    broken, fresh = runs[0], runs[1]
    assert fresh != broken
    assert "leaves:" in worker.log()

    with transaction.atomic():
        event_id = publish(Effect())
    wait_until(lambda: EffectRow.objects.filter(event_id=event_id).exists(), timeout=60)
    assert EffectRow.objects.get(event_id=event_id).worker_pid == fresh
    assert "atomic block" not in worker.log()
