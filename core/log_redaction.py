"""Keep access tokens out of logs.

Browsers cannot set headers on an EventSource (`GET /api/v1/stream`) and may
use the `token` query parameter on `/ws/` too; the servers log request lines
with their query strings: daphne's access log (on by default: it writes to
stdout at verbosity 1, not through `logging`), gunicorn's (`%(r)s`), granian's
if its format names `%(query_string)s`, Django's and daphne's runserver lines.
Each of them shows `token=[redacted]` instead of the value: `install()` adds
`RedactTokens` to those loggers and to daphne's access-log writer, once per
process (core.apps).
"""

import logging
import re
from typing import Any

REDACTED = "[redacted]"
# `token=` or `access_token=` as a query parameter (after ?, & or ;), up to the
# next separator, quote or blank; percent-encoded or not.
_TOKEN_PARAMETER = re.compile(r"(?i)((?:^|[?&;])(?:access_)?token=)[^&;\s\"'#]*")

# Loggers that write request lines (their records do not reach the root's handler).
REQUEST_LOGGERS = (
    "gunicorn.access",
    "granian.access",
    "django.server",
    "django.channels.server",
    "django.request",
)


def redact(text: str) -> str:
    """`text` with the value of every `token=` query parameter replaced."""
    if "token=" not in text.lower():
        return text
    return _TOKEN_PARAMETER.sub(rf"\g<1>{REDACTED}", text)


def _redact_value(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class RedactTokens(logging.Filter):
    """Redacts tokens in a record's message and arguments (before formatting)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, dict):  # in place: gunicorn's atoms are a dict subclass
            for key, value in list(record.args.items()):
                record.args[key] = _redact_value(value)
        elif isinstance(record.args, tuple):
            record.args = tuple(_redact_value(value) for value in record.args)
        return True


_installed = False


def install() -> None:
    """Add the redaction to the request loggers and daphne's access log (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    for name in REQUEST_LOGGERS:
        logging.getLogger(name).addFilter(RedactTokens())
    _redact_daphne_access_log()


def _redact_daphne_access_log() -> None:
    try:
        from daphne.access import AccessLogGenerator
    except ImportError:  # pragma: no cover - daphne is a dependency
        return
    write_entry = AccessLogGenerator.write_entry
    if getattr(write_entry, "redacts_tokens", False):
        return

    def redacting_write_entry(self: Any, host: Any, date: Any, request: Any, **kwargs: Any) -> None:
        write_entry(self, host, date, _redact_value(request), **kwargs)

    redacting_write_entry.redacts_tokens = True  # type: ignore[attr-defined]
    AccessLogGenerator.write_entry = redacting_write_entry
