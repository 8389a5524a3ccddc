"""The one error format (drf-standardized-errors) for responses DRF does not produce.

DRF views already answer errors through `drf_standardized_errors`; these views
cover what reaches Django itself: unknown routes and unhandled exceptions.
"""

from django.http import JsonResponse
from drf_standardized_errors import handler
from rest_framework import exceptions, status


class ExceptionHandler(handler.ExceptionHandler):
    """drf-standardized-errors, plus one fix for exceptions carrying a dict detail.

    simplejwt raises `InvalidToken`/`AuthenticationFailed` with a detail of
    `{"detail", "code", "messages": [...]}`, which the formatter would flatten
    into several errors with attrs "detail", "code", "messages.0.message".
    A non-validation error has exactly one error, so keep only its detail/code.
    """

    def convert_known_exceptions(self, exc: Exception) -> Exception:
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
