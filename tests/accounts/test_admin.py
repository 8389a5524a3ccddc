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


# --- state changes go through the services -------------------------------------------

CHANGELIST = "/admin/accounts/user/"


def run_action(client, action: str, *users):
    return client.post(
        CHANGELIST, {"action": action, "_selected_action": [str(u.pk) for u in users]}
    )


@pytest.fixture
def world(db, django_capture_on_commit_callbacks):
    """A victim who follows, is followed, posts, is replied to, likes and retweets."""
    from relationships import services as rel
    from tweets import services as posts

    victim, a, b, c = (UserFactory() for _ in range(4))
    with django_capture_on_commit_callbacks(execute=True):
        for other in (a, b):
            rel.follow_create(follower=other, followee_id=victim.pk)
        for other in (a, c):
            rel.follow_create(follower=victim, followee_id=other.pk)
        own = posts.post_create(author=victim, text="victim's post")
        theirs = posts.post_create(author=a, text="a's post")
        posts.post_create(author=victim, text="a reply", reply_to_id=theirs.id)
        posts.post_create(author=b, text="b replies", reply_to_id=own.id)
        posts.like_create(user=victim, post_id=theirs.id)
        posts.like_create(user=b, post_id=own.id)
        posts.retweet_create(user=victim, post_id=theirs.id)
        posts.retweet_create(user=c, post_id=own.id)
    return victim


def test_erase_action_erases_through_the_service_and_keeps_counters_exact(
    admin_client, world, django_capture_on_commit_callbacks
):
    from tests.admin_counters import counter_mismatches

    assert counter_mismatches() == []
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(admin_client, "erase", world)
    assert response.status_code == 302

    world.refresh_from_db()
    assert world.username == f"deleted-{world.pk}"
    assert not world.is_active
    assert counter_mismatches() == []
    from relationships.models import Follow
    from tweets.models import Like, Retweet

    assert not Follow.objects.filter(follower=world).exists()
    assert not Follow.objects.filter(followee=world).exists()
    assert not Like.objects.filter(user=world).exists()
    assert not Retweet.objects.filter(user=world).exists()


def test_the_stock_delete_is_gone(admin_client, world):
    assert admin_client.get(f"{CHANGELIST}{world.pk}/delete/").status_code == 403
    page = admin_client.get(CHANGELIST).content.decode()
    assert "delete_selected" not in page
    assert run_action(admin_client, "delete_selected", world).status_code in (200, 302)
    assert User.objects.filter(pk=world.pk).exists()


def test_suspend_revokes_tokens_and_unsuspend_lets_the_account_back(admin_client):
    from tests.conftest import bearer_client

    target = UserFactory()
    client = bearer_client(target)
    assert client.get("/api/v1/users/me").status_code == 200

    # moderation.admin's action asks for a reason (and an optional end) first
    run_action(admin_client, "suspend", target)
    target.refresh_from_db()
    assert target.is_active
    admin_client.post(
        CHANGELIST,
        {"action": "suspend", "_selected_action": [str(target.pk)], "reason": "spam",
         "apply": "1"},
    )  # fmt: skip
    target.refresh_from_db()
    assert not target.is_active
    assert client.get("/api/v1/users/me").status_code == 401
    assert anonymous_client().get(f"/api/v1/users/{target.pk}").status_code in (401, 404)

    admin_client.post(
        CHANGELIST,
        {"action": "unsuspend", "_selected_action": [str(target.pk)], "reason": "appeal",
         "apply": "1"},
    )  # fmt: skip
    target.refresh_from_db()
    assert target.is_active
    assert bearer_client(target).get("/api/v1/users/me").status_code == 200
    assert client.get("/api/v1/users/me").status_code == 401  # old tokens stay revoked


def anonymous_client():
    from rest_framework.test import APIClient

    return APIClient()


def test_unticking_is_active_in_the_form_changes_nothing(admin_client):
    target = UserFactory()
    page = admin_client.get(f"{CHANGELIST}{target.pk}/change/").content.decode()
    assert 'name="is_active"' not in page  # read-only: the Suspend action does it


def test_the_change_form_saves_only_what_changed(admin_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    target = UserFactory(display_name="Before")
    form = {
        "username": target.username,
        "email": target.email,
        "display_name": "After",
        "bio": "",
        "location": "",
        "website": "",
        "is_private": "",
    }
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.post(f"{CHANGELIST}{target.pk}/change/", form)
    assert response.status_code == 302, response.content[:3000]
    target.refresh_from_db()
    assert target.display_name == "After"
    updates = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "accounts_user"')]
    assert updates, "the change was not saved"
    assert not any("followers_count" in sql for sql in updates), updates


def test_a_password_set_in_the_admin_signs_the_account_out(admin_client):
    from tests.conftest import bearer_client

    target = UserFactory()
    client = bearer_client(target)
    response = admin_client.post(
        f"{CHANGELIST}{target.pk}/password/",
        {
            "password1": "another-long-Passphrase-7",
            "password2": "another-long-Passphrase-7",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content[:3000]
    target.refresh_from_db()
    assert target.check_password("another-long-Passphrase-7")
    assert client.get("/api/v1/users/me").status_code == 401
