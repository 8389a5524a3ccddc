"""The one error format (drf-standardized-errors) for responses DRF does not produce.

DRF views already answer errors through `drf_standardized_errors`; these views
cover what reaches Django itself: unknown routes and unhandled exceptions.
"""

from django.http import JsonResponse
from rest_framework import status


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
