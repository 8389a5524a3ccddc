"""Warble settings: one code path, three modes chosen by the environment.

- embedded (nothing set): SQLite (WAL), local-memory cache, eager Celery,
  in-memory channel layer, local files, console email. `make run` uses it.
- services (`DATABASE_URL`, `REDIS_URL`): PostgreSQL, Redis for cache, Celery
  broker and channel layer. `make test` uses it.
- production (`DJANGO_ENV=production`): services plus hardening; refuses to
  start without `SECRET_KEY` and `ALLOWED_HOSTS`.
"""

import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DJANGO_ENV = os.environ.get("DJANGO_ENV", "development").strip().lower()
PRODUCTION = DJANGO_ENV == "production"
DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
EMBEDDED = not DATABASE_URL and not REDIS_URL and not PRODUCTION

if PRODUCTION:
    missing = [name for name in ("SECRET_KEY", "ALLOWED_HOSTS") if not os.environ.get(name)]
    if missing:
        raise ImproperlyConfigured(f"DJANGO_ENV=production needs {', '.join(missing)} to be set.")
    if not DATABASE_URL or not REDIS_URL:
        raise ImproperlyConfigured("DJANGO_ENV=production needs DATABASE_URL and REDIS_URL.")

# A fixed development key keeps sessions stable across `make run` restarts; it
# is never accepted in production (checked above and by check --deploy).
SECRET_KEY = (
    os.environ.get("SECRET_KEY") or "django-insecure-warble-development-key-not-for-production"
)
if PRODUCTION and (SECRET_KEY.startswith("django-insecure") or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured("SECRET_KEY must be a random string of at least 50 characters.")

DEBUG = env_bool("DJANGO_DEBUG", default=EMBEDDED)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "django_filters",
    "corsheaders",
    "axes",
    "channels",
    "core",
    "accounts",
    "relationships",
    "media",
    "tweets",
    "notifications",
    "search",
    "config.apps.ConfigConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.errors.RejectNulBytesMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database -------------------------------------------------------------
VAR_DIR = Path(os.environ.get("WARBLE_VAR_DIR", BASE_DIR / "var"))
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # JIT compilation added 0.6-1.6 s to single OLTP queries here (suggestions);
        # short indexed queries never profit from it.
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "warble.sqlite3",
            "OPTIONS": {
                # WAL lets readers run while one writer writes; IMMEDIATE takes the
                # write lock at BEGIN so two writers queue instead of deadlocking.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache ----------------------------------------------------------------
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "warble"),
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- auth -----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.UsernameOrEmailBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3600)

# Login lock-out: five failures for one username from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.api.lockout.lockout_response"
# "Alice", "alice" and "ALICE" are one account, so they share one failure count.
AXES_USERNAME_CALLABLE = "accounts.api.lockout.lockout_username"
AXES_ENABLED = env_bool("AXES_ENABLED", True)

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 14)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_CLAIM": "user_id",
    "TOKEN_OBTAIN_SERIALIZER": "accounts.api.serializers.TokenObtainSerializer",
    "TOKEN_REFRESH_SERIALIZER": "accounts.api.serializers.TokenRotateSerializer",
}

# --- REST framework -------------------------------------------------------
THROTTLE_ENABLED = env_bool("THROTTLE_ENABLED", True)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.IdCursorPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_standardized_errors.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "core.throttling.UserRateThrottle",
        "core.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": os.environ.get("THROTTLE_USER_RATE", "1200/min"),
        "anon": os.environ.get("THROTTLE_ANON_RATE", "120/min"),
        "auth": os.environ.get("THROTTLE_AUTH_RATE", "20/min"),
        "register": os.environ.get("THROTTLE_REGISTER_RATE", "10/hour"),
        "password_reset": os.environ.get("THROTTLE_PASSWORD_RESET_RATE", "5/hour"),
        "write": os.environ.get("THROTTLE_WRITE_RATE", "300/min"),
    },
    # 0 = trust REMOTE_ADDR only. DRF's default (None) keys throttles on the whole
    # X-Forwarded-For header, which any client can forge to escape the limits.
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

DRF_STANDARDIZED_ERRORS = {
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
    "EXCEPTION_HANDLER_CLASS": "core.errors.ExceptionHandler",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Warble API",
    "DESCRIPTION": (
        "REST API of Warble, an X/Twitter-style social network. Authenticate with "
        "`POST /api/v1/auth/token`, then press **Authorize** and paste the access token. "
        "Ids are 64-bit integers serialized as strings; lists use cursor pagination."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True, "displayOperationId": False},
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        name: f"drf_standardized_errors.openapi_serializers.{name}.choices"
        for name in [
            "ValidationErrorEnum",
            "ClientErrorEnum",
            "ServerErrorEnum",
            *(f"ErrorCode{code}Enum" for code in (401, 403, 404, 405, 406, 415, 429, 500)),
        ]
    },
    "POSTPROCESSING_HOOKS": [
        "drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
    ],
}

CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_URLS_REGEX = r"^/api/.*$"

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
# Test-only apps (tests/eventapp: handlers and an effect table for the event tests):
# loaded under pytest, and in the worker processes the integration tests start.
if env_bool("WARBLE_TEST_APPS", "pytest" in sys.modules):
    INSTALLED_APPS = [*INSTALLED_APPS, "tests.eventapp"]

# --- channels -------------------------------------------------------------
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": os.environ.get("CHANNELS_PREFIX", "warble")},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
WEBSOCKET_ALLOWED_ORIGINS = env_list("WEBSOCKET_ALLOWED_ORIGINS")

# --- files ----------------------------------------------------------------
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
MEDIA_URL = "/media/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATIC_URL = "/static/"
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
if AWS_STORAGE_BUCKET_NAME:
    _media_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "default_acl": None,
            "querystring_auth": env_bool("AWS_QUERYSTRING_AUTH", True),
            "file_overwrite": False,
        },
    }
else:
    _media_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": MEDIA_URL},
    }
STORAGES = {
    "default": _media_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- email ----------------------------------------------------------------
if PRODUCTION and os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = os.environ.get(
        "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
    )
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Warble <no-reply@warble.local>")
FRONTEND_PASSWORD_RESET_URL = os.environ.get(
    "FRONTEND_PASSWORD_RESET_URL", "http://127.0.0.1:8000/reset?uid={uid}&token={token}"
)

# --- i18n -----------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- security (production) -------------------------------------------------
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)

# --- posts ----------------------------------------------------------------
# How long after posting the author may still edit a post.
POST_EDIT_WINDOW_MINUTES = env_int("POST_EDIT_WINDOW_MINUTES", 30)

# --- home feed (tweets.feed, docs/feed.md) ------------------------------------
# "redis": fan-out on write into Redis timelines; "sql": the keyset pull query.
FEED_BACKEND = os.environ.get("FEED_BACKEND") or ("redis" if REDIS_URL else "sql")
FEED_REDIS_URL = os.environ.get("FEED_REDIS_URL") or REDIS_URL
FEED_MAX_ENTRIES = env_int("FEED_MAX_ENTRIES", 800)  # per timeline and per author list
# Authors with more followers are not fanned out; readers merge their author list.
FEED_FANOUT_MAX_FOLLOWERS = env_int("FEED_FANOUT_MAX_FOLLOWERS", 10_000)
# Readers merge the lists of followed authors above this (lower: hysteresis, so an
# author who drops back under the fan-out threshold is still merged).
FEED_MERGE_MIN_FOLLOWERS = env_int("FEED_MERGE_MIN_FOLLOWERS", FEED_FANOUT_MAX_FOLLOWERS // 2)
FEED_MAX_MERGED_AUTHORS = env_int("FEED_MAX_MERGED_AUTHORS", 100)  # more: served by SQL
FEED_ACTIVE_DAYS = env_int("FEED_ACTIVE_DAYS", 14)  # timeline TTL, refreshed by each read
FEED_FANOUT_CHUNK = env_int("FEED_FANOUT_CHUNK", 1000)  # followers per fan-out task
FEED_PAYLOAD_TTL = env_int("FEED_PAYLOAD_TTL", 86_400)  # seconds a post payload is cached
# A rebuild re-reads entries this much older than its snapshot (commits in flight).
FEED_REBUILD_MARGIN_SECONDS = env_int("FEED_REBUILD_MARGIN_SECONDS", 10)

# --- notifications ----------------------------------------------------------
# Users notified per post for its mentions (the rest of a long @-list is ignored).
NOTIFICATIONS_MAX_MENTIONS = env_int("NOTIFICATIONS_MAX_MENTIONS", 10)
# Email digests: the first emailable notification schedules one email this many
# seconds later, covering everything that arrived meanwhile. Keep it below
# CELERY_VISIBILITY_TIMEOUT (a countdown task longer than that is delivered twice).
NOTIFICATIONS_EMAIL_DIGEST_SECONDS = env_int("NOTIFICATIONS_EMAIL_DIGEST_SECONDS", 300)
# post.updated pushes of counter changes: at most one per post per interval.
NOTIFICATIONS_POST_UPDATE_INTERVAL_SECONDS = env_int(
    "NOTIFICATIONS_POST_UPDATE_INTERVAL_SECONDS", 2
)
NOTIFICATIONS_MAX_POST_SUBSCRIPTIONS = env_int("NOTIFICATIONS_MAX_POST_SUBSCRIPTIONS", 200)
NOTIFICATIONS_SSE_KEEPALIVE_SECONDS = env_int("NOTIFICATIONS_SSE_KEEPALIVE_SECONDS", 15)

# --- ids ------------------------------------------------------------------
# Worker ids for the time-ordered id generator are leased from Redis when it is
# configured, so that every process in a deployment gets its own.
ID_WORKER_REDIS_URL = REDIS_URL

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
    },
}

# USERNAME_FIELD is unique case-insensitively (a functional unique index), which
# the auth.W004 check cannot see.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
