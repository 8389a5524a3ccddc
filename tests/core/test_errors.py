"""Every error, from DRF or from Django itself, answers in the one format (DESIGN.md §6)."""

import pytest
from django.urls import include, path
from rest_framework.permissions import AllowAny
from rest_framework.test import APIClient
from rest_framework.views import APIView

from core import errors
from tests.accounts.helpers import assert_error

pytestmark = pytest.mark.django_db


def plain_django_view_that_fails(request):
    raise RuntimeError("boom: secret internals")


class ApiViewThatFails(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    def get(self, request):
        raise RuntimeError("boom: secret internals")


# This module doubles as the URLconf of the tests below: the real routes plus two
# views that raise, with the project's handlers.
urlpatterns = [
    path("boom", plain_django_view_that_fails),
    path("api/v1/boom", ApiViewThatFails.as_view()),
    path("", include("config.urls")),
]
handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.not_found
handler500 = errors.server_error


@pytest.fixture
def client(settings):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False
    return APIClient(raise_request_exception=False)


@pytest.mark.parametrize("url", ["/boom", "/api/v1/boom"])
def test_unhandled_exceptions_are_500_in_the_error_format(client, url):
    response = client.get(url)

    error = assert_error(response, 500, code="error")
    assert response.json()["type"] == "server_error"
    assert "secret" not in response.content.decode()
    assert error["detail"]


def test_a_drf_500_still_reaches_error_reporting(client):
    """drf-standardized-errors sends got_request_exception, as Django would."""
    from django.core.signals import got_request_exception

    seen = []

    def receiver(sender, request, **kwargs):
        seen.append(request.path)

    got_request_exception.connect(receiver)
    try:
        client.get("/api/v1/boom")
    finally:
        got_request_exception.disconnect(receiver)
    assert seen == ["/api/v1/boom"]


@pytest.mark.parametrize(
    "url",
    [
        "/nope",
        "/nope/",
        "/api/nope",
        "/api/v1/nope",
        "/api/v1/users/me/",
        "/api/v2/users/me",
        "/static/../../etc/passwd",
    ],
)
def test_unknown_routes_are_404_in_the_error_format(client, url):
    assert_error(client.get(url), 404, code="not_found")
    assert_error(client.post(url, {}, format="json"), 404, code="not_found")


def test_unknown_api_routes_are_json_even_with_debug_on(client, settings):
    settings.DEBUG = True
    assert_error(client.get("/api/v1/nope"), 404, code="not_found")


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/users/by-username/a%00b",
        "/api/v1/users/me?x=%00",
        "/api/v1/nope%00",
        "/nope%00",
        "/healthz?%00=1",
    ],
)
def test_nul_bytes_in_urls_are_400_not_a_database_error(client, user, url):
    client.force_authenticate(user)
    assert_error(client.get(url), 400, code="bad_request")


def test_405_in_the_error_format(client):
    response = client.put("/api/v1/auth/register", {}, format="json")
    assert_error(response, 405, code="method_not_allowed")
    assert "POST" in response["Allow"]


def test_405_on_plain_django_views_is_in_the_error_format(client):
    response = client.post("/healthz")
    assert_error(response, 405, code="method_not_allowed")
    assert response["Allow"] == "GET, HEAD"


def test_400_for_a_disallowed_host(client):
    assert_error(client.get("/healthz", HTTP_HOST="evil.example"), 400, code="bad_request")


def test_400_validation_errors_name_the_field(client):
    response = client.post("/api/v1/auth/register", {"username": "x"}, format="json")
    body = response.json()
    assert response.status_code == 400
    assert body["type"] == "validation_error"
    assert {"username", "email", "password"} <= {e["attr"] for e in body["errors"]}
    assert all(e["code"] and e["detail"] for e in body["errors"])


def test_401_in_the_error_format(client):
    response = client.get("/api/v1/users/me")
    assert_error(response, 401, code="not_authenticated")
    bad_token = client.get("/api/v1/users/me", HTTP_AUTHORIZATION="Bearer not.a.jwt")
    assert_error(bad_token, 401, code="token_not_valid")


def test_415_for_an_unsupported_media_type(client):
    response = client.generic(
        "POST", "/api/v1/auth/token", b"<xml/>", content_type="application/xml"
    )
    assert_error(response, 415, code="unsupported_media_type")


@pytest.mark.parametrize("fmt", ["multipart", "form"])
def test_a_form_body_over_the_memory_limit_is_413_not_500(client, settings, fmt):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    data = {"username": "a" * 5000, "email": "a@example.com", "password": "x" * 20}
    if fmt == "form":
        from urllib.parse import urlencode

        response = client.generic(
            "POST", "/api/v1/auth/register", urlencode(data),
            content_type="application/x-www-form-urlencoded",
        )  # fmt: skip
    else:
        response = client.post("/api/v1/auth/register", data, format="multipart")
    assert_error(response, 413, code="payload_too_large")


def test_too_many_form_fields_is_400_not_500(client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    data = {f"field{n}": "x" for n in range(20)}
    response = client.post("/api/v1/auth/register", data, format="multipart")
    assert_error(response, 400, code="bad_request")
