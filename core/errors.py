"""The one error format (drf-standardized-errors) for every error response.

DRF views answer errors through `drf_standardized_errors` (with the handler
below); the views here cover what reaches Django itself: unknown routes,
methods a plain view does not allow, CSRF failures, unhandled exceptions; and
`ApiErrorsAsJsonMiddleware` catches whatever else would answer HTML under /api/.
The domain errors (`NotFound`, `NotAllowed`, `Conflict`, `Invalid`) are what
services and selectors raise; the handler maps them to HTTP.
"""

from collections.abc import Callable, Mapping, Sequence
from http import HTTPStatus
from typing import cast

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from drf_standardized_errors import handler
from drf_standardized_errors.types import ExceptionHandlerContext
from rest_framework import exceptions, status

# What a Django middleware wraps: the rest of the stack, request to response.
GetResponse = Callable[[HttpRequest], HttpResponseBase]


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


# --- domain errors -------------------------------------------------------------
# What services, selectors and handlers raise when they refuse: a machine `code`
# and a human `message`, no HTTP. They become responses in one place,
# `ExceptionHandler.convert_known_exceptions` (DRF views), which
# `DomainErrorMiddleware` reuses for plain Django views.


class DomainError(Exception):
    """A refusal the caller can act on. Raise a subclass: a bare one is a 500."""

    default_code = "error"
    default_message = "The request cannot be completed."

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        self.message = message or self.default_message
        self.code = code or self.default_code
        super().__init__(self.message)


class NotFound(DomainError):
    """404: missing, or not visible to the actor (on purpose, the same answer)."""

    default_code = "not_found"
    default_message = "Not found."


class NotAllowed(DomainError):
    """403: visible, but the actor may not do this."""

    default_code = "permission_denied"
    default_message = "You do not have permission to perform this action."


class Conflict(DomainError):
    """409: the current state refuses the change; the same request may pass later."""

    default_code = "conflict"
    default_message = "The request conflicts with the current state."


class Invalid(DomainError):
    """400: bad input. `fields` maps each field to its messages (each becomes an
    error item with that `attr`, all with `code`); without `fields` the error is
    the request's (`attr` null). With `fields`, `message` is only a summary."""

    default_code = "invalid"
    default_message = "Invalid input."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        fields: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.fields = {name: list(messages) for name, messages in (fields or {}).items()}
        if message is None and self.fields:
            message = " ".join(m for messages in self.fields.values() for m in messages)
        super().__init__(message, code=code)


class TooLarge(DomainError):
    """413: the input (an uploaded file) is larger than allowed."""

    default_code = "payload_too_large"
    default_message = "The request body is too large."


class UnsupportedType(DomainError):
    """415: the input is of a type this operation does not take (an upload that is
    not an image we accept, whatever its name or declared type says)."""

    default_code = "unsupported_media_type"
    default_message = "Unsupported media type."


class UnsupportedTypeError(exceptions.APIException):
    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    default_detail = UnsupportedType.default_message
    default_code = UnsupportedType.default_code


class ConflictError(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT  # DRF has no 409 of its own
    default_detail = Conflict.default_message
    default_code = Conflict.default_code


class DomainErrorMiddleware:
    """Domain errors a plain Django view lets through answer as in DRF views."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> JsonResponse | None:
        if not isinstance(exception, DomainError):
            return None
        # No DRF view here: the context has no view, arguments or DRF request.
        context: dict[str, object] = {"view": None, "args": (), "kwargs": {}, "request": None}
        drf = ExceptionHandler(exception, cast(ExceptionHandlerContext, context))
        converted = drf.convert_known_exceptions(exception)
        if not isinstance(converted, exceptions.APIException):
            return None  # a bare DomainError: Django's 500 path
        return JsonResponse(drf.format_exception(converted), status=converted.status_code)


class _FlatAPIException(exceptions.APIException):
    """A non-validation error reduced to one detail, keeping the two attributes
    drf-standardized-errors turns into headers (WWW-Authenticate, Retry-After)."""

    auth_header: str | None = None
    wait: float | None = None


class ExceptionHandler(handler.ExceptionHandler):
    """drf-standardized-errors, plus the domain errors above, plus one fix for
    exceptions carrying a dict detail.

    simplejwt raises `InvalidToken`/`AuthenticationFailed` with a detail of
    `{"detail", "code", "messages": [...]}`, which the formatter would flatten
    into several errors with attrs "detail", "code", "messages.0.message".
    A non-validation error has exactly one error, so keep only its detail/code.
    """

    def convert_known_exceptions(self, exc: Exception) -> Exception:
        # The one mapping of domain errors to HTTP (docs/architecture.md, "Errors").
        # A bare DomainError falls through: not a kind clients know, so a 500.
        if isinstance(exc, Invalid):
            return exceptions.ValidationError(exc.fields or exc.message, code=exc.code)
        if isinstance(exc, NotFound):
            return exceptions.NotFound(exc.message, code=exc.code)
        if isinstance(exc, NotAllowed):
            return exceptions.PermissionDenied(exc.message, code=exc.code)
        if isinstance(exc, Conflict):
            return ConflictError(exc.message, code=exc.code)
        if isinstance(exc, TooLarge):
            return PayloadTooLarge(exc.message, code=exc.code)
        if isinstance(exc, UnsupportedType):
            return UnsupportedTypeError(exc.message, code=exc.code)
        # Django answers these with 400 itself, but raised while DRF parses a body
        # they would reach the handler as unknown exceptions and become 500s.
        if isinstance(exc, RequestDataTooBig):
            return PayloadTooLarge()
        if isinstance(exc, SuspiciousOperation):
            return exceptions.ParseError(detail="Bad request.", code="bad_request")
        exc = super().convert_known_exceptions(exc)
        detail = getattr(exc, "detail", None)
        if (
            isinstance(exc, exceptions.APIException)
            and not isinstance(exc, exceptions.ValidationError)
            and isinstance(detail, dict)
            and "detail" in detail
        ):
            flat = _FlatAPIException(
                detail=str(detail["detail"]), code=str(detail.get("code") or exc.default_code)
            )
            flat.status_code = exc.status_code
            flat.auth_header = getattr(exc, "auth_header", None)
            flat.wait = getattr(exc, "wait", None)
            return flat
        return exc


def error_payload(
    *, kind: str, code: str, detail: str, attr: str | None = None
) -> dict[str, object]:
    return {"type": kind, "errors": [{"code": code, "detail": detail, "attr": attr}]}


def error_response(*, status_code: int, code: str, detail: str) -> JsonResponse:
    kind = "server_error" if status_code >= 500 else "client_error"
    return JsonResponse(error_payload(kind=kind, code=code, detail=detail), status=status_code)


def not_found(
    request: HttpRequest, exception: Exception | None = None, **kwargs: object
) -> JsonResponse:
    return error_response(
        status_code=status.HTTP_404_NOT_FOUND, code="not_found", detail="Not found."
    )


def server_error(request: HttpRequest, **kwargs: object) -> JsonResponse:
    return error_response(
        status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
        code="error",
        detail="A server error occurred.",
    )


def method_not_allowed(request: HttpRequest, allowed: list[str]) -> JsonResponse:
    response = error_response(
        status_code=status.HTTP_405_METHOD_NOT_ALLOWED,
        code="method_not_allowed",
        detail=f'Method "{request.method}" not allowed.',
    )
    response["Allow"] = ", ".join(allowed)
    return response


def bad_request(
    request: HttpRequest, exception: Exception | None = None, **kwargs: object
) -> JsonResponse:
    # A form body over DATA_UPLOAD_MAX_MEMORY_SIZE read outside DRF (the CSRF
    # middleware reads POST bodies of plain views) reaches Django as a 400.
    if isinstance(exception, RequestDataTooBig):
        return error_response(
            status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            code=PayloadTooLarge.default_code,
            detail=str(PayloadTooLarge.default_detail),
        )
    return error_response(
        status_code=status.HTTP_400_BAD_REQUEST, code="bad_request", detail="Bad request."
    )


def permission_denied(
    request: HttpRequest, exception: Exception | None = None, **kwargs: object
) -> JsonResponse:
    return error_response(
        status_code=status.HTTP_403_FORBIDDEN,
        code="permission_denied",
        detail="You do not have permission to perform this action.",
    )


def csrf_failure(request: HttpRequest, reason: str = "", **kwargs: object) -> JsonResponse:
    """CSRF_FAILURE_VIEW: Django's CSRF check refused a cookie-less unsafe request.

    Only plain Django views are checked (DRF views are exempt: the API signs
    in by bearer token, never by cookie), so this answers mostly the admin.
    """
    return error_response(
        status_code=status.HTTP_403_FORBIDDEN,
        code="csrf_failed",
        detail=f"CSRF verification failed: {reason or 'no reason given'}",
    )


# Codes of the errors the middleware below rewrites, where they differ from the
# status phrase (these are the codes DRF and the views above use).
_CODES = {
    401: "not_authenticated",
    403: "permission_denied",
    413: PayloadTooLarge.default_code,
    429: "throttled",
    500: "error",
}
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


def _is_json(response: HttpResponseBase) -> bool:
    content_type = response.get("Content-Type", "").split(";")[0].strip().lower()
    return content_type == "application/json" or content_type.endswith("+json")


def _phrase(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:  # a status the standard does not name
        return "Server error" if status_code >= 500 else "Client error"


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


class ApiErrorsAsJsonMiddleware:
    """The last word on every error under /api/: JSON in the one format.

    Some errors never reach the views and handlers above: Django's own
    `HttpResponseNotAllowed` (empty text/html) from `require_GET`, the HTML
    debug pages with DEBUG on (a plain view that raises, a 400 from a
    suspicious request). Whatever answered, an /api/ error that is not JSON is
    rewritten here, keeping its status and the headers a client acts on.
    Django has already logged and signalled the exception by then. DRF
    responses are left alone: with DEBUG on, a browser that asked for the
    browsable API gets its HTML error page.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not is_api_path(request.path_info)
            or _is_json(response)
            or hasattr(response, "accepted_renderer")
        ):
            return response
        phrase = _phrase(response.status_code)
        code = _CODES.get(response.status_code, phrase.lower().replace(" ", "_").replace("-", "_"))
        if response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
            detail = f'Method "{request.method}" not allowed.'
        else:
            detail = f"{phrase}."
        rewritten = error_response(status_code=response.status_code, code=code, detail=detail)
        for header in _KEPT_HEADERS:
            if header in response:
                rewritten[header] = response[header]
        return rewritten


class RejectNulBytesMiddleware:
    """400 for a NUL byte in the path or the query string, before any view runs.

    PostgreSQL refuses NUL in text with a DataError, so `/users/by-username/a%00b`
    or `?q=%00` would otherwise be a 500 in whichever view first queries with it.
    DRF already refuses NUL in body fields; this covers what reaches views as
    URL parameters.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in query or "\x00" in query:
            return error_response(
                status_code=status.HTTP_400_BAD_REQUEST,
                code="bad_request",
                detail="NUL bytes are not allowed in URLs.",
            )
        return self.get_response(request)
