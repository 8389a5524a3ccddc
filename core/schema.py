"""OpenAPI: the error responses every operation documents, and the schema class.

drf-standardized-errors documents the error responses it can infer; this
module makes the documented errors the ones the API really answers
(tests/security/test_schemathesis.py fuzzes the live server against them):

- 400 on every operation: a `client_error` (`parse_error` for a body that is
  not JSON, `bad_request` for a NUL byte in the URL) and, where the operation
  reads input (a body, query parameters, pagination, an Idempotency-Key), a
  `validation_error` naming each field and the codes it can fail with.
- 401 on the auth routes that check a token or a password themselves.
- 403 on operations on another user's objects (private account, block, not the author).
- 413 on operations with a body; 409 and 422 where Idempotency-Key is accepted.
- Every error code the API answers, per status, in the enums below.

It also documents requests as the API reads them: a DELETE's declared body, a PATCH
that is not partial (`partial_patch = False`), a trimmed string that may not be
blank, an optional query parameter that may be empty.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.core.validators import RegexValidator
from django.db import models
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import force_instance
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer
from drf_standardized_errors import openapi
from drf_standardized_errors.openapi_serializers import (
    ClientErrorEnum,
    ServerErrorEnum,
    ValidationErrorEnum,
)
from drf_standardized_errors.openapi_utils import (
    InputDataField,
    get_flat_serializer_fields,
    get_serializer_fields_with_error_codes,
)
from inflection import camelize
from rest_framework import serializers

if TYPE_CHECKING:
    # Documentation only: these serializers describe error bodies, they never load instances.
    _DocSerializer = serializers.Serializer[Any]
else:  # Serializer takes no type argument at run time
    _DocSerializer = serializers.Serializer

NO_CONTENT = OpenApiResponse(description="Done; no body.")


# --- the error codes, per status ---------------------------------------------------
# Every code an error response of that status can carry (domain errors raise
# them with `code=`). tests/security/test_error_codes.py fails when code raises
# one that is not listed here.


class ClientError400CodeEnum(models.TextChoices):
    PARSE_ERROR = "parse_error"  # the body is not JSON (or nested too deep)
    BAD_REQUEST = "bad_request"  # a NUL byte in the URL


class ErrorCode401Enum(models.TextChoices):
    AUTHENTICATION_FAILED = "authentication_failed"
    NOT_AUTHENTICATED = "not_authenticated"
    NO_ACTIVE_ACCOUNT = "no_active_account"  # sign-in: wrong username or password
    TOKEN_NOT_VALID = "token_not_valid"  # noqa: S105 - an error code
    TOKEN_REVOKED = "token_revoked"  # noqa: S105 - an error code
    USER_INACTIVE = "user_inactive"
    USER_NOT_FOUND = "user_not_found"


class ErrorCode403Enum(models.TextChoices):
    PERMISSION_DENIED = "permission_denied"
    PRIVATE_ACCOUNT = "private_account"
    BLOCKED = "blocked"
    NOT_AUTHOR = "not_author"
    EDIT_WINDOW_CLOSED = "edit_window_closed"
    CSRF_FAILED = "csrf_failed"


class ErrorCode404Enum(models.TextChoices):
    NOT_FOUND = "not_found"


class ErrorCode405Enum(models.TextChoices):
    METHOD_NOT_ALLOWED = "method_not_allowed"


class ErrorCode406Enum(models.TextChoices):
    NOT_ACCEPTABLE = "not_acceptable"


class ErrorCode409Enum(models.TextChoices):
    CONFLICT = "conflict"
    IDEMPOTENCY_KEY_IN_FLIGHT = "idempotency_key_in_flight"
    EXPORT_LIMIT = "export_limit"  # one data export per day


class ErrorCode413Enum(models.TextChoices):
    PAYLOAD_TOO_LARGE = "payload_too_large"


class ErrorCode415Enum(models.TextChoices):
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"


class ErrorCode422Enum(models.TextChoices):
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"


class ErrorCode429Enum(models.TextChoices):
    THROTTLED = "throttled"
    LOGIN_LOCKED_OUT = "login_locked_out"


class ErrorCode500Enum(models.TextChoices):
    ERROR = "error"


ERROR_CODE_ENUMS: dict[int, type[models.TextChoices]] = {
    400: ClientError400CodeEnum,
    401: ErrorCode401Enum,
    403: ErrorCode403Enum,
    404: ErrorCode404Enum,
    405: ErrorCode405Enum,
    406: ErrorCode406Enum,
    409: ErrorCode409Enum,
    413: ErrorCode413Enum,
    415: ErrorCode415Enum,
    422: ErrorCode422Enum,
    429: ErrorCode429Enum,
    500: ErrorCode500Enum,
}


def _error_response_serializer(status: int) -> type[_DocSerializer]:
    kind = ServerErrorEnum if status >= 500 else ClientErrorEnum
    name = "ClientError400" if status == 400 else f"Error{status}"

    class Error(_DocSerializer):
        code = serializers.ChoiceField(choices=ERROR_CODE_ENUMS[status].choices)
        detail = serializers.CharField()
        attr = serializers.CharField(allow_null=True)

        class Meta:
            ref_name = name

    class ErrorResponse(_DocSerializer):
        type = serializers.ChoiceField(choices=kind.choices)
        # DRF's serializer metaclass moves declared fields off the class, so this field
        # does not replace `Serializer.errors`; the stubs cannot see that.
        errors = Error(many=True)  # type: ignore[assignment]

        class Meta:
            ref_name = f"{name}Response"

    return ErrorResponse


ClientError400ResponseSerializer = _error_response_serializer(400)
ErrorResponse401Serializer = _error_response_serializer(401)
ErrorResponse403Serializer = _error_response_serializer(403)
ErrorResponse404Serializer = _error_response_serializer(404)
ErrorResponse405Serializer = _error_response_serializer(405)
ErrorResponse406Serializer = _error_response_serializer(406)
ErrorResponse409Serializer = _error_response_serializer(409)
ErrorResponse413Serializer = _error_response_serializer(413)
ErrorResponse415Serializer = _error_response_serializer(415)
ErrorResponse422Serializer = _error_response_serializer(422)
ErrorResponse429Serializer = _error_response_serializer(429)
ErrorResponse500Serializer = _error_response_serializer(500)

# config/settings/api.py names these in DRF_STANDARDIZED_ERRORS["ERROR_SCHEMAS"] and
# SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].

_DESCRIPTIONS = {
    409: "Conflict (for example the same Idempotency-Key is still in flight).",
    413: "Payload too large.",
    422: "Idempotency-Key reused with a different request body.",
    415: "Unsupported media type (an upload that is not a JPEG, PNG, GIF or WebP image).",
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    return {
        code: OpenApiResponse(
            response=_error_response_serializer_for(code), description=_DESCRIPTIONS[code]
        )
        for code in codes
    }


def _error_response_serializer_for(code: int) -> type[_DocSerializer]:
    found: type[_DocSerializer] = globals()[f"ErrorResponse{code}Serializer"]
    return found


# --- the schema class ------------------------------------------------------------------

# Some character that is not whitespace to str.strip() (JSON Schema's \s is not Python's).
NOT_ONLY_WHITESPACE = (
    "[^\\t\\n\\u000b\\f\\r\\u001c-\\u001f \\u0085\\u00a0\\u1680\\u2000-\\u200a"
    "\\u2028\\u2029\\u202f\\u205f\\u3000]"
)

# Validation errors a view's services raise outside its serializers, declared on the
# view class as `validation_errors = {"post": {attr: {codes}}}`; attr None is an
# error of the request as a whole (a domain `Invalid` without fields).
ValidationErrors = dict[str, dict[str | None, set[str]]]


class AutoSchema(openapi.AutoSchema):
    """drf-standardized-errors' schema class, documenting what the API really answers."""

    def _should_add_error_response(self, responses: dict[str, Any], status_code: str) -> bool:
        if status_code == "413":
            return (
                status_code not in responses
                and self.method in ("POST", "PUT", "PATCH", "DELETE")
                and bool(self.view.get_parsers())
            )
        return super()._should_add_error_response(responses, status_code)

    # drf-spectacular and drf-standardized-errors document no body for DELETE; ours
    # reads the one it declares (`request=`: deleting your account takes your password),
    # and its fields' errors.

    def _get_request_body(self, direction: str = "request") -> Any:
        with self._delete_as_post():
            return super()._get_request_body(direction)  # type: ignore[no-untyped-call]

    def _determine_fields_with_error_codes(self) -> list[InputDataField]:
        with self._delete_as_post():
            fields = list(super()._determine_fields_with_error_codes())
        return fields + self._query_fields() + self._header_fields()

    @contextmanager
    def _delete_as_post(self) -> Iterator[None]:
        if self.method != "DELETE" or not self._declares_request():
            yield
            return
        with self._as_method("POST"):
            yield

    @contextmanager
    def _as_method(self, method: str) -> Iterator[None]:
        actual, self.method = self.method, method
        try:
            yield
        finally:
            self.method = actual

    def _get_request_for_media_type(self, serializer: Any, direction: str = "request") -> Any:
        # drf-spectacular makes every PATCH body partial (DRF's partial_update); a view
        # whose PATCH validates the whole serializer says `partial_patch = False`, and
        # its body's required fields are documented as required.
        if self.method == "PATCH" and not getattr(self.view, "partial_patch", True):
            with self._as_method("PUT"):
                return super()._get_request_for_media_type(serializer, direction)  # type: ignore[no-untyped-call]
        return super()._get_request_for_media_type(serializer, direction)  # type: ignore[no-untyped-call]

    _probing = False  # _declares_request is asking
    _fell_back = False

    def get_request_serializer(self) -> Any:
        # Reached when `extend_schema(request=...)` declared none for this method.
        if self._probing:
            self._fell_back = True
            return None
        return super().get_request_serializer()

    def _declares_request(self) -> bool:
        self._probing, self._fell_back = True, False
        try:
            declared = self.get_request_serializer()
        finally:
            self._probing = False
        return declared is not None and not self._fell_back

    def _map_serializer_field(
        self, field: Any, direction: str, bypass_extensions: bool = False
    ) -> dict[str, Any]:
        schema: dict[str, Any] = super()._map_serializer_field(  # type: ignore[no-untyped-call]
            field, direction, bypass_extensions
        )
        # A CharField trims its input and refuses what is then blank: "  " is a 400
        # like "", so the schema asks for a character that str.strip() keeps.
        if (
            direction == "request"
            and isinstance(field, serializers.CharField)
            and field.trim_whitespace
            and not field.allow_blank
            and schema.get("type") == "string"
            and not {"pattern", "format", "enum"} & schema.keys()
            and not any(isinstance(v, RegexValidator) for v in field.validators)  # its own
        ):
            schema["pattern"] = NOT_ONLY_WHITESPACE
        return schema

    def _should_add_parse_error_response(self) -> bool:
        return True  # a NUL byte in any URL is a 400 client_error (core.errors)

    def _should_add_validation_error_response(self) -> bool:
        return super()._should_add_validation_error_response() or bool(
            self._query_fields() or self._header_fields() or self._view_validation_errors()
        )

    def _should_add_http401_error_response(self) -> bool:
        # The auth routes check a token or a password themselves (no authenticator).
        return super()._should_add_http401_error_response() or bool(
            getattr(self.view, "answers_401", False)
        )

    def _should_add_http403_error_response(self) -> bool:
        # Another user's objects: a private account, a block, a post that is not yours.
        has_path_parameter = any(p["in"] == "path" for p in self._get_parameters())
        return super()._should_add_http403_error_response() or has_path_parameter

    def _get_http400_serializer(self) -> Any:
        component_name = f"{camelize(self.get_operation_id())}ErrorResponse400"
        choices: dict[str, Any] = {}
        if self._should_add_validation_error_response():
            choices[ValidationErrorEnum.VALIDATION_ERROR.value] = (
                self._get_serializer_for_validation_error_response()
            )
        choices[ClientErrorEnum.CLIENT_ERROR.value] = ClientError400ResponseSerializer
        return PolymorphicProxySerializer(
            component_name=component_name, serializers=choices, resource_type_field_name="type"
        )

    def _get_validation_error_codes_by_field(
        self, data_fields: list[InputDataField]
    ) -> dict[str, set[str]]:
        codes: dict[str, set[str]] = super()._get_validation_error_codes_by_field(data_fields)
        for attr, extra in self._view_validation_errors().items():
            codes.setdefault(attr, set()).update(extra)  # type: ignore[arg-type]
        return codes

    # -- where the input comes from --

    def _query_fields(self) -> list[InputDataField]:
        """Query parameters: the serializers named in `parameters=[...]`, and pagination."""
        found: list[InputDataField] = []
        for parameter in self.get_override_parameters():
            if isinstance(parameter, type) and issubclass(parameter, serializers.Serializer):
                flat = get_flat_serializer_fields(force_instance(parameter))  # type: ignore[no-untyped-call]
                found += [
                    f for f in get_serializer_fields_with_error_codes(flat) if "." not in f.name
                ]
        found = [f for f in found if f.name != "non_field_errors" or f.error_codes]
        paginator = self._get_paginator()  # type: ignore[no-untyped-call]
        if paginator is not None and self._is_list_view():
            for parameter in paginator.get_schema_operation_parameters(self.view):
                found.append(InputDataField(parameter["name"], None, {"invalid"}))  # type: ignore[arg-type]
        return found

    def _header_fields(self) -> list[InputDataField]:
        return [
            InputDataField(p["name"], None, {"invalid"})  # type: ignore[arg-type]
            for p in self._get_parameters()
            if p["in"] == "header" and p["name"] == "Idempotency-Key"
        ]

    def _view_validation_errors(self) -> dict[str | None, set[str]]:
        declared: ValidationErrors = getattr(self.view, "validation_errors", {})
        return declared.get(self.method.lower(), {})


def postprocess_empty_query_values(
    result: dict[str, Any], generator: Any, **kwargs: Any
) -> dict[str, Any]:
    """`allowEmptyValue` on every optional query parameter: the API reads `?name=`
    as the parameter left out (DRF's serializers read an empty optional value as
    absent, core.pagination an empty `cursor` or `limit`), whatever its schema."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
    return result


def postprocess_error_attrs(
    result: dict[str, Any], generator: Any, **kwargs: Any
) -> dict[str, Any]:
    """The `attr` of validation error components as the API fills it in.

    drf-standardized-errors names an item of a list field "ids.INDEX" and a value
    of a dict field "email.KEY", where the answer says "ids.0" and "email.like":
    such an attr becomes a pattern (and the errors' discriminator on attr goes,
    as it cannot map them). An error of the request as a whole has attr null:
    its enum of [null] must also say nullable."""
    schemas = result.get("components", {}).get("schemas", {})
    for schema in schemas.values():
        attr = schema.get("properties", {}).get("attr")
        if not isinstance(attr, dict) or "enum" not in attr:
            continue
        if attr["enum"] == [None]:
            attr["nullable"] = True
            attr.pop("type", None)
            continue
        if len(attr["enum"]) == 1 and isinstance(attr["enum"][0], str):
            name = attr["enum"][0]
            parts = [
                # A key is any JSON string: "", "a.b" and line breaks too.
                "[0-9]+" if p == "INDEX" else "[\\s\\S]*" if p == "KEY" else re.escape(p)
                for p in name.split(".")
            ]
            if "INDEX" in name.split(".") or "KEY" in name.split("."):
                del attr["enum"]
                attr["pattern"] = "^" + "\\.".join(parts) + "$"
    for schema in schemas.values():
        discriminator = schema.get("discriminator")
        if discriminator and discriminator.get("propertyName") == "attr":
            del schema["discriminator"]
    return result


# drf-spectacular's __init_subclass__ (its extension registry) is unannotated.
class BearerJWTScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """Gives Swagger UI its Authorize button for our JWT authentication class."""

    target_class = "accounts.authentication.JWTAuthentication"
    name = "jwtAuth"

    def get_security_definition(self, auto_schema: SpectacularAutoSchema) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
