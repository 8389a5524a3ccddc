"""POST/DELETE /users/{id}/block and /mute, and the lists /users/me/blocks, /users/me/mutes."""

import pytest
from django.utils import timezone

from relationships.models import Block, Follow, FollowRequest, Mute
from relationships.services import follow_create
from tests.factories import BlockFactory, MuteFactory, UserFactory
from tests.relationships.helpers import assert_error, client_for, counters, events

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return UserFactory(username="alice")


@pytest.fixture
def bob():
    return UserFactory(username="bob")


def test_block_removes_follows_both_ways_and_counts_exactly(alice, bob):
    third = UserFactory()
    follow_create(follower=alice, followee_id=bob.pk)
    follow_create(follower=bob, followee_id=alice.pk)
    follow_create(follower=third, followee_id=bob.pk)  # must survive

    response = client_for(alice).post(f"/api/v1/users/{bob.pk}/block")

    assert response.status_code == 201
    body = response.json()
    assert (body["blocking"], body["following"], body["followed_by"]) == (True, False, False)
    assert list(Follow.objects.values_list("follower", "followee")) == [(third.pk, bob.pk)]
    assert counters(alice) == (0, 0)
    assert counters(bob) == (1, 0)
    assert events("user.blocked") == [{"blocker_id": alice.pk, "blocked_id": bob.pk}]
    assert {(e["follower_id"], e["followee_id"]) for e in events("user.unfollowed")} == {
        (alice.pk, bob.pk),
        (bob.pk, alice.pk),
    }


def test_block_removes_pending_requests_both_ways(alice):
    private = UserFactory(is_private=True)
    alice.is_private = True
    alice.save(update_fields=["is_private"])
    follow_create(follower=alice, followee_id=private.pk)
    follow_create(follower=private, followee_id=alice.pk)
    assert FollowRequest.objects.count() == 2

    assert client_for(alice).post(f"/api/v1/users/{private.pk}/block").status_code == 201
    assert not FollowRequest.objects.exists()


def test_block_is_idempotent_and_unblock_restores_nothing(alice, bob):
    follow_create(follower=alice, followee_id=bob.pk)
    client = client_for(alice)
    assert client.post(f"/api/v1/users/{bob.pk}/block").status_code == 201
    assert client.post(f"/api/v1/users/{bob.pk}/block").status_code == 200
    assert Block.objects.count() == 1
    assert len(events("user.blocked")) == 1

    assert client.delete(f"/api/v1/users/{bob.pk}/block").status_code == 204
    assert client.delete(f"/api/v1/users/{bob.pk}/block").status_code == 204
    assert not Block.objects.exists()
    assert not Follow.objects.exists()
    assert counters(bob) == (0, 0)
    assert events("user.unblocked") == [{"blocker_id": alice.pk, "blocked_id": bob.pk}]


def test_blocking_back_someone_who_blocks_you_is_allowed(alice, bob):
    BlockFactory(blocker=bob, blocked=alice)
    body = client_for(alice).post(f"/api/v1/users/{bob.pk}/block").json()
    assert (body["blocking"], body["blocked_by"]) == (True, True)


@pytest.mark.parametrize("kind", ["block", "mute"])
def test_block_or_mute_yourself_is_400(alice, kind):
    assert_error(
        client_for(alice).post(f"/api/v1/users/{alice.pk}/{kind}"), 400, code=f"self_{kind}"
    )


@pytest.mark.parametrize("kind", ["block", "mute"])
@pytest.mark.parametrize("method", ["post", "delete"])
def test_block_or_mute_unknown_user_is_404(alice, kind, method):
    assert_error(getattr(client_for(alice), method)(f"/api/v1/users/999999/{kind}"), 404)


@pytest.mark.parametrize("kind", ["block", "mute"])
def test_block_or_mute_deactivated_user_is_404(alice, kind):
    gone = UserFactory(deactivated_at=timezone.now())
    assert_error(client_for(alice).post(f"/api/v1/users/{gone.pk}/{kind}"), 404)


@pytest.mark.parametrize("kind", ["block", "mute"])
@pytest.mark.parametrize("method", ["post", "delete"])
def test_block_and_mute_need_authentication(api_client, bob, kind, method):
    assert_error(getattr(api_client, method)(f"/api/v1/users/{bob.pk}/{kind}"), 401)


def test_mute_is_idempotent_silent_and_leaves_follows(alice, bob):
    follow_create(follower=alice, followee_id=bob.pk)
    client = client_for(alice)

    first = client.post(f"/api/v1/users/{bob.pk}/mute")
    assert first.status_code == 201
    assert (first.json()["muting"], first.json()["following"]) == (True, True)
    assert client.post(f"/api/v1/users/{bob.pk}/mute").status_code == 200
    assert events("user.muted") == [{"muter_id": alice.pk, "muted_id": bob.pk}]
    # Without their knowledge: bob's view of alice shows nothing.
    theirs = client_for(bob).get(f"/api/v1/users/{alice.pk}/relationship").json()
    assert theirs["muting"] is False
    assert theirs["followed_by"] is True

    assert client.delete(f"/api/v1/users/{bob.pk}/mute").status_code == 204
    assert client.delete(f"/api/v1/users/{bob.pk}/mute").status_code == 204
    assert not Mute.objects.exists()
    assert Follow.objects.filter(follower=alice, followee=bob).exists()
    assert events("user.unmuted") == [{"muter_id": alice.pk, "muted_id": bob.pk}]


@pytest.mark.parametrize(
    ("url", "factory", "owner", "other"),
    [
        ("/api/v1/users/me/blocks", BlockFactory, "blocker", "blocked"),
        ("/api/v1/users/me/mutes", MuteFactory, "muter", "muted"),
    ],
)
def test_my_blocks_and_mutes_are_listed_newest_first(alice, url, factory, owner, other):
    rows = [factory(**{owner: alice}) for _ in range(3)]
    factory()  # someone else's: not listed
    client = client_for(alice)

    first = client.get(url, {"limit": 2}).json()
    second = client.get(first["next"]).json()
    listed = [r["user"]["id"] for r in first["results"] + second["results"]]
    assert listed == [str(getattr(r, f"{other}_id")) for r in reversed(rows)]
    assert second["next"] is None
    assert set(first["results"][0]) == {"user", "created_at"}


@pytest.mark.parametrize(
    ("url", "factory", "owner"),
    [
        ("/api/v1/users/me/blocks", BlockFactory, "blocker"),
        ("/api/v1/users/me/mutes", MuteFactory, "muter"),
    ],
)
def test_my_blocks_and_mutes_query_count_is_flat(
    alice, url, factory, owner, django_assert_num_queries
):
    for _ in range(12):
        factory(**{owner: alice})
    client = client_for(alice)
    with django_assert_num_queries(1):
        assert len(client.get(url, {"limit": 2}).json()["results"]) == 2
    with django_assert_num_queries(1):
        assert len(client.get(url, {"limit": 12}).json()["results"]) == 12


@pytest.mark.parametrize("url", ["/api/v1/users/me/blocks", "/api/v1/users/me/mutes"])
def test_my_lists_need_authentication(api_client, url):
    assert_error(api_client.get(url), 401)
