"""schemathesis against the live API: every operation of /api/schema/, all checks.

A real gunicorn serving this checkout against the test database, a real user
and access token, the coverage, fuzzing and stateful phases with a fixed seed
and bounded examples (WARBLE_FUZZ_EXAMPLES per operation, default 50: about
4,500 cases, 1.5 to 2.5 minutes on 2 busy cores). Part of `make test`; `make
fuzz` runs it alone, with schemathesis' output. What schemathesis is told
beyond the schema (cursor formats, the 400s of rules no JSON Schema states):
tests/security/schemathesis_hooks.py. docs/security.md, "Input".
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import PostFactory, UserFactory
from tests.integration.procs import Procs
from tests.integration.servers import start_wsgi

pytestmark = pytest.mark.integration

ROOT = str(Path(__file__).resolve().parents[2])  # where the hooks module is imported from
SEED = 14
MAX_EXAMPLES = int(os.environ.get("WARBLE_FUZZ_EXAMPLES", "50"))


@pytest.fixture
def server(transactional_db):
    with Procs() as procs:
        yield start_wsgi(
            procs,
            THROTTLE_ENABLED="0",
            CELERY_TASK_ALWAYS_EAGER="1",
            JWT_ACCESS_MINUTES="120",
            DJANGO_DEBUG="0",
            # As granian in production (docs/servers.md), let long URLs reach Django,
            # which answers them in the API's error format; gunicorn's own limit
            # (4094 bytes) answers an HTML 414 that no API route documents.
            GUNICORN_CMD_ARGS="--limit-request-line 0",
        )


def test_schemathesis_finds_nothing(server, tmp_path, capsys, record_property):
    from accounts.api.serializers import TokenObtainSerializer

    me = UserFactory(username="fuzzer")
    other = UserFactory(username="other")
    PostFactory(author=other)
    PostFactory(author=me)
    access = str(TokenObtainSerializer.get_token(me).access_token)
    argv = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{server}/api/schema/?format=json",
        "--header",
        f"Authorization: Bearer {access}",
        "--checks",
        "all",
        # In its place: the same check, except for the 400s of rules a JSON schema
        # cannot state (schemathesis_hooks.RULES, each declared in the schema).
        "--exclude-checks",
        "positive_data_acceptance",
        # DRF refuses NUL in every string field (PostgreSQL text cannot hold it), a 400
        # that no schema string says. NUL is tested where it goes: in bodies
        # (tests/accounts/test_bad_input.py), in URLs (tests/core/test_errors.py).
        "--generation-allow-x00",
        "false",
        "--phases",
        "coverage,fuzzing,stateful",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        # The same cases every run: no examples replayed from earlier runs.
        "--generation-database",
        "none",
        "--workers",
        "1",
        "--report",
        "json",
        "--report-dir",
        str(tmp_path),
    ]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.security.schemathesis_hooks",
        "PYTHONPATH": os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])),
    }
    run = subprocess.run(argv, capture_output=True, text=True, timeout=1800, check=False, env=env)
    (report_path,) = tmp_path.glob("json-*.json")
    report = json.loads(report_path.read_text())
    summary = {
        "operations": report["operations"]["tested"],
        "cases": report["test_cases"]["generated"],
        "failures": report["test_cases"]["unique_failures"],
        "errors": len(report["errors"]),
    }
    figures = (
        f"schemathesis (seed {SEED}, {MAX_EXAMPLES} examples): "
        f"{summary['operations']} operations fuzzed, {summary['cases']} cases, "
        f"{summary['failures']} failures, {summary['errors']} errors"
    )
    with capsys.disabled():  # the figures, in every run's output
        print(f"\n{figures}")
    # Under pytest-xdist (make test) a worker's output is not shown; tests/conftest.py
    # prints this at the end of the run.
    record_property("figures", figures)
    print(run.stdout, run.stderr[-5000:])  # shown with a failure (and by make fuzz)
    assert summary["operations"] == report["operations"]["total"]
    assert summary["failures"] == 0, summary
    assert summary["errors"] == 0, summary
