"""Input that used to answer 500 or be wrongly accepted (issue 14, items 4, 5, 6, 9, 10).

Every endpoint is taken from the OpenAPI schema, so a new JSON endpoint or a new
paginated list is covered without being listed here.
"""

import base64
import json
import re

import pytest
from rest_framework.test import APIClient

from tests.accounts.helpers import assert_error
from tests.conftest import bearer_client
from tests.factories import MediaFactory, PostFactory, UserFactory
from tests.schema import openapi_schema

pytestmark = pytest.mark.django_db

NESTED_ARRAYS = "[" * 1000 + "]" * 1000  # 2 KB
NESTED_OBJECTS = '{"a":' * 1000 + "1" + "}" * 1000
MB = 1024 * 1024


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        return openapi_schema()


@pytest.fixture
def world(settings):
    """A signed-in user, a public user with a post, and a path for every parameter."""
    settings.THROTTLE_ENABLED = False
    settings.AXES_ENABLED = False
    me = UserFactory(username="me")
    other = UserFactory(username="other")
    post = PostFactory(author=other)
    ids = {
        "user_id": other.pk,
        "post_id": post.pk,
        "request_id": 1,
        "notification_id": 1,
        "username": other.username,
        "media_id": MediaFactory(owner=me).pk,
        "tag": "intro",
    }
    return {"me": me, "client": bearer_client(me), "ids": ids}


def operations(schema, predicate):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"} and predicate(operation):
                yield method, path


def fill(path: str, ids: dict) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), path)


# --- 4: JSON nested 1,000 deep ---------------------------------------------------


def json_operations(schema):
    """Operations whose body is JSON (the upload routes take multipart only)."""
    return list(
        operations(
            schema,
            lambda op: "application/json" in op.get("requestBody", {}).get("content", {}),
        )
    )


def test_the_schema_has_json_endpoints(schema):
    assert len(json_operations(schema)) >= 15
    # DELETE /users/me reads a body ({"password"}), and its schema says so (core.schema).
    assert ("delete", "/api/v1/users/me") in json_operations(schema)


@pytest.mark.parametrize("body", [NESTED_ARRAYS, NESTED_OBJECTS], ids=["arrays", "objects"])
def test_deeply_nested_json_is_a_400_on_every_json_endpoint(schema, world, body):
    """It used to be a 500 (RecursionError) wherever a JSON body is parsed."""
    client = world["client"]
    anonymous = APIClient()
    for method, path in json_operations(schema):
        url = fill(path, world["ids"])
        for who in (client, anonymous):
            response = who.generic(method.upper(), url, body, content_type="application/json")
            if response.status_code == 401:  # refused before the body was read
                continue
            error = assert_error(response, 400, code="parse_error")
            assert "deeper than 32 levels" in error["detail"], (method, path, error)


def test_json_within_the_depth_bound_is_parsed(world):
    """33 levels is refused, 32 is parsed (and then validated like any other body)."""
    client = world["client"]
    url = "/api/v1/users/me/notification-settings"
    deep = '{"email": ' + "[" * 30 + "]" * 30 + "}"  # 31 levels
    assert_error(client.patch(url, deep, content_type="application/json"), 400, attr="email")
    deeper = '{"email": ' + "[" * 32 + "]" * 32 + "}"  # 33 levels
    assert_error(
        client.patch(url, deeper, content_type="application/json"), 400, code="parse_error"
    )


# --- 5: tampered cursors -------------------------------------------------------------


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


TAMPERED_CURSORS = [
    "cD1hYmM=",  # p=abc: DRF's cursor pagination took the position as it came (500)
    b64("p=99999999999999999999999"),
    b64("p=-99999999999999999999999"),
    b64("p=2024-13-45 99:99:99"),
    b64("p=2024-01-01 00:00:00"),  # no time zone
    b64("p=0001-01-01 00:00:00+01:00"),  # before year 1 in UTC
    b64("o=-1"),
    b64("r=x"),
    b64("p=1&o=abc"),
    "not base64!",
    "é",
    "b" + "9" * 30,
]


def paginated_operations(schema):
    def paginated(operation):
        return any(p.get("name") == "cursor" for p in operation.get("parameters", []))

    return list(operations(schema, paginated))


def test_the_schema_has_paginated_endpoints(schema):
    paths = {path for _, path in paginated_operations(schema)}
    for path in ("followers", "following", "blocks", "mutes", "follow-requests"):
        assert any(p.endswith(path) for p in paths), path
    assert len(paths) >= 14


@pytest.mark.parametrize("cursor", TAMPERED_CURSORS)
def test_a_tampered_cursor_is_a_400_on_every_paginated_endpoint(schema, world, cursor):
    client = world["client"]
    for method, path in paginated_operations(schema):
        url = fill(path, world["ids"])
        response = client.generic(method.upper(), url, QUERY_STRING=f"cursor={cursor}")
        if response.status_code == 404:  # the list itself is not there (a made-up id)
            continue
        assert_error(response, 400, code="invalid", attr="cursor")


def test_a_real_cursor_still_pages(world):
    """The check refuses tampered cursors only: the next link of every list works."""
    me, client = world["me"], world["client"]
    for _ in range(3):
        client.post(f"/api/v1/users/{UserFactory().pk}/follow")
    first = client.get(f"/api/v1/users/{me.pk}/following", {"limit": 2}).json()
    assert len(first["results"]) == 2
    assert first["next"]
    second = client.get(first["next"])
    assert second.status_code == 200
    assert len(second.json()["results"]) == 1


# --- 9: limits that were capped or ignored -------------------------------------------


@pytest.mark.parametrize("limit", ["101", "0", "-1", "abc", "1.5", "null", "9" * 50])
def test_a_limit_outside_1_to_100_is_a_400_on_every_paginated_endpoint(schema, world, limit):
    """`limit=101` used to be capped to 100 silently (and `limit=abc` ignored on
    the cursor-paginated lists); the schema says 1 to 100, so does the answer."""
    client = world["client"]
    for method, path in paginated_operations(schema):
        url = fill(path, world["ids"])
        response = client.generic(method.upper(), url, QUERY_STRING=f"limit={limit}")
        if response.status_code == 404:
            continue
        assert_error(response, 400, attr="limit")


def test_limit_100_is_accepted(schema, world):
    client = world["client"]
    for method, path in paginated_operations(schema):
        response = client.generic(
            method.upper(), fill(path, world["ids"]), QUERY_STRING="limit=100"
        )
        assert response.status_code in (200, 403, 404), (path, response.content[:200])


# --- 6: a lone surrogate echoed in an error ------------------------------------------


def test_a_lone_surrogate_echoed_in_an_error_is_a_400(world):
    """It used to be a 500 (UnicodeEncodeError in the renderer)."""
    body = '{"email": {"\\ud800x": true}}'  # valid JSON: an escaped lone surrogate
    response = world["client"].patch(
        "/api/v1/users/me/notification-settings", body, content_type="application/json"
    )
    error = assert_error(response, 400, attr="email")
    response.content.decode("utf-8")  # valid UTF-8
    assert "\ufffdx" in error["detail"], error


def test_the_renderer_replaces_lone_surrogates_in_keys_and_values():
    from core.renderers import JSONRenderer

    rendered = JSONRenderer().render({"\ud800k": ["v\udfff", {"n": 1}]})
    assert json.loads(rendered.decode("utf-8")) == {"\ufffdk": ["v\ufffd", {"n": 1}]}


# --- 9: ids 0, non-string text --------------------------------------------------------


@pytest.mark.parametrize("field", ["reply_to", "quote_of"])
def test_post_zero_is_refused_not_a_plain_post(world, field):
    """`reply_to: 0` used to pass the truthiness test as "no reply": a plain post."""
    client = world["client"]
    response = client.post("/api/v1/posts", {"text": "hello", field: 0}, format="json")
    assert_error(response, 400, attr=field)
    response = client.post("/api/v1/posts", {"text": "hello", field: "0"}, format="json")
    assert_error(response, 400, attr=field)
    assert world["me"].posts.count() == 0


def test_a_comment_quoting_post_zero_is_refused(world):
    post_id = world["ids"]["post_id"]
    response = world["client"].post(
        f"/api/v1/posts/{post_id}/comment", {"text": "hi", "quote_of": "0"}, format="json"
    )
    assert_error(response, 400, attr="quote_of")


@pytest.mark.parametrize("text", [0, 12, 1.5, True, ["a"], {"a": "b"}])
def test_post_text_must_be_a_string(world, text):
    """`"text": 0` used to be coerced to the post "0"."""
    response = world["client"].post("/api/v1/posts", {"text": text}, format="json")
    assert_error(response, 400, code="invalid", attr="text")
    assert world["me"].posts.count() == 0


@pytest.mark.parametrize(
    ("url", "method", "body", "attr"),
    [
        ("/api/v1/users/me", "patch", {"is_private": "true"}, "is_private"),
        ("/api/v1/users/me", "patch", {"is_private": 1}, "is_private"),
        ("/api/v1/users/me", "patch", {"bio": 5}, "bio"),
        ("/api/v1/notifications/read", "post", {"all": "yes"}, "all"),
        ("/api/v1/notifications/read", "post", {"ids": [5]}, "ids.0"),
        ("/api/v1/users/me/notification-settings", "patch", {"email": {"like": 1}}, "email.like"),
        ("/api/v1/auth/password/change", "post", {"old_password": 1, "new_password": 2}, None),
    ],
)
def test_json_values_must_have_the_declared_type(world, url, method, body, attr):
    response = getattr(world["client"], method)(url, body, format="json")
    assert_error(response, 400, attr=attr)


# --- 9: profile fields are cleaned like post text ---------------------------------------


def test_profile_fields_drop_bidi_overrides_and_control_characters(world):
    me, client = world["me"], world["client"]
    response = client.patch(
        "/api/v1/users/me",
        {
            "display_name": "ad\u202emin\x00\x1b",
            "bio": "line\u2066one\r\nline\x07two\u200b",
            "location": "\tPar\u202eis\n",
            "website": "https://exa\u202emple.com/",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    me.refresh_from_db()
    assert me.display_name == "admin"
    assert me.bio == "lineone\nlinetwo"
    assert me.location == "Paris"
    assert me.website == "https://example.com/"
    assert response.json()["display_name"] == "admin"


def test_registration_cleans_the_display_name(settings, api_client):
    settings.THROTTLE_ENABLED = False
    response = api_client.post(
        "/api/v1/auth/register",
        {
            "username": "newbie",
            "email": "newbie@example.com",
            "password": "a-long-Passphrase-42",
            "display_name": "\u202eeibwen\u202c",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["display_name"] == "eibwen"


def test_profile_lengths_bound_what_was_sent(world):
    """The schema's maxLength is about the text sent, cleaning or not."""
    response = world["client"].patch(
        "/api/v1/users/me", {"display_name": "a" * 50 + "\u202e"}, format="json"
    )
    assert_error(response, 400, code="max_length", attr="display_name")


# --- 10: request bodies of every kind are capped before parsing ---------------------------


def multipart(size: int) -> tuple[bytes, str]:
    boundary = "warbleboundary"
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="text"\r\n\r\nhello\r\n'
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="big.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + b"\0" * size
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def test_a_multipart_body_over_the_cap_is_a_413(world, settings):
    """A 60 MB multipart body used to be accepted (201 on POST /posts): the file
    part does not count toward DATA_UPLOAD_MAX_MEMORY_SIZE."""
    body, content_type = multipart(3 * MB)  # over the 2.5 MB default
    response = world["client"].generic("POST", "/api/v1/posts", body, content_type=content_type)
    error = assert_error(response, 413, code="payload_too_large")
    assert str(settings.REQUEST_BODY_MAX_BYTES) in error["detail"]
    assert world["me"].posts.count() == 0


def test_an_anonymous_multipart_password_reset_over_the_cap_is_a_413(settings):
    """It used to answer 202."""
    settings.THROTTLE_ENABLED = False
    body, content_type = multipart(3 * MB)
    response = APIClient().generic(
        "POST", "/api/v1/auth/password/reset", body, content_type=content_type
    )
    assert_error(response, 413, code="payload_too_large")


@pytest.mark.parametrize(
    "content_type", ["multipart/form-data; boundary=x", "application/x-www-form-urlencoded"]
)
def test_forms_are_not_json(world, content_type):
    """JSON in (DESIGN.md §6): a small form body is a 415, not a post."""
    body = (
        b"text=hello"
        if "urlencoded" in content_type
        else b'--x\r\nContent-Disposition: form-data; name="text"\r\n\r\nhello\r\n--x--\r\n'
    )
    response = world["client"].generic("POST", "/api/v1/posts", body, content_type=content_type)
    assert_error(response, 415)
    assert world["me"].posts.count() == 0


def test_a_json_body_over_the_cap_is_a_413(world):
    body = json.dumps({"text": "x" * (3 * MB)})
    response = world["client"].post("/api/v1/posts", body, content_type="application/json")
    assert_error(response, 413, code="payload_too_large")


def test_a_route_can_have_its_own_cap(world, settings):
    """REQUEST_BODY_MAX_BYTES_BY_ROUTE (by URL name): how the media upload route
    will take bigger bodies than the rest."""
    settings.REQUEST_BODY_MAX_BYTES_BY_ROUTE = {"posts-create": 1000}
    body = json.dumps({"text": "x" * 2000})
    response = world["client"].post("/api/v1/posts", body, content_type="application/json")
    assert_error(response, 413, code="payload_too_large")
    small = world["client"].post("/api/v1/posts", {"text": "ok"}, format="json")
    assert small.status_code == 201
    other_route = world["client"].patch("/api/v1/users/me", {"bio": "y" * 150}, format="json")
    assert other_route.status_code == 200
