"""An erased account leaves no follows behind, and everyone's counters stay exact."""

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from core.models import OutboxEvent
from relationships import erasure, services
from relationships.models import Block, Follow, FollowRequest, Mute
from tests.factories import (
    DEFAULT_PASSWORD,
    BlockFactory,
    FollowRequestFactory,
    MuteFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _follow(follower, followee):
    services.follow_create(follower=follower, followee_id=followee.pk)


def test_erasing_an_account_removes_its_relationships_and_fixes_counters(
    django_capture_on_commit_callbacks,
):
    leaving, fan, idol, other = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    _follow(fan, leaving)
    _follow(leaving, idol)
    _follow(fan, idol)
    FollowRequestFactory(requester=other, target=leaving)
    BlockFactory(blocker=leaving, blocked=other)
    MuteFactory(muter=other, muted=leaving)

    client = APIClient()
    client.force_authenticate(leaving)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete("/api/v1/users/me", {"password": DEFAULT_PASSWORD})
    assert response.status_code == 204

    assert OutboxEvent.objects.filter(name="user.erased").count() == 1
    assert not Follow.objects.filter(follower=leaving).exists()
    assert not Follow.objects.filter(followee=leaving).exists()
    assert not FollowRequest.objects.filter(target=leaving).exists()
    assert not Block.objects.filter(blocker=leaving).exists()
    assert not Mute.objects.filter(muted=leaving).exists()
    for user in User.objects.filter(pk__in=[fan.pk, idol.pk, leaving.pk]):
        assert user.followers_count == Follow.objects.filter(followee=user).count()
        assert user.following_count == Follow.objects.filter(follower=user).count()
    assert Follow.objects.filter(follower=fan, followee=idol).exists()  # others untouched
    # One user.unfollowed per removed follow, for the feed to drop entries.
    assert OutboxEvent.objects.filter(name="user.unfollowed").count() == 2


def test_erasure_handler_is_idempotent():
    leaving, fan = UserFactory(), UserFactory()
    _follow(fan, leaving)
    assert erasure.erase_step(user_id=leaving.pk)  # the follow
    assert not erasure.erase_step(user_id=leaving.pk)  # nothing left
    assert not erasure.erase_step(user_id=leaving.pk)
    fan.refresh_from_db()
    assert fan.following_count == 0


def test_deactivation_and_reactivation_are_published(django_capture_on_commit_callbacks):
    user = UserFactory()
    client = APIClient()
    client.force_authenticate(user)
    deactivated = client.post("/api/v1/users/me/deactivate", {"password": DEFAULT_PASSWORD})
    assert deactivated.status_code == 204
    token = APIClient().post(
        "/api/v1/auth/token", {"username": user.username, "password": DEFAULT_PASSWORD}
    )
    assert token.status_code == 200
    names = list(OutboxEvent.objects.order_by("id").values_list("name", flat=True))
    assert names == ["user.deactivated", "user.reactivated"]
