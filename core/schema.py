"""OpenAPI helpers shared by the apps' views.

drf-standardized-errors documents 400/401/403/404/405/415/429/500 on its own;
the statuses it cannot infer (409, 413, 422) are added per operation with
`error_responses(...)`, in the same error shape.
"""

from typing import TYPE_CHECKING, Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

if TYPE_CHECKING:
    # Documentation only: these serializers describe error bodies, they never load instances.
    _DocSerializer = serializers.Serializer[Any]
else:  # Serializer takes no type argument at run time
    _DocSerializer = serializers.Serializer

NO_CONTENT = OpenApiResponse(description="Done; no body.")


class ErrorItemSerializer(_DocSerializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class ErrorResponseSerializer(_DocSerializer):
    type = serializers.ChoiceField(choices=["client_error", "server_error"])
    # DRF's serializer metaclass moves declared fields off the class, so this field
    # does not replace `Serializer.errors`; the stubs cannot see that.
    errors = ErrorItemSerializer(many=True)  # type: ignore[assignment]


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


# drf-spectacular's __init_subclass__ (its extension registry) is unannotated.
class BearerJWTScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """Gives Swagger UI its Authorize button for our JWT authentication class."""

    target_class = "accounts.authentication.JWTAuthentication"
    name = "jwtAuth"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
