"""Serializer fields shared by every app."""

from typing import TYPE_CHECKING

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

if TYPE_CHECKING:
    # Internal value int, input anything (checked here), output str, any instance.
    _IdFieldBase = serializers.Field[int, object, str, object]
else:  # Field takes no type argument at run time
    _IdFieldBase = serializers.Field


@extend_schema_field(OpenApiTypes.STR)
class IdField(_IdFieldBase):
    """A 64-bit id, rendered as a string (JavaScript loses precision past 2**53)."""

    default_error_messages = {"invalid": "A valid id is a string of digits."}

    def to_representation(self, value: int) -> str:
        return str(value)

    def to_internal_value(self, data: object) -> int:
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("invalid")
        text = str(data).strip()
        # isascii(): str.isdigit() is also true for "²" (superscript), which int() refuses.
        if not (text.isascii() and text.isdigit()) or len(text) > 19 or int(text) >= 2**63:
            self.fail("invalid")
        return int(text)
