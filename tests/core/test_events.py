"""The event backbone in one process: outbox, dispatch, idempotent delivery, retries.

Celery runs eagerly here (the embedded mode's code path); tests/integration/
test_events_*.py run the same against a real worker process. Most tests use
`transactional_db` so that commits, `on_commit` and row locks are real.
"""

import io
import json
import logging
import threading
from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from kombu.exceptions import OperationalError

from core.events import Delivered, delivery, dispatch, handler, publish, registry
from core.events.registry import HandlerSpec
from core.events.retention import prune
from core.ids import min_id_for, new_id
from core.models import DeadLetter, EventDelivery, OutboxEvent, ProcessedEvent
from core.tasks import dispatch_now, run_handler, run_handlers
from tests.eventapp.events import Effect, Flaky, Indexed
from tests.eventapp.models import EffectRow, Fault

RECORD = "tests.eventapp.handlers.record"
FLAKY = "tests.eventapp.handlers.flaky"
INDEX = "tests.eventapp.handlers.index_in_redis"


def effects(name: str = "record") -> list[int]:
    return sorted(EffectRow.objects.filter(handler=name).values_list("event_id", flat=True))


def make_events(count: int, name: str = "test.effect", *, age_seconds: float = 0, **payload):
    """Outbox rows written directly (no dispatch), optionally `age_seconds` old."""
    base = min_id_for(timezone.now() - timedelta(seconds=age_seconds)) if age_seconds else None
    rows = [
        OutboxEvent(id=(base + i if base else new_id()), name=name, payload=dict(payload))
        for i in range(count)
    ]
    return OutboxEvent.objects.bulk_create(rows)


class FakeBroker:
    """Stands in for the broker (not eager): records the `run_handlers` tasks unrun
    (`tasks`) and their handler batches (`sent`), and runs each `core.dispatch_now`
    dispatcher at once, as a worker would."""

    def __init__(self, monkeypatch, *, down: bool = False) -> None:
        self.sent: list[tuple[str, str, list[int]]] = []
        self.tasks: list[dict] = []
        self.dispatchers = 0
        self.down = down
        run_handlers.app.conf.task_always_eager = False  # the autouse fixture resets it
        monkeypatch.setattr(run_handlers, "apply_async", self.apply_async)
        monkeypatch.setattr(dispatch_now, "apply_async", self.queue_dispatcher)

    def _refuse_if_down(self) -> None:
        if self.down:
            raise OperationalError("Error 111 connecting to 127.0.0.1:1. Connection refused.")

    def apply_async(self, *, kwargs, queue):
        self._refuse_if_down()
        self.tasks.append({"queue": queue, **kwargs})
        self.sent += [(queue, handler, ids) for handler, ids in kwargs["batches"]]

    def queue_dispatcher(self, *, countdown=None):
        self._refuse_if_down()
        self.dispatchers += 1
        dispatch_now()  # the worker's side

    def ids(self, handler_key: str = RECORD) -> list[int]:
        return sorted(i for _, key, ids in self.sent if key == handler_key for i in ids)


# --- publish ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_publish_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match=r"inside transaction\.atomic"):
        publish(Effect())
    assert not OutboxEvent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("event", "error", "message"),
    [
        ({"name": "test.effect"}, TypeError, "takes a DomainEvent instance"),
        (Effect, TypeError, "takes a DomainEvent instance"),
        (Effect(n=[1, 2]), TypeError, r"test\.effect\.n is a list: ids and scalars only"),
    ],
)
def test_publish_takes_only_event_instances_of_scalars(event, error, message):
    with transaction.atomic(), pytest.raises(error, match=message):
        publish(event)
    assert not OutboxEvent.objects.exists()


def publish_then_fail() -> None:
    with transaction.atomic():
        publish(Effect())
        raise ZeroDivisionError("the write fails after publishing")


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_write_publishes_nothing():
    with pytest.raises(ZeroDivisionError):
        publish_then_fail()

    assert not OutboxEvent.objects.exists()
    assert effects() == []


@pytest.mark.django_db(transaction=True)
def test_an_event_in_a_rolled_back_savepoint_is_dropped_and_its_sibling_delivered():
    with transaction.atomic():
        kept = publish(Effect())
        with pytest.raises(ZeroDivisionError):
            publish_then_fail()

    assert list(OutboxEvent.objects.values_list("id", flat=True)) == [kept]
    assert effects() == [kept]


@pytest.mark.django_db(transaction=True)
def test_handlers_run_after_commit_once_and_the_event_is_marked_dispatched():
    with transaction.atomic():
        event_id = publish(Effect(n=1))
        assert effects() == []  # nothing runs before the commit

    assert effects() == [event_id]
    assert OutboxEvent.objects.get(id=event_id).dispatched_at is not None
    assert ProcessedEvent.objects.filter(event_id=event_id, handler=RECORD).count() == 1
    assert not EventDelivery.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_events_of_one_transaction_travel_in_batches_per_handler(settings, monkeypatch):
    settings.EVENTS_BATCH_SIZE = 3
    broker = FakeBroker(monkeypatch)
    with transaction.atomic():
        ids = [publish(Effect()) for _ in range(5)]
        flaky_id = publish(Flaky())

    assert broker.dispatchers == 1  # the request queued one task
    batches = sorted((queue, key, tuple(ids)) for queue, key, ids in broker.sent)
    assert batches == sorted(
        [
            ("default", RECORD, tuple(ids[:3])),
            ("default", RECORD, (*ids[3:], flaky_id)),
            ("fanout", FLAKY, (flaky_id,)),
        ]
    )
    assert not OutboxEvent.objects.filter(dispatched_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_one_dispatch_sends_one_task_per_queue_with_a_batch_of_each_handler(settings, monkeypatch):
    settings.EVENTS_BATCH_SIZE = 2
    broker = FakeBroker(monkeypatch)
    with transaction.atomic():
        flaky = [publish(Flaky()) for _ in range(3)]
        indexed = publish(Indexed())

    # Three handlers on fanout, one on default; a handler batch past the batch size
    # goes in the next task of its queue, never two batches of a handler in one.
    tasks = sorted(broker.tasks, key=lambda t: (t["queue"], len(t["batches"])))
    assert tasks == [
        {"queue": "default", "batches": [(RECORD, flaky[:2])], "first_attempt": True},
        {"queue": "default", "batches": [(RECORD, flaky[2:])], "first_attempt": True},
        {"queue": "fanout", "batches": [(FLAKY, flaky[2:])], "first_attempt": True},
        {
            "queue": "fanout",
            "batches": [(FLAKY, flaky[:2]), (INDEX, [indexed])],
            "first_attempt": True,
        },
    ]


@pytest.mark.django_db(transaction=True)
def test_with_task_per_queue_off_each_batch_is_a_run_handler_task_as_older_workers_know(
    settings, monkeypatch
):
    settings.EVENTS_TASK_PER_QUEUE = False
    broker = FakeBroker(monkeypatch)
    legacy = []
    monkeypatch.setattr(run_handler, "apply_async", lambda **kw: legacy.append(kw))
    with transaction.atomic():
        flaky = publish(Flaky())
        indexed = publish(Indexed())

    assert broker.tasks == []
    assert sorted((kw["queue"], kw["kwargs"]["handler"]) for kw in legacy) == sorted(
        [("default", RECORD), ("fanout", FLAKY), ("fanout", INDEX)]
    )
    assert {kw["kwargs"]["handler"]: kw["kwargs"]["event_ids"] for kw in legacy} == {
        RECORD: [flaky],
        FLAKY: [flaky],
        INDEX: [indexed],
    }
    assert all(kw["kwargs"]["first_attempt"] for kw in legacy)


@pytest.mark.django_db(transaction=True)
def test_a_task_of_several_handlers_reads_the_events_once_and_records_each_on_its_own():
    from django_redis import get_redis_connection

    [flaky] = make_events(1, "test.flaky")
    [indexed] = make_events(1, "test.indexed")
    Fault.objects.create(name="flaky")  # the first handler fails, the next still runs

    with CaptureQueriesContext(connection) as queries:
        run_handlers.apply(
            kwargs={
                "batches": [(FLAKY, [flaky.id]), (INDEX, [indexed.id]), (RECORD, [flaky.id])],
                "first_attempt": True,
            }
        )

    reads = [q for q in queries if q["sql"].startswith("SELECT") and "core_outboxevent" in q["sql"]]
    assert len(reads) == 1
    [failure] = EventDelivery.objects.all()
    assert (failure.event_id, failure.handler, failure.attempts) == (flaky.id, FLAKY, 1)
    redis = get_redis_connection("default")
    assert redis.zrange(cache.make_key("test:indexed"), 0, -1) == [str(indexed.id).encode()]
    assert effects("record") == [flaky.id]
    assert ProcessedEvent.objects.filter(handler=RECORD).count() == 1


@pytest.mark.django_db(transaction=True)
def test_handlers_after_one_that_ran_out_of_time_are_not_run_and_are_retried_alone(
    settings, monkeypatch
):
    settings.EVENTS_RETRY_BASE_SECONDS = 0  # retries are due at once
    [event] = make_events(1, "test.flaky")

    def out_of_time(events):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(registry.by_key[FLAKY], "func", out_of_time)
    outcomes = delivery.deliver_many([(FLAKY, [event.id]), (RECORD, [event.id])])

    assert [o.out_of_time for o in outcomes] == [True, False]
    assert effects("record") == []  # not run after the time was up
    failures = {row.handler: row for row in EventDelivery.objects.all()}
    assert sorted(failures) == sorted([RECORD, FLAKY])
    assert failures[RECORD].last_error.startswith(f"not run: {FLAKY} used up the task's time")

    monkeypatch.undo()
    broker = FakeBroker(monkeypatch)
    assert dispatch.sweep() == {"dispatched": 0, "retried": 2}
    assert sorted(t["batches"][0][0] for t in broker.tasks) == sorted([RECORD, FLAKY])
    assert all(len(t["batches"]) == 1 and "first_attempt" not in t for t in broker.tasks)


@pytest.mark.django_db(transaction=True)
def test_a_commit_queues_one_dispatcher_and_runs_no_query_for_it(settings, monkeypatch):
    settings.EVENTS_BATCH_SIZE = 1  # 3 handler batches: still one dispatcher
    broker = FakeBroker(monkeypatch)
    queued = []
    monkeypatch.setattr(dispatch_now, "apply_async", lambda **kw: queued.append(kw))

    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        ids = [publish(Effect()), publish(Flaky())]

    # the two outbox rows, then nothing: no dispatch transaction after the commit
    assert [q["sql"].split()[0] for q in queries] == ["BEGIN", "INSERT", "INSERT", "COMMIT"]
    assert queued == [{"countdown": settings.EVENTS_DISPATCH_WINDOW_MS / 1000 or None}]
    assert broker.sent == []
    assert OutboxEvent.objects.filter(dispatched_at__isnull=True).count() == 2  # until it runs

    assert dispatch_now() == 2  # in the worker

    assert sorted(broker.sent) == [
        ("default", RECORD, [ids[0]]),
        ("default", RECORD, [ids[1]]),
        ("fanout", FLAKY, [ids[1]]),
    ]
    assert not OutboxEvent.objects.filter(dispatched_at__isnull=True).exists()
    assert dispatch_now() == 0  # a redelivery sends nothing again
    assert len(broker.sent) == 3


@pytest.mark.django_db(transaction=True)
def test_commits_while_a_dispatcher_waits_share_it_and_are_packed_together(monkeypatch):
    broker = FakeBroker(monkeypatch)
    queued = []
    monkeypatch.setattr(dispatch_now, "apply_async", lambda **kw: queued.append(kw))
    ids = []
    for _ in range(3):  # three requests while the worker is busy elsewhere
        with transaction.atomic():
            ids.append(publish(Effect()))

    assert len(queued) == 1  # one dispatcher for the three commits, not one each
    assert dispatch_now() == 3
    assert broker.sent == [("default", RECORD, ids)]  # one handler batch

    with transaction.atomic():  # the dispatcher has started: the next commit queues another
        later = publish(Effect())
    assert len(queued) == 2
    assert dispatch_now() == 1
    assert broker.ids() == sorted([*ids, later])


@pytest.mark.django_db(transaction=True)
def test_a_commit_during_a_running_dispatcher_is_not_left_behind(monkeypatch):
    """The dispatcher clears its flag before it reads: a commit that lands in between
    either is read by it or queues the next one (here: the first)."""
    broker = FakeBroker(monkeypatch)
    queued = []
    monkeypatch.setattr(dispatch_now, "apply_async", lambda **kw: queued.append(kw))
    with transaction.atomic():
        first = publish(Effect())
    real_dispatch_pending = dispatch.dispatch_pending
    late = []

    def commit_in_between(**kwargs):
        if not late:
            with transaction.atomic():
                late.append(publish(Effect()))
        return real_dispatch_pending(**kwargs)

    monkeypatch.setattr(dispatch, "dispatch_pending", commit_in_between)
    assert dispatch_now() == 2
    assert broker.ids() == sorted([first, *late])
    assert len(queued) == 2  # the late commit queued a dispatcher too: harmless, a no-op
    assert dispatch_now() == 0


@pytest.mark.django_db(transaction=True)
def test_a_lost_dispatcher_is_covered_by_the_sweeper_and_its_flag_expires(monkeypatch):
    broker = FakeBroker(monkeypatch)
    queued = []
    monkeypatch.setattr(dispatch_now, "apply_async", lambda **kw: queued.append(kw))
    with transaction.atomic():
        event_id = publish(Effect())

    assert len(queued) == 1  # accepted by the broker, then lost (say the broker restarted)
    assert dispatch.sweep(min_age_seconds=0) == {"dispatched": 1, "retried": 0}
    assert broker.ids() == [event_id]

    # The flag expires by itself (never kept forever); its TTL passing is played by hand.
    assert 0 < cache.ttl(dispatch.DISPATCHER_QUEUED) <= dispatch.DISPATCHER_QUEUED_SECONDS
    with transaction.atomic():
        publish(Effect())
    assert len(queued) == 1  # while it stands, commits queue nothing more
    cache.expire(dispatch.DISPATCHER_QUEUED, 0)
    with transaction.atomic():
        publish(Effect())
    assert len(queued) == 2  # the flag of the lost one expired: the next commit queues again


@pytest.mark.django_db(transaction=True)
def test_a_refused_dispatcher_leaves_no_flag_behind(monkeypatch):
    broker = FakeBroker(monkeypatch, down=True)
    with transaction.atomic():
        publish(Effect())  # refused: logged, left to the sweeper
    broker.down = False
    with transaction.atomic():
        publish(Effect())
    assert broker.dispatchers == 1  # the second commit queued one at once
    assert len(broker.ids()) == 2  # and it sent both


@pytest.mark.django_db(transaction=True)
def test_with_a_dispatch_window_the_dispatcher_waits_one_window(settings, monkeypatch):
    settings.EVENTS_DISPATCH_WINDOW_MS = 60_000
    broker = FakeBroker(monkeypatch)
    queued = []
    monkeypatch.setattr(dispatch_now, "apply_async", lambda **kw: queued.append(kw))
    ids = []
    for _ in range(3):
        with transaction.atomic():
            ids.append(publish(Effect()))

    assert queued == [{"countdown": 60.0}]
    assert dispatch_now() == 3
    assert broker.sent == [("default", RECORD, ids)]


# --- effectively once ---------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_redelivered_batch_is_a_no_op_for_a_transactional_handler():
    with transaction.atomic():
        ids = [publish(Effect()) for _ in range(3)]

    outcome = delivery.deliver(handler=RECORD, event_ids=ids)

    assert sorted(outcome.applied) == sorted(ids)  # done, not failed
    assert effects() == sorted(ids)  # and still applied once each


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_the_same_batch_apply_it_once():
    ids = [e.id for e in make_events(5, sleep=0.05)]
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            delivery.deliver(handler=RECORD, event_ids=ids)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert effects() == sorted(ids)
    assert ProcessedEvent.objects.filter(handler=RECORD).count() == 5


@pytest.mark.django_db
def test_a_redis_handler_is_idempotent_by_construction():
    from django.core.cache import cache
    from django_redis import get_redis_connection

    [event] = make_events(1, "test.indexed")
    for _ in range(3):
        delivery.deliver(handler="tests.eventapp.handlers.index_in_redis", event_ids=[event.id])

    redis = get_redis_connection("default")
    assert redis.zrange(cache.make_key("test:indexed"), 0, -1) == [str(event.id).encode()]


# --- failures, retries, dead letters -------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_poison_event_is_split_off_and_the_rest_of_its_batch_applied(settings):
    settings.EVENTS_BATCH_SIZE = 8
    with transaction.atomic():
        ids = [publish(Effect(poison=n == 5)) for n in range(8)]

    assert effects() == sorted(ids[:5] + ids[6:])
    [failure] = EventDelivery.objects.all()
    assert (failure.event_id, failure.handler, failure.state) == (ids[5], RECORD, "retrying")
    assert failure.attempts == 1
    assert f"poison event {ids[5]}" in failure.last_error


@pytest.mark.django_db(transaction=True)
def test_a_failing_handler_ends_as_one_dead_letter_and_replays_after_the_fix(settings):
    settings.EVENTS_MAX_ATTEMPTS = 3
    settings.EVENTS_RETRY_BASE_SECONDS = 0  # retries are due at once
    Fault.objects.create(name="flaky")

    with transaction.atomic():  # the failure does not reach the writer
        event_id = publish(Flaky())

    assert effects("record") == [event_id]  # the other handler of the event is not held back
    for _ in range(5):  # more sweeps than attempts: a dead letter is not retried
        dispatch.sweep()
    [letter] = DeadLetter.objects.all()
    assert (letter.event_id, letter.handler, letter.attempts) == (event_id, FLAKY, 3)
    assert "flaky is broken" in letter.last_error
    assert letter.next_attempt_at is None
    assert EventDelivery.objects.count() == 1
    assert effects("flaky") == []

    Fault.objects.all().delete()
    call_command("replay_dead_letters", handler=FLAKY, stdout=io.StringIO())

    assert effects("flaky") == [event_id]
    assert not EventDelivery.objects.exists()
    assert effects("record") == [event_id]


@pytest.mark.django_db(transaction=True)
def test_a_retry_waits_for_its_backoff(settings):
    settings.EVENTS_RETRY_BASE_SECONDS = 60
    Fault.objects.create(name="flaky")
    with transaction.atomic():
        event_id = publish(Flaky())
    Fault.objects.all().delete()

    dispatch.sweep()
    assert effects("flaky") == []  # not due yet

    EventDelivery.objects.update(next_attempt_at=timezone.now())
    dispatch.sweep()
    assert effects("flaky") == [event_id]
    assert not EventDelivery.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_first_attempt_skips_the_retry_rows_and_a_redelivery_after_a_failure_still_ends_clean(
    settings,
):
    settings.EVENTS_RETRY_BASE_SECONDS = 0
    ids = [e.id for e in make_events(3)]
    with CaptureQueriesContext(connection) as queries:
        delivery.deliver(handler=RECORD, event_ids=ids, first_attempt=True)
    assert effects() == ids
    assert not any("core_eventdelivery" in q["sql"] for q in queries)

    # A first attempt that failed, then ran again from the same message (its worker
    # died before the ack) and succeeded: the pair's retry row is left to the retry,
    # which finds the pair applied and clears it.
    [event] = make_events(1, name="test.flaky")
    Fault.objects.create(name="flaky")
    delivery.deliver(handler=FLAKY, event_ids=[event.id], first_attempt=True)
    Fault.objects.all().delete()
    delivery.deliver(handler=FLAKY, event_ids=[event.id], first_attempt=True)
    assert effects("flaky") == [event.id]
    assert EventDelivery.objects.get().state == "retrying"

    dispatch.sweep()
    assert effects("flaky") == [event.id]  # once: the retry was a no-op
    assert not EventDelivery.objects.exists()


def test_backoff_is_exponential_capped_and_jittered(settings):
    settings.EVENTS_RETRY_BASE_SECONDS = 2
    settings.EVENTS_RETRY_MAX_SECONDS = 30
    for attempt, full in [(1, 2), (2, 4), (3, 8), (4, 16), (5, 30), (9, 30)]:
        delays = {delivery.backoff_seconds(attempt) for _ in range(50)}
        assert all(full / 2 <= d <= full for d in delays), (attempt, delays)
        assert len(delays) > 1  # jittered


def test_a_batch_out_of_time_records_its_unfinished_events_as_failed():
    calls = []

    def slow(events: list[Delivered[Effect]]) -> None:
        calls.append([d.id for d in events])
        if len(calls) == 2:
            raise SoftTimeLimitExceeded()
        if any(d.event.poison for d in events):
            raise ValueError("bad")

    spec = HandlerSpec(key="t.slow", func=slow, events=(Effect,), transactional=False)
    now = timezone.now()
    events = [Delivered(id=i, created_at=now, event=Effect(poison=i == 1)) for i in range(1, 5)]
    outcome = delivery.Outcome()

    delivery.run_bisecting(spec, events, outcome)

    # [1..4] failed, then [1, 2] ran out of time: nothing was applied, all four fail
    # once (each is retried alone) and no further half is attempted.
    assert calls == [[1, 2, 3, 4], [1, 2]]
    assert outcome.applied == []
    assert sorted(outcome.failed) == [1, 2, 3, 4]
    assert "SoftTimeLimitExceeded" in outcome.failed[3]


@pytest.mark.django_db(transaction=True)
def test_a_task_for_an_unknown_handler_keeps_its_pairs_as_failures():
    [event] = make_events(1)
    delivery.deliver(handler="gone.handlers.renamed", event_ids=[event.id])
    [failure] = EventDelivery.objects.all()
    assert (failure.event_id, failure.handler) == (event.id, "gone.handlers.renamed")
    assert "no handler" in failure.last_error


# --- dispatch: broker down, sweeper -------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.urls("tests.eventapp.urls")
def test_with_the_broker_down_the_write_succeeds_and_the_sweeper_sends_it_later(
    api_client, monkeypatch, caplog
):
    broker = FakeBroker(monkeypatch, down=True)

    with caplog.at_level(logging.WARNING, logger="core.events.dispatch"):
        response = api_client.post("/effects", {"n": 1}, format="json")

    assert response.status_code == 201, response.content
    assert "1 events left for the sweeper" in caplog.text
    event_id = int(response.json()["event_id"])
    assert OutboxEvent.objects.get(id=event_id).dispatched_at is None

    broker.down = False
    assert dispatch.sweep(min_age_seconds=0) == {"dispatched": 1, "retried": 0}
    assert broker.ids() == [event_id]
    assert OutboxEvent.objects.get(id=event_id).dispatched_at is not None
    assert dispatch.sweep(min_age_seconds=0) == {"dispatched": 0, "retried": 0}


@pytest.mark.django_db(transaction=True)
def test_the_sweeper_leaves_fresh_rows_to_the_fast_path(monkeypatch):
    broker = FakeBroker(monkeypatch)
    old = make_events(2, age_seconds=60)
    make_events(2)  # just written: their own after-commit dispatch is on its way

    call_command("dispatch_outbox", stdout=io.StringIO())

    assert broker.ids() == sorted(e.id for e in old)
    assert OutboxEvent.objects.filter(dispatched_at__isnull=True).count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_sweepers_never_send_the_same_row(monkeypatch):
    broker = FakeBroker(monkeypatch)
    locked, free = make_events(2, age_seconds=60)
    holding = threading.Event()
    release = threading.Event()

    def other_sweeper() -> None:
        # Another sweeper in the middle of its pass: it holds the row lock.
        try:
            with transaction.atomic():
                OutboxEvent.objects.select_for_update().get(id=locked.id)
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_sweeper)
    thread.start()
    try:
        assert holding.wait(10)
        dispatch.sweep()
    finally:
        release.set()
        thread.join()

    assert broker.ids() == [free.id]  # skipped the locked row instead of waiting or doubling
    assert OutboxEvent.objects.get(id=locked.id).dispatched_at is None


@pytest.mark.django_db(transaction=True)
def test_retries_that_cannot_be_sent_stay_due(monkeypatch):
    [event] = make_events(1, "test.flaky")
    row = EventDelivery.objects.create(
        event=event, handler=FLAKY, attempts=1, next_attempt_at=timezone.now()
    )
    broker = FakeBroker(monkeypatch, down=True)
    assert dispatch.sweep() == {"dispatched": 0, "retried": 0}
    row.refresh_from_db()
    assert row.next_attempt_at <= timezone.now()

    broker.down = False
    assert dispatch.sweep() == {"dispatched": 0, "retried": 1}
    assert broker.sent == [("fanout", FLAKY, [event.id])]
    row.refresh_from_db()
    assert row.next_attempt_at > timezone.now() + timedelta(minutes=5)  # leased while in flight


# --- retention, status, registry, admin ------------------------------------------------


@pytest.mark.django_db
def test_pruning_keeps_pending_recent_and_failed_events():
    now = timezone.now()
    old_done, old_pending, old_dead = make_events(3, age_seconds=48 * 3600)
    recent = make_events(1)[0]
    OutboxEvent.objects.filter(id__in=[old_done.id, old_dead.id, recent.id]).update(
        dispatched_at=now
    )
    EventDelivery.objects.create(event=old_dead, handler=FLAKY, state="dead", attempts=8)
    ProcessedEvent.objects.create(event_id=old_done.id, handler=RECORD)
    ProcessedEvent.objects.create(event_id=recent.id, handler=RECORD)

    assert prune(hours=24) == {"events": 1, "markers": 1}

    assert set(OutboxEvent.objects.values_list("id", flat=True)) == {
        old_pending.id,
        old_dead.id,
        recent.id,
    }
    assert list(ProcessedEvent.objects.values_list("event_id", flat=True)) == [recent.id]


@pytest.mark.django_db
def test_events_status_and_readyz_report_the_outbox(client):
    pending = make_events(2, age_seconds=90)
    done = make_events(1)[0]
    OutboxEvent.objects.filter(id=done.id).update(dispatched_at=timezone.now())
    EventDelivery.objects.create(event=done, handler=FLAKY, state="dead", attempts=8)
    EventDelivery.objects.create(event=pending[0], handler=RECORD, attempts=1)

    out = io.StringIO()
    call_command("events_status", "--json", stdout=out)
    numbers = json.loads(out.getvalue())

    assert {k: numbers[k] for k in ("pending", "dispatched", "retrying", "dead")} == {
        "pending": 2,
        "dispatched": 1,
        "retrying": 1,
        "dead": 1,
    }
    assert 89 <= numbers["oldest_pending_age_seconds"] < 600
    detail = client.get("/readyz").json()["detail"]["events"]
    assert {k: detail[k] for k in ("pending", "retrying", "dead")} == {
        "pending": 2,
        "retrying": 1,
        "dead": 1,
    }
    assert detail["oldest_pending_age_seconds"] >= 89


def test_list_event_handlers_shows_each_event_with_its_publishers_and_handlers():
    out = io.StringIO()
    call_command("list_event_handlers", stdout=out)
    lines = out.getvalue().splitlines()

    start = lines.index("test.flaky  tests.eventapp.events.Flaky()")
    assert lines[start + 1].startswith("  published at tests/eventapp/services.py:")
    assert lines[start + 2 : start + 4] == [
        f"  -> {RECORD}  [queue=default, transactional]",
        f"  -> {FLAKY}  [queue=fanout, transactional]",
    ]
    assert "  -> tests.eventapp.handlers.index_in_redis  [queue=fanout, idempotent]" in lines
    assert (
        "  -> accounts.handlers.send_security_email  [queue=default, transactional, per event]"
        in lines
    )
    muted = lines.index("user.muted  relationships.events.UserMuted(muter_id, muted_id)")
    assert lines[muted + 2].startswith("  unhandled: Mutes are applied")


@pytest.mark.parametrize(
    ("events", "options", "error", "message"),
    [
        (("test.effect",), {}, TypeError, "takes event classes"),
        ((Effect,), {"queue": "bulk"}, ValueError, "queue must be one of"),
        ((), {}, ValueError, "at least one event class"),
        ((Effect,), {"per_event": True, "transactional": False}, ValueError, "per_event"),
    ],
)
def test_handler_registration_is_validated(events, options, error, message):
    with pytest.raises(error, match=message):
        handler(*events, **options)(lambda events: None)


def test_a_handler_key_cannot_be_registered_twice():
    spec = registry.by_key[RECORD]
    with pytest.raises(ValueError, match="registered twice"):
        handler(Indexed)(spec.func)
    assert [s.key for s in registry.handlers_for("test.indexed")] == [
        "tests.eventapp.handlers.index_in_redis"
    ]


@pytest.mark.django_db(transaction=True)
def test_admin_lists_outbox_numbers_and_replays_a_dead_letter(admin_client):
    [event] = make_events(1, "test.flaky")
    letter = EventDelivery.objects.create(event=event, handler=FLAKY, state="dead", attempts=8)

    outbox_page = admin_client.get("/admin/core/outboxevent/")
    assert outbox_page.status_code == 200
    assert "dead letters: <strong>1</strong>" in outbox_page.content.decode()
    assert admin_client.get("/admin/core/outboxevent/", {"q": "not-an-id"}).status_code == 200
    letters_page = admin_client.get("/admin/core/deadletter/")
    assert letters_page.status_code == 200
    assert FLAKY in letters_page.content.decode()

    response = admin_client.post(
        "/admin/core/deadletter/",
        {"action": "replay_selected", "_selected_action": [letter.pk]},
    )

    assert response.status_code == 302
    assert effects("flaky") == [event.id]
    assert not EventDelivery.objects.exists()


def test_core_events_imports_no_task_module():
    """core.tasks imports core.events and hands it its tasks (dispatch.use_tasks): the
    other direction, even inside a function, would be an import cycle."""
    import ast
    from pathlib import Path

    package = Path(dispatch.__file__).parent
    imported = set()
    for file in package.glob("*.py"):
        for node in ast.walk(ast.parse(file.read_text())):
            if isinstance(node, ast.ImportFrom):
                imported.add(node.module or "")
                imported.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                imported.update(a.name for a in node.names)
    assert not {name for name in imported if name.startswith("core.tasks")}
    assert dispatch.tasks().run_handlers is run_handlers
    assert dispatch.tasks().run_handler is run_handler
    assert dispatch.tasks().dispatch_now is dispatch_now
