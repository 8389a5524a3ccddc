"""OpenAPI helpers shared by the apps' views.

drf-standardized-errors documents 400/401/403/404/405/415/429/500 on its own;
the statuses it cannot infer (409, 413, 422) are added per operation with
`error_responses(...)`, in the same error shape.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

NO_CONTENT = OpenApiResponse(description="Done; no body.")


class ErrorItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class ErrorResponseSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["client_error", "server_error"])
    errors = ErrorItemSerializer(many=True)


_DESCRIPTIONS = {
    409: "Conflict (for example the same Idempotency-Key is still in flight).",
    413: "Payload too large.",
    422: "Idempotency-Key reused with a different request body.",
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    return {
        code: OpenApiResponse(response=ErrorResponseSerializer, description=_DESCRIPTIONS[code])
        for code in codes
    }


class BearerJWTScheme(OpenApiAuthenticationExtension):
    """Gives Swagger UI its Authorize button for our JWT authentication class."""

    target_class = "accounts.authentication.JWTAuthentication"
    name = "jwtAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
