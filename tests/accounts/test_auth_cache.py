"""Authentication served from a cached verdict (accounts.authentication, issue 18).

A warm request costs no PostgreSQL round trip to authenticate; every revocation
(sign-out, password change, suspension, deactivation, erasure) still refuses
the token at the very next request, and a request that read the user row before
a revocation cannot cache a verdict that outlives it.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts import authentication as auth
from accounts import services
from tests.accounts.helpers import assert_error, obtain_tokens
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.faults.dead_redis import redis_down

pytestmark = pytest.mark.django_db

PING = "/api/v1/ping"
ME = "/api/v1/users/me"


@pytest.fixture(autouse=True)
def verdict_cache(settings):
    settings.AUTH_CACHE_SECONDS = 30
    settings.THROTTLE_ENABLED = False


@pytest.fixture
def alice():
    return UserFactory(username="alice")


def get(access: str, url: str = PING):
    return APIClient().get(url, HTTP_AUTHORIZATION=f"Bearer {access}")


def queries_of(access: str, url: str = PING) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = get(access, url)
    return response.status_code, len(queries)


def test_a_warm_request_is_authenticated_without_a_query(alice):
    access = obtain_tokens(APIClient(), "alice")["access"]
    assert queries_of(access) == (200, 1)  # cold: the user row, then the verdict is cached
    assert queries_of(access) == (200, 0)
    assert queries_of(access) == (200, 0)


def test_the_cached_user_has_the_verdicts_fields_and_the_rest_from_the_row(alice):
    payload = {"user_id": str(alice.pk), auth.TOKEN_VERSION_CLAIM: alice.token_version}
    auth.authenticated_user(payload)  # caches the verdict
    with CaptureQueriesContext(connection) as queries:
        user = auth.authenticated_user(payload)
        state = (user.pk, user.token_version, user.is_active, user.deactivated_at)
        summary = (user.username, user.display_name, user.avatar.name, user.is_private)
    assert len(queries) == 0
    assert state == (alice.pk, alice.token_version, True, None)
    assert summary == (alice.username, alice.display_name, alice.avatar.name, alice.is_private)
    assert user.get_deferred_fields() >= {"email", "is_staff", "followers_count"}
    with CaptureQueriesContext(connection) as queries:
        assert (user.is_staff, user.email) == (False, alice.email)
    assert len(queries) == 1


def test_a_new_post_renders_its_author_from_the_verdict_without_a_user_query(alice):
    access = obtain_tokens(APIClient(), "alice")["access"]
    get(access)  # caches the verdict
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/api/v1/posts", {"text": "hello"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["author"]["username"] == "alice"
    user_reads = [q["sql"] for q in queries if q["sql"].startswith('SELECT "accounts_user"')]
    assert user_reads == []


@pytest.mark.parametrize("change", ["profile", "avatar"])
def test_a_changed_summary_shows_in_the_authors_very_next_post(alice, change):
    access = obtain_tokens(APIClient(), "alice")["access"]
    get(access)  # caches the verdict, with alice's summary as it is now
    if change == "profile":
        services.user_update_profile(user=alice, display_name="Alice Liddell")
        expected = ("display_name", "Alice Liddell")
    else:
        services.user_images_set(user_id=alice.pk, avatar="avatars/new.webp")
        expected = ("avatar", "avatars/new.webp")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    author = client.post("/api/v1/posts", {"text": "hi"}, format="json").json()["author"]
    name, value = expected
    assert (author[name] or "").endswith(value), author


def test_the_signed_in_users_other_fields_load_in_one_query_when_read(alice):
    """/users/me reads many fields of request.user: one query loads them all."""
    access = obtain_tokens(APIClient(), "alice")["access"]
    cold = get(access, ME).json()
    with CaptureQueriesContext(connection) as queries:
        warm = get(access, ME)
    assert warm.json() == cold
    user_queries = [q for q in queries if '"accounts_user"' in q["sql"].split("WHERE")[0]]
    assert len(user_queries) == 1, [q["sql"] for q in queries]


def test_sign_out_refuses_the_sessions_cached_token_at_once_and_no_other(alice):
    this, other = obtain_tokens(APIClient(), "alice"), obtain_tokens(APIClient(), "alice")
    for tokens in (this, other):
        get(tokens["access"])
        assert queries_of(tokens["access"]) == (200, 0)  # both verdicts cached
    response = APIClient().post("/api/v1/auth/logout", {"refresh": this["refresh"]}, format="json")
    assert response.status_code == 204
    assert_error(get(this["access"]), 401, code="token_revoked")
    assert_error(get(this["access"]), 401, code="token_revoked")  # never cached
    assert get(other["access"]).status_code == 200


@pytest.mark.parametrize(
    "revoke",
    [
        pytest.param(lambda user: services.revoke_tokens(user=user), id="token version bumped"),
        pytest.param(lambda user: services.user_suspend(user=user), id="suspended"),
        pytest.param(
            lambda user: services.user_deactivate(user=user, password=DEFAULT_PASSWORD),
            id="deactivated",
        ),
        pytest.param(
            lambda user: services.user_erase(user=user, password=DEFAULT_PASSWORD), id="erased"
        ),
    ],
)
def test_every_revocation_refuses_a_cached_token_at_the_next_request(alice, revoke):
    access = obtain_tokens(APIClient(), "alice")["access"]
    get(access)
    assert queries_of(access) == (200, 0)
    revoke(alice)
    assert get(access).status_code == 401


def test_the_password_change_endpoint_refuses_the_cached_token(alice):
    access = obtain_tokens(APIClient(), "alice")["access"]
    get(access)
    response = get(access).status_code
    assert response == 200
    changed = APIClient().post(
        "/api/v1/auth/password/change",
        {"old_password": DEFAULT_PASSWORD, "new_password": "an0ther-Long-passphrase!"},
        HTTP_AUTHORIZATION=f"Bearer {access}",
    )
    assert changed.status_code in (200, 204), changed.content
    assert_error(get(access), 401, code="token_revoked")


def test_a_verdict_read_before_a_revocation_is_not_cached_past_it(alice, monkeypatch):
    """The race: request A reads the user row (still valid), the revocation
    commits and writes a new generation, then A caches its verdict. A's verdict
    names the generation it read before the row, so it never counts."""
    access = obtain_tokens(APIClient(), "alice")["access"]
    real = auth._checked_user

    def revoked_meanwhile(*args):
        user = real(*args)  # the row as it was
        services.revoke_tokens(user=alice)
        return user

    monkeypatch.setattr(auth, "_checked_user", revoked_meanwhile)
    assert get(access).status_code == 200  # A: authenticated on the row it read
    monkeypatch.setattr(auth, "_checked_user", real)
    assert_error(get(access), 401, code="token_revoked")


def test_with_redis_down_every_request_checks_postgresql(alice):
    access = obtain_tokens(APIClient(), "alice")["access"]
    get(access)
    with redis_down():
        assert queries_of(access) == (200, 1)
        services.revoke_tokens(user=alice)  # the new generation cannot be written
        assert_error(get(access), 401, code="token_revoked")


def test_the_cache_is_off_at_zero(alice, settings):
    settings.AUTH_CACHE_SECONDS = 0
    access = obtain_tokens(APIClient(), "alice")["access"]
    get(access)
    assert queries_of(access) == (200, 1)
