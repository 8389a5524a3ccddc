"""Time-ordered 64-bit ids (core.ids) and their string form in payloads (core.fields)."""

import itertools
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework import serializers

from core import ids
from core.fields import IdField

REPO = Path(__file__).resolve().parents[2]


def test_ids_increase_with_time_and_within_a_millisecond():
    generator = ids.IdGenerator()
    made = [generator.next_id() for _ in range(20_000)]  # many share a millisecond
    assert all(a < b for a, b in itertools.pairwise(made))
    assert 0 < made[0] < made[-1] < 2**63


def test_a_later_id_is_larger_even_from_another_worker(monkeypatch):
    early, late = ids.IdGenerator(), ids.IdGenerator()
    monkeypatch.setattr(ids, "_lease_worker_id", lambda: ids.MAX_WORKER)
    first = early.next_id()  # highest worker id...
    monkeypatch.setattr(ids, "_lease_worker_id", lambda: 0)
    clock = iter([2_000_000_000.0, 2_000_000_000.002])
    monkeypatch.setattr(ids.time, "time", lambda: next(clock))
    second = late.next_id()  # ...loses to the lowest worker one millisecond later
    third = late.next_id()
    assert first < second < third


def test_a_clock_stepping_back_never_repeats_or_reorders(monkeypatch):
    generator = ids.IdGenerator()
    clock = iter([2_000_000_000.010, 2_000_000_000.000, 2_000_000_000.005, 2_000_000_000.011])
    monkeypatch.setattr(ids.time, "time", lambda: next(clock))
    made = [generator.next_id() for _ in range(4)]
    assert made == sorted(set(made))


def test_sequence_overflow_moves_to_the_next_millisecond(monkeypatch):
    generator = ids.IdGenerator()
    monkeypatch.setattr(ids.time, "time", lambda: 2_000_000_000.0)
    made = [generator.next_id() for _ in range(ids.MAX_SEQUENCE + 3)]
    assert made == sorted(set(made))
    assert ids.id_to_datetime(made[-1]) - ids.id_to_datetime(made[0]) == timedelta(milliseconds=1)


def test_id_to_datetime_round_trip():
    before = datetime.now(UTC)
    new = ids.new_id()
    after = datetime.now(UTC)
    moment = ids.id_to_datetime(new)
    assert before - timedelta(milliseconds=1) <= moment <= after + timedelta(milliseconds=1)
    assert ids.min_id_for(moment) <= new < ids.min_id_for(moment + timedelta(milliseconds=1))
    assert ids.id_to_datetime(ids.min_id_for(moment)) == moment.replace(
        microsecond=moment.microsecond // 1000 * 1000
    )


def test_worker_ids_are_leased_from_redis(settings):
    settings.ID_WORKER_REDIS_URL = settings.REDIS_URL
    first, second = ids._lease_worker_id(), ids._lease_worker_id()
    assert second == (first + 1) & ids.MAX_WORKER


def test_a_dead_redis_falls_back_to_the_pid(settings):
    settings.ID_WORKER_REDIS_URL = "redis://127.0.0.1:1/0"
    assert ids._lease_worker_id() == os.getpid() & ids.MAX_WORKER


WORKER = """
import sys
import django
django.setup()
from core.ids import new_id
sys.stdout.write("\\n".join(str(new_id()) for _ in range(20_000)))
"""


def test_ids_are_unique_across_parallel_processes():
    """8 processes started at once, each making 20k ids: all 160k distinct."""
    assert settings.REDIS_URL, "the worker-id lease needs Redis (DESIGN.md §8: no skip)"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(8)
    ]
    outputs = [proc.communicate(timeout=120)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0] * 8

    sequences = [[int(line) for line in out.split()] for out in outputs]
    assert [len(seq) for seq in sequences] == [20_000] * 8
    for seq in sequences:
        assert all(a < b for a, b in itertools.pairwise(seq))
    assert len({value for seq in sequences for value in seq}) == 160_000
    workers = {(seq[0] >> ids.SEQUENCE_BITS) & ids.MAX_WORKER for seq in sequences}
    assert len(workers) == 8


# --- IdField: ids travel as strings ------------------------------------------


class Thing(serializers.Serializer):
    id = IdField()


def test_ids_serialize_as_strings():
    big = 2**63 - 1
    assert Thing({"id": big}).data == {"id": "9223372036854775807"}


@pytest.mark.parametrize(
    ("raw", "expected"), [("123", 123), (" 42 ", 42), (7, 7), ("9223372036854775807", 2**63 - 1)]
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
