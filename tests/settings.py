"""Settings of the test suite: the project's own, plus the test-only app.

`tests/eventapp` (handlers and an effect table for the event tests) is installed
here, for pytest (pyproject.toml) and for the processes the integration tests
start (`tests.integration.celery_workers.process_env`), never by the project.
"""

import os as _os
from urllib.parse import urlsplit as _urlsplit

# pytest-xdist (`make test` runs the unit tests in two processes, gw0 and gw1): each
# process gets a Redis database and a RabbitMQ virtual host of its own, so that one's
# cache.clear() or queue purge cannot touch what the other's test holds, nor its
# workers take the other's tasks (pytest-django gives each its own PostgreSQL
# database; tests/conftest.py creates the virtual host). Set in the environment, so
# the servers and workers a test starts use their test's.
# The processes a test starts inherit both the variable and the URLs made here: once.
_xdist_worker = _os.environ.get("PYTEST_XDIST_WORKER", "")
_xdist_index = int(_xdist_worker[2:]) if _xdist_worker.startswith("gw") else 0
if _os.environ.get("WARBLE_TEST_SERVICES_OF") == _xdist_worker:
    _xdist_index = 0
_os.environ["WARBLE_TEST_SERVICES_OF"] = _xdist_worker
if _xdist_index and _os.environ.get("REDIS_URL"):
    _redis = _urlsplit(_os.environ["REDIS_URL"])
    _db = (int(_redis.path.strip("/") or 0) + _xdist_index) % 16
    _os.environ["REDIS_URL"] = _redis._replace(path=f"/{_db}").geturl()
if _xdist_index and _os.environ.get("CELERY_BROKER_URL", "").startswith("amqp://"):
    _broker = _urlsplit(_os.environ["CELERY_BROKER_URL"])
    _vhost = _broker.path[1:] if len(_broker.path) > 1 else "warble"
    _path = f"/{_vhost}-{_xdist_worker}"
    _os.environ["CELERY_BROKER_URL"] = _broker._replace(path=_path).geturl()

from config.settings import *  # noqa: E402, F403
from config.settings import DEVELOPMENT_SECRET_KEY, INSTALLED_APPS, SECRET_KEY  # noqa: E402

INSTALLED_APPS = [*INSTALLED_APPS, "tests.eventapp"]

# The suite's processes (pytest, and the servers and workers the integration tests
# start with these settings) run in services mode, where no server starts with the
# public development key (config/secret_key.py). A key for test data only.
if SECRET_KEY == DEVELOPMENT_SECRET_KEY:
    SECRET_KEY = "warble-test-suite-only-" + "k" * 40

# Commits need not wait for the WAL flush in tests (durability after a server
# crash is not what they test), and a good part of the suite commits for real.
if DATABASES["default"]["ENGINE"] == "core.postgresql":  # noqa: F405
    _options = DATABASES["default"].setdefault("OPTIONS", {})  # noqa: F405
    _options["options"] = _options.get("options", "") + " -c synchronous_commit=off"

# The Mastodon face (mastodon_api/INTERFACE.md) answers on `mastodon.localhost` in
# the suite: `localhost` stays the native API that older tests call. A live server
# for real Mastodon clients is started with MASTODON_API_HOSTS=localhost.
if "MASTODON_API_HOSTS" not in _os.environ:
    MASTODON_API_HOSTS = ["mastodon.localhost"]
ALLOWED_HOSTS = [*ALLOWED_HOSTS, *MASTODON_API_HOSTS]  # noqa: F405

# Authentication without its cached verdicts in the test process: the suite's query
# counts include the user query of every request, warm or cold
# (tests/accounts/test_auth_cache.py turns the cache on and checks it, revocations
# included). The servers the integration tests start use it as production does
# (tests.integration.celery_workers.TEST_WORKER_ENV).
AUTH_CACHE_SECONDS = int(_os.environ.get("AUTH_CACHE_SECONDS") or 0)
