"""`python -m bench --scale tiny` end to end: the harness works (not how fast Warble is).

It starts the whole stack as subprocesses against a database of its own (the
suite's DATABASE_URL name + "_benchtiny", dropped and re-created) and FLUSHDBs
the suite's Redis database, so it must not run in parallel with other tests
that use Redis (it does not under `make test`).
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
PHASES = ("baseline", "feed", "posting", "fanout", "seed", "websockets", "memory")
SKIPPED = "skipped: endpoint missing"

pytestmark = pytest.mark.integration


def _bench_database_url() -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_benchtiny"))


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get(
        "REDIS_URL"
    ):
        pytest.skip("the harness runs the services stack: it needs DATABASE_URL and REDIS_URL")
    out = tmp_path_factory.mktemp("bench")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--scale",
            "tiny",
            "--out",
            str(out),
            "--database-url",
            _bench_database_url(),
            "--redis-url",
            os.environ["REDIS_URL"],
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    reports = list(out.glob("*-tiny.json"))
    assert len(reports) == 1, list(out.iterdir())
    data = json.loads(reports[0].read_text())
    data["_dir"] = out
    return data


def _ok_or_missing(section: dict) -> bool:
    return section["status"] == "ok" or section["status"].startswith(SKIPPED)


def test_every_phase_is_in_the_report(report):
    assert set(PHASES) <= set(report["phases"])
    for name in PHASES:
        assert _ok_or_missing(report["phases"][name]), (name, report["phases"][name]["status"])


def test_markdown_and_plots_are_written_next_to_the_json(report):
    out: Path = report["_dir"]
    assert list(out.glob("*-tiny.md"))
    assert sorted(report["plots"]) == sorted(p.name for p in out.glob("*-tiny-*.png"))
    assert any(name.endswith("-latency.png") for name in report["plots"])
    assert any(name.endswith("-throughput.png") for name in report["plots"])


def test_the_measured_phases_have_sane_numbers(report):
    phases = report["phases"]
    base = phases["baseline"]
    assert base["rps"] > 0
    assert base["errors"] == {}
    assert 0 < base["p50_ms"] <= base["p99_ms"]
    posting = phases["posting"]
    assert posting["max_rate"]["rps"] > 0
    assert posting["max_rate"]["errors"] == {}
    assert posting["rps_vs_baseline"] == pytest.approx(
        posting["max_rate"]["rps"] / base["rps"], rel=0.01
    )
    assert report["redis_ceiling"]["zadd_per_second"] > 0
    feed = phases["feed"]
    if feed["status"] == "ok":
        for reader in feed["readers"].values():
            assert reader["rps"] > 0
            assert reader["errors"] == {}


def test_the_seed_workload_posted_everything_and_lost_nothing(report):
    seed = report["phases"]["seed"]
    assert seed["posts_created"] == seed["posts_planned"] == report["dataset"]["posts_in_workload"]
    assert seed["wall_seconds_first_post_to_last_delivery"] > 0
    assert seed["dead_letters"] == 0
    check = seed["check"]
    assert _ok_or_missing(check)
    if check["status"] == "ok":
        assert check["followers_checked"] > 0
        assert check["nothing_lost"], check["mismatches"]


def test_every_target_is_measured_or_says_why_not(report):
    assert len(report["targets"]) == 8
    for row in report["targets"]:
        assert row["status"] in ("pass", "miss") or SKIPPED in row["status"], row
