"""Background work: Celery, the event outbox, the channel layer."""

import os

from config.settings.env import REDIS_URL, env_bool, env_int, env_list

# --- Celery ---------------------------------------------------------------
# The broker is RabbitMQ in services and production mode (docs/events.md): it
# keeps every task until a worker acknowledges it, so a killed worker's tasks
# come back at once. Every machine of this project runs one at 127.0.0.1:5672.
# Embedded mode (no REDIS_URL) runs tasks in process and needs no broker.
DEFAULT_BROKER_URL = "amqp://guest:guest@127.0.0.1:5672//"
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or (
    DEFAULT_BROKER_URL if REDIS_URL else "memory://"
)
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
# A task running when the broker connection drops finishes where it is; RabbitMQ
# delivers it again and the second run is a no-op (processed markers). Cancelling
# it sends its pool process SIGTERM, which billiard raises as SystemExit wherever
# the task is: inside Django's transaction bookkeeping that left the process
# wedged (config/pool_process.py).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# Celery closes a worker's database connections around every task unless this is
# set; config/celery.py applies Django's rule (CONN_MAX_AGE, health checks) instead.
# Celery still closes them after this many tasks.
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 1000)
# A worker (and beat) whose broker went away keeps reconnecting, for ever (the
# default gives up after 100 tries and exits).
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# A request publishing after commit must not hang on a dead broker: short
# timeouts, one quick publish retry, then the outbox row waits for the sweeper.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# AMQP heartbeats: a connection that went silent (a dead peer, a cut network) is
# noticed within about two intervals and re-opened.
CELERY_BROKER_HEARTBEAT = env_int("CELERY_BROKER_HEARTBEAT", 60)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Publisher confirms: a publish returns once RabbitMQ has the message (on disk,
    # for these durable queues and persistent messages); a refusal raises.
    "confirm_publish": True,
}
# One durable queue per kind of work, so a flood of one cannot starve the others.
# Workers: celery -A config worker -Q default,fanout,media (or one queue each).
# Classic queues, not quorum queues: with quorum queues Celery's prefetch is static,
# so a countdown task (the 50 ms dispatch window, digests, throttled pushes) blocks
# its worker unless the countdown goes through Celery's "native delayed delivery",
# which rounds to whole seconds and refuses countdowns under one second (docs/events.md).
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = {
    name: {
        "exchange": name,
        "exchange_type": "direct",
        "routing_key": name,
        "durable": True,
        "queue_arguments": {"x-queue-type": "classic"},
    }
    for name in ("default", "fanout", "media")
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
    # Suspensions with an end date are lifted within a minute of it (moderation.services).
    "suspensions-expire": {
        "task": "moderation.expire_suspensions",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
    "exports-prune": {
        "task": "moderation.prune_exports",
        "schedule": 86400.0,
        "options": {"expires": 3600},
    },
    "media-cleanup": {
        "task": "media.delete_unattached",
        "schedule": 3600.0,
        "options": {"expires": 600},
    },
    # Trending hashtags (search.selectors.trends_compute), at least every minute.
    "trends-refresh": {
        "task": "search.refresh_trends",
        "schedule": 60.0,
        "options": {"expires": 50},
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
# (bench/README.md: 0 -> 50 ms took POST 122 -> 200/s and fan-out 59k -> 146k/s;
# 50 -> 200 ms cut the stack's CPU per post by a third, twelfth pass). The cost:
# followers see a post up to that much later (its author at once).
EVENTS_DISPATCH_WINDOW_MS = env_int("EVENTS_DISPATCH_WINDOW_MS", 200)
# One core.run_handlers task per queue per dispatch. Off: a core.run_handler task
# per handler batch, the only kind a worker of a release before it knows (an
# unknown task is dropped): turn it on once every worker runs this release.
EVENTS_TASK_PER_QUEUE = env_bool("EVENTS_TASK_PER_QUEUE", default=True)
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
# leaving it open and deaf. (An environment variable so that a soak test can idle
# past it in seconds: tests/integration/test_mastodon_b.py; keep it above 5.)
CHANNELS_REDIS_SOCKET_TIMEOUT = env_int("CHANNELS_REDIS_SOCKET_TIMEOUT", 15)
# Every socket of one daphne process receives through ONE Redis key (channels-redis
# stores process-local channels under their process's name), and `capacity` caps
# the messages waiting in it: the default 100 dropped a fan-out's pushes to the
# 101st socket onwards whenever daphne read slower than a chunk was sent
# ("channels over capacity"). Size it for a burst to every socket a process holds;
# `expiry` (60 s) still bounds what a stuck process accumulates.
CHANNELS_CAPACITY = env_int("CHANNELS_CAPACITY", 20_000)
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
                "capacity": CHANNELS_CAPACITY,
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
# Presence (core.realtime): who has a socket or stream open, for fan-out pushes.
REALTIME_PRESENCE_TTL_SECONDS = env_int("REALTIME_PRESENCE_TTL_SECONDS", 90)
REALTIME_PRESENCE_REFRESH_SECONDS = env_int("REALTIME_PRESENCE_REFRESH_SECONDS", 30)
WEBSOCKET_ALLOWED_ORIGINS = env_list("WEBSOCKET_ALLOWED_ORIGINS")
# Where Mastodon clients stream (the instance's `urls.streaming_api`): the ASGI
# server's public URL, e.g. wss://stream.example.org. Empty: the instance URL
# itself (a proxy in front routes /api/v1/streaming to the ASGI server).
MASTODON_STREAMING_URL = os.environ.get("MASTODON_STREAMING_URL", "")
