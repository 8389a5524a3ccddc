"""The one error format (drf-standardized-errors) for every error response.

DRF views answer errors through `drf_standardized_errors` (with the handler
below); the views here cover what reaches Django itself: unknown routes,
methods a plain view does not allow, unhandled exceptions.
"""

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import JsonResponse
from drf_standardized_errors import handler
from rest_framework import exceptions, status


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class ExceptionHandler(handler.ExceptionHandler):
    """drf-standardized-errors, plus one fix for exceptions carrying a dict detail.

    simplejwt raises `InvalidToken`/`AuthenticationFailed` with a detail of
    `{"detail", "code", "messages": [...]}`, which the formatter would flatten
    into several errors with attrs "detail", "code", "messages.0.message".
    A non-validation error has exactly one error, so keep only its detail/code.
    """

    def convert_known_exceptions(self, exc: Exception) -> Exception:
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
            flat = exceptions.APIException(
                detail=str(detail["detail"]), code=str(detail.get("code") or exc.default_code)
            )
            flat.status_code = exc.status_code
            flat.auth_header = getattr(exc, "auth_header", None)
            flat.wait = getattr(exc, "wait", None)
            return flat
        return exc


def error_payload(*, kind: str, code: str, detail: str, attr: str | None = None) -> dict:
    return {"type": kind, "errors": [{"code": code, "detail": detail, "attr": attr}]}


def error_response(*, status_code: int, code: str, detail: str) -> JsonResponse:
    kind = "server_error" if status_code >= 500 else "client_error"
    return JsonResponse(error_payload(kind=kind, code=code, detail=detail), status=status_code)


def not_found(request, exception=None, **kwargs) -> JsonResponse:
    return error_response(
        status_code=status.HTTP_404_NOT_FOUND, code="not_found", detail="Not found."
    )


def server_error(request, **kwargs) -> JsonResponse:
    return error_response(
        status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
        code="error",
        detail="A server error occurred.",
    )


def method_not_allowed(request, allowed: list[str]) -> JsonResponse:
    response = error_response(
        status_code=status.HTTP_405_METHOD_NOT_ALLOWED,
        code="method_not_allowed",
        detail=f'Method "{request.method}" not allowed.',
    )
    response["Allow"] = ", ".join(allowed)
    return response


def bad_request(request, exception=None, **kwargs) -> JsonResponse:
    return error_response(
        status_code=status.HTTP_400_BAD_REQUEST, code="bad_request", detail="Bad request."
    )


def permission_denied(request, exception=None, **kwargs) -> JsonResponse:
    return error_response(
        status_code=status.HTTP_403_FORBIDDEN,
        code="permission_denied",
        detail="You do not have permission to perform this action.",
    )


class RejectNulBytesMiddleware:
    """400 for a NUL byte in the path or the query string, before any view runs.

    PostgreSQL refuses NUL in text with a DataError, so `/users/by-username/a%00b`
    or `?q=%00` would otherwise be a 500 in whichever view first queries with it.
    DRF already refuses NUL in body fields; this covers what reaches views as
    URL parameters.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in query or "\x00" in query:
            return error_response(
                status_code=status.HTTP_400_BAD_REQUEST,
                code="bad_request",
                detail="NUL bytes are not allowed in URLs.",
            )
        return self.get_response(request)
