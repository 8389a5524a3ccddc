"""Background work: Celery, the event outbox, the channel layer."""

import os

from config.settings.env import REDIS_URL, env_bool, env_int, env_list

# --- Celery ---------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# At-least-once (docs/events.md): a task is acknowledged only after it ran, and a
# task whose worker process died goes back to the queue.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # a worker reserves no task it cannot start now
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True  # redelivered anyway
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A request publishing after commit must not hang on a dead broker: short
# timeouts, one quick publish retry, then the outbox row waits for the sweeper.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# Redis redelivers an unacknowledged task after the visibility timeout (that is
# how a task of a SIGKILLed worker comes back). It must exceed the longest task
# (EVENTS_TASK_TIME_LIMIT) and any countdown, or live tasks get delivered twice.
_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 600)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": _VISIBILITY_TIMEOUT,
    # Check for abandoned tasks often enough for the timeout chosen.
    "unacked_restore_interval": max(1, min(10, _VISIBILITY_TIMEOUT // 10)),
    "unacked_restore_throttle": 1 if _VISIBILITY_TIMEOUT < 100 else 10,
    "socket_connect_timeout": 2,
    "socket_timeout": 10,
    "socket_keepalive": True,
}
# One queue per kind of work, so a flood of one cannot starve the others.
# Workers: celery -A config worker -Q default,fanout,media (or one queue each).
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = {
    name: {"exchange": name, "routing_key": name} for name in ("default", "fanout", "media")
}
# Event handler tasks go to their handler's queue (@handler(queue=...)).
CELERY_TASK_ROUTES = {"media.tasks.*": {"queue": "media"}}
CELERY_BEAT_SCHEDULE = {
    "events-sweep": {
        "task": "core.sweep_outbox",
        "schedule": float(os.environ.get("EVENTS_SWEEP_INTERVAL_SECONDS", "3")),
        "options": {"expires": 30},  # behind a backlog, a later sweep does the job
    },
    "events-prune": {"task": "core.prune_events", "schedule": 3600.0, "options": {"expires": 600}},
    "idempotency-prune": {
        "task": "core.prune_idempotency_records",
        "schedule": 3600.0,
        "options": {"expires": 600},
    },
    "tokens-flush": {
        "task": "accounts.flush_expired_tokens",
        "schedule": 86400.0,
        "options": {"expires": 3600},
    },
}

# Events (core.events, docs/events.md).
EVENTS_BATCH_SIZE = env_int("EVENTS_BATCH_SIZE", 100)  # events of one handler per task
# The dispatcher a commit queues waits this long to pack more events per task
# (bench/README.md: 50 ms took POST 122 -> 200/s and fan-out 59k -> 146k/s).
EVENTS_DISPATCH_WINDOW_MS = env_int("EVENTS_DISPATCH_WINDOW_MS", 50)
EVENTS_SWEEP_AFTER_SECONDS = float(os.environ.get("EVENTS_SWEEP_AFTER_SECONDS", "5"))
EVENTS_MAX_ATTEMPTS = env_int("EVENTS_MAX_ATTEMPTS", 8)  # then the pair is a dead letter
EVENTS_RETRY_BASE_SECONDS = float(os.environ.get("EVENTS_RETRY_BASE_SECONDS", "5"))
EVENTS_RETRY_MAX_SECONDS = float(os.environ.get("EVENTS_RETRY_MAX_SECONDS", "600"))
EVENTS_RETENTION_HOURS = float(os.environ.get("EVENTS_RETENTION_HOURS", "24"))
EVENTS_TASK_TIME_LIMIT = env_int("EVENTS_TASK_TIME_LIMIT", 300)  # hard; soft is 10% less
# --- channels (docs/realtime.md) -----------------------------------------------
# channels-redis waits for pushes with a blocking BZPOPMIN of up to
# `RedisChannelLayer.brpop_timeout` (5 s), which Redis answers only when it
# ends, while redis-py 8 gives every read a 5 s `socket_timeout` by default: an
# idle socket's receive timed out and daphne closed it with 1011 (issue 12).
# The read timeout must outlast that block; it stays finite so that a Redis
# that hangs fails the receive, which closes the connection (4503) instead of
# leaving it open and deaf.
CHANNELS_REDIS_SOCKET_TIMEOUT = 15
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # A dict host: channels-redis hands every key but "address" to
                # redis-py's ConnectionPool.from_url (options in the URL win).
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": CHANNELS_REDIS_SOCKET_TIMEOUT,
                        "socket_connect_timeout": 2,
                        "socket_keepalive": True,
                        "health_check_interval": 30,  # PING a pooled connection idle this long
                    }
                ],
                "prefix": os.environ.get("CHANNELS_PREFIX", "warble"),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# Keep-alives, so that proxies do not idle a connection out and clients can tell
# a quiet connection from a dead one: a `heartbeat` frame on /ws/ (daphne also
# sends protocol pings, --ping-interval) and a comment line on /api/v1/stream
# (NOTIFICATIONS_SSE_KEEPALIVE_SECONDS, config/settings/product.py).
NOTIFICATIONS_WS_HEARTBEAT_SECONDS = env_int("NOTIFICATIONS_WS_HEARTBEAT_SECONDS", 25)
WEBSOCKET_ALLOWED_ORIGINS = env_list("WEBSOCKET_ALLOWED_ORIGINS")
