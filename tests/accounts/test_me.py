"""The signed-in user's own account: read, update, deactivate, delete."""

import pytest

from accounts.models import User
from tests.accounts.helpers import REFRESH_URL, TOKEN_URL, assert_error, client_with, obtain_tokens
from tests.conftest import bearer_client
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ME_URL = "/api/v1/users/me"
DEACTIVATE_URL = "/api/v1/users/me/deactivate"


def test_me_returns_the_private_profile(user):
    body = bearer_client(user).get(ME_URL).json()

    assert body["id"] == str(user.pk)
    assert body["email"] == user.email
    assert {"followers_count", "following_count", "posts_count", "bio"} <= set(body)
    assert not {"password", "token_version", "is_staff", "is_superuser"} & set(body)


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_anonymous_me_is_401_in_the_error_format(api_client, method):
    response = getattr(api_client, method)(ME_URL)
    assert_error(response, 401, code="not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_patch_changes_profile_fields(user):
    client = bearer_client(user)
    changes = {
        "display_name": "New Name",
        "bio": "b" * 160,
        "location": "Lisbon",
        "website": "https://example.org/me",
        "is_private": True,
    }

    response = client.patch(ME_URL, changes)

    assert response.status_code == 200, response.json()
    assert {k: response.json()[k] for k in changes} == changes
    user.refresh_from_db()
    assert {k: getattr(user, k) for k in changes} == changes


def test_patch_ignores_fields_a_user_may_not_set(user):
    other = UserFactory()
    before = User.objects.values().get(pk=user.pk)
    sneaky = {
        "is_staff": True,
        "is_superuser": True,
        "is_active": False,
        "followers_count": 1_000_000,
        "following_count": 5,
        "posts_count": 99,
        "email": "sneaky@example.com",
        "id": str(other.pk),
        "token_version": 42,
        "password": "new-password-that-is-long",
        "deactivated_at": "2020-01-01T00:00:00Z",
        "bio": "only this changes",
    }

    response = bearer_client(user).patch(ME_URL, sneaky)

    assert response.status_code == 200, response.json()
    after = User.objects.values().get(pk=user.pk)
    assert after.pop("bio") == "only this changes"
    before.pop("bio")
    assert after == before
    assert response.json()["id"] == str(user.pk)
    assert response.json()["followers_count"] == 0


@pytest.mark.parametrize(
    ("changes", "attr"),
    [
        ({"bio": "b" * 161}, "bio"),
        ({"display_name": "d" * 51}, "display_name"),
        ({"location": "l" * 31}, "location"),
        ({"website": "not a url"}, "website"),
        ({"website": "javascript:alert(1)"}, "website"),
        ({"is_private": "maybe"}, "is_private"),
        ({"username": "a-b"}, "username"),
        ({"username": "ab"}, "username"),
        ({"bio": ["list"]}, "bio"),
    ],
)
def test_patch_refuses_bad_values(user, changes, attr):
    before = User.objects.values().get(pk=user.pk)
    assert_error(bearer_client(user).patch(ME_URL, changes), 400, attr=attr)
    assert User.objects.values().get(pk=user.pk) == before


def test_patch_with_a_list_body_is_400(user):
    response = bearer_client(user).patch(ME_URL, ["bio", "x"], format="json")
    assert_error(response, 400)


def test_username_change_to_a_taken_name_in_another_case_is_400(user):
    UserFactory(username="Taken")
    assert_error(bearer_client(user).patch(ME_URL, {"username": "tAKEN"}), 400, attr="username")
    user.refresh_from_db()
    assert user.username != "tAKEN"


def test_username_change_frees_the_old_name_and_keeps_sign_in(api_client, user):
    old = user.username
    response = bearer_client(user).patch(ME_URL, {"username": "Renamed_1"})
    assert response.json()["username"] == "Renamed_1"

    obtain_tokens(api_client, "renamed_1")
    assert_error(api_client.post(TOKEN_URL, {"username": old, "password": DEFAULT_PASSWORD}), 401)


def test_changing_only_the_case_of_ones_own_username_is_allowed(user):
    response = bearer_client(user).patch(ME_URL, {"username": user.username.upper()})
    assert response.status_code == 200
    assert response.json()["username"] == user.username.upper()


# --- deactivate ----------------------------------------------------------------


def test_deactivate_hides_the_profile_revokes_tokens_and_sign_in_reactivates(api_client, user):
    viewer = bearer_client(UserFactory())
    tokens = obtain_tokens(api_client, user.username)
    own = client_with(tokens["access"])

    assert own.post(DEACTIVATE_URL, {"password": DEFAULT_PASSWORD}).status_code == 204

    assert_error(viewer.get(f"/api/v1/users/{user.pk}/profile"), 404)
    assert_error(viewer.get(f"/api/v1/users/by-username/{user.username}"), 404)
    assert_error(own.get(ME_URL), 401)
    assert_error(api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}), 401)

    fresh = obtain_tokens(api_client, user.username)

    assert client_with(fresh["access"]).get(ME_URL).status_code == 200
    assert viewer.get(f"/api/v1/users/{user.pk}/profile").status_code == 200
    user.refresh_from_db()
    assert user.deactivated_at is None


def test_deactivate_needs_authentication(api_client):
    assert_error(api_client.post(DEACTIVATE_URL), 401)


# --- delete (erase) ----------------------------------------------------------


def test_delete_with_the_wrong_password_is_400_and_changes_nothing(user):
    response = bearer_client(user).delete(ME_URL, {"password": "not-my-password"})

    assert_error(response, 400, attr="password")
    user.refresh_from_db()
    assert user.is_active
    assert user.check_password(DEFAULT_PASSWORD)


def test_delete_without_a_password_is_400(user):
    assert_error(bearer_client(user).delete(ME_URL), 400, attr="password")


def test_delete_erases_personal_data_frees_the_name_and_forbids_sign_in(api_client, user):
    user.bio, user.location, user.website = "my bio", "Porto", "https://me.example"
    user.save()
    username, email = user.username, user.email
    tokens = obtain_tokens(api_client, username)
    own = client_with(tokens["access"])

    assert own.delete(ME_URL, {"password": DEFAULT_PASSWORD}).status_code == 204

    erased = User.objects.get(pk=user.pk)
    assert not erased.is_active
    assert not erased.has_usable_password()
    assert erased.email != email
    assert email.split("@")[0] not in erased.email
    assert erased.username != username
    assert erased.bio == erased.display_name == erased.location == erased.website == ""
    assert_error(own.get(ME_URL), 401)
    assert_error(api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}), 401)
    for login in (username, email, erased.username, erased.email):
        assert_error(
            api_client.post(TOKEN_URL, {"username": login, "password": DEFAULT_PASSWORD}), 401
        )
    viewer = bearer_client(UserFactory())
    assert_error(viewer.get(f"/api/v1/users/{user.pk}/profile"), 404)

    # The name and the email can be registered again by someone else.
    again = api_client.post(
        "/api/v1/auth/register",
        {"username": username, "email": email, "password": "another-Long-pass-7"},
    )
    assert again.status_code == 201, again.json()
    assert again.json()["id"] != str(user.pk)


def test_nobody_can_register_the_placeholder_an_erasure_will_use(api_client):
    """Squatting the name or email an erased account gets must not make erasure fail."""
    victim = UserFactory()
    placeholder_name = f"deleted_{victim.pk}"
    api_client.post(
        "/api/v1/auth/register",
        {
            "username": placeholder_name,
            "email": f"deleted-{victim.pk}@invalid.invalid",
            "password": "a-long-Passphrase-42",
        },
    )

    response = bearer_client(victim).delete(ME_URL, {"password": DEFAULT_PASSWORD})

    assert response.status_code == 204, response.content
    victim.refresh_from_db()
    assert not victim.is_active


def test_the_placeholders_of_an_erased_account_cannot_be_registered(api_client, user):
    bearer_client(user).delete(ME_URL, {"password": DEFAULT_PASSWORD})
    user.refresh_from_db()

    by_name = api_client.post(
        "/api/v1/auth/register",
        {"username": user.username, "email": "new@example.com", "password": "a-long-Pass-42"},
    )
    by_email = api_client.post(
        "/api/v1/auth/register",
        {"username": "newcomer", "email": user.email, "password": "a-long-Pass-42"},
    )

    assert_error(by_name, 400, attr="username")
    assert_error(by_email, 400, attr="email")
