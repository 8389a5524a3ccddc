"""Where the Mastodon client API is served: on its own host names.

Mastodon clients take an instance URL and call `/api/v1/...` under it, which
collides with Warble's native `/api/v1/` routes (`notifications`, `search`, ...).
So a request whose Host is in `MASTODON_API_HOSTS` is resolved against
`mastodon_api.root_urls` (Django's per-request `request.urlconf`); every other
host keeps `config.urls`. The same process, database and services serve both.

Errors on those hosts take Mastodon's shape: `{"error": "<message>"}` (and
`error_description` where OAuth has one). Views raise Warble's errors as
everywhere else; the body is rewritten here, in one place, after the
project's error handling produced its format. A validation error answers 422
as Mastodon does ("Validation failed: ...").
"""

import json
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, JsonResponse

ROOT_URLCONF = "mastodon_api.root_urls"
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "Link")


def is_mastodon_host(request: HttpRequest) -> bool:
    host = request.get_host()  # once: it validates against ALLOWED_HOSTS each call
    name = host.rsplit(":", 1)[0].lower() if host else ""
    return name in settings.MASTODON_API_HOSTS


def mastodon_error(message: str, *, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _message(body: dict) -> tuple[str, bool]:
    """The one-line message of a Warble error body, and whether it is a validation error."""
    errors = body.get("errors") or []
    validation = body.get("type") == "validation_error"
    parts = []
    for error in errors:
        detail = str(error.get("detail") or "")
        attr = error.get("attr")
        parts.append(f"{attr}: {detail}" if validation and attr else detail)
    message = "; ".join(p for p in parts if p) or "Error."
    return (f"Validation failed: {message}" if validation else message), validation


class MastodonHostMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        try:
            mastodon = is_mastodon_host(request)
        except Exception:
            mastodon = False
        if not mastodon:
            return self.get_response(request)
        request.urlconf = ROOT_URLCONF
        if len(request.path_info) > 1 and request.path_info.endswith("/"):
            # Mastodon's router takes a trailing slash too (Mastodon.py asks for
            # /api/v2/instance/); the routes here have none.
            request.path_info = request.path_info.rstrip("/") or "/"
        request.is_mastodon = True  # type: ignore[attr-defined]
        response = self.get_response(request)
        if response.status_code < 400 or getattr(response, "streaming", False):
            return response
        content_type = response.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return response  # the HTML consent page's own errors
        try:
            body = json.loads(response.content or b"{}")
        except ValueError:
            return response
        if not isinstance(body, dict) or "error" in body or "errors" not in body:
            return response  # already Mastodon's (or OAuth's) shape
        message, validation = _message(body)
        status = 422 if validation and response.status_code == 400 else response.status_code
        rewritten = mastodon_error(message, status=status)
        for header in _KEPT_HEADERS:
            if header in response:
                rewritten[header] = response[header]
        return rewritten
