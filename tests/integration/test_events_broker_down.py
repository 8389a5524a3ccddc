"""Writes succeed with the broker down; the sweeper delivers every event once it is back."""

import io
import json
import subprocess
import sys

import pytest
from django.core.management import call_command

from core.models import OutboxEvent
from tests.eventapp.models import EffectRow
from tests.integration.celery_workers import process_env
from tests.integration.procs import ROOT, free_port

pytestmark = pytest.mark.integration


def test_api_writes_succeed_without_a_broker_and_are_delivered_once_it_is_back(workers):
    dead_broker = f"amqp://guest:guest@127.0.0.1:{free_port()}//"  # nothing listens there
    writer = subprocess.run(
        [sys.executable, "-m", "tests.eventapp.write_effects", "5"],
        env=process_env(CELERY_BROKER_URL=dead_broker),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert writer.returncode == 0, writer.stderr[-3000:]
    results = json.loads(writer.stdout.strip().splitlines()[-1])
    assert [r["status"] for r in results] == [201] * 5
    ids = sorted(int(r["event_id"]) for r in results)
    assert "left for the sweeper" in writer.stderr  # dispatch was tried and failed quietly
    assert (
        sorted(OutboxEvent.objects.filter(dispatched_at__isnull=True).values_list("id", flat=True))
        == ids
    )

    workers.start_worker("worker")  # the broker is reachable again
    out = io.StringIO()
    call_command("dispatch_outbox", "--min-age", "0", stdout=out)
    assert out.getvalue().strip() == "dispatched 5 events, 0 retries"
    workers.wait_idle()

    assert sorted(EffectRow.objects.values_list("event_id", flat=True)) == ids  # once each
    assert not OutboxEvent.objects.filter(dispatched_at__isnull=True).exists()
    call_command("dispatch_outbox", "--min-age", "0", stdout=out)
    assert out.getvalue().strip().endswith("dispatched 0 events, 0 retries")
