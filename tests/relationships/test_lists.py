"""GET /users/{id}/followers and /following: order, pagination, privacy, blocks, queries."""

import pytest
from django.utils import timezone

from relationships.services import follow_create
from tests.factories import BlockFactory, FollowFactory, UserFactory
from tests.relationships.helpers import assert_error, client_for

pytestmark = pytest.mark.django_db

KINDS = ["followers", "following"]


def make_edges(user, kind, count):
    """`count` users following `user` (followers) or followed by `user` (following)."""
    others = [UserFactory() for _ in range(count)]
    for other in others:
        if kind == "followers":
            FollowFactory(follower=other, followee=user)
        else:
            FollowFactory(follower=user, followee=other)
    return others


@pytest.mark.parametrize("kind", KINDS)
def test_lists_are_newest_first_and_cursor_paginated(kind):
    owner, viewer = UserFactory(), UserFactory()
    others = make_edges(owner, kind, 5)
    client = client_for(viewer)

    pages, url = [], f"/api/v1/users/{owner.pk}/{kind}?limit=2"
    while url:
        body = client.get(url).json()
        pages.append([row["user"]["id"] for row in body["results"]])
        url = body["next"]
    assert pages == [
        [str(others[4].pk), str(others[3].pk)],
        [str(others[2].pk), str(others[1].pk)],
        [str(others[0].pk)],
    ]


def test_lists_show_the_other_end_of_each_follow():
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    FollowFactory(follower=alice, followee=bob)
    client = client_for(UserFactory())
    followers = client.get(f"/api/v1/users/{bob.pk}/followers").json()["results"]
    following = client.get(f"/api/v1/users/{alice.pk}/following").json()["results"]
    assert [r["user"]["username"] for r in followers] == ["alice"]
    assert [r["user"]["username"] for r in following] == ["bob"]
    assert client.get(f"/api/v1/users/{alice.pk}/followers").json()["results"] == []


@pytest.mark.parametrize("kind", KINDS)
def test_private_lists_are_for_approved_followers_and_the_owner(kind):
    owner = UserFactory(is_private=True)
    make_edges(owner, kind, 2)
    follower, stranger = UserFactory(), UserFactory()
    FollowFactory(follower=follower, followee=owner)
    pending = UserFactory()
    follow_create(follower=pending, followee_id=owner.pk)  # a request, not a follow

    assert_error(client_for(stranger).get(f"/api/v1/users/{owner.pk}/{kind}"), 403)
    assert_error(client_for(pending).get(f"/api/v1/users/{owner.pk}/{kind}"), 403)
    assert client_for(follower).get(f"/api/v1/users/{owner.pk}/{kind}").status_code == 200
    assert client_for(owner).get(f"/api/v1/users/{owner.pk}/{kind}").status_code == 200


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("direction", ["blocks_viewer", "blocked_by_viewer"])
def test_lists_of_a_user_blocked_either_way_are_404(kind, direction):
    owner, viewer = UserFactory(), UserFactory()
    make_edges(owner, kind, 1)
    if direction == "blocks_viewer":
        BlockFactory(blocker=owner, blocked=viewer)
    else:
        BlockFactory(blocker=viewer, blocked=owner)
    assert_error(client_for(viewer).get(f"/api/v1/users/{owner.pk}/{kind}"), 404)


@pytest.mark.parametrize("kind", KINDS)
def test_lists_leave_out_deactivated_and_block_related_users(kind):
    owner, viewer = UserFactory(), UserFactory()
    shown, gone, blocker, blocked = make_edges(owner, kind, 4)
    gone.deactivated_at = timezone.now()
    gone.save(update_fields=["deactivated_at"])
    BlockFactory(blocker=blocker, blocked=viewer)
    BlockFactory(blocker=viewer, blocked=blocked)

    results = client_for(viewer).get(f"/api/v1/users/{owner.pk}/{kind}").json()["results"]
    assert [r["user"]["id"] for r in results] == [str(shown.pk)]


@pytest.mark.parametrize("kind", KINDS)
def test_lists_of_unknown_or_deactivated_users_are_404(kind):
    viewer = UserFactory()
    gone = UserFactory(deactivated_at=timezone.now())
    for user_id in (999999, gone.pk, 2**64):
        assert_error(client_for(viewer).get(f"/api/v1/users/{user_id}/{kind}"), 404)


@pytest.mark.parametrize("kind", KINDS)
def test_lists_need_authentication(api_client, kind):
    owner = UserFactory()
    assert_error(api_client.get(f"/api/v1/users/{owner.pk}/{kind}"), 401)


@pytest.mark.parametrize("kind", KINDS)
def test_bad_cursor_is_a_400_in_the_error_format(kind):
    owner = UserFactory()
    response = client_for(owner).get(f"/api/v1/users/{owner.pk}/{kind}", {"cursor": "garbage"})
    assert_error(response, 400)


@pytest.mark.parametrize("kind", KINDS)
def test_list_query_count_does_not_grow_with_page_size(kind, django_assert_num_queries):
    owner = UserFactory(is_private=True)
    viewer = UserFactory()
    FollowFactory(follower=viewer, followee=owner)
    make_edges(owner, kind, 15)
    client = client_for(viewer)
    url = f"/api/v1/users/{owner.pk}/{kind}"
    # the owner (with blocks), the private-list check, the page
    with django_assert_num_queries(3):
        assert len(client.get(url, {"limit": 2}).json()["results"]) == 2
    with django_assert_num_queries(3):
        assert len(client.get(url, {"limit": 15}).json()["results"]) == 15


# --- every per-user list: one rule (relationships.selectors.user_lists_get_visible_to) ---

PER_USER_LISTS = ["posts", "posts?include_replies=true", "likes", "followers", "following"]


@pytest.mark.parametrize("path", PER_USER_LISTS)
def test_every_list_of_a_private_account_is_for_itself_and_its_approved_followers(path):
    """Issue 14, item 8: a private account's likes (and posts) were listed to anyone."""
    from tests.factories import LikeFactory, PostFactory

    owner = UserFactory(is_private=True)
    public_post = PostFactory()  # a public author's post: visible to all, liked by owner
    LikeFactory(user=owner, post=public_post)
    PostFactory(author=owner)
    make_edges(owner, "following", 1)
    follower, stranger, staff = UserFactory(), UserFactory(), UserFactory(is_staff=True)
    FollowFactory(follower=follower, followee=owner)
    pending = UserFactory()
    follow_create(follower=pending, followee_id=owner.pk)  # a request, not a follow
    url = f"/api/v1/users/{owner.pk}/{path}"

    for viewer in (stranger, pending, staff):
        error = assert_error(client_for(viewer).get(url), 403, code="private_account")
        assert error["attr"] is None
    for viewer in (owner, follower):
        response = client_for(viewer).get(url)
        assert response.status_code == 200
        assert response.json()["results"]


@pytest.mark.parametrize("path", PER_USER_LISTS)
@pytest.mark.parametrize("direction", ["blocks_viewer", "blocked_by_viewer"])
def test_every_list_of_a_user_blocked_either_way_is_404(path, direction):
    owner, viewer = UserFactory(), UserFactory()
    if direction == "blocks_viewer":
        BlockFactory(blocker=owner, blocked=viewer)
    else:
        BlockFactory(blocker=viewer, blocked=owner)
    assert_error(client_for(viewer).get(f"/api/v1/users/{owner.pk}/{path}"), 404)


def test_the_list_rule_for_viewers_known_by_id_and_anonymous_ones():
    """The selector takes any viewer (accounts.viewer): an id-only one, an anonymous one."""
    from django.contrib.auth.models import AnonymousUser

    from accounts.viewer import SignedInViewer
    from core.errors import NotAllowed
    from relationships.selectors import user_lists_get_visible_to

    private, public, follower = UserFactory(is_private=True), UserFactory(), UserFactory()
    FollowFactory(follower=follower, followee=private)
    by_id = SignedInViewer(pk=follower.pk)
    assert user_lists_get_visible_to(viewer=by_id, user_id=private.pk) == private
    assert user_lists_get_visible_to(viewer=AnonymousUser(), user_id=public.pk) == public
    with pytest.raises(NotAllowed) as refused:
        user_lists_get_visible_to(viewer=AnonymousUser(), user_id=private.pk)
    assert refused.value.code == "private_account"
