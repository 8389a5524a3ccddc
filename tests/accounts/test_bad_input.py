"""A demanding client: every malformed request to an accounts endpoint is a 4xx in the
one error format, never a 500."""

import json

import pytest

from tests.accounts.helpers import assert_error
from tests.conftest import bearer_client

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    ("post", "/api/v1/auth/register", ["username", "email", "password", "display_name"]),
    ("post", "/api/v1/auth/token", ["username", "password"]),
    ("post", "/api/v1/auth/token/refresh", ["refresh"]),
    ("post", "/api/v1/auth/logout", ["refresh"]),
    ("post", "/api/v1/auth/password/change", ["old_password", "new_password"]),
    ("post", "/api/v1/auth/password/reset", ["email"]),
    ("post", "/api/v1/auth/password/reset/confirm", ["uid", "token", "new_password"]),
    ("patch", "/api/v1/users/me", ["username", "bio", "website", "is_private"]),
    ("delete", "/api/v1/users/me", ["password"]),
]
BAD_VALUES = [
    None,
    123,
    1.5,
    True,
    [],
    ["x"],
    {"nested": "object"},
    "x" * 100_000,
    "\u0000",
    "\ud800",  # a lone surrogate: valid JSON, not storable text
    "",
]
BAD_BODIES = ["[]", '["a", "b"]', "null", "42", '"text"', "{", '{"a": }', "\u00ff\u00fe"]


@pytest.fixture
def client(user, settings):
    settings.THROTTLE_ENABLED = False
    return bearer_client(user)


@pytest.mark.parametrize(("method", "url", "fields"), ENDPOINTS)
@pytest.mark.parametrize("body", BAD_BODIES)
def test_non_object_json_bodies(client, method, url, fields, body):
    response = client.generic(method.upper(), url, body.encode(), content_type="application/json")
    assert_error(response, 400)


@pytest.mark.parametrize(("method", "url", "fields"), ENDPOINTS)
@pytest.mark.parametrize("value", BAD_VALUES, ids=repr)
def test_odd_field_values_never_500(client, method, url, fields, value):
    """Some of these are acceptable for some fields (123 is a fine username, "" a fine bio);
    none may crash, and every refusal is in the error format."""
    for field in fields:
        body = json.dumps({field: value})  # ASCII: a lone surrogate travels as \ud800
        response = client.generic(method.upper(), url, body, content_type="application/json")
        assert response.status_code < 500, (field, response.content)
        if response.status_code >= 400:
            assert_error(response, response.status_code)
