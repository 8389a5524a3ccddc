"""Every error, from DRF or from Django itself, answers in the one format (DESIGN.md §6)."""

import pytest
from django.core.signals import got_request_exception
from django.http import Http404, HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from rest_framework.permissions import AllowAny
from rest_framework.test import APIClient
from rest_framework.views import APIView

from core import errors
from tests.accounts.helpers import assert_error

pytestmark = pytest.mark.django_db


def plain_django_view_that_fails(request):
    raise RuntimeError("boom: secret internals")


def plain_django_view_that_cannot_find(request):
    raise Http404("secret internals")


def plain_django_view(request):
    """Not CSRF-exempt: an unsafe request without a CSRF token fails Django's check."""
    return HttpResponse("ok")


@csrf_exempt
@require_GET
def plain_get_only_view(request):
    return HttpResponse("ok")


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
    path("api/v1/plain-boom", plain_django_view_that_fails),
    path("api/v1/plain-404", plain_django_view_that_cannot_find),
    path("api/v1/plain", plain_django_view),
    path("api/v1/plain-get", plain_get_only_view),
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


@pytest.fixture
def strict_client(client):
    """Checks CSRF as Django does for a real client (curl, a browser without cookies)."""
    return APIClient(raise_request_exception=False, enforce_csrf_checks=True)


def assert_json_error(response, status: int, *, code: str, method: str = "GET"):
    """`assert_error`, and for HEAD (no body) the status and the JSON content type."""
    if method == "HEAD":
        assert response.status_code == status, (response.status_code, response.content[:300])
        assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
        return None
    return assert_error(response, status, code=code)


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


METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND"]
UNKNOWN_API_PATHS = [
    "/api",
    "/api/",
    "/api/nope",
    "/api/v1/notifications/None",
    "/api/v1/posts/abc/like",
    "/api/v1/users/me/",
    "/api/v2/users/me",
]
BODIES = {
    "none": {},
    "json": {"data": b'{"a": 1}', "content_type": "application/json"},
    "form": {"data": b"a=1&b=2", "content_type": "application/x-www-form-urlencoded"},
}


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
@pytest.mark.parametrize("body", list(BODIES))
@pytest.mark.parametrize("url", UNKNOWN_API_PATHS)
@pytest.mark.parametrize("method", METHODS)
def test_every_method_on_an_unknown_api_route_is_a_json_404(
    strict_client, settings, method, url, body, debug
):
    """Before the fix, unsafe methods got Django's HTML "CSRF verification failed" 403."""
    settings.DEBUG = debug
    response = strict_client.generic(method, url, **BODIES[body])
    assert_json_error(response, 404, code="not_found", method=method)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "PROPFIND"])
def test_a_wrong_method_on_a_known_api_route_is_a_json_405(strict_client, method):
    response = strict_client.generic(
        method, "/api/v1/auth/register", b"{}", content_type="application/json"
    )
    if method == "POST":  # the one allowed method: a validation error, not a 405
        assert response.status_code == 400
        assert response.json()["type"] == "validation_error"
        return
    assert_error(response, 405, code="method_not_allowed")
    assert "POST" in response["Allow"]


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_a_plain_view_s_own_405_is_json_and_keeps_allow(strict_client, settings, debug):
    """`require_GET` answers an empty text/html 405 of its own."""
    settings.DEBUG = debug
    response = strict_client.post("/api/v1/plain-get")
    error = assert_error(response, 405, code="method_not_allowed")
    assert error["detail"] == 'Method "POST" not allowed.'
    assert response["Allow"] == "GET"


@pytest.mark.parametrize("url", ["/api/v1/plain", "/admin/login/"])
def test_a_csrf_failure_is_a_json_403(strict_client, url):
    response = strict_client.post(url, {"username": "admin", "password": "x"}, format="multipart")
    error = assert_error(response, 403, code="csrf_failed")
    assert error["detail"].startswith("CSRF verification failed: ")
    assert "CSRF cookie not set" in error["detail"]


def test_a_plain_view_still_answers_with_a_valid_csrf_token(strict_client):
    """The JSON failure view did not loosen the check: a real token still passes."""
    strict_client.get("/admin/login/")
    token = strict_client.cookies["csrftoken"].value
    response = strict_client.post(
        "/api/v1/plain", {"csrfmiddlewaretoken": token}, format="multipart"
    )
    assert response.status_code == 200


@pytest.mark.parametrize("url", ["/api/v1/plain", "/admin/login/"])
def test_a_form_body_too_big_for_the_csrf_check_is_a_json_413(strict_client, settings, url):
    """The CSRF check reads POST of a plain view (when a CSRF cookie came with it):
    a body over the limit was a 400."""
    strict_client.get("/admin/login/")  # the CSRF cookie
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = strict_client.generic(
        "POST", url, "a=" + "x" * 5000, content_type="application/x-www-form-urlencoded"
    )
    assert_error(response, 413, code="payload_too_large")


def test_a_plain_api_view_that_raises_is_a_json_500_with_debug_on(client, settings):
    """DEBUG on: Django's HTML debug page, rewritten; the error still reaches reporting."""
    settings.DEBUG = True
    seen = []

    def receiver(sender, request, **kwargs):
        seen.append(request.path)

    got_request_exception.connect(receiver)
    try:
        response = client.get("/api/v1/plain-boom")
    finally:
        got_request_exception.disconnect(receiver)
    assert_error(response, 500, code="error")
    assert "secret" not in response.content.decode()
    assert seen == ["/api/v1/plain-boom"]


def test_a_drf_view_that_raises_is_a_json_500_with_debug_on(client, settings):
    settings.DEBUG = True
    response = client.get("/api/v1/boom")
    assert_error(response, 500, code="error")
    assert "secret" not in response.content.decode()


def test_a_plain_api_view_s_404_is_json_with_debug_on(client, settings):
    settings.DEBUG = True
    response = client.get("/api/v1/plain-404")
    assert_error(response, 404, code="not_found")
    assert "secret" not in response.content.decode()


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("/api/docs", "/api/docs/"),
        ("/api/redoc", "/api/redoc/"),
        ("/api/schema?format=json", "/api/schema/?format=json"),
    ],
)
def test_the_docs_without_their_slash_redirect_and_refuse_other_methods(strict_client, url, target):
    response = strict_client.get(url)
    assert response.status_code == 302
    assert response["Location"] == target
    response = strict_client.post(url)
    assert_error(response, 405, code="method_not_allowed")
    assert response["Allow"] == "GET, HEAD"


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
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = settings.REQUEST_BODY_MAX_BYTES = 1000
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


def test_too_many_form_fields_is_not_a_500(client, settings):
    """The API reads JSON only (DESIGN.md §6): a form body is a 415 before any field is counted."""
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    data = {f"field{n}": "x" for n in range(20)}
    response = client.post("/api/v1/auth/register", data, format="multipart")
    assert_error(response, 415, code="unsupported_media_type")


def test_a_route_with_a_smaller_cap_than_the_default_still_gets_its_413(client, settings):
    """Bodies under every route's cap skip the route lookup (core.request_limits); a
    route listed with a cap below the default is still held to it."""
    settings.REQUEST_BODY_MAX_BYTES_BY_ROUTE = {
        **settings.REQUEST_BODY_MAX_BYTES_BY_ROUTE,
        "posts-create": 100,
    }
    body = '{"text": "' + "x" * 200 + '"}'
    response = client.generic("POST", "/api/v1/posts", body, content_type="application/json")
    error = assert_error(response, 413, code="payload_too_large")
    assert "100 bytes" in error["detail"]
