"""POST/DELETE /users/{id}/follow, DELETE /users/{id}/follower: status codes, counters, events."""

import pytest
from django.utils import timezone

from relationships.models import Follow, FollowRequest
from tests.factories import BlockFactory, UserFactory
from tests.relationships.helpers import assert_error, client_for, counters, events

pytestmark = pytest.mark.django_db


def follow_url(user_id) -> str:
    return f"/api/v1/users/{user_id}/follow"


@pytest.fixture
def alice():
    return UserFactory(username="alice")


@pytest.fixture
def bob():
    return UserFactory(username="bob")


def test_follow_public_account_creates_then_is_idempotent(alice, bob):
    client = client_for(alice)

    first = client.post(follow_url(bob.pk))
    assert first.status_code == 201, first.json()
    assert first.json() == {
        "user_id": str(bob.pk),
        "following": True,
        "followed_by": False,
        "requested": False,
        "blocking": False,
        "blocked_by": False,
        "muting": False,
    }
    again = client.post(follow_url(bob.pk))
    assert again.status_code == 200
    assert again.json()["following"] is True

    assert Follow.objects.filter(follower=alice, followee=bob).count() == 1
    assert counters(bob) == (1, 0)
    assert counters(alice) == (0, 1)
    assert events("user.followed") == [{"follower_id": alice.pk, "followee_id": bob.pk}]


def test_unfollow_removes_the_row_and_is_idempotent(alice, bob):
    client = client_for(alice)
    client.post(follow_url(bob.pk))

    assert client.delete(follow_url(bob.pk)).status_code == 204
    assert client.delete(follow_url(bob.pk)).status_code == 204

    assert not Follow.objects.exists()
    assert counters(bob) == (0, 0)
    assert counters(alice) == (0, 0)
    assert events("user.unfollowed") == [{"follower_id": alice.pk, "followee_id": bob.pk}]


def test_follow_yourself_is_400(alice):
    response = client_for(alice).post(follow_url(alice.pk))
    assert_error(response, 400, code="self_follow")
    assert not Follow.objects.exists()
    assert counters(alice) == (0, 0)


def test_following_someone_who_blocks_you_is_403(alice, bob):
    BlockFactory(blocker=bob, blocked=alice)
    assert_error(client_for(alice).post(follow_url(bob.pk)), 403, code="blocked")
    assert not Follow.objects.exists()
    assert not FollowRequest.objects.exists()


def test_following_someone_you_block_is_403_until_you_unblock(alice, bob):
    BlockFactory(blocker=alice, blocked=bob)
    client = client_for(alice)
    error = assert_error(client.post(follow_url(bob.pk)), 403, code="blocked")
    assert "unblock" in error["detail"]

    assert client.delete(f"/api/v1/users/{bob.pk}/block").status_code == 204
    assert client.post(follow_url(bob.pk)).status_code == 201


@pytest.mark.parametrize("user_id", ["999999", str(2**63 - 1), str(2**64)])
def test_following_an_unknown_user_is_404(alice, user_id):
    assert_error(client_for(alice).post(follow_url(user_id)), 404)


def test_following_a_deactivated_or_suspended_user_is_404(alice):
    gone = UserFactory(deactivated_at=timezone.now())
    suspended = UserFactory(is_active=False)
    for user in (gone, suspended):
        assert_error(client_for(alice).post(follow_url(user.pk)), 404)
    assert not Follow.objects.exists()


def test_unauthenticated_requests_are_401(api_client, bob):
    assert_error(api_client.post(follow_url(bob.pk)), 401)
    assert_error(api_client.delete(follow_url(bob.pk)), 401)
    assert_error(api_client.delete(f"/api/v1/users/{bob.pk}/follower"), 401)


def test_unfollowing_an_unknown_user_is_404(alice):
    assert_error(client_for(alice).delete(follow_url(999999)), 404)


def test_following_a_private_account_creates_a_request_not_a_follow(alice):
    carol = UserFactory(is_private=True)
    client = client_for(alice)

    first = client.post(follow_url(carol.pk))
    assert first.status_code == 201
    assert first.json()["requested"] is True
    assert first.json()["following"] is False
    again = client.post(follow_url(carol.pk))
    assert again.status_code == 200
    assert again.json()["requested"] is True

    request = FollowRequest.objects.get(requester=alice, target=carol)
    assert not Follow.objects.exists()
    assert counters(carol) == (0, 0)
    assert events("follow.requested") == [
        {"request_id": request.pk, "requester_id": alice.pk, "target_id": carol.pk}
    ]
    assert events("user.followed") == []


def test_unfollow_withdraws_a_pending_request(alice):
    carol = UserFactory(is_private=True)
    client = client_for(alice)
    client.post(follow_url(carol.pk))

    assert client.delete(follow_url(carol.pk)).status_code == 204
    assert not FollowRequest.objects.exists()
    assert client.get(f"/api/v1/users/{carol.pk}/relationship").json()["requested"] is False


def test_a_stale_request_to_an_account_gone_public_becomes_a_follow(alice):
    carol = UserFactory(is_private=True)
    client = client_for(alice)
    client.post(follow_url(carol.pk))
    carol.is_private = False
    carol.save(update_fields=["is_private"])

    response = client.post(follow_url(carol.pk))
    assert response.status_code == 201
    assert response.json()["following"] is True
    assert response.json()["requested"] is False
    assert not FollowRequest.objects.exists()
    assert counters(carol) == (1, 0)


def test_remove_follower(alice, bob):
    client_for(bob).post(follow_url(alice.pk))
    client = client_for(alice)

    assert client.delete(f"/api/v1/users/{bob.pk}/follower").status_code == 204
    assert client.delete(f"/api/v1/users/{bob.pk}/follower").status_code == 204

    assert not Follow.objects.exists()
    assert counters(alice) == (0, 0)
    assert counters(bob) == (0, 0)
    assert events("user.unfollowed") == [{"follower_id": bob.pk, "followee_id": alice.pk}]


def test_remove_follower_also_drops_their_pending_request(alice):
    alice.is_private = True
    alice.save(update_fields=["is_private"])
    bob = UserFactory()
    client_for(bob).post(follow_url(alice.pk))

    assert client_for(alice).delete(f"/api/v1/users/{bob.pk}/follower").status_code == 204
    assert not FollowRequest.objects.exists()


def test_remove_follower_of_unknown_user_is_404(alice):
    assert_error(client_for(alice).delete("/api/v1/users/999999/follower"), 404)


def test_follow_endpoint_is_throttled_by_the_write_scope(alice, bob, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    rates = {**SimpleRateThrottle.THROTTLE_RATES, "write": "2/min"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    client = client_for(alice)
    assert client.post(follow_url(bob.pk)).status_code == 201
    assert client.delete(follow_url(bob.pk)).status_code == 204
    assert_error(client.post(follow_url(bob.pk)), 429)
