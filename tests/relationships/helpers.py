"""Helpers the relationships tests share."""

from rest_framework.test import APIClient

from core.models import OutboxEvent


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def assert_error(response, status: int, *, code: str | None = None) -> dict:
    """The response is `status` in the one error format; returns its first error."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()
    assert body["type"] in {"client_error", "validation_error"}, body
    assert body["errors"], body
    for error in body["errors"]:
        assert set(error) == {"code", "detail", "attr"}, error
    if code is not None:
        assert code in [e["code"] for e in body["errors"]], body
    return body["errors"][0]


def events(name: str) -> list[dict]:
    """Payloads of the outbox events called `name`, oldest first."""
    return list(
        OutboxEvent.objects.filter(name=name).order_by("id").values_list("payload", flat=True)
    )


def counters(user) -> tuple[int, int]:
    user.refresh_from_db(fields=["followers_count", "following_count"])
    return user.followers_count, user.following_count
