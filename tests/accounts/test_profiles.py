"""Public profiles by id and by username."""

import pytest

from tests.accounts.helpers import assert_error
from tests.conftest import bearer_client
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(db):
    return bearer_client(UserFactory())


@pytest.fixture
def bob(db):
    return UserFactory(
        username="Bob_99", bio="hi", followers_count=3, following_count=2, posts_count=7
    )


PROFILE_KEYS = {
    "id", "username", "display_name", "avatar", "is_private", "bio", "location", "website",
    "created_at", "followers_count", "following_count", "posts_count",
}  # fmt: skip


def test_profile_by_id(viewer, bob):
    """(Other apps may add keys, e.g. recent posts; these are the account's.)"""
    response = viewer.get(f"/api/v1/users/{bob.pk}/profile")

    assert response.status_code == 200
    body = response.json()
    assert set(body) >= PROFILE_KEYS
    assert body["id"] == str(bob.pk)
    assert (body["followers_count"], body["following_count"], body["posts_count"]) == (3, 2, 7)


@pytest.mark.parametrize("name", ["Bob_99", "bob_99", "BOB_99"])
def test_profile_by_username_in_any_case(viewer, bob, name):
    response = viewer.get(f"/api/v1/users/by-username/{name}")
    assert response.status_code == 200
    assert response.json()["id"] == str(bob.pk)
    assert set(response.json()) >= PROFILE_KEYS


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/users/0/profile",
        "/api/v1/users/123456789/profile",
        "/api/v1/users/9223372036854775807/profile",
        "/api/v1/users/9223372036854775808/profile",
        "/api/v1/users/99999999999999999999/profile",
        "/api/v1/users/-1/profile",
        "/api/v1/users/abc/profile",
        "/api/v1/users/by-username/nobody_here",
        "/api/v1/users/by-username/%C3%A5lice",
        "/api/v1/users/by-username/" + "x" * 5000,
        "/api/v1/users/by-username/bob%25",
        "/api/v1/users/by-username/bob_",
    ],
)
def test_unknown_profiles_are_404_in_the_error_format(viewer, bob, path):
    assert_error(viewer.get(path), 404, code="not_found")


def test_profiles_of_inactive_users_are_404(viewer):
    suspended = UserFactory(is_active=False)
    assert_error(viewer.get(f"/api/v1/users/{suspended.pk}/profile"), 404)
    assert_error(viewer.get(f"/api/v1/users/by-username/{suspended.username}"), 404)


def test_profiles_need_authentication(api_client, bob):
    assert_error(api_client.get(f"/api/v1/users/{bob.pk}/profile"), 401)
    assert_error(api_client.get(f"/api/v1/users/by-username/{bob.username}"), 401)
