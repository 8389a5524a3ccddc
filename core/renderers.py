"""The JSON renderer of every API response.

A lone surrogate ("\\ud800", valid in a JSON string, not in UTF-8) that a
client sent can come back in an error message ("Unknown verbs: \\ud800x.") or
an `attr`; DRF's renderer then fails to encode the response and the request
ends in a 500. Rendering is where every response passes, so the fix is here:
such characters become U+FFFD, the replacement character, and the answer is
the 4xx it was meant to be.

Encoding is orjson's (a tenth of the stdlib's CPU: a feed page spent ~4 % of its
request in `json`), with the same bytes as DRF's renderer for what the API sends
(compact, UTF-8, U+2028/U+2029 escaped; tests/core/test_renderers.py). Anything
orjson does not encode itself goes through DRF's encoder (`default`: times,
decimals, lazy strings, sets), and what orjson refuses (lone surrogates, integers
past 64 bits) or a requested indent takes DRF's path. One difference: a NaN or
an infinity, which DRF refuses (a 500), is rendered as null.
"""

import re
from typing import Any

import orjson
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


_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
# DRF escapes these two (valid JSON, but line ends in JavaScript source).
_LINE_SEPARATORS = ("\u2028".encode(), b"\\u2028"), ("\u2029".encode(), b"\\u2029")


class JSONRenderer(renderers.JSONRenderer):
    _encoder = renderers.JSONRenderer.encoder_class()

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Any = None,
    ) -> bytes:
        indent = self.get_indent(accepted_media_type or "", renderer_context or {})
        if data is not None and indent is None:
            try:
                rendered = orjson.dumps(data, default=self._encoder.default, option=_OPTIONS)
            except TypeError:  # orjson.JSONEncodeError too: DRF's path below decides
                pass
            else:
                for raw, escaped in _LINE_SEPARATORS:
                    if raw in rendered:
                        rendered = rendered.replace(raw, escaped)
                return rendered
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:  # rare: only then walk the data
            return super().render(
                without_lone_surrogates(data), accepted_media_type, renderer_context
            )
