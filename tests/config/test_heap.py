"""The servers' entry points move their startup objects out of the garbage
collector's full collections (config.heap): each is imported in a fresh process,
as the WSGI and ASGI servers import it."""

import os
import subprocess
import sys

import pytest

from tests.integration.procs import ROOT

# Django, the apps and their modules: far more than an interpreter starts with.
STARTUP_OBJECTS = 100_000


@pytest.mark.parametrize("module", ["config.wsgi", "config.asgi"])
def test_a_server_entry_point_freezes_what_it_loaded(module):
    code = f"import gc, {module}; print(gc.get_freeze_count())"
    env = os.environ | {
        "SECRET_KEY": "heap-test-" + "k" * 50,
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.split()[-1]) > STARTUP_OBJECTS
