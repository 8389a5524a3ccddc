"""Serializer fields shared by every app, and the base of every JSON input serializer."""

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError

from core.text import clean_text

if TYPE_CHECKING:
    # Internal value int, input anything (checked here), output str, any instance.
    _IdFieldBase = serializers.Field[int, object, str, object]
    _Serializer = serializers.Serializer[Any]
else:  # Field and Serializer take no type argument at run time
    _IdFieldBase = serializers.Field
    _Serializer = serializers.Serializer

MAX_ID = 2**63 - 1


def digits_up_to(maximum: int) -> str:
    """A regular expression (a group, unanchored) of the decimal numbers 1 to `maximum`,
    without leading zeros (a JSON schema has no numeric bound on a string: the
    pattern is the bound)."""
    digits = str(maximum)
    shorter = f"[1-9][0-9]{{0,{len(digits) - 2}}}" if len(digits) > 1 else None
    branches = [shorter] if shorter else []
    # As long as `maximum`: its first i digits, then a smaller digit, then any digits.
    for i, char in enumerate(digits):
        low, high = (1 if i == 0 else 0), int(char) - 1
        if high >= low:
            rest = len(digits) - i - 1
            smaller = str(low) if high == low else f"[{low}-{high}]"
            branches.append(digits[:i] + smaller + (f"[0-9]{{{rest}}}" if rest else ""))
    branches.append(digits)
    return "(?:" + "|".join(branches) + ")"


def list_pattern(item: str, *, at_most: int | None = None) -> str:
    """The anchored pattern of comma-separated `item`s, 1 to `at_most` of them
    (query parameters)."""
    repeat = "*" if at_most is None else f"{{0,{at_most - 1}}}"
    return f"^{item}(?:,{item}){repeat}$"


ID_DIGITS = digits_up_to(MAX_ID)
ID_PATTERN = f"^{ID_DIGITS}$"
_ID_RE = re.compile(ID_PATTERN)


@extend_schema_field({"type": "string", "pattern": ID_PATTERN})
class IdField(_IdFieldBase):
    """A 64-bit id, rendered as a string (JavaScript loses precision past 2**53).

    Ids start at 1: 0 is refused like any other non-id, so `"reply_to": 0` is a
    400, never a falsy "no reply" (it used to create a plain post). Input is the
    id as rendered, as the schema's pattern says: " 7" and "007" are refused."""

    default_error_messages = {"invalid": "A valid id is a string of digits, from 1 to 2**63-1."}

    def to_representation(self, value: int) -> str:
        return str(value)

    def to_internal_value(self, data: object) -> int:
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("invalid")
        text = str(data)
        # ASCII digits only: re's \d and str.isdigit() also take "²" and "٣".
        if not _ID_RE.fullmatch(text):
            self.fail("invalid")
        return int(text)


class CleanCharField(serializers.CharField):
    """User-written text cleaned by core.text's rules (the ones post text follows):
    no control characters, bidi overrides or invisible characters are stored.
    `max_length` bounds what the client sent, as the schema says; the stored text
    is never longer."""

    def __init__(self, *, single_line: bool = True, **kwargs: Any) -> None:
        self.single_line = single_line
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        text = super().to_internal_value(data)
        if self.max_length is not None and len(text) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return clean_text(text, single_line=self.single_line)


def _type_errors(field: serializers.Field[Any, Any, Any, Any], value: object) -> Any:
    """Why a JSON `value` is not of `field`'s JSON type (errors as DRF nests them), or None.

    DRF converts: a CharField takes 0 as "0", a BooleanField takes "yes" and 1.
    A JSON body states its types, so the one it sent must be the one declared."""
    if value is None:
        return None  # the field's allow_null decides
    code = "invalid"
    if isinstance(field, serializers.BooleanField):
        ok = isinstance(value, bool)
    elif isinstance(field, serializers.CharField | IdField):
        ok = isinstance(value, str)
    elif isinstance(field, serializers.IntegerField):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(field, serializers.ListField):
        if not isinstance(value, list):
            ok, code = False, "not_a_list"
        else:
            child = field.child
            nested = {i: e for i, item in enumerate(value) if (e := _type_errors(child, item))}
            return nested or None
    elif isinstance(field, serializers.DictField):
        if not isinstance(value, dict):
            ok, code = False, "not_a_dict"
        else:
            child = field.child
            nested = {k: e for k, item in value.items() if (e := _type_errors(child, item))}
            return nested or None
    else:
        return None
    if ok:
        return None
    message = field.error_messages.get(code, "Wrong type.")
    return [ErrorDetail(message.format(input_type=type(value).__name__), code=code)]


class StrictJSONSerializer(_Serializer):
    """Base of the serializers that read a JSON body: each field's value must come in
    the field's JSON type (a string for text and ids, true/false for booleans), as
    the schema says; `"text": 0` is a 400, not the text "0"."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            errors = {
                name: problem
                for name, field in self.fields.items()
                if not field.read_only
                and name in data
                and (problem := _type_errors(field, data[name]))
            }
            if errors:
                raise ValidationError(errors)
        return super().to_internal_value(data)
