"""The Django admin for notifications: moderators look, nobody edits."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from notifications.models import Mention, Notification, Verb
from tests.factories import PostFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/admin/notifications/notification/"


@pytest.fixture
def moderator_client() -> Client:
    moderator = UserFactory(username="moderator", is_staff=True)
    moderator.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="notifications",
            codename__in=[
                "view_notification",
                "change_notification",
                "delete_notification",
                "add_notification",
                "view_mention",
            ],
        )
    )
    client = Client()
    client.force_login(moderator)
    return client


@pytest.fixture
def notification(alice, bob):
    post = PostFactory(author=alice)
    Mention.objects.create(post=post, user=alice)
    return Notification.objects.create(
        recipient=alice, actor=bob, verb=Verb.LIKE, target_type="post", target_id=post.id
    )


def test_moderators_can_list_search_and_view(moderator_client, notification):
    other = Notification.objects.create(
        recipient=UserFactory(username="zzz_unrelated"),
        actor=UserFactory(username="zzz_actor"),
        verb=Verb.FOLLOW,
    )
    page = moderator_client.get(URL, {"q": "ali"})
    assert page.status_code == 200
    assert str(notification.pk) in page.content.decode()
    assert str(other.pk) not in page.content.decode()
    assert moderator_client.get(f"{URL}?verb=like").status_code == 200
    assert moderator_client.get(f"{URL}{notification.pk}/change/").status_code == 200
    assert moderator_client.get("/admin/notifications/mention/").status_code == 200


def test_moderators_cannot_add_change_or_delete(moderator_client, notification):
    assert moderator_client.get(f"{URL}add/").status_code == 403
    moderator_client.post(f"{URL}{notification.pk}/change/", {"verb": "follow"})
    notification.refresh_from_db()
    assert notification.verb == Verb.LIKE
    response = moderator_client.post(f"{URL}{notification.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Notification.objects.filter(pk=notification.pk).exists()


def test_superusers_may_delete(admin_client, notification):
    response = admin_client.post(f"{URL}{notification.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Notification.objects.filter(pk=notification.pk).exists()
