"""The event backbone against real Celery worker processes, PostgreSQL and Redis."""

import io

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from core.events import publish
from core.events.dispatch import Batch, send
from core.ids import new_id
from core.models import DeadLetter, EventDelivery, OutboxEvent, ProcessedEvent
from tests.eventapp.events import Effect, Flaky
from tests.eventapp.models import EffectRow, Fault
from tests.integration.celery_workers import broker
from tests.integration.procs import wait_until

pytestmark = pytest.mark.integration

RECORD = "tests.eventapp.handlers.record"
FLAKY = "tests.eventapp.handlers.flaky"


def applied(name: str = "record") -> list[int]:
    """Event ids the handler applied, one entry per application (duplicates stay visible)."""
    return sorted(EffectRow.objects.filter(handler=name).values_list("event_id", flat=True))


def test_a_batch_cut_by_sigkill_is_redelivered_and_applied_exactly_once(workers):
    # The dispatcher runs in the worker: it packs 4 events per handler task.
    first = workers.start_worker("first", EVENTS_BATCH_SIZE="4")
    with transaction.atomic():
        ids = [publish(Effect(sleep=0.25, announce=True)) for _ in range(16)]

    # The worker finished the first batch of 4 and is one event into the second.
    wait_until(lambda: cache.get(f"test:started:{ids[4]}"), timeout=30, interval=0.02)
    first.kill()  # SIGKILL, parent and prefork child: no ack, no cleanup

    assert applied() == ids[:4]  # the cut batch rolled back with the killed connection
    # Its task is neither acked nor lost: RabbitMQ put it back in the queue the
    # moment the connection died, ahead of the two batches never delivered.
    wait_until(lambda: broker().ready()["default"] == 3, timeout=5, what="the requeue")

    workers.start_worker("second", EVENTS_BATCH_SIZE="4")
    workers.wait_idle()

    assert applied() == ids  # every pair completed, none twice
    assert ProcessedEvent.objects.filter(handler=RECORD).count() == 16
    assert not EventDelivery.objects.exists()


def test_two_workers_on_the_same_batches_apply_each_event_once(workers, settings):
    events = OutboxEvent.objects.bulk_create(
        [
            OutboxEvent(
                id=new_id(),
                name="test.effect",
                payload={"sleep": 0.03},
                dispatched_at=timezone.now(),
            )
            for _ in range(40)
        ]
    )
    ids = [e.id for e in events]
    one, two = workers.start_worker("one"), workers.start_worker("two")

    # Every batch three times back to back: both workers take copies of the same
    # batch at the same moment (a redelivery racing the original).
    batches = [Batch(RECORD, "default", tuple(ids[i : i + 5])) for i in range(0, 40, 5)]
    assert send([b for b in batches for _ in range(3)]) == set()
    workers.wait_idle()

    assert applied() == ids
    assert ProcessedEvent.objects.filter(handler=RECORD).count() == 40
    assert "succeeded" in one.log()
    assert "succeeded" in two.log()  # both consumed: the no-duplicates claim was exercised


def test_an_always_failing_handler_becomes_one_dead_letter_and_replays_after_the_fix(
    workers, settings
):
    settings.EVENTS_MAX_ATTEMPTS = 3
    workers.start_worker("worker")  # EVENTS_MAX_ATTEMPTS=3, retries after ~0.05 s
    Fault.objects.create(name="flaky")
    with transaction.atomic():
        event_id = publish(Flaky())

    def dead() -> bool:
        call_command("dispatch_outbox", stdout=io.StringIO())  # the beat sweeper's job
        return DeadLetter.objects.filter(event_id=event_id).exists()

    wait_until(dead, timeout=60, interval=0.2, what="the dead letter")
    for _ in range(3):  # a dead letter is not retried by the sweeper
        call_command("dispatch_outbox", stdout=io.StringIO())
    workers.wait_idle()

    [letter] = EventDelivery.objects.all()
    assert (letter.event_id, letter.handler, letter.state) == (event_id, FLAKY, "dead")
    assert letter.attempts == 3
    assert "flaky is broken" in letter.last_error
    assert applied("flaky") == []
    assert applied("record") == [event_id]  # the event's other handler was not held back

    Fault.objects.all().delete()  # the fix
    out = io.StringIO()
    call_command("replay_dead_letters", "--handler", FLAKY, stdout=out)
    assert out.getvalue().strip() == "replayed 1 dead letters"
    wait_until(lambda: applied("flaky"), timeout=30, what="the replay")
    workers.wait_idle()

    assert applied("flaky") == [event_id]
    assert not EventDelivery.objects.exists()


def _backends() -> set[tuple[int, str]]:
    """(pid, start) of every connection to the test database but this one."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, backend_start::text FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return set(cursor.fetchall())


def test_a_worker_keeps_its_database_connection_from_task_to_task(workers):
    """Celery closed a worker's connections around every task (a new PostgreSQL
    backend for each); config/celery.py keeps them as Django keeps a web request's."""
    workers.start_worker("keeper", EVENTS_BATCH_SIZE="1")
    with transaction.atomic():
        publish(Effect())
    workers.wait_idle()
    kept = _backends()
    assert kept, "the worker's connection was closed after its task"

    with transaction.atomic():
        ids = [publish(Effect()) for _ in range(10)]
    workers.wait_idle()

    assert set(ids) <= set(applied())  # ten handler tasks (a batch each) and dispatches
    assert _backends() == kept  # the same backend served them all
