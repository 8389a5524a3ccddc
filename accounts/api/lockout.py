"""Login lock-out (django-axes): what it counts failures under, and its answer."""

from django.conf import settings

from accounts.selectors import user_by_login
from core.errors import error_response

# AccessAttempt.username is 255 characters.
_MAX_KEY = 255


def lockout_response(request, original_response=None, credentials=None):
    """429 in the one error format once a login is locked out."""
    response = error_response(
        status_code=429,
        code="login_locked_out",
        detail="Too many failed sign-in attempts. Try again later.",
    )
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response


def lockout_username(request, credentials=None) -> str | None:
    """The name axes counts failures under (with the address: AXES_LOCKOUT_PARAMETERS).

    One count per account, whichever identifier names it: "alice", "ALICE" and
    "alice@example.com" of one account share it (each used to get its own five
    tries). A login that names no account is counted under its own lowercased
    text, so unknown names are locked out alike and answer the same."""
    login = (credentials or {}).get("username")
    if login is None:
        login = getattr(request, "data", request.POST).get("username")
    if not isinstance(login, str):
        return None
    # axes asks several times per request: look the account up once.
    cache = request.__dict__.setdefault("_lockout_keys", {})
    if login not in cache:
        user = user_by_login(login) if "\x00" not in login else None  # PostgreSQL refuses NUL
        key = f"account:{user.pk}" if user is not None else f"login:{login.strip().lower()}"
        cache[login] = key[:_MAX_KEY]
    return cache[login]
