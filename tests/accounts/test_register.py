import pytest

from accounts.models import User
from tests.accounts.helpers import assert_error, obtain_tokens
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/register"
PASSWORD = "a-long-Passphrase-42"


def register(client, **overrides):
    data = {"username": "alice", "email": "alice@example.com", "password": PASSWORD}
    data.update(overrides)
    return client.post(URL, data, format="json")


def test_register_returns_the_public_profile_and_hashes_with_argon2(api_client):
    response = register(api_client, display_name="Alice A.")

    assert response.status_code == 201, response.json()
    body = response.json()
    user = User.objects.get(username="alice")
    assert body["id"] == str(user.pk)
    assert body["username"] == "alice"
    assert body["display_name"] == "Alice A."
    assert body["followers_count"] == body["following_count"] == body["posts_count"] == 0
    assert not {"password", "email", "token_version", "is_staff"} & set(body)
    assert PASSWORD not in response.content.decode()
    assert user.password.startswith("argon2")
    assert user.check_password(PASSWORD)


def test_registered_user_can_sign_in(api_client):
    register(api_client)
    assert set(obtain_tokens(api_client, "alice", PASSWORD)) == {"access", "refresh"}


def test_display_name_defaults_to_the_username(api_client):
    assert register(api_client).json()["display_name"] == "alice"


@pytest.mark.parametrize(
    ("overrides", "attr"),
    [
        ({"username": "taken"}, "username"),
        ({"username": "TAKEN"}, "username"),
        ({"email": "taken@example.com"}, "email"),
        ({"email": "Taken@Example.COM"}, "email"),
    ],
)
def test_duplicate_username_or_email_in_any_case_is_a_field_error(api_client, overrides, attr):
    UserFactory(username="taken", email="taken@example.com")

    assert_error(register(api_client, **overrides), 400, attr=attr)
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    "username",
    ["ab", "a" * 31, "a-b", "al ice", "ålice", "алиса", "bob!", "", "a\u0000b", "me@x.org"],
)
def test_bad_usernames_are_refused(api_client, username):
    assert_error(register(api_client, username=username), 400, attr="username")
    assert not User.objects.exists()


@pytest.mark.parametrize("username", ["abc", "a" * 30, "Under_Score_9"])
def test_usernames_at_the_limits_are_accepted(api_client, username):
    assert register(api_client, username=username).status_code == 201


@pytest.mark.parametrize(
    "password", ["short1!", "password", "12345678901234", "alice_example", "x" * 129]
)
def test_weak_or_oversized_passwords_are_refused(api_client, password):
    assert_error(register(api_client, password=password), 400, attr="password")
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "overrides",
    [
        {"email": "not-an-email"},
        {"email": None},
        {"display_name": "x" * 51},
        {"username": ["alice"]},
        {"username": "x" * 100_000},
    ],
)
def test_other_bad_fields_are_400(api_client, overrides):
    assert_error(register(api_client, **overrides), 400, attr=next(iter(overrides)))


def test_missing_fields_are_named(api_client):
    body = api_client.post(URL, {}, format="json").json()
    assert {e["attr"] for e in body["errors"]} == {"username", "email", "password"}


@pytest.mark.parametrize(
    ("payload", "content_type"),
    [
        ("{not json", "application/json"),
        ('["alice", "alice@example.com"]', "application/json"),
        ("null", "application/json"),
        ('"alice"', "application/json"),
        ("username=alice", "text/plain"),
    ],
)
def test_malformed_bodies_are_4xx_in_the_error_format(api_client, payload, content_type):
    response = api_client.generic("POST", URL, payload, content_type=content_type)
    assert_error(response, 415 if content_type == "text/plain" else 400)
    assert not User.objects.exists()


def test_put_is_405_in_the_error_format(api_client):
    assert_error(api_client.put(URL, {}, format="json"), 405, code="method_not_allowed")
