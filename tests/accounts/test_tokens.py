"""Sign-in, refresh rotation, logout, lock-out and throttles of the auth endpoints."""

import pytest
from rest_framework.throttling import SimpleRateThrottle

from tests.accounts.helpers import REFRESH_URL, TOKEN_URL, assert_error, client_with, obtain_tokens
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGOUT_URL = "/api/v1/auth/logout"
ME_URL = "/api/v1/users/me"


@pytest.fixture
def alice(db):
    return UserFactory(username="Alice", email="Alice@Example.com")


@pytest.mark.parametrize(
    "login", ["Alice", "alice", "ALICE", "alice@example.com", "ALICE@EXAMPLE.COM", " alice "]
)
def test_sign_in_with_username_or_email_in_any_case(api_client, alice, login):
    tokens = obtain_tokens(api_client, login)

    assert set(tokens) == {"access", "refresh"}
    me = client_with(tokens["access"]).get(ME_URL)
    assert me.status_code == 200
    assert me.json()["id"] == str(alice.pk)


@pytest.mark.parametrize(
    ("login", "password"),
    [("alice", "wrong-password-1"), ("nobody", DEFAULT_PASSWORD), ("nobody@x.org", "x")],
)
def test_wrong_credentials_are_401(api_client, alice, login, password):
    response = api_client.post(TOKEN_URL, {"username": login, "password": password})
    assert_error(response, 401)
    assert "access" not in response.json()


@pytest.mark.parametrize(
    "payload", [{}, {"username": "alice"}, {"username": ["alice"], "password": "x"}]
)
def test_incomplete_sign_in_is_400(api_client, alice, payload):
    assert_error(api_client.post(TOKEN_URL, payload, format="json"), 400)


def test_refresh_rotates_and_the_used_refresh_token_is_rejected(api_client, alice):
    first = obtain_tokens(api_client, "alice")

    rotated = api_client.post(REFRESH_URL, {"refresh": first["refresh"]})
    assert rotated.status_code == 200, rotated.json()
    second = rotated.json()
    assert set(second) == {"access", "refresh"}
    assert second["refresh"] != first["refresh"]
    assert client_with(second["access"]).get(ME_URL).status_code == 200

    assert_error(api_client.post(REFRESH_URL, {"refresh": first["refresh"]}), 401)
    # The new refresh token keeps working (and rotates again).
    assert api_client.post(REFRESH_URL, {"refresh": second["refresh"]}).status_code == 200


def test_an_access_token_is_not_a_refresh_token(api_client, alice):
    tokens = obtain_tokens(api_client, "alice")
    assert_error(api_client.post(REFRESH_URL, {"refresh": tokens["access"]}), 401)
    assert_error(api_client.post(LOGOUT_URL, {"refresh": tokens["access"]}), 401)


def test_a_refresh_token_is_not_an_access_token(api_client, alice):
    tokens = obtain_tokens(api_client, "alice")
    assert_error(client_with(tokens["refresh"]).get(ME_URL), 401)


def test_logout_blacklists_the_refresh_token(api_client, alice):
    tokens = obtain_tokens(api_client, "alice")

    response = api_client.post(LOGOUT_URL, {"refresh": tokens["refresh"]})

    assert response.status_code == 204
    assert_error(api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}), 401)
    assert_error(api_client.post(LOGOUT_URL, {"refresh": tokens["refresh"]}), 401)


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "x" * 1999, ""])
def test_garbage_tokens_are_rejected(api_client, token):
    expected = 400 if token == "" else 401
    assert_error(api_client.post(REFRESH_URL, {"refresh": token}), expected)
    assert_error(api_client.post(LOGOUT_URL, {"refresh": token}), expected)
    if token:
        assert_error(client_with(token).get(ME_URL), 401)


def test_refresh_of_an_erased_user_is_rejected(api_client, alice):
    tokens = obtain_tokens(api_client, "alice")
    alice.delete()
    assert_error(api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}), 401)


def test_signing_in_does_not_bump_other_sessions(api_client, alice):
    one = obtain_tokens(api_client, "alice")
    obtain_tokens(api_client, "alice")
    assert client_with(one["access"]).get(ME_URL).status_code == 200


# --- brute-force lock-out (django-axes) ------------------------------------


def fail_login(client, login="alice", ip="10.0.0.1"):
    return client.post(
        TOKEN_URL, {"username": login, "password": "wrong-password-1"}, REMOTE_ADDR=ip
    )


def test_five_failures_lock_the_username_from_that_address(api_client, alice, settings):
    settings.THROTTLE_ENABLED = False  # isolate axes from the DRF auth throttle
    for _ in range(4):
        assert_error(fail_login(api_client), 401)

    locked = fail_login(api_client)
    assert_error(locked, 429, code="login_locked_out")
    assert int(locked["Retry-After"]) == 15 * 60

    # Even the right password is refused while locked, in any spelling of the name.
    for login in ("alice", "ALICE"):
        right = api_client.post(
            TOKEN_URL, {"username": login, "password": DEFAULT_PASSWORD}, REMOTE_ADDR="10.0.0.1"
        )
        assert_error(right, 429, code="login_locked_out")
        assert "access" not in right.json()
        assert int(right["Retry-After"]) > 0

    # Another address is not locked out (the lock is per username and address).
    other = api_client.post(
        TOKEN_URL, {"username": "alice", "password": DEFAULT_PASSWORD}, REMOTE_ADDR="10.0.0.2"
    )
    assert other.status_code == 200


def test_case_variants_of_a_username_share_one_failure_count(api_client, alice, settings):
    settings.THROTTLE_ENABLED = False
    for login in ("alice", "Alice", "ALICE", "aLiCe"):
        assert_error(fail_login(api_client, login=login), 401)
    assert_error(fail_login(api_client, login="alIce"), 429, code="login_locked_out")


def test_a_success_resets_the_failure_count(api_client, alice, settings):
    settings.THROTTLE_ENABLED = False
    for _ in range(4):
        fail_login(api_client)
    api_client.post(
        TOKEN_URL, {"username": "alice", "password": DEFAULT_PASSWORD}, REMOTE_ADDR="10.0.0.1"
    )
    for _ in range(4):
        assert_error(fail_login(api_client), 401)


# --- DRF throttles ------------------------------------------------------------


@pytest.fixture
def low_rates(monkeypatch):
    """DRF reads the rates into the class attribute at import; patch that attribute."""
    rates = {**SimpleRateThrottle.THROTTLE_RATES, "auth": "3/min", "register": "2/min"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)


def register_payload(n):
    return {"username": f"user_{n}", "email": f"u{n}@example.com", "password": "a-long-Pass-42"}


def test_register_is_throttled_with_retry_after(api_client, low_rates):
    for n in range(2):
        assert api_client.post("/api/v1/auth/register", register_payload(n)).status_code == 201

    response = api_client.post("/api/v1/auth/register", register_payload(3))

    assert_error(response, 429, code="throttled")
    assert 0 < int(response["Retry-After"]) <= 60


def test_sign_in_is_throttled_per_address(api_client, alice, low_rates):
    for _ in range(3):
        obtain_tokens(api_client, "alice")
    response = api_client.post(TOKEN_URL, {"username": "alice", "password": DEFAULT_PASSWORD})
    assert_error(response, 429, code="throttled")
    assert int(response["Retry-After"]) > 0
    # Another address has its own budget.
    other = api_client.post(
        TOKEN_URL, {"username": "alice", "password": DEFAULT_PASSWORD}, REMOTE_ADDR="10.9.9.9"
    )
    assert other.status_code == 200


def test_a_forged_x_forwarded_for_does_not_escape_the_throttle(api_client, alice, low_rates):
    for n in range(3):
        api_client.post(
            TOKEN_URL,
            {"username": "alice", "password": DEFAULT_PASSWORD},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        )
    response = api_client.post(
        TOKEN_URL,
        {"username": "alice", "password": DEFAULT_PASSWORD},
        HTTP_X_FORWARDED_FOR="203.0.113.99",
    )
    assert_error(response, 429, code="throttled")


def test_throttle_enabled_false_turns_throttles_off(api_client, alice, low_rates, settings):
    settings.THROTTLE_ENABLED = False
    for _ in range(6):
        obtain_tokens(api_client, "alice")
    for n in range(4):
        assert api_client.post("/api/v1/auth/register", register_payload(n)).status_code == 201


def test_a_suspended_account_loses_every_token(api_client, alice):
    """An admin switching is_active off (no token_version bump) still locks the user out."""
    tokens = obtain_tokens(api_client, "alice")
    alice.is_active = False
    alice.save(update_fields=["is_active"])

    assert_error(client_with(tokens["access"]).get(ME_URL), 401)
    assert_error(api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}), 401)
    assert_error(
        api_client.post(TOKEN_URL, {"username": "alice", "password": DEFAULT_PASSWORD}), 401
    )


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Bearer a b",
        "Bearer \u00e9\u00e8",
        "Bearer " + "x" * 10_000,
        "Bearer eyJhbGciOiJub25lIn0.eyJ1c2VyX2lkIjoiMSJ9.",  # alg "none"
    ],
)
def test_malformed_authorization_headers_are_401(api_client, alice, header):
    response = api_client.get(ME_URL, HTTP_AUTHORIZATION=header)
    assert_error(response, 401)
