"""The HTTP API: JWT, REST framework, the error format, the schema, CORS."""

import os
from datetime import timedelta

from config.settings.env import DEBUG, PRODUCTION, REDIS_URL, env_bool, env_int, env_list

# The error responses as the API answers them, every code per status (core.schema;
# named here as strings: settings import no DRF code).
_ERROR_STATUSES = (401, 403, 404, 405, 406, 409, 413, 415, 422, 429, 500)
_ERROR_CODE_ENUMS = [f"ErrorCode{status}Enum" for status in _ERROR_STATUSES]

# Seconds a "this token is valid" verdict is cached (accounts.authentication): a
# request then costs no PostgreSQL round trip to authenticate. Revocations write
# a new generation, so they take effect at once. Off (0) without Redis: the
# local-memory cache of embedded mode is per process.
AUTH_CACHE_SECONDS = env_int("AUTH_CACHE_SECONDS", 30 if REDIS_URL else 0)

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
    # OAuth tokens of Mastodon clients first: it passes JWT-shaped tokens on to the next.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "mastodon_api.authentication.OAuthTokenAuthentication",
        "accounts.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["core.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    # JSON in (DESIGN.md §6): a form or multipart body is a 415. A route that takes
    # uploads names its own parsers (and its body cap: REQUEST_BODY_MAX_BYTES_BY_ROUTE).
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.IdCursorPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
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
        "report": os.environ.get("THROTTLE_REPORT_RATE", "30/hour"),
        "media_upload": os.environ.get("THROTTLE_MEDIA_UPLOAD_RATE", "60/hour"),
    },
    # 0 = trust REMOTE_ADDR only. DRF's default (None) keys throttles on the whole
    # X-Forwarded-For header, which any client can forge to escape the limits.
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

DRF_STANDARDIZED_ERRORS = {
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
    "EXCEPTION_HANDLER_CLASS": "core.errors.ExceptionHandler",
    "ALLOWED_ERROR_STATUS_CODES": [
        "400",
        *(str(s) for s in _ERROR_STATUSES if s not in (409, 422)),  # those: per operation
    ],
    "ERROR_SCHEMAS": {
        str(status): f"core.schema.ErrorResponse{status}Serializer" for status in _ERROR_STATUSES
    },
}

_SYSTEM_FONTS = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
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
    # The system's fonts: ReDoc's defaults (Roboto, Montserrat) came from Google Fonts.
    "REDOC_UI_SETTINGS": {
        "theme": {
            "typography": {
                "fontFamily": _SYSTEM_FONTS,
                "headings": {"fontFamily": _SYSTEM_FONTS},
                "code": {"fontFamily": "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"},
            }
        }
    },
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        **{
            name: f"drf_standardized_errors.openapi_serializers.{name}.choices"
            for name in ["ValidationErrorEnum", "ClientErrorEnum", "ServerErrorEnum"]
        },
        **{
            name: f"core.schema.{name}.choices"
            for name in ["ClientError400CodeEnum", *_ERROR_CODE_ENUMS]
        },
    },
    "POSTPROCESSING_HOOKS": [
        "drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
        "core.schema.postprocess_error_attrs",
        "core.schema.postprocess_empty_query_values",
    ],
}

CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_URLS_REGEX = r"^/api/.*$"

# --- the Mastodon client API (mastodon_api/, README "Use your favourite Mastodon client") ---
# Requests whose Host is one of these names are served the Mastodon URLconf
# (mastodon_api.root_urls: /api/v1, /api/v2, /oauth, /.well-known, /nodeinfo) with
# Mastodon's error shape; every other host gets the native API. The instance URL
# a client takes is https://<one of these>/. Development and tests: `localhost`
# (the native API stays at 127.0.0.1). Each name must also be in ALLOWED_HOSTS.
MASTODON_API_HOSTS = [
    h.lower() for h in env_list("MASTODON_API_HOSTS", "" if PRODUCTION else "localhost")
]
MASTODON_INSTANCE_TITLE = os.environ.get("MASTODON_INSTANCE_TITLE", "Warble")
MASTODON_CONTACT_EMAIL = os.environ.get("MASTODON_CONTACT_EMAIL", "")

# django-oauth-toolkit: the OAuth 2 server of Mastodon clients (mastodon_api.oauth).
# Mastodon's scopes: the four top-level ones and their sub-scopes.
_MASTODON_SUB_SCOPES = {
    "read": "accounts blocks bookmarks favourites filters follows lists mutes notifications "
    "search statuses",
    "write": "accounts blocks bookmarks conversations favourites filters follows lists media "
    "mutes notifications reports statuses",
}
OAUTH2_PROVIDER = {
    "SCOPES": {
        "read": "Read all your account's data",
        "write": "Modify all your account's data",
        "follow": "Manage your follows, blocks and mutes",
        "push": "Receive push notifications",
        **{
            f"{top}:{sub}": f"{top} {sub}"
            for top, subs in _MASTODON_SUB_SCOPES.items()
            for sub in subs.split()
        },
    },
    "DEFAULT_SCOPES": ["read"],
    "OAUTH2_VALIDATOR_CLASS": "mastodon_api.oauth.Validator",
    "OAUTH2_BACKEND_CLASS": "mastodon_api.oauth.FormOrJSONCore",
    "ACCESS_TOKEN_EXPIRE_SECONDS": env_int("OAUTH_ACCESS_TOKEN_SECONDS", 7 * 24 * 3600),
    "REFRESH_TOKEN_EXPIRE_SECONDS": env_int("OAUTH_REFRESH_TOKEN_SECONDS", 90 * 24 * 3600),
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 300,
    "ROTATE_REFRESH_TOKEN": True,
    # PKCE is used when the client sends a challenge (Mastodon.py, Ivory, ...); not
    # required: toot and most Mastodon apps do not send one.
    "PKCE_REQUIRED": False,
    # Redirect URIs are matched exactly against the app's registered ones
    # (mastodon_api.oauth.Validator), any scheme: mobile apps register their own
    # (tusky://, ivory://), desktop apps http://127.0.0.1:<port>. DOT's scheme list is
    # not consulted; https only here keeps its deploy check quiet.
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    # RFC 9700 (OAuth 2.0 Security BCP), adopted: no implicit grant, S256 PKCE only,
    # tokens only in the Authorization header, `iss` in authorization responses, tokens
    # stored as SHA-256 checksums only. Not adopted (their deploy warnings are silenced
    # in base.py): the password grant (toot's login_cli and scripts use it; it goes
    # through the same sign-in lockout) and required PKCE (toot and Mastodon.py send
    # none; PKCE is enforced when a client sends a challenge).
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "REQUEST_APPROVAL_PROMPT": "force",
}
# DOT's own models (named: mastodon_api's migrations refer to them by setting).
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"  # noqa: S105
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth2_provider.RefreshToken"  # noqa: S105
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"  # noqa: S105
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"
