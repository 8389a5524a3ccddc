"""GET /api/v1/ping: the benchmark's authenticated constant endpoint."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.api.serializers import TokenObtainSerializer


def test_ping_answers_pong_to_a_client_with_a_real_token(api_client, user):
    token = TokenObtainSerializer.get_token(user).access_token
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    with CaptureQueriesContext(connection) as queries:
        response = api_client.get("/api/v1/ping")
    assert response.status_code == 200
    assert response.json() == {"pong": True}
    assert len(queries) == 1  # the user behind the token, nothing else


def test_ping_refuses_an_anonymous_client(api_client):
    response = api_client.get("/api/v1/ping")
    assert response.status_code == 401
    assert response.json()["type"] == "client_error"
