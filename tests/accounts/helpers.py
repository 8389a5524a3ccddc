"""Helpers the accounts, core and WebSocket tests share."""

from rest_framework.test import APIClient

from tests.factories import DEFAULT_PASSWORD

TOKEN_URL = "/api/v1/auth/token"
REFRESH_URL = "/api/v1/auth/token/refresh"


def assert_error(response, status: int, *, code: str | None = None, attr: str | None = None):
    """The response is `status` in the one error format; returns its first error."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    if status >= 500:
        assert body["type"] == "server_error", body
    elif status == 400:
        assert body["type"] in {"validation_error", "client_error"}, body
    else:
        assert body["type"] == "client_error", body
    assert body["errors"], body
    for error in body["errors"]:
        assert set(error) == {"code", "detail", "attr"}, error
    if body["type"] != "validation_error":  # only validation errors come in lists
        assert len(body["errors"]) == 1, body
        assert body["errors"][0]["attr"] is None, body
    if attr is not None:
        assert attr in [e["attr"] for e in body["errors"]], body
    if code is not None:
        assert code in [e["code"] for e in body["errors"]], body
    return body["errors"][0]


def obtain_tokens(client: APIClient, username: str, password: str = DEFAULT_PASSWORD) -> dict:
    response = client.post(TOKEN_URL, {"username": username, "password": password})
    assert response.status_code == 200, response.content
    return response.json()


def client_with(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client
