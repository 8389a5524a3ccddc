"""What schemathesis needs to know of the API that JSON Schema cannot say.

Loaded by tests/security/test_schemathesis.py (SCHEMATHESIS_HOOKS) into the
schemathesis process, which runs no Django: nothing here imports the project.

1. The cursor formats. A cursor is opaque to clients, but the schema names its
   format (core.pagination: `cursor_format`), so schema-valid data for `cursor`
   is a cursor of that format, generated here as the API encodes it (any
   position: an unknown one is an empty page). Negative cases still send
   arbitrary strings, which must be a 400.

2. The rules a JSON schema cannot state. `positive_data_acceptance` expects a
   2xx (or 401/403/404/409/429) for every schema-valid request; a few 400s
   depend on state or meaning, not on shape: a wrong current password, a reset
   token that is not valid, following yourself, a password that Django's
   validators refuse, a post longer than 280 graphemes after cleaning. Each
   such 400 is declared in the operation's schema (views' `validation_errors`,
   core.schema), and listed in RULES below with why. `positive_data_acceptance_
   except_rules` is schemathesis' check, except that a 400 `validation_error`
   whose every error is one of its operation's RULES passes, and so does the 422
   of an Idempotency-Key reused with another body (STATE_ERRORS); any other
   answer still fails (the test runs it in place of the built-in check).
"""

import base64
import datetime as dt
from urllib.parse import urlencode

import schemathesis
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

MAX_KEY = 2**63 - 1


# --- 1. cursors ---------------------------------------------------------------


def _position_cursor(offset: int, reverse: bool, position: str) -> str:
    # DRF's CursorPagination.encode_cursor
    tokens = {"p": position}
    if offset:
        tokens["o"] = str(offset)
    if reverse:
        tokens["r"] = "1"
    return base64.b64encode(urlencode(tokens).encode("ascii")).decode("ascii")


def _keyset_cursor(direction: str, key: int) -> str:
    # core.pagination.encode_cursor
    token = f"{direction}{key}".encode()
    return base64.urlsafe_b64encode(token).decode().rstrip("=")


_times = st.datetimes(
    min_value=dt.datetime(2000, 1, 1),
    max_value=dt.datetime(2100, 1, 1),
    timezones=st.just(dt.UTC),
)

schemathesis.openapi.format(
    "position-cursor",
    st.builds(
        _position_cursor,
        st.integers(0, 5),
        st.booleans(),
        st.integers(1, MAX_KEY).map(str),
    ),
)
schemathesis.openapi.format(
    "time-position-cursor",
    st.builds(_position_cursor, st.integers(0, 5), st.booleans(), _times.map(str)),
)
schemathesis.openapi.format(
    "keyset-cursor",
    st.builds(_keyset_cursor, st.sampled_from(["a", "b"]), st.integers(0, MAX_KEY)),
)


def _search_cursor(rank: float, key: int) -> str:
    # search.selectors.RankCursor.encode
    return base64.urlsafe_b64encode(f"r{rank!r}:{key}".encode()).decode().rstrip("=")


schemathesis.openapi.format(
    "search-cursor",
    st.builds(_search_cursor, st.floats(0, 10, allow_nan=False), st.integers(0, MAX_KEY)),
)


# --- 2. rules -------------------------------------------------------------------

_PASSWORD_VALIDATORS = {"invalid"}  # AUTH_PASSWORD_VALIDATORS: too common, too similar...
_POST_TEXT = {"max_length", "blank"}  # 1 to 280 graphemes after cleaning (tweets.text)

# (method, path) -> {attr: codes}; attr None: an error of the request as a whole.
RULES: dict[tuple[str, str], dict[str | None, set[str]]] = {
    # Taken usernames and emails are state; the password is judged by its content.
    ("POST", "/api/v1/auth/register"): {
        "username": {"unique"},
        "email": {"unique"},
        "password": _PASSWORD_VALIDATORS,
    },
    # A secret the client must know: the current password, a reset link's token.
    ("POST", "/api/v1/auth/password/change"): {
        "old_password": {"invalid"},
        "new_password": _PASSWORD_VALIDATORS,
    },
    ("POST", "/api/v1/auth/password/reset/confirm"): {
        "token": {"invalid"},
        "new_password": _PASSWORD_VALIDATORS,
    },
    ("POST", "/api/v1/users/me/deactivate"): {"password": {"invalid"}},
    ("DELETE", "/api/v1/users/me"): {"password": {"invalid"}},
    # Django's URLValidator (http, https, ftp; a dotted host with a real TLD...) is
    # stricter than `format: uri`, and its regular expression is no portable pattern.
    ("PATCH", "/api/v1/users/me"): {"username": {"unique"}, "website": {"invalid"}},
    # The signed-in user's own id, which the schema cannot single out.
    ("POST", "/api/v1/users/{user_id}/follow"): {None: {"self_follow"}},
    ("POST", "/api/v1/users/{user_id}/block"): {None: {"self_block"}},
    ("POST", "/api/v1/users/{user_id}/mute"): {None: {"self_mute"}},
    # Search operators inside the text (search.query): `has:` of an unknown kind, an
    # empty `from:`, two authors. A pattern could not say it without refusing text.
    ("GET", "/api/v1/search/posts"): {"q": {"invalid_operator"}},
    ("GET", "/api/v1/search"): {"q": {"invalid_operator"}},
    # Graphemes after cleaning are no JSON Schema length; media must be yours.
    ("POST", "/api/v1/posts"): {"text": _POST_TEXT, "media_ids": {"invalid"}},
    ("POST", "/api/v1/posts/{post_id}/comment"): {"text": _POST_TEXT, "media_ids": {"invalid"}},
    ("PATCH", "/api/v1/posts/{post_id}"): {"text": _POST_TEXT},
    # Reporting yourself (or your own post): the signed-in user's id again.
    ("POST", "/api/v1/reports"): {"target_id": {"invalid"}},
    # An image's content (corrupt, truncated, too many pixels; an empty file, which
    # no JSON Schema of a binary string can exclude): see also CONTENT_ERRORS.
    ("POST", "/api/v1/media"): {"file": {"invalid_image", "empty"}},
    ("POST", "/api/v1/users/me/avatar"): {"file": {"invalid_image", "empty"}},
    ("POST", "/api/v1/users/me/banner"): {"file": {"invalid_image", "empty"}},
    # Exactly one of three optional fields.
    ("POST", "/api/v1/notifications/read"): {"non_field_errors": {"one_of_ids_all_max_id"}},
}


# Any operation that takes an Idempotency-Key: schemathesis sends the same few keys
# with different bodies, and a key reused with another body is a 422 (core.idempotency),
# a conflict with an earlier request like a 409, which the check accepts.
STATE_ERRORS = {(422, "idempotency_key_reused")}

# Uploads: the schema says "a binary file"; what the bytes are decides the answer
# (media.imaging): 415 for anything but JPEG, PNG, GIF and WebP, 400 for a corrupt
# image. Random bytes are almost always the first.
_UPLOAD_ERRORS = {(415, "unsupported_media_type")}
CONTENT_ERRORS = {
    ("POST", "/api/v1/media"): _UPLOAD_ERRORS,
    ("POST", "/api/v1/users/me/avatar"): _UPLOAD_ERRORS,
    ("POST", "/api/v1/users/me/banner"): _UPLOAD_ERRORS,
}


def _only_rules(case, response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    if not isinstance(body, dict):
        return False
    if body.get("type") == "client_error" and _only_state_errors(response, body):
        return True
    content_errors = CONTENT_ERRORS.get((case.operation.method.upper(), case.operation.path), set())
    if body.get("type") == "client_error" and all(
        isinstance(error, dict) and (response.status_code, error.get("code")) in content_errors
        for error in body.get("errors") or [None]
    ):
        return True
    rules = RULES.get((case.operation.method.upper(), case.operation.path))
    if not rules or response.status_code != 400 or body.get("type") != "validation_error":
        return False
    errors = body.get("errors")
    if not isinstance(errors, list) or not errors:
        return False
    return all(
        isinstance(error, dict)
        and (attr := error.get("attr")) in rules
        and error.get("code") in rules[attr]
        for error in errors
    )


def _only_state_errors(response, body) -> bool:
    errors = body.get("errors")
    return bool(errors) and all(
        isinstance(error, dict) and (response.status_code, error.get("code")) in STATE_ERRORS
        for error in errors
    )


@schemathesis.check
def positive_data_acceptance_except_rules(ctx, response, case):
    """schemathesis' positive_data_acceptance, except for the 400s of RULES."""
    if _only_rules(case, response):
        return None
    return positive_data_acceptance(ctx, response, case)
