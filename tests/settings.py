"""Settings of the test suite: the project's own, plus the test-only app.

`tests/eventapp` (handlers and an effect table for the event tests) is installed
here, for pytest (pyproject.toml) and for the processes the integration tests
start (`tests.integration.celery_workers.process_env`), never by the project.
"""

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.eventapp"]
