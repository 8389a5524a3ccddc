"""core.log_redaction: tokens in query strings are redacted from log records
(the real servers: tests/integration/test_tokens_in_logs.py)."""

import logging

import pytest
from gunicorn.glogging import SafeAtoms

from core.log_redaction import REQUEST_LOGGERS, RedactTokens, redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET /api/v1/stream?token=abc.def-g_h", "GET /api/v1/stream?token=[redacted]"),
        ("/ws/?x=1&token=a%2Eb&y=2", "/ws/?x=1&token=[redacted]&y=2"),
        ('"GET /s?TOKEN=abc HTTP/1.1" 401', '"GET /s?TOKEN=[redacted] HTTP/1.1" 401'),
        ("/s?access_token=abc#frag", "/s?access_token=[redacted]#frag"),
        ("token=abc", "token=[redacted]"),  # a query string logged on its own
        ("/s?mytoken=abc&tokens=1", "/s?mytoken=abc&tokens=1"),  # other parameters
        ("no query", "no query"),
    ],
)
def test_redact(text, expected):
    assert redact(text) == expected


def test_the_filter_redacts_arguments_of_every_kind():
    atoms = SafeAtoms({"r": "GET /s?token=abc HTTP/1.1", "s": "200"})
    records = [
        logging.LogRecord("x", logging.INFO, "", 0, "%(r)s %(s)s", (atoms,), None),
        logging.LogRecord("x", logging.INFO, "", 0, "HTTP %s", ("/s?token=abc",), None),
        logging.LogRecord("x", logging.INFO, "", 0, "GET /s?token=abc", None, None),
    ]
    assert [RedactTokens().filter(record) for record in records] == [True] * 3
    assert [record.getMessage() for record in records] == [
        "GET /s?token=[redacted] HTTP/1.1 200",
        "HTTP /s?token=[redacted]",
        "GET /s?token=[redacted]",
    ]
    assert records[0].args["{missing}i"] == "-"  # still gunicorn's atoms


def test_the_request_loggers_redact(caplog):
    """Installed at start-up (core.apps)."""
    for name in REQUEST_LOGGERS:
        logger = logging.getLogger(name)
        with caplog.at_level(logging.INFO, logger=name):
            logger.warning("GET %s", "/api/v1/stream?token=secret")
        assert "secret" not in caplog.text, name
        assert "/api/v1/stream?token=[redacted]" in caplog.text
        caplog.clear()
