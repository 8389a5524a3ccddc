"""An access token's signature is checked once per process (accounts.authentication).

A client sends the same access token until it expires; what its bytes decide
cannot change, so the second request skips the decoding. Expiry is checked on
every request, revocation too (tests/accounts/test_auth_cache.py,
test_sessions.py), and a changed signing key forgets what was checked.
"""

from datetime import timedelta
from unittest import mock

import jwt
import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts import authentication as auth
from tests.accounts.helpers import assert_error, obtain_tokens
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PING = "/api/v1/ping"


@pytest.fixture(autouse=True)
def fresh_memo(settings):
    settings.THROTTLE_ENABLED = False
    auth._verified_token.cache_clear()
    yield
    auth._verified_token.cache_clear()


def ping(access: str):
    return APIClient().get(PING, HTTP_AUTHORIZATION=f"Bearer {access}")


def test_a_token_is_decoded_once_then_served_from_the_memo():
    UserFactory(username="alice")
    access = obtain_tokens(APIClient(), "alice")["access"]
    with mock.patch("jwt.decode", wraps=jwt.decode) as dec:
        assert ping(access).status_code == 200
        assert ping(access).status_code == 200
        assert ping(access).status_code == 200
    assert dec.call_count == 1


def test_a_token_expired_since_it_was_memoised_is_refused(settings):
    user = UserFactory(username="alice")
    token = AccessToken.for_user(user)
    token[auth.TOKEN_VERSION_CLAIM] = user.token_version
    token.set_exp(lifetime=timedelta(minutes=5))
    access = str(token)
    assert ping(access).status_code == 200  # memoised now
    later = token.current_time + timedelta(minutes=6)
    with (
        mock.patch.object(auth, "_now", return_value=later.timestamp()),
        mock.patch("rest_framework_simplejwt.tokens.aware_utcnow", return_value=later),
    ):
        assert_error(ping(access), 401, code="token_not_valid")


def test_a_forged_token_is_never_memoised():
    UserFactory(username="alice")
    access = obtain_tokens(APIClient(), "alice")["access"]
    head, body, signature = access.split(".")
    forged = f"{head}.{body}.{'A' * len(signature)}"
    for _ in range(2):
        assert_error(ping(forged), 401, code="token_not_valid")
    assert auth._verified_token.cache_info().currsize == 0
    assert ping(access).status_code == 200
    assert auth._verified_token.cache_info().currsize == 1


def test_changed_jwt_settings_forget_what_was_verified(settings):
    UserFactory(username="alice")
    access = obtain_tokens(APIClient(), "alice")["access"]
    assert ping(access).status_code == 200
    assert auth._verified_token.cache_info().currsize == 1
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "LEEWAY": 0}
    assert auth._verified_token.cache_info().currsize == 0


@pytest.mark.parametrize(
    ("expired_for", "status"),
    [(timedelta(seconds=-1), 200), (timedelta(seconds=59), 200), (timedelta(seconds=61), 401)],
)
def test_a_memoised_token_counts_until_its_expiry_plus_the_leeway(expired_for, status):
    user = UserFactory(username="alice")
    token = AccessToken.for_user(user)
    token[auth.TOKEN_VERSION_CLAIM] = user.token_version
    token.set_exp(lifetime=timedelta(minutes=5))
    access = str(token)
    later = token.current_time + timedelta(minutes=5) + expired_for
    # simplejwt's token backend is made once, from the settings at import.
    with mock.patch.object(token.get_token_backend(), "leeway", 60):
        assert ping(access).status_code == 200  # memoised now
        with (
            mock.patch.object(auth, "_now", return_value=later.timestamp()),
            mock.patch("rest_framework_simplejwt.tokens.aware_utcnow", return_value=later),
        ):
            response = ping(access)
    assert response.status_code == status
    if status == 401:
        assert_error(response, 401, code="token_not_valid")
