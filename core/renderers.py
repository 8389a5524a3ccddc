"""The JSON renderer of every API response.

A lone surrogate ("\\ud800", valid in a JSON string, not in UTF-8) that a
client sent can come back in an error message ("Unknown verbs: \\ud800x.") or
an `attr`; DRF's renderer then fails to encode the response and the request
ends in a 500. Rendering is where every response passes, so the fix is here:
such characters become U+FFFD, the replacement character, and the answer is
the 4xx it was meant to be.
"""

import re
from typing import Any

from rest_framework import renderers

# Surrogate code points: in a Python str every one is "lone" (json decodes an
# escaped pair into the one character it stands for).
_SURROGATE = re.compile("[\ud800-\udfff]")


def without_lone_surrogates(value: Any) -> Any:
    """`value` with every lone surrogate in its strings (keys too) replaced by U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {without_lone_surrogates(k): without_lone_surrogates(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [without_lone_surrogates(item) for item in value]
    return value


class JSONRenderer(renderers.JSONRenderer):
    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Any = None,
    ) -> bytes:
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:  # rare: only then walk the data
            return super().render(
                without_lone_surrogates(data), accepted_media_type, renderer_context
            )
