"""Warble settings: one code path, three modes chosen by the environment.

- embedded (nothing set): SQLite (WAL), local-memory cache, eager Celery,
  in-memory channel layer, local files, console email. `make run` uses it.
- services (`DATABASE_URL`, `REDIS_URL`): PostgreSQL, Redis for the cache,
  timelines and channel layer, Celery workers fed by RabbitMQ
  (`CELERY_BROKER_URL`). `make test` uses it.
- production (`DJANGO_ENV=production`): services plus hardening; refuses to
  start without `SECRET_KEY` and `ALLOWED_HOSTS`.

Split by concern; every module reads the environment through config.settings.env:
`env` (modes, secrets, debug), `base` (Django), `api` (REST, JWT, schema),
`tasks` (Celery, events, channels), `product` (posts, feed, notifications).
"""

from config.settings.api import *  # noqa: F403
from config.settings.base import *  # noqa: F403
from config.settings.env import *  # noqa: F403
from config.settings.product import *  # noqa: F403
from config.settings.tasks import *  # noqa: F403
