"""Apps and OAuth 2 of the Mastodon face; OAuth tokens on the native API;
scopes; revocation."""

from urllib.parse import parse_qs, urlsplit

import pytest
from rest_framework.test import APIClient

from accounts import services as account_services
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.mastodon_api.conftest import (
    REDIRECT,
    authorize,
    create_app,
    masto_api_client,
    masto_client,
    oauth_token,
    pkce_pair,
)

pytestmark = pytest.mark.django_db


def test_create_app_returns_credentials_once(masto):
    app = create_app(masto)
    assert app["client_id"]
    assert app["client_secret"]
    assert app["redirect_uris"] == [REDIRECT, "urn:ietf:wg:oauth:2.0:oob"]
    assert app["scopes"] == ["read", "write", "follow", "push"]


def test_create_app_rejects_bad_input_in_mastodon_error_shape(masto):
    response = masto.post(
        "/api/v1/apps",
        {"client_name": "x", "scopes": "read bogus", "redirect_uris": REDIRECT},
        format="json",
    )
    assert response.status_code == 422
    assert set(response.json()) == {"error"}
    assert "scopes" in response.json()["error"]


def test_authorization_code_with_pkce_then_verify_credentials(user):
    token = oauth_token(user, "read write")
    assert token["token_type"] == "Bearer"
    assert token["scope"] == "read write"
    client = masto_api_client()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token['access_token']}")
    response = client.get("/api/v1/apps/verify_credentials")
    assert response.status_code == 200
    assert response.json()["name"] == "Test app"
    assert "client_secret" not in response.json()


def test_wrong_pkce_verifier_is_refused(user, masto):
    app = create_app(masto)
    _verifier, challenge = pkce_pair()
    response = authorize(masto, app, user=user, scopes="read", challenge=challenge)
    code = parse_qs(urlsplit(response["Location"]).query)["code"][0]
    token = masto.post(
        "/oauth/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "redirect_uri": REDIRECT,
            "code_verifier": "x" * 50,
        },
        format="multipart",
    )
    assert token.status_code == 400
    assert token.json()["error"] == "invalid_grant"


def test_consent_page_refuses_wrong_password_and_deny_redirects_with_error(user, masto):
    app = create_app(masto)
    _verifier, challenge = pkce_pair()
    wrong = authorize(
        masto, app, user=user, scopes="read", challenge=challenge, password="nope-nope-nope"
    )
    assert wrong.status_code == 403
    assert b"Wrong username or password" in wrong.content
    query = f"response_type=code&client_id={app['client_id']}&redirect_uri={REDIRECT}&scope=read"
    denied = masto.post(f"/oauth/authorize?{query}", {"allow": "0"}, format="multipart")
    assert denied.status_code == 302
    assert "error=access_denied" in denied["Location"]


def test_consent_page_is_csrf_protected(user):
    client = APIClient(HTTP_HOST="mastodon.localhost", enforce_csrf_checks=True)
    app = create_app(client)
    query = f"response_type=code&client_id={app['client_id']}&redirect_uri={REDIRECT}&scope=read"
    response = client.post(
        f"/oauth/authorize?{query}",
        {"username": user.username, "password": DEFAULT_PASSWORD, "allow": "1"},
        format="multipart",
    )
    assert response.status_code == 403


def test_authorize_with_unknown_client_or_scope_outside_the_app(masto):
    response = masto.get(
        f"/oauth/authorize?response_type=code&client_id=nope&redirect_uri={REDIRECT}"
    )
    assert response.status_code == 400
    app = create_app(masto, scopes="read")
    outside = masto.get(
        f"/oauth/authorize?response_type=code&client_id={app['client_id']}"
        f"&redirect_uri={REDIRECT}&scope=write"
    )
    assert outside.status_code in (302, 400)  # invalid_scope (redirected back or shown)


def test_oob_redirect_shows_the_code(user, masto):
    app = create_app(masto)
    query = (
        f"response_type=code&client_id={app['client_id']}"
        "&redirect_uri=urn:ietf:wg:oauth:2.0:oob&scope=read"
    )
    response = masto.post(
        f"/oauth/authorize?{query}",
        {"username": user.username, "password": DEFAULT_PASSWORD, "allow": "1"},
        format="multipart",
    )
    assert response.status_code == 200
    assert b'id="code"' in response.content


def test_client_credentials_and_password_and_refresh_grants(user, masto):
    app = create_app(masto)
    creds = {"client_id": app["client_id"], "client_secret": app["client_secret"]}
    cc = masto.post(
        "/oauth/token",
        {"grant_type": "client_credentials", "scope": "read", **creds},
        format="multipart",
    )
    assert cc.status_code == 200
    app_client = masto_api_client()
    app_client.credentials(HTTP_AUTHORIZATION=f"Bearer {cc.json()['access_token']}")
    assert app_client.get("/api/v1/apps/verify_credentials").status_code == 200
    assert app_client.get("/api/v1/accounts/verify_credentials").status_code in (401, 403, 404)

    pw = masto.post(
        "/oauth/token",
        {
            "grant_type": "password",
            "username": user.email,
            "password": DEFAULT_PASSWORD,
            "scope": "read write",
            **creds,
        },
        format="multipart",
    )
    assert pw.status_code == 200, pw.content
    refreshed = masto.post(
        "/oauth/token",
        {"grant_type": "refresh_token", "refresh_token": pw.json()["refresh_token"], **creds},
        format="multipart",
    )
    assert refreshed.status_code == 200, refreshed.content
    bad = masto.post(
        "/oauth/token",
        {"grant_type": "password", "username": user.email, "password": "wrong-wrong", **creds},
        format="multipart",
    )
    assert bad.status_code == 400


def test_oauth_token_authenticates_the_native_api_with_scopes(user):
    token = oauth_token(user, "read")["access_token"]
    native = APIClient()  # testserver: the native API
    native.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    me = native.get("/api/v1/users/me")
    assert me.status_code == 200
    assert me.json()["username"] == user.username
    post = native.post("/api/v1/posts", {"text": "hello"}, format="json")
    assert post.status_code == 403  # a read-only token cannot post


def test_revoke_endpoint_and_password_change_revoke_oauth_tokens(user):
    token = oauth_token(user, "read write")
    client = masto_api_client()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token['access_token']}")
    assert client.get("/api/v1/apps/verify_credentials").status_code == 200
    revoked = masto_api_client().post(
        "/oauth/revoke",
        {
            "token": token["access_token"],
            "client_id": token["app"]["client_id"],
            "client_secret": token["app"]["client_secret"],
        },
        format="multipart",
    )
    assert revoked.status_code == 200
    assert client.get("/api/v1/apps/verify_credentials").status_code == 401

    other = oauth_token(user, "read write")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {other['access_token']}")
    native = APIClient()
    native.credentials(HTTP_AUTHORIZATION=f"Bearer {other['access_token']}")
    assert native.get("/api/v1/users/me").status_code == 200
    account_services.password_change(
        user=user, old_password=DEFAULT_PASSWORD, new_password="another-long-pass-42"
    )
    assert native.get("/api/v1/users/me").status_code == 401
    response = client.get("/api/v1/apps/verify_credentials")
    assert response.status_code == 401
    assert set(response.json()) == {"error"}
    refreshed = masto_api_client().post(
        "/oauth/token",
        {
            "grant_type": "refresh_token",
            "refresh_token": other["refresh_token"],
            "client_id": other["app"]["client_id"],
            "client_secret": other["app"]["client_secret"],
        },
        format="multipart",
    )
    assert refreshed.status_code == 400


def test_suspension_revokes_oauth_tokens(user):
    token = oauth_token(user, "read")["access_token"]
    native = APIClient()
    native.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    account_services.user_suspend(user=user, reason="spam")
    assert native.get("/api/v1/users/me").status_code == 401


def test_unknown_token_and_unknown_route(masto):
    masto.credentials(HTTP_AUTHORIZATION="Bearer nope")
    assert masto.get("/api/v1/apps/verify_credentials").status_code == 401
    response = APIClient(HTTP_HOST="mastodon.localhost").get("/api/v1/no-such-route")
    assert response.status_code == 404
    assert response.json() == {"error": "Not found."}


def test_native_host_keeps_the_native_api():
    assert APIClient().post("/api/v1/apps", {}, format="json").status_code == 404
    assert APIClient(HTTP_HOST="127.0.0.1").get("/oauth/authorize").status_code == 404


def test_jwt_is_not_an_app(user):
    from tests.conftest import bearer_client

    client = bearer_client(user)
    client.defaults["HTTP_HOST"] = "mastodon.localhost"
    assert client.get("/api/v1/apps/verify_credentials").status_code == 401
    assert UserFactory  # factories importable for part B
    assert masto_client


def test_password_grant_locks_out_guessing(user, masto, settings):
    settings.AXES_FAILURE_LIMIT = 3
    app = create_app(masto)
    creds = {"client_id": app["client_id"], "client_secret": app["client_secret"]}

    def attempt(password):
        return masto.post(
            "/oauth/token",
            {"grant_type": "password", "username": user.username, "password": password, **creds},
            format="multipart",
        )

    for _ in range(3):
        assert attempt("wrong-wrong-wrong").status_code == 400
    locked = attempt(DEFAULT_PASSWORD)
    assert locked.status_code == 400  # locked out: even the right password fails now
    assert locked.json()["error"] == "invalid_grant"
