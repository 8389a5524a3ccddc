"""Moderators manage users in the Django admin."""

import pytest
from django.test import Client

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client():
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    return client


def test_changelist_and_search(admin_client):
    UserFactory(username="findme")
    response = admin_client.get("/admin/accounts/user/", {"q": "findme"})
    assert response.status_code == 200
    assert b"findme" in response.content


def test_change_page_shows_counters_read_only(admin_client):
    target = UserFactory()
    response = admin_client.get(f"/admin/accounts/user/{target.pk}/change/")
    assert response.status_code == 200
    assert b'name="followers_count"' not in response.content  # read-only, no input


def test_add_user_hashes_with_argon2(admin_client):
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "username": "added_by_admin",
            "email": "added@example.com",
            "password1": "a-long-Passphrase-42",
            "password2": "a-long-Passphrase-42",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    user = User.objects.get(username="added_by_admin")
    assert user.email == "added@example.com"
    assert user.password.startswith("argon2")


def test_add_user_refuses_a_name_taken_in_another_case(admin_client):
    UserFactory(username="Taken")
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "username": "tAKEN",
            "email": "other@example.com",
            "password1": "a-long-Passphrase-42",
            "password2": "a-long-Passphrase-42",
            "usable_password": "true",
        },
    )
    assert response.status_code == 200  # the form again, with an error
    assert User.objects.filter(username__iexact="taken").count() == 1
