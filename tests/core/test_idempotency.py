"""`Idempotency-Key` on creating requests (core.idempotency), through POST /auth/register."""

import hashlib
import json
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import include, path
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

from accounts.models import User
from core.idempotency import IN_FLIGHT_TIMEOUT, idempotent, prune_idempotency_records
from core.models import IdempotencyRecord
from tests.accounts.helpers import assert_error
from tests.conftest import bearer_client
from tests.factories import UserFactory

URL = "/api/v1/auth/register"
BODY = {"username": "alice", "email": "alice@example.com", "password": "a-long-Passphrase-42"}


def register(client, body=BODY, key="key-1"):
    return client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.django_db
def test_same_key_and_body_creates_once_and_replays_the_first_response(api_client):
    first = register(api_client)
    second = register(api_client)

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_same_key_with_another_body_is_422(api_client):
    register(api_client)
    response = register(api_client, {**BODY, "username": "mallory"})

    assert_error(response, 422, code="idempotency_key_reused")
    assert list(User.objects.values_list("username", flat=True)) == ["alice"]


@pytest.mark.django_db
def test_a_key_still_in_flight_is_409(api_client):
    register(api_client)
    IdempotencyRecord.objects.update(response_status=None, response_body=None)

    assert_error(register(api_client), 409, code="idempotency_key_in_flight")
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_an_abandoned_in_flight_key_is_taken_over_by_a_retry(api_client):
    """The first attempt's worker died before answering: nothing was created."""
    register(api_client)
    User.objects.all().delete()
    IdempotencyRecord.objects.update(
        response_status=None,
        response_body=None,
        created_at=timezone.now() - IN_FLIGHT_TIMEOUT - timedelta(seconds=1),
    )

    retry = register(api_client)

    assert retry.status_code == 201, retry.json()
    assert "Idempotent-Replayed" not in retry
    assert register(api_client)["Idempotent-Replayed"] == "true"
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_without_a_key_nothing_is_recorded(api_client):
    api_client.post(URL, BODY, format="json")
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
def test_a_rejected_request_releases_its_key(api_client):
    bad = register(api_client, {**BODY, "password": "123"})
    assert_error(bad, 400, attr="password")
    assert not IdempotencyRecord.objects.exists()

    assert register(api_client).status_code == 201


class EchoCreate(APIView):
    """A creating endpoint for authenticated users, to test the decorator on its own."""

    @idempotent
    def post(self, request):
        return Response({"echo": request.data, "by": request.user.pk}, status=201)


urlpatterns = [path("echo", EchoCreate.as_view()), path("", include("config.urls"))]


@pytest.mark.django_db
def test_keys_are_scoped_to_the_user(settings):
    settings.ROOT_URLCONF = __name__
    alice, bob = bearer_client(UserFactory()), bearer_client(UserFactory())

    first = alice.post("/echo", {"n": 1}, HTTP_IDEMPOTENCY_KEY="shared")
    other_user = bob.post("/echo", {"n": 2}, HTTP_IDEMPOTENCY_KEY="shared")
    replay = alice.post("/echo", {"n": 1}, HTTP_IDEMPOTENCY_KEY="shared")

    assert first.status_code == other_user.status_code == 201
    assert other_user.json()["echo"] == {"n": 2}  # not Alice's response, not a 422
    assert replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true"
    assert_error(alice.post("/echo", {"n": 3}, HTTP_IDEMPOTENCY_KEY="shared"), 422)


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["k" * 201, "a\u00e9b", "tab\there", "nul\x00byte"])
def test_malformed_keys_are_400(api_client, key):
    response = api_client.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert_error(response, 400, attr="Idempotency-Key")
    assert not User.objects.exists()


@pytest.mark.django_db
def test_a_malformed_body_with_a_key_is_400_and_leaves_no_record(api_client):
    response = api_client.generic(
        "POST", URL, "{nope", content_type="application/json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert_error(response, 400)
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
def test_the_stored_fingerprint_is_no_password_oracle(api_client):
    """A plain hash of the body would let a database reader test password guesses offline."""
    register(api_client)
    stored = IdempotencyRecord.objects.get().request_hash
    body = json.dumps(BODY, sort_keys=True)
    plain = hashlib.sha256(f"POST {URL}\n{body}".encode()).hexdigest()
    assert stored != plain
    assert BODY["password"] not in json.dumps(IdempotencyRecord.objects.values().get(), default=str)


@pytest.mark.django_db
def test_prune_drops_only_old_records(api_client):
    register(api_client, key="old")
    register(api_client, {**BODY, "username": "bob", "email": "b@example.com"}, key="new")
    IdempotencyRecord.objects.filter(key="old").update(
        created_at=timezone.now() - timedelta(hours=25)
    )

    assert prune_idempotency_records() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.django_db(transaction=True)
def test_parallel_requests_with_one_key_create_one_user(settings):
    settings.THROTTLE_ENABLED = False
    barrier = threading.Barrier(6)
    results = []

    def attempt():
        try:
            barrier.wait()
            response = register(APIClient(), key="race")
            results.append((response.status_code, response.get("Idempotent-Replayed")))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert User.objects.count() == 1
    assert len(results) == 6
    created = [r for r in results if r == (201, None)]
    assert len(created) == 1, results
    assert all(r in {(201, "true"), (409, None)} for r in results if r != (201, None)), results
