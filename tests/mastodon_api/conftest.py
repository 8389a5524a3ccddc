"""Helpers of the Mastodon face's tests (shared with part B: INTERFACE.md).

`masto` is an APIClient on the Mastodon host (`mastodon.localhost`); `oauth_token(user,
scopes)` issues a real OAuth access token through the authorization code flow
(consent page + PKCE) and `masto_client(user, scopes)` a client holding one.
"""

import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
from rest_framework.test import APIClient

from tests.factories import DEFAULT_PASSWORD

MASTO_HOST = "mastodon.localhost"
REDIRECT = "https://client.example/callback"


def masto_api_client() -> APIClient:
    return APIClient(HTTP_HOST=MASTO_HOST)


@pytest.fixture
def masto() -> APIClient:
    return masto_api_client()


def create_app(client: APIClient, *, scopes: str = "read write follow push") -> dict:
    response = client.post(
        "/api/v1/apps",
        {
            "client_name": "Test app",
            "redirect_uris": f"{REDIRECT} urn:ietf:wg:oauth:2.0:oob",
            "scopes": scopes,
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    return verifier, challenge.decode()


def authorize(client: APIClient, app: dict, *, user, scopes: str, challenge: str, password=None):
    """Submit the consent page; returns the response (302 to the redirect URI)."""
    query = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": REDIRECT,
        "scope": scopes,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": "xyz",
    }
    from urllib.parse import urlencode

    url = f"/oauth/authorize?{urlencode(query)}"
    page = client.get(url)
    assert page.status_code == 200, page.content
    return client.post(
        url,
        {"username": user.username, "password": password or DEFAULT_PASSWORD, "allow": "1"},
        format="multipart",
    )


def oauth_token(user, scopes: str = "read write follow push", *, app_scopes=None) -> dict:
    """A token response of the authorization code + PKCE flow for `user`."""
    client = masto_api_client()
    app = create_app(client, scopes=app_scopes or scopes)
    verifier, challenge = pkce_pair()
    response = authorize(client, app, user=user, scopes=scopes, challenge=challenge)
    assert response.status_code == 302, response.content
    code = parse_qs(urlsplit(response["Location"]).query)["code"][0]
    token = client.post(
        "/oauth/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        format="multipart",
    )
    assert token.status_code == 200, token.content
    return {**token.json(), "app": app}


def issued_token(user, scopes: str = "read write follow push") -> str:
    """An OAuth access token made directly (test_oauth.py covers the flow that issues
    them): an app, the token and its token version, as the Validator records them."""
    from datetime import timedelta

    from django.utils import timezone
    from oauth2_provider.models import AccessToken, Application

    from mastodon_api.models import AccessTokenVersion, ClientApp

    app = Application.objects.create(
        name="Test app",
        redirect_uris=REDIRECT,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
    )
    ClientApp.objects.create(application=app, scopes=scopes)
    value = secrets.token_urlsafe(30)
    token = AccessToken.objects.create(
        user=user,
        application=app,
        token=value,
        scope=scopes,
        expires=timezone.now() + timedelta(hours=1),
    )
    AccessTokenVersion.objects.create(access_token=token, token_version=user.token_version)
    return value


def masto_client(user, scopes: str = "read write follow push") -> APIClient:
    client = masto_api_client()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued_token(user, scopes)}")
    return client


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, html
    return match.group(1)
