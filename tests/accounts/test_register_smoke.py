import pytest

pytestmark = pytest.mark.django_db


def test_register_returns_public_profile_without_password(api_client):
    response = api_client.post(
        "/api/v1/auth/register",
        {"username": "alice", "email": "alice@example.com", "password": "a-long-Passphrase-42"},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["username"] == "alice"
    assert isinstance(body["id"], str)
    assert "password" not in body
    assert body["followers_count"] == 0
