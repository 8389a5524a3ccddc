"""The Django admin for follows, follow requests, blocks and mutes."""

import pytest

from relationships.models import Block, Follow, FollowRequest, Mute
from relationships.services import follow_create
from tests.factories import BlockFactory, FollowRequestFactory, MuteFactory, UserFactory
from tests.relationships.helpers import counters, events

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("model", "factory", "source", "target"),
    [
        ("follow", None, "follower", "followee"),
        ("followrequest", FollowRequestFactory, "requester", "target"),
        ("block", BlockFactory, "blocker", "blocked"),
        ("mute", MuteFactory, "muter", "muted"),
    ],
)
def test_changelist_searches_by_username_of_either_user(
    admin_client, model, factory, source, target
):
    wanted = {source: UserFactory(username="findme"), target: UserFactory(username="other")}
    if factory is None:
        follow_create(follower=wanted[source], followee_id=wanted[target].pk)
    else:
        factory(**wanted)
    unrelated = UserFactory(username="zzz_unrelated")
    if factory is None:
        follow_create(follower=unrelated, followee_id=UserFactory(username="zzz_2").pk)
    else:
        factory(**{source: unrelated})

    url = f"/admin/relationships/{model}/"
    for query in ("find", "oth"):
        page = admin_client.get(url, {"q": query}).content.decode()
        assert "findme" in page
        assert "zzz_unrelated" not in page
    assert admin_client.get(f"{url}add/").status_code == 403


def test_deleting_a_follow_in_the_admin_goes_through_the_service(admin_client):
    alice, bob = UserFactory(), UserFactory()
    follow_create(follower=alice, followee_id=bob.pk)
    follow = Follow.objects.get()

    response = admin_client.post(
        "/admin/relationships/follow/",
        {"action": "delete_selected", "_selected_action": [follow.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Follow.objects.exists()
    assert counters(bob) == (0, 0)
    assert counters(alice) == (0, 0)
    assert events("user.unfollowed") == [{"follower_id": alice.pk, "followee_id": bob.pk}]


@pytest.mark.parametrize(
    ("model", "factory", "event"),
    [("block", BlockFactory, "user.unblocked"), ("mute", MuteFactory, "user.unmuted")],
)
def test_deleting_a_block_or_mute_in_the_admin_publishes_its_event(
    admin_client, model, factory, event
):
    row = factory()
    response = admin_client.post(f"/admin/relationships/{model}/{row.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not (Block if model == "block" else Mute).objects.exists()
    assert len(events(event)) == 1


def test_deleting_a_follow_request_in_the_admin(admin_client):
    request = FollowRequestFactory()
    admin_client.post(f"/admin/relationships/followrequest/{request.pk}/delete/", {"post": "yes"})
    assert not FollowRequest.objects.exists()
