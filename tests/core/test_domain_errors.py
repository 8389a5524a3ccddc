"""Domain errors (core.errors): what services and selectors raise, and the one
place that turns them into HTTP responses.

The API tests pin the exact body, status and code of every refusal a service or
selector makes, so moving them off DRF's exceptions changes nothing a client sees.
"""

import ast
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import path
from django.utils import timezone
from rest_framework import exceptions as drf_exceptions
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.test import APIClient
from rest_framework.views import APIView

from core import errors
from core.datetimes import iso_datetime
from core.errors import Conflict, DomainError, ExceptionHandler, Invalid, NotAllowed, NotFound
from relationships import selectors as rel_selectors
from tests.factories import (
    DEFAULT_PASSWORD,
    BlockFactory,
    FollowRequestFactory,
    PostFactory,
    UserFactory,
)
from tweets import selectors as tweets_selectors

pytestmark = pytest.mark.django_db

MISSING = 999_999_999


def _client_error(code: str, detail: str) -> dict:
    return {"type": "client_error", "errors": [{"code": code, "detail": detail, "attr": None}]}


def _invalid(code: str, detail: str, attr: str | None = None) -> dict:
    return {"type": "validation_error", "errors": [{"code": code, "detail": detail, "attr": attr}]}


NOT_FOUND = _client_error("not_found", "Not found.")  # what a selector's 404 has always said


def _assert_body(response, status: int, body: dict) -> None:
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == body


@pytest.fixture
def alice_client(alice, api_client):
    api_client.force_authenticate(alice)
    return api_client


# --- selectors: 404 when missing or not visible ----------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/posts/{MISSING}",
        f"/api/v1/posts/{MISSING}/comments",
        f"/api/v1/posts/{MISSING}/history",
        f"/api/v1/posts/{MISSING}/context",
        f"/api/v1/posts/{MISSING}/liked-by",
        f"/api/v1/users/{MISSING}/profile",
        f"/api/v1/users/{MISSING}/posts",
        f"/api/v1/users/{MISSING}/likes",
        f"/api/v1/users/{MISSING}/followers",
        f"/api/v1/users/{MISSING}/following",
        f"/api/v1/users/{MISSING}/relationship",
        "/api/v1/users/by-username/nobody",
    ],
)
def test_a_selector_404_keeps_its_body(alice_client, url):
    _assert_body(alice_client.get(url), 404, NOT_FOUND)


def test_a_post_hidden_by_a_block_is_a_selector_404(alice, alice_client):
    post = PostFactory()
    BlockFactory(blocker=post.author, blocked=alice)
    _assert_body(alice_client.get(f"/api/v1/posts/{post.id}"), 404, NOT_FOUND)
    _assert_body(alice_client.get(f"/api/v1/users/{post.author_id}/profile"), 404, NOT_FOUND)


def test_a_private_accounts_lists_are_403(alice_client):
    private = UserFactory(is_private=True)
    body = _client_error("private_account", "This account is private.")
    _assert_body(alice_client.get(f"/api/v1/users/{private.pk}/followers"), 403, body)
    _assert_body(alice_client.get(f"/api/v1/users/{private.pk}/following"), 403, body)


# --- relationships services ------------------------------------------------------


@pytest.mark.parametrize("action", ["follow", "block", "mute"])
def test_acting_on_yourself_is_400(alice, alice_client, action):
    response = alice_client.post(f"/api/v1/users/{alice.pk}/{action}")
    _assert_body(response, 400, _invalid(f"self_{action}", f"You cannot {action} yourself."))


@pytest.mark.parametrize(
    ("method", "action"),
    [("post", "follow"), ("post", "block"), ("post", "mute"), ("delete", "block"),
     ("delete", "mute"), ("delete", "follow"), ("delete", "follower")],
)  # fmt: skip
def test_a_missing_user_is_404_no_such_user(alice_client, method, action):
    response = getattr(alice_client, method)(f"/api/v1/users/{MISSING}/{action}")
    _assert_body(response, 404, _client_error("not_found", "No such user."))


@pytest.mark.parametrize("blocker_is_me", [True, False])
def test_following_across_a_block_is_403(alice, alice_client, blocker_is_me):
    other = UserFactory()
    if blocker_is_me:
        BlockFactory(blocker=alice, blocked=other)
        detail = "You block this account; unblock it first."
    else:
        BlockFactory(blocker=other, blocked=alice)
        detail = "You cannot follow this account."
    response = alice_client.post(f"/api/v1/users/{other.pk}/follow")
    _assert_body(response, 403, _client_error("blocked", detail))


@pytest.mark.parametrize("verb", ["approve", "reject"])
def test_a_missing_follow_request_is_404(alice, alice_client, verb):
    someone_elses = FollowRequestFactory()  # not addressed to alice: does not exist for her
    body = _client_error("not_found", "No such follow request.")
    for request_id in (MISSING, someone_elses.pk):
        response = alice_client.post(f"/api/v1/follow-requests/{request_id}/{verb}")
        _assert_body(response, 404, body)


# --- tweets services -------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("post", f"/api/v1/posts/{MISSING}/like", None),
        ("post", f"/api/v1/posts/{MISSING}/retweet", None),
        ("post", f"/api/v1/posts/{MISSING}/bookmark", None),
        ("post", f"/api/v1/posts/{MISSING}/comment", {"text": "hi"}),
        ("post", "/api/v1/posts", {"text": "hi", "reply_to": str(MISSING)}),
        ("post", "/api/v1/posts", {"text": "hi", "quote_of": str(MISSING)}),
        ("patch", f"/api/v1/posts/{MISSING}", {"text": "hi"}),
        ("delete", f"/api/v1/posts/{MISSING}", None),
    ],
)
def test_a_missing_post_is_404_no_such_post(alice_client, method, url, data):
    response = getattr(alice_client, method)(url, data, format="json")
    _assert_body(response, 404, _client_error("not_found", "No such post."))


def test_changing_someone_elses_post_is_403(alice_client):
    post = PostFactory()
    body = _client_error("not_author", "Only the author can change a post.")
    url = f"/api/v1/posts/{post.id}"
    _assert_body(alice_client.patch(url, {"text": "mine now"}, format="json"), 403, body)
    _assert_body(alice_client.delete(url), 403, body)


def test_editing_after_the_window_is_403(alice, alice_client, settings):
    post = PostFactory(author=alice, created_at=timezone.now() - timedelta(minutes=31))
    response = alice_client.patch(f"/api/v1/posts/{post.id}", {"text": "late"}, format="json")
    minutes = settings.POST_EDIT_WINDOW_MINUTES
    detail = f"Posts can be edited for {minutes} minutes after posting."
    _assert_body(response, 403, _client_error("edit_window_closed", detail))


@pytest.mark.parametrize(
    ("text", "code", "detail"),
    [
        ("   ", "blank", "A post needs some text."),
        ("x" * 281, "max_length", "Posts are at most 280 characters."),
    ],
)
def test_post_text_the_service_refuses_is_400_on_text(alice, alice_client, text, code, detail):
    response = alice_client.post("/api/v1/posts", {"text": text}, format="json")
    _assert_body(response, 400, _invalid(code, detail, attr="text"))
    post = PostFactory(author=alice)
    response = alice_client.patch(f"/api/v1/posts/{post.id}", {"text": text}, format="json")
    _assert_body(response, 400, _invalid(code, detail, attr="text"))


# --- accounts services -----------------------------------------------------------


def _password_errors(password: str, attr: str, **user_fields) -> dict:
    from accounts.models import User

    with pytest.raises(DjangoValidationError) as caught:
        validate_password(password, user=User(**user_fields))
    # One error per validator message, all with the generic code (as before).
    return {
        "type": "validation_error",
        "errors": [{"code": "invalid", "detail": m, "attr": attr} for m in caught.value.messages],
    }


def test_register_refusals_keep_their_bodies(api_client):
    UserFactory(username="taken", email="taken@example.com")
    url = "/api/v1/auth/register"
    fresh = {"username": "fresh", "email": "fresh@example.com", "password": DEFAULT_PASSWORD}

    response = api_client.post(url, {**fresh, "username": "TAKEN"}, format="json")
    _assert_body(response, 400, _invalid("unique", "This username is taken.", attr="username"))
    response = api_client.post(url, {**fresh, "email": "Taken@example.com"}, format="json")
    body = _invalid("unique", "An account with this email exists.", attr="email")
    _assert_body(response, 400, body)
    response = api_client.post(url, {**fresh, "password": "12345"}, format="json")
    expected = _password_errors("12345", "password", username="fresh", email="fresh@example.com")
    assert len(expected["errors"]) >= 2  # several validator messages, one item each
    _assert_body(response, 400, expected)


def test_profile_update_to_a_taken_username_is_400(alice_client):
    UserFactory(username="taken")
    response = alice_client.patch("/api/v1/users/me", {"username": "Taken"}, format="json")
    _assert_body(response, 400, _invalid("unique", "This username is taken.", attr="username"))


def test_password_change_refusals_keep_their_bodies(alice, alice_client):
    url = "/api/v1/auth/password/change"
    response = alice_client.post(
        url, {"old_password": "wrong", "new_password": DEFAULT_PASSWORD + "x"}, format="json"
    )
    body = _invalid("invalid", "The current password is not correct.", attr="old_password")
    _assert_body(response, 400, body)
    response = alice_client.post(
        url, {"old_password": DEFAULT_PASSWORD, "new_password": "12345"}, format="json"
    )
    expected = _password_errors("12345", "new_password", username=alice.username, email=alice.email)
    _assert_body(response, 400, expected)


@pytest.mark.parametrize("uid", ["!!", "MTIzNDU2Nzg5"])  # undecodable; no such user
def test_a_bad_reset_link_is_400_on_token(api_client, uid):
    response = api_client.post(
        "/api/v1/auth/password/reset/confirm",
        {"uid": uid, "token": "nope", "new_password": DEFAULT_PASSWORD + "x"},
        format="json",
    )
    body = _invalid("invalid", "The reset link is invalid or has expired.", attr="token")
    _assert_body(response, 400, body)


def test_erasing_with_a_wrong_password_is_400(alice_client):
    response = alice_client.delete("/api/v1/users/me", {"password": "wrong"}, format="json")
    _assert_body(response, 400, _invalid("invalid", "The password is not correct.", "password"))


# --- the mapping: one place, the same answer for DRF and plain Django views ------


def _render(exc: Exception) -> tuple[int, dict]:
    """What the DRF exception handler answers for `exc` (without its rollback)."""
    handler = ExceptionHandler(exc, {"view": None, "args": (), "kwargs": {}, "request": None})
    converted = handler.convert_known_exceptions(exc)
    converted = handler.convert_unhandled_exceptions(converted)
    return converted.status_code, handler.format_exception(converted)


@pytest.mark.parametrize(
    ("domain", "drf"),
    [
        (NotFound(), Http404("No such user.")),  # selectors, before: a bare "Not found."
        (NotFound("No such post."), drf_exceptions.NotFound("No such post.")),
        (
            NotAllowed("Only the author can change a post.", code="not_author"),
            drf_exceptions.PermissionDenied(
                "Only the author can change a post.", code="not_author"
            ),
        ),
        (NotAllowed(), drf_exceptions.PermissionDenied()),
        (
            Invalid("You cannot follow yourself.", code="self_follow"),
            drf_exceptions.ValidationError("You cannot follow yourself.", code="self_follow"),
        ),
        (
            Invalid(fields={"text": ["A post needs some text."]}, code="blank"),
            drf_exceptions.ValidationError({"text": ["A post needs some text."]}, code="blank"),
        ),
        (
            Invalid(fields={"password": ["Too short.", "Too common."], "email": ["Taken."]}),
            drf_exceptions.ValidationError(
                {"password": ["Too short.", "Too common."], "email": ["Taken."]}
            ),
        ),
    ],
    ids=["404-bare", "404", "403", "403-default", "400", "400-field", "400-fields"],
)
def test_domain_errors_answer_as_the_drf_errors_they_replace(domain, drf):
    assert _render(domain) == _render(drf)


def test_each_kind_maps_to_its_status_and_type():
    assert _render(NotFound()) == (404, _client_error("not_found", "Not found."))
    assert _render(NotAllowed("No.", code="nope")) == (403, _client_error("nope", "No."))
    conflict = _client_error("conflict", "The request conflicts with the current state.")
    assert _render(Conflict()) == (409, conflict)
    assert _render(Conflict("Busy.", code="busy")) == (409, _client_error("busy", "Busy."))
    assert _render(Invalid()) == (400, _invalid("invalid", "Invalid input."))
    status, body = _render(Invalid(fields={"a.b": ["x"]}, code="c"))
    assert (status, body) == (400, _invalid("c", "x", attr="a.b"))


def test_a_bare_domain_error_is_a_500_that_says_nothing():
    status, body = _render(DomainError("internal detail"))
    assert status == 500
    assert body["type"] == "server_error"
    assert "internal detail" not in str(body)


def test_invalid_keeps_its_fields_and_says_them():
    error = Invalid(fields={"password": ("short", "common")})
    assert error.fields == {"password": ["short", "common"]}
    assert error.code == "invalid"
    assert str(error) == "short common"


# A URLconf for the tests below: the same domain errors from a plain Django view
# and from a DRF view.
RAISED = {
    "not-found": NotFound("No such thing."),
    "not-allowed": NotAllowed("Not yours.", code="not_yours"),
    "conflict": Conflict("Try later.", code="busy"),
    "invalid": Invalid(fields={"name": ["Too long.", "Taken."]}, code="bad_name"),
    "bare": DomainError("secret internals"),
}


def plain_view(request, kind):
    raise RAISED[kind]


class DrfView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    def get(self, request, kind):
        raise RAISED[kind]


urlpatterns = [
    path("plain/<str:kind>", plain_view),
    path("api/v1/drf/<str:kind>", DrfView.as_view()),
]
handler500 = errors.server_error


@pytest.fixture
def raising_client(settings):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False
    return APIClient(raise_request_exception=False)


@pytest.mark.parametrize(
    ("kind", "status"),
    [("not-found", 404), ("not-allowed", 403), ("conflict", 409), ("invalid", 400)],
)
def test_plain_django_views_map_domain_errors_as_drf_views_do(raising_client, kind, status):
    drf = raising_client.get(f"/api/v1/drf/{kind}")
    plain = raising_client.get(f"/plain/{kind}")
    assert drf.status_code == plain.status_code == status
    assert plain["Content-Type"] == "application/json"
    assert plain.json() == drf.json() == _render(RAISED[kind])[1]


def test_a_bare_domain_error_from_a_plain_view_is_the_generic_500(raising_client):
    response = raising_client.get("/plain/bare")
    assert response.status_code == 500
    assert response.json() == {
        "type": "server_error",
        "errors": [{"code": "error", "detail": "A server error occurred.", "attr": None}],
    }


# --- services raise domain errors (callers other than views see no HTTP) ---------


def test_notification_services_refuse_with_invalid(alice):
    from notifications import services

    with pytest.raises(Invalid) as caught:
        services.notifications_mark_read(user=alice)
    assert caught.value.code == "one_of_ids_all_max_id"
    assert caught.value.fields == {}
    with pytest.raises(Invalid) as caught:
        services.settings_update(user=alice, email={"nonsense": True})
    assert caught.value.fields == {"email": ["Unknown verbs: nonsense."]}


def test_too_many_media_is_invalid_on_media_ids(alice):
    from tweets import services

    with pytest.raises(Invalid) as caught:
        services.post_create(author=alice, text="hi", media_ids=[1, 2, 3, 4, 5])
    assert caught.value.fields == {"media_ids": ["At most 4 media per post."]}


def test_django_password_validation_becomes_invalid_inside_the_service(alice):
    from accounts import services

    with pytest.raises(Invalid) as caught:
        services.password_change(user=alice, old_password=DEFAULT_PASSWORD, new_password="12345")
    assert caught.value.code == "invalid"
    assert set(caught.value.fields) == {"new_password"}
    assert len(caught.value.fields["new_password"]) >= 2
    assert isinstance(caught.value.__cause__, DjangoValidationError)


def test_a_registration_that_loses_the_race_is_invalid_unique(monkeypatch):
    """The IntegrityError path (a concurrent registration took the name after our check)."""
    from accounts import services

    UserFactory(username="racer")
    monkeypatch.setattr(services, "_check_username_free", lambda **kwargs: None)
    with pytest.raises(Invalid) as caught:
        services.user_register(username="racer", email="other@example.com", password="x" * 20)
    assert caught.value.code == "unique"
    assert caught.value.fields == {"username": ["This username is taken."]}


@pytest.mark.parametrize(
    ("selector", "kwargs", "kind"),
    [
        (tweets_selectors.post_get_visible, {"post_id": MISSING}, NotFound),
        (rel_selectors.user_get_visible_to, {"user_id": MISSING}, NotFound),
        (rel_selectors.user_get_by_username_visible_to, {"username": "nobody"}, NotFound),
        (rel_selectors.relationship_for, {"user_id": MISSING}, NotFound),
        (rel_selectors.follower_list, {"user_id": "private"}, NotAllowed),
        (rel_selectors.user_lists_get_visible_to, {"user_id": "private"}, NotAllowed),
        (rel_selectors.user_lists_get_visible_to, {"user_id": MISSING}, NotFound),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_selectors_raise_domain_errors(alice, selector, kwargs, kind):
    if kwargs.get("user_id") == "private":
        kwargs = {"user_id": UserFactory(is_private=True).pk}
    with pytest.raises(kind):
        selector(viewer=alice, **kwargs)


# --- datetimes in hand-built payloads match the serializers' ---------------------


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/St_Johns"])
def test_iso_datetime_renders_as_drf_does(settings, zone):
    settings.TIME_ZONE = zone
    field = serializers.DateTimeField()
    values = [
        timezone.now(),
        datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        datetime(2024, 1, 2, 3, 4, 5, 120, tzinfo=ZoneInfo("UTC")),
        datetime(2024, 1, 2, 3, 4, 5, tzinfo=ZoneInfo("Europe/London")),  # +00:00 in winter
        datetime(2024, 7, 1, 23, 59, 59, 999_999, tzinfo=ZoneInfo("Asia/Kolkata")),
        datetime(2024, 3, 31, 12, 0),  # naive: read in the current zone
    ]
    for value in values:
        assert iso_datetime(value) == field.to_representation(value), value


def test_no_module_activates_a_time_zone():
    """iso_datetime's fast path renders UTC values as "Z" under TIME_ZONE = "UTC"; it
    equals DRF only while no request runs in another zone (a scan: fails if one does)."""
    root = Path(__file__).resolve().parents[2]
    found = [
        str(path.relative_to(root))
        for path in root.glob("*/**/*.py")
        if not path.is_relative_to(root / ".venv")
        and not path.is_relative_to(root / "tests")
        and re.search(r"timezone\.(activate|override)\(", path.read_text())
    ]
    assert found == []


# --- no HTTP in domain code: a scan that fails when it comes back ----------------

ROOT = Path(__file__).resolve().parents[2]
# mastodon_api is no domain app: an HTTP adapter over the others' services (DESIGN.md §1),
# HTTP through and through (its authentication, views, paging, OAuth pages, middleware).
DOMAIN_APPS = sorted(
    p.parent.name
    for p in ROOT.glob("*/apps.py")
    if p.parent.name not in {"config", "core", "mastodon_api"}
)
# Modules of a domain app that are not domain code: Django's admin UI (its own HTTP)
# and the OpenAPI declarations other apps' APIs embed (schemas.py).
NOT_DOMAIN = {"admin.py", "schemas.py"}
HTTP_MODULES = ("rest_framework", "django.http", "django.shortcuts")
DJANGO_HTTP_ERRORS = {"PermissionDenied", "ValidationError", "BadRequest", "SuspiciousOperation"}


def _domain_modules() -> list[Path]:
    found = []
    for app in DOMAIN_APPS:
        for module in sorted((ROOT / app).rglob("*.py")):
            parts = module.relative_to(ROOT / app).parts
            if parts[0] in {"api", "migrations", "tests"} or module.name in NOT_DOMAIN:
                continue
            found.append(module)
    return found


def _http_in(module: Path) -> list[str]:
    """Imports of HTTP-layer modules, and raises of Django's HTTP-flavoured exceptions."""
    tree = ast.parse(module.read_text(), filename=str(module))
    problems, django_errors = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            if node.module == "django.core.exceptions":
                django_errors |= {
                    alias.asname or alias.name
                    for alias in node.names
                    if alias.name in DJANGO_HTTP_ERRORS
                }
        else:
            continue
        for name in modules:
            if any(name == m or name.startswith(m + ".") for m in HTTP_MODULES):
                problems.append(f"line {node.lineno}: imports {name}")
                break
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            name = getattr(target, "id", None) or getattr(target, "attr", None)
            if name in django_errors or (
                isinstance(target, ast.Attribute) and name in DJANGO_HTTP_ERRORS
            ):
                problems.append(f"line {node.lineno}: raises Django's {name}")
    return problems


def test_the_scan_covers_the_domain_code():
    names = {str(module.relative_to(ROOT)) for module in _domain_modules()}
    assert {"accounts", "relationships", "tweets", "notifications"} <= set(DOMAIN_APPS)
    for expected in [
        "accounts/services.py",
        "accounts/selectors.py",
        "accounts/mentions.py",
        "relationships/services.py",
        "relationships/selectors.py",
        "relationships/handlers.py",
        "tweets/services.py",
        "tweets/selectors.py",
        "tweets/handlers.py",
        "tweets/feed/hydrate.py",
        "tweets/feed/selectors.py",
        "notifications/services.py",
        "notifications/selectors.py",
        "notifications/handlers.py",
    ]:
        assert expected in names
    assert not any("/api/" in name for name in names)


def test_the_scan_sees_what_it_forbids(tmp_path):
    bad = tmp_path / "services.py"
    bad.write_text(
        "from django.http import Http404\n"
        "import rest_framework.exceptions\n"
        "from django.core import exceptions\n"
        "from django.core.exceptions import PermissionDenied as Denied, ObjectDoesNotExist\n"
        "from django.shortcuts import get_object_or_404\n"
        "def f():\n"
        "    raise Denied('no')\n"
        "def g():\n"
        "    raise exceptions.ValidationError('no')\n"
        "def h():\n"
        "    raise ObjectDoesNotExist\n"
    )
    assert [p.split(":")[0] for p in _http_in(bad)] == [
        "line 1", "line 2", "line 5", "line 7", "line 9",
    ]  # fmt: skip


def test_no_http_in_domain_code():
    """Services, selectors, handlers and the rest of each app outside `api/` raise
    `core.errors` and know nothing of DRF or django.http (DESIGN.md §2)."""
    found = {
        str(module.relative_to(ROOT)): problems
        for module in _domain_modules()
        if (problems := _http_in(module))
    }
    assert found == {}
