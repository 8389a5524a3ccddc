"""Sessions and the bearer scheme (issue 14, item 12).

- `Authorization: bearer <token>` in any case works over HTTP as on /ws/ and the
  stream (RFC 7235: scheme names are case-insensitive); simplejwt compared it
  case-sensitively.
- Every token pair names a session (the "sid" claim), kept by refresh rotation.
  Logout revokes the session: its access tokens are refused at once, not 15
  minutes later; the user's other sessions stay signed in.
- The check is in PostgreSQL, inside the query that loads the user: no extra
  query per request, and nothing a Redis outage can change.
"""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.authentication import SESSION_ID_CLAIM, TOKEN_VERSION_CLAIM
from accounts.models import RevokedSession
from accounts.tasks import flush_expired_tokens
from tests.accounts.helpers import REFRESH_URL, assert_error, obtain_tokens
from tests.factories import UserFactory
from tests.faults.dead_redis import redis_down

pytestmark = pytest.mark.django_db

LOGOUT_URL = "/api/v1/auth/logout"
ME_URL = "/api/v1/users/me"
SCHEMES = ["Bearer", "bearer", "BEARER", "bEaReR"]


@pytest.fixture
def alice(db, settings):
    settings.THROTTLE_ENABLED = False
    return UserFactory(username="alice")


def me(access: str, scheme: str = "Bearer"):
    return APIClient().get(ME_URL, HTTP_AUTHORIZATION=f"{scheme} {access}")


def claims(token: str) -> dict:
    return AccessToken(token, verify=False).payload


def sign_out(refresh: str):
    return APIClient().post(LOGOUT_URL, {"refresh": refresh}, format="json")


# --- the bearer scheme --------------------------------------------------------------


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_bearer_scheme_is_accepted_in_any_case_over_http(alice, scheme):
    access = obtain_tokens(APIClient(), "alice")["access"]
    response = me(access, scheme)
    assert response.status_code == 200, response.content
    assert response.json()["id"] == str(alice.pk)


@pytest.mark.parametrize("header", ["bearer", "bearer a b", "BEARER   "])
def test_a_malformed_bearer_header_is_a_401(alice, header):
    assert_error(APIClient().get(ME_URL, HTTP_AUTHORIZATION=header), 401)


def test_another_scheme_is_not_a_token(alice):
    assert_error(APIClient().get(ME_URL, HTTP_AUTHORIZATION="Basic YWxpY2U6eA=="), 401)


# --- sessions -------------------------------------------------------------------------


def test_a_token_pair_names_a_session_that_rotation_keeps(alice):
    first = obtain_tokens(APIClient(), "alice")
    sid = claims(first["access"])[SESSION_ID_CLAIM]
    assert uuid.UUID(hex=sid).hex == sid
    assert RefreshToken(first["refresh"]).payload[SESSION_ID_CLAIM] == sid

    rotated = APIClient().post(REFRESH_URL, {"refresh": first["refresh"]}).json()
    assert claims(rotated["access"])[SESSION_ID_CLAIM] == sid
    assert RefreshToken(rotated["refresh"]).payload[SESSION_ID_CLAIM] == sid

    another = obtain_tokens(APIClient(), "alice")
    assert claims(another["access"])[SESSION_ID_CLAIM] != sid


@pytest.mark.parametrize("scheme", ["Bearer", "bearer"])
def test_logout_refuses_the_sessions_access_token_and_no_other_sessions(alice, scheme):
    this = obtain_tokens(APIClient(), "alice")
    rotated = APIClient().post(REFRESH_URL, {"refresh": this["refresh"]}).json()
    other = obtain_tokens(APIClient(), "alice")
    assert me(this["access"], scheme).status_code == 200

    assert sign_out(rotated["refresh"]).status_code == 204

    # Every access token of the session: the first and the rotated one.
    assert_error(me(this["access"], scheme), 401, code="token_revoked")
    assert_error(me(rotated["access"], scheme), 401, code="token_revoked")
    assert_error(APIClient().post(REFRESH_URL, {"refresh": rotated["refresh"]}), 401)
    # The other session is still signed in, and can refresh.
    assert me(other["access"], scheme).status_code == 200
    assert APIClient().post(REFRESH_URL, {"refresh": other["refresh"]}).status_code == 200
    # Signing in again opens a new session.
    assert me(obtain_tokens(APIClient(), "alice")["access"], scheme).status_code == 200


def test_the_revoked_session_is_kept_until_its_tokens_expire_then_pruned(alice):
    tokens = obtain_tokens(APIClient(), "alice")
    sign_out(tokens["refresh"])
    row = RevokedSession.objects.get()
    assert row.sid.hex == claims(tokens["access"])[SESSION_ID_CLAIM]
    assert row.user_id == alice.pk
    refresh_exp = RefreshToken(tokens["refresh"], verify=False).payload["exp"]
    assert row.expires_at.timestamp() >= refresh_exp
    assert row.expires_at > timezone.now() + timedelta(days=13)

    flush_expired_tokens()
    assert RevokedSession.objects.count() == 1
    RevokedSession.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    flush_expired_tokens()
    assert RevokedSession.objects.count() == 0


def legacy_pair(user) -> tuple[str, str]:
    """A pair as signed before sessions existed: no "sid" claim."""
    refresh = RefreshToken.for_user(user)
    refresh[TOKEN_VERSION_CLAIM] = user.token_version
    return str(refresh.access_token), str(refresh)


def test_a_pair_issued_before_sessions_works_until_it_expires(alice):
    """Decision: such an access token cannot be tied to a session, so logout only
    revokes its refresh token (as before) and the access token lasts until its
    expiry (at most JWT_ACCESS_MINUTES)."""
    access, refresh = legacy_pair(alice)
    assert me(access).status_code == 200
    assert sign_out(refresh).status_code == 204
    assert me(access).status_code == 200
    assert_error(APIClient().post(REFRESH_URL, {"refresh": refresh}), 401)
    assert not RevokedSession.objects.exists()


def test_refreshing_a_pair_issued_before_sessions_gives_it_a_session(alice):
    _, refresh = legacy_pair(alice)
    rotated = APIClient().post(REFRESH_URL, {"refresh": refresh}).json()
    sid = claims(rotated["access"])[SESSION_ID_CLAIM]
    assert RefreshToken(rotated["refresh"]).payload[SESSION_ID_CLAIM] == sid

    assert sign_out(rotated["refresh"]).status_code == 204
    assert_error(me(rotated["access"]), 401, code="token_revoked")


@pytest.mark.parametrize("sid", [123, "", "xyz", "g" * 32, ["a"], "e" * 31], ids=repr)
def test_a_signed_token_with_a_bad_session_id_is_a_401(alice, sid):
    refresh = RefreshToken.for_user(alice)
    refresh[TOKEN_VERSION_CLAIM] = alice.token_version
    refresh[SESSION_ID_CLAIM] = sid
    assert_error(me(str(refresh.access_token)), 401)
    assert_error(APIClient().post(REFRESH_URL, {"refresh": str(refresh)}), 401)
    assert_error(sign_out(str(refresh)), 401)


def test_an_authenticated_request_still_takes_one_query(alice, django_assert_num_queries):
    """The revoked-session check is an EXISTS in the query that loads the user."""
    signed_out = obtain_tokens(APIClient(), "alice")
    sign_out(signed_out["refresh"])
    access = obtain_tokens(APIClient(), "alice")["access"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"bearer {access}")
    with django_assert_num_queries(1):
        assert client.get(ME_URL).status_code == 200
    with django_assert_num_queries(1):
        assert_error(me(signed_out["access"]), 401)


def test_without_redis_a_revoked_session_is_still_refused_and_nothing_is_a_500(alice, settings):
    """PostgreSQL is the source of truth: Redis unreachable changes no answer."""
    settings.THROTTLE_ENABLED = True  # the throttles are what uses the cache here
    this = obtain_tokens(APIClient(), "alice")
    other = obtain_tokens(APIClient(), "alice")
    with redis_down():
        assert sign_out(this["refresh"]).status_code == 204
        assert_error(me(this["access"]), 401, code="token_revoked")
        assert_error(me(this["access"], "bearer"), 401, code="token_revoked")
        assert me(other["access"]).status_code == 200
