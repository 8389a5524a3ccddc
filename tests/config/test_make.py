"""The Makefile's recipes, read with `make -n` (nothing is installed or served)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def recipe(target: str, *variables: str) -> list[str]:
    """The commands `make target` would run (prerequisites included, none run)."""
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", target, *variables],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return result.stdout.splitlines()


def command(target: str, contains: str, *variables: str) -> str:
    [line] = [line for line in recipe(target, *variables) if contains in line]
    return line


def test_make_run_serves_on_127_0_0_1_port_8000_by_default():
    assert command("run", "runserver").endswith("manage.py runserver 127.0.0.1:8000")
    assert command("run", "seed_demo").endswith("seed_demo --host 127.0.0.1 --port 8000")


def test_make_run_takes_host_and_port_and_answers_to_that_host():
    serve = command("run", "runserver", "HOST=0.0.0.0", "PORT=8123")
    assert serve.endswith("manage.py runserver 0.0.0.0:8123")
    assert "ALLOWED_HOSTS=${ALLOWED_HOSTS:-127.0.0.1,localhost,0.0.0.0}" in serve
    seed = command("run", "seed_demo", "HOST=0.0.0.0", "PORT=8123")
    assert seed.endswith("seed_demo --host 0.0.0.0 --port 8123")


def test_the_migrations_check_needs_no_database_named_like_database_url():
    """It warned `database "warble" does not exist` when DATABASE_URL named a
    database nobody had created (make test only ever creates test_<name>)."""
    line = command("migrations-check", "makemigrations")
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/warble_no_such_database",
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    }
    result = subprocess.run(
        ["bash", "-c", line], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout
    assert "does not exist" not in result.stderr
    assert "warning" not in result.stderr.lower()


def test_make_test_installs_debians_chromium_when_missing():
    """The browser tests need /usr/bin/chromium: `make test` installs Debian's package
    first when it is missing, without asking (CI=true, no stdin), never a download."""
    steps = recipe("test", "CHROMIUM=/nonexistent/chromium")
    install = "\n".join(steps)
    assert "apt-get install -y" in install
    assert "chromium < /dev/null" in install
    assert "DEBIAN_FRONTEND=noninteractive" in install
    assert steps.index(next(s for s in steps if "apt-get install" in s)) < steps.index(
        next(s for s in steps if "-m pytest" in s)
    )
