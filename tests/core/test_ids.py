"""Time-ordered 64-bit ids (core.ids), their worker-id leases (core.id_leases), and
their string form in payloads (core.fields)."""

import itertools
import multiprocessing
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection
from rest_framework import serializers

from core import id_leases, ids
from core.fields import ID_PATTERN, IdField
from core.id_leases import DatabaseLease, FileLease, IdsUnavailable
from core.models import IdWorkerLease
from tests.integration.celery_workers import process_env

REPO = Path(__file__).resolve().parents[2]


def fixed(worker: int):
    return lambda: ids.FixedWorker(worker)


def test_ids_increase_with_time_and_within_a_millisecond():
    generator = ids.IdGenerator(fixed(5))
    made = [generator.next_id() for _ in range(20_000)]  # many share a millisecond
    assert all(a < b for a, b in itertools.pairwise(made))
    assert 0 < made[0] < made[-1] < 2**63
    assert {ids.worker_of(value) for value in made} == {5}


def test_a_later_id_is_larger_even_from_another_worker(monkeypatch):
    early, late = ids.IdGenerator(fixed(ids.MAX_WORKER)), ids.IdGenerator(fixed(0))
    first = early.next_id()  # highest worker id...
    clock = iter([2_000_000_000.0, 2_000_000_000.002])
    monkeypatch.setattr(ids.time, "time", lambda: next(clock))
    second = late.next_id()  # ...loses to the lowest worker one millisecond later
    third = late.next_id()
    assert first < second < third


def test_a_clock_stepping_back_never_repeats_or_reorders(monkeypatch):
    generator = ids.IdGenerator(fixed(1))
    clock = iter([2_000_000_000.010, 2_000_000_000.000, 2_000_000_000.005, 2_000_000_000.011])
    monkeypatch.setattr(ids.time, "time", lambda: next(clock))
    made = [generator.next_id() for _ in range(4)]
    assert made == sorted(set(made))


def test_sequence_overflow_moves_to_the_next_millisecond(monkeypatch):
    generator = ids.IdGenerator(fixed(1))
    monkeypatch.setattr(ids.time, "time", lambda: 2_000_000_000.0)
    made = [generator.next_id() for _ in range(ids.MAX_SEQUENCE + 3)]
    assert made == sorted(set(made))
    assert ids.id_to_datetime(made[-1]) - ids.id_to_datetime(made[0]) == timedelta(milliseconds=1)


def test_id_to_datetime_round_trip():
    generator = ids.IdGenerator(fixed(3))
    before = datetime.now(UTC)
    new = generator.next_id()
    after = datetime.now(UTC)
    moment = ids.id_to_datetime(new)
    assert before - timedelta(milliseconds=1) <= moment <= after + timedelta(milliseconds=1)
    assert ids.min_id_for(moment) <= new < ids.min_id_for(moment + timedelta(milliseconds=1))
    assert ids.id_to_datetime(ids.min_id_for(moment)) == moment.replace(
        microsecond=moment.microsecond // 1000 * 1000
    )


def test_a_new_lease_starts_the_generator_afresh_with_the_new_worker_id():
    class Switching:
        worker = 7

        def worker_id(self):
            return self.worker

    lease = Switching()
    generator = ids.IdGenerator(lambda: lease)
    first = generator.next_id()
    lease.worker = 9  # the lease lapsed and another id was leased
    second = generator.next_id()
    assert (ids.worker_of(first), ids.worker_of(second)) == (7, 9)
    assert first < second


# --- worker-id leases in PostgreSQL (core.id_leases.DatabaseLease) --------------


class Clock:
    """A monotonic clock the test moves by hand (no sleeping past a lease)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def lease(clock=None, **kwargs) -> DatabaseLease:
    """A holder as another process would be (the fixture clears it after the test)."""
    kwargs.setdefault("holder", f"test:{secrets.token_hex(6)}")
    return DatabaseLease(seconds=60, clock=clock or Clock(), **kwargs)


def row(worker: int) -> IdWorkerLease:
    return IdWorkerLease.objects.get(worker_id=worker)


def expire(worker: int) -> None:
    """The lease lapses (as it would 60 s after its holder died), without waiting."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_idworkerlease SET expires_at = now() - interval '1 second' "
            "WHERE worker_id = %s",
            [worker],
        )


def mine() -> str:
    return f":{os.getpid()}:"


@pytest.fixture
def leases(transactional_db):
    """Leases commit on connections of their own: the test sees them committed.

    Leases of other processes (earlier tests' servers and workers, all gone) are
    cleared; this process's own stays, as it may be making ids with it.
    """
    IdWorkerLease.objects.exclude(holder__contains=mine()).delete()
    yield
    IdWorkerLease.objects.exclude(holder__contains=mine()).delete()


def live_ids() -> set[int]:
    return set(
        IdWorkerLease.objects.filter(expires_at__gt=datetime.now(UTC)).values_list(
            "worker_id", flat=True
        )
    )


def test_two_holders_never_get_the_same_id(leases):
    held_before = live_ids()
    holders = [lease() for _ in range(50)]
    workers = [holder.worker_id() for holder in holders]

    assert len(set(workers)) == 50
    assert not held_before & set(workers)
    for holder, worker in zip(holders, workers, strict=True):
        assert row(worker).holder == holder.holder


def run_acquirer(conn) -> None:
    # A forked child: leases use connections of their own, never the parent's socket.
    holders = [DatabaseLease(seconds=60) for _ in range(10)]
    conn.send([holder.worker_id() for holder in holders])


def test_processes_leasing_at_the_same_time_get_distinct_ids(leases):
    held_before = live_ids()
    ctx = multiprocessing.get_context("fork")
    pipes, procs = [], []
    for _ in range(8):
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=run_acquirer, args=(child,))
        proc.start()
        pipes.append(parent)
        procs.append(proc)
    got = [worker for pipe in pipes for worker in pipe.recv()]
    for proc in procs:
        proc.join(30)
    assert len(set(got)) == 80
    assert not held_before & set(got)


def test_a_dead_holders_id_is_reused_only_after_its_lease_lapsed(leases):
    dead = lease()
    taken = dead.worker_id()  # then the holder dies: no renewal, no release

    others = [lease().worker_id() for _ in range(3)]
    assert taken not in others  # its lease still runs

    expire(taken)
    assert lease().worker_id() == taken  # lapsed: the id is free again
    assert row(taken).holder != dead.holder


def test_a_sigkilled_process_keeps_its_id_until_the_lease_lapses(leases):
    code = (
        "import django, sys, time; django.setup(); from core.ids import new_id, worker_of; "
        "print(worker_of(new_id()), flush=True); time.sleep(60)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={**os.environ, **process_env()},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        taken = int(proc.stdout.readline())
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    assert taken not in {lease().worker_id() for _ in range(3)}
    expire(taken)
    assert lease().worker_id() == taken


def test_a_lease_is_renewed_after_a_third_of_its_time_and_stays_the_same_id(leases):
    clock = Clock()
    holder = lease(clock)
    worker = holder.worker_id()
    first_expiry = row(worker).expires_at

    clock.now += 19  # before a third: no statement at all
    assert holder.worker_id() == worker
    assert row(worker).expires_at == first_expiry

    clock.now += 2  # past a third: renewed, by the database clock
    assert holder.worker_id() == worker
    assert row(worker).expires_at > first_expiry


def test_a_lease_renewed_late_is_still_ours_when_nobody_took_it(leases):
    clock = Clock()
    holder = lease(clock)
    worker = holder.worker_id()
    expire(worker)
    clock.now += 120  # the process was paused past its lease; nobody took the id

    assert holder.worker_id() == worker
    assert row(worker).holder == holder.holder
    assert row(worker).expires_at > datetime.now(UTC)


def test_a_lost_lease_is_never_used_again(leases):
    clock = Clock()
    paused = lease(clock)
    worker = paused.worker_id()
    clock.now += 120  # paused past the lease...
    expire(worker)
    assert lease().worker_id() == worker  # ...and another process took the id

    assert paused.worker_id() != worker  # renewal refused: a fresh id instead
    assert row(worker).holder != paused.holder


def test_a_database_outage_is_ridden_out_while_the_lease_runs_then_refused(leases):
    clock = Clock()
    holder = lease(clock)
    worker = holder.worker_id()
    holder.database = {"HOST": "127.0.0.1", "PORT": "1"}  # nothing listens there

    clock.now += 30  # renewal due, database down: the lease still runs
    assert holder.worker_id() == worker
    clock.now += 29  # past the lease minus the margin: no id rather than a risky one
    with pytest.raises(Exception, match="onnection"):
        holder.worker_id()

    holder.database = None  # back: renewed, nobody took it meanwhile
    assert holder.worker_id() == worker


def test_a_released_id_is_free_at_once(leases):
    first = lease()
    worker = first.worker_id()
    first.release()
    assert lease().worker_id() == worker


def test_every_id_leased_refuses_rather_than_share(leases, monkeypatch):
    held = live_ids()
    last = max(held, default=0) + 3
    monkeypatch.setattr(id_leases, "MAX_LEASED_WORKER", last)
    free = set(range(last + 1)) - held
    assert {lease().worker_id() for _ in free} == free
    with pytest.raises(IdsUnavailable):
        lease().worker_id()


def run_child_worker(conn) -> None:
    conn.send(ids.worker_of(ids.new_id()))


def test_a_forked_child_leases_its_own_id(leases):
    mine = ids.worker_of(ids.new_id())
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=run_child_worker, args=(child,))
    proc.start()
    theirs = parent.recv()
    proc.join(30)
    assert theirs != mine
    assert row(theirs).holder.split(":")[1] == str(proc.pid)


def test_a_fork_while_another_thread_makes_an_id_leaves_the_child_able_to_make_ids(leases):
    """A thread holding the generator's lock at the fork (mid-renewal, say) would
    leave the child's copy locked for ever."""
    held, release = threading.Event(), threading.Event()

    def hold_the_lock() -> None:
        with ids._generator._lock:
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    held.wait(10)
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=run_child_worker, args=(child,))
    try:
        proc.start()
        assert parent.poll(30), "the forked child could not make an id"
        assert 0 <= parent.recv() <= ids.MAX_LEASED_WORKER
    finally:
        release.set()
        holder.join(10)
        proc.join(10)
        if proc.is_alive():
            proc.kill()


WORKER = """
import sys
import django
django.setup()
from core.ids import new_id
print("\\n".join(str(new_id()) for _ in range(20_000)), flush=True)
print("end", flush=True)
sys.stdin.readline()  # stay alive until every process made its ids
"""


def made_ids(proc) -> list[int]:
    made = []
    for line in proc.stdout:  # stops at the end of its output, should it fail
        if line == "end\n":
            break
        made.append(int(line))
    return made


def test_ids_are_unique_across_parallel_processes(leases):
    """8 processes alive at once, each making 20k ids: all 160k distinct."""
    env = {**os.environ, **process_env()}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER],
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    sequences = [made_ids(proc) for proc in procs]
    for proc in procs:
        proc.communicate(timeout=60)  # closes stdin: it exits
    assert [proc.returncode for proc in procs] == [0] * 8

    assert [len(seq) for seq in sequences] == [20_000] * 8
    for seq in sequences:
        assert all(a < b for a, b in itertools.pairwise(seq))
    assert len({value for seq in sequences for value in seq}) == 160_000
    assert len({ids.worker_of(seq[0]) for seq in sequences}) == 8
    # They gave their ids back when they exited.
    assert not IdWorkerLease.objects.filter(expires_at__gt=datetime.now(UTC)).exclude(
        holder__contains=mine()
    )


# --- embedded mode: lock files (core.id_leases.FileLease) ------------------------


HOLD_FILE_LEASE = """
import sys
from pathlib import Path
from core.id_leases import FileLease
print(FileLease(Path(sys.argv[1])).worker_id(), flush=True)
sys.stdin.readline()
"""


def hold_file_lease(path: Path) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_FILE_LEASE, str(path)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    return proc, int(proc.stdout.readline())


def send_file_lease(path, conn) -> None:
    conn.send(FileLease(Path(path)).worker_id())


def test_file_leases_are_distinct_per_process_and_freed_when_one_dies(tmp_path):
    path = tmp_path / "db.sqlite3-id-workers"
    mine = FileLease(path).worker_id()
    holders = [hold_file_lease(path) for _ in range(3)]
    assert sorted([mine, *(worker for _, worker in holders)]) == [0, 1, 2, 3]

    # A forked child does not inherit this process's lock: it takes its own.
    parent, child = multiprocessing.get_context("fork").Pipe()
    forked = multiprocessing.get_context("fork").Process(
        target=send_file_lease, args=(str(path), child)
    )
    forked.start()
    assert parent.recv() == 4
    forked.join(10)

    victim, freed = holders[1]
    victim.send_signal(signal.SIGKILL)  # no cleanup: the kernel drops its lock
    victim.wait(10)
    late, worker = hold_file_lease(path)
    assert worker == freed
    for proc in [late, *(proc for proc, _ in holders)]:
        proc.communicate(timeout=10)


def test_embedded_mode_leases_from_a_lock_file_next_to_the_database(tmp_path):
    code = (
        "import django; django.setup(); from core.ids import new_id, worker_of; "
        "from core.id_leases import lease_for_settings; l = lease_for_settings(); "
        "print(type(l).__name__, l.path.name, worker_of(new_id()))"
    )
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    kind, name, worker = result.stdout.split()
    assert (kind, name) == ("FileLease", "warble.sqlite3-id-workers")
    assert 0 <= int(worker) <= ids.MAX_LEASED_WORKER


# --- IdField: ids travel as strings ------------------------------------------


class Thing(serializers.Serializer):
    id = IdField()


def test_ids_serialize_as_strings():
    big = 2**63 - 1
    assert Thing({"id": big}).data == {"id": "9223372036854775807"}


@pytest.mark.parametrize(
    ("raw", "expected"), [("123", 123), (7, 7), ("9223372036854775807", 2**63 - 1)]
)
def test_id_field_accepts_digit_strings(raw, expected):
    thing = Thing(data={"id": raw})
    assert thing.is_valid(), thing.errors
    assert thing.validated_data["id"] == expected


@pytest.mark.parametrize(
    "raw",
    [
        "9223372036854775808",
        "99999999999999999999",
        " 42 ",  # as the schema's pattern says: the id as rendered (issue 14)
        "042",
        "-1",
        "1.5",
        "abc",
        "",
        "²",
        "١٢٣",
        True,
        None,
        [1],
        {"id": 1},
        1.5,
    ],
)
def test_id_field_refuses_anything_else(raw):
    thing = Thing(data={"id": raw})
    assert not thing.is_valid()
    assert "id" in thing.errors


def test_the_id_pattern_is_exactly_1_to_2_63_minus_1():
    pattern = re.compile(ID_PATTERN)
    for n in (1, 9, 10, 99, 10**18, 2**63 - 2, 2**63 - 1, 9_199_999_999_999_999_999):
        assert pattern.fullmatch(str(n)), n
    for n in (0, 2**63, 9_300_000_000_000_000_000, 10**19):
        assert not pattern.fullmatch(str(n)), n
