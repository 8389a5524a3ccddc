"""Django itself: apps, middleware, database, cache, auth, files, email, security."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

from config.settings.env import (
    BASE_DIR,
    DATABASE_URL,
    PRODUCTION,
    REDIS_URL,
    env_bool,
    env_int,
)

INSTALLED_APPS = [
    # First: its runserver (daphne's, refusing the development key off loopback)
    # overrides daphne's, which overrides Django's.
    "config.apps.ConfigConfig",
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
    "moderation",
    "oauth2_provider",
    "mastodon_api",
]

MIDDLEWARE = [
    # Outermost of all: requests to a MASTODON_API_HOSTS host name get the Mastodon
    # URLconf, and their errors the Mastodon shape {"error": ...} (mastodon_api/INTERFACE.md).
    "mastodon_api.middleware.MastodonHostMiddleware",
    # Outermost: sees every response, so no error under /api/ leaves as HTML.
    "core.errors.ApiErrorsAsJsonMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the body (the CSRF check reads form bodies).
    "core.request_limits.RequestBodyLimitMiddleware",
    "core.errors.RejectNulBytesMiddleware",
    "core.errors.DomainErrorMiddleware",
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
CSRF_FAILURE_VIEW = "core.errors.csrf_failure"
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
        # Django's backend, with a health check that polls the socket instead of
        # running SELECT 1 before each request's first query (core/postgresql/base.py).
        DATABASES["default"]["ENGINE"] = "core.postgresql"
        # JIT compilation added 0.6-1.6 s to single OLTP queries here (suggestions);
        # short indexed queries never profit from it.
        # Prepared statements (only through core.postgresql.prepared: the compiled feed
        # queries, tweets.feed.rules, and core.sql.write_together;
        # Django's own cursors bind on the client and never prepare) keep one
        # generic plan per connection instead of being planned on every run.
        # Django turns preparing off (prepare_threshold None) for poolers in
        # transaction mode; with PgBouncer in front, use its prepared-statement
        # support (max_prepared_statements) or set DB_PREPARED_STATEMENTS=0.
        options = DATABASES["default"].setdefault("OPTIONS", {})
        # pg_trgm's `%` threshold (search.selectors, user search): 0.3 by default,
        # which misses one swapped letter in a short name ("jonh"/"john" is 0.25).
        options["options"] = (
            "-c jit=off -c plan_cache_mode=force_generic_plan -c pg_trgm.similarity_threshold=0.2"
        )
        if env_bool("DB_PREPARED_STATEMENTS", True):
            options["prepare_threshold"] = 5
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
            # Requests touch the cache after commit (the dispatcher flag): a hung
            # Redis must fail them fast, not hold them.
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 2,
                "SOCKET_TIMEOUT": 2,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# After Redis failed, requests go on without it (core.degrade) for this long
# before trying it again.
REDIS_RETRY_AFTER_SECONDS = float(os.environ.get("REDIS_RETRY_AFTER_SECONDS", "5"))

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

# --- files ----------------------------------------------------------------
# Two storages (docs/media.md):
# - "default": private files (raw uploads waiting for processing, exports). Never
#   served by a URL of its own: a local folder outside MEDIA_ROOT, or the S3 bucket
#   with signed URLs only.
# - "media": processed images (re-encoded originals, thumbnails, avatars, banners),
#   public under unguessable keys so that post payloads (and the feed's payload
#   cache) can carry stable URLs: MEDIA_ROOT served at MEDIA_URL (by Django only
#   when DEBUG; a web server or CDN otherwise), or the "media/" prefix of the S3
#   bucket (AWS_MEDIA_LOCATION), readable anonymously by a bucket policy (MinIO:
#   `mc anonymous set download`, see docker-compose.yml) or AWS_MEDIA_CUSTOM_DOMAIN.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = os.environ.get("MEDIA_URL", "/media/")
PRIVATE_FILES_ROOT = Path(os.environ.get("PRIVATE_FILES_ROOT", VAR_DIR / "private"))
STATIC_ROOT = BASE_DIR / "var" / "static"
STATIC_URL = "/static/"
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
AWS_S3_ENDPOINT_URL = os.environ.get("AWS_S3_ENDPOINT_URL") or None
if AWS_STORAGE_BUCKET_NAME:
    _s3 = {
        "endpoint_url": AWS_S3_ENDPOINT_URL,
        "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
        "default_acl": None,
        "file_overwrite": False,
    }
    _private_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **_s3,
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "querystring_auth": True,  # private: signed URLs only
            "querystring_expire": env_int("AWS_QUERYSTRING_EXPIRE", 3600),
        },
    }
    _media_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **_s3,
            "bucket_name": os.environ.get("AWS_MEDIA_BUCKET_NAME") or AWS_STORAGE_BUCKET_NAME,
            "location": os.environ.get("AWS_MEDIA_LOCATION", "media"),
            "custom_domain": os.environ.get("AWS_MEDIA_CUSTOM_DOMAIN") or None,
            "url_protocol": os.environ.get("AWS_S3_URL_PROTOCOL", "https:"),
            "default_acl": os.environ.get("AWS_MEDIA_DEFAULT_ACL") or None,
            "querystring_auth": False,  # public, stable URLs under unguessable keys
            "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
        },
    }
else:
    _private_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_FILES_ROOT, "base_url": None},
    }
    _media_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": MEDIA_URL},
    }
STORAGES = {
    "default": _private_storage,
    "media": _media_storage,
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

# --- request limits (core.request_limits) ------------------------------------
# The largest request body of any kind, checked before it is read (413 above it).
# DATA_UPLOAD_MAX_MEMORY_SIZE, the older name, is still read.
REQUEST_BODY_MAX_BYTES = env_int(
    "REQUEST_BODY_MAX_BYTES", env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
)
# Media uploads: the file itself (checked while it streams in, media.uploads), and
# the whole multipart body (the file plus a little for alt text and boundaries).
MEDIA_UPLOAD_MAX_BYTES = env_int("MEDIA_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
# Routes that take more (or less), by URL name.
REQUEST_BODY_MAX_BYTES_BY_ROUTE: dict[str, int] = {
    name: MEDIA_UPLOAD_MAX_BYTES + 64 * 1024
    for name in (
        "media-upload",
        "me-avatar",
        "me-banner",
        "mastodon-media-v1",
        "mastodon-media-v2",
    )
}
# The URLconfs a route is looked up in for its cap (core.request_limits): the
# native API and the Mastodon hosts' (mastodon_api.middleware), since the body
# is checked before the host's URLconf is chosen.
REQUEST_BODY_URLCONFS = [ROOT_URLCONF, "mastodon_api.root_urls"]
# What Django itself reads into memory (JSON bodies, form fields): the same cap.
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's default config gives "django" a console handler of its own, and
        # daphne's runserver gives its access log one: without these, each of their
        # lines would be printed twice (theirs, then the root's).
        "django": {"handlers": [], "propagate": True},
        "django.channels.server": {"propagate": False},
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
    },
}

# USERNAME_FIELD is unique case-insensitively (a functional unique index), which
# the auth.W004 check cannot see.
SILENCED_SYSTEM_CHECKS = [
    "auth.W004",
    # django-oauth-toolkit's RFC 9700 notices for the two practices the Mastodon
    # client API keeps on purpose (config/settings/api.py, OAUTH2_PROVIDER): the
    # password grant and optional PKCE.
    "oauth2_provider.W002",
    "oauth2_provider.W010",
]
