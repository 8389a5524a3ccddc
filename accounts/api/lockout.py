"""The answer django-axes gives once a login is locked out: 429 in the one error format."""

from django.conf import settings

from core.errors import error_response


def lockout_response(request, original_response=None, credentials=None):
    response = error_response(
        status_code=429,
        code="login_locked_out",
        detail="Too many failed sign-in attempts. Try again later.",
    )
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response


def lockout_username(request, credentials=None) -> str | None:
    """The name axes counts failures under: case- and space-insensitive, like sign-in."""
    username = (credentials or {}).get("username")
    if username is None:
        username = getattr(request, "data", request.POST).get("username")
    return username.strip().lower() if isinstance(username, str) else None
