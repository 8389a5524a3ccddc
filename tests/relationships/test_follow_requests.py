"""Private accounts: request → approve/reject, and who sees what afterwards."""

import pytest
from django.utils import timezone

from accounts.models import User
from relationships.models import Follow, FollowRequest
from relationships.visibility import author_visibility_q
from tests.factories import FollowRequestFactory, PostFactory, UserFactory
from tests.relationships.helpers import assert_error, client_for, counters, events

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/follow-requests"


def approve_url(request_id) -> str:
    return f"/api/v1/follow-requests/{request_id}/approve"


def reject_url(request_id) -> str:
    return f"/api/v1/follow-requests/{request_id}/reject"


@pytest.fixture
def carol():
    return UserFactory(username="carol", is_private=True)


@pytest.fixture
def dave():
    return UserFactory(username="dave")


def sees_content(viewer, author) -> bool:
    """The one rule (relationships.visibility), as every read path applies it."""
    return (
        User.objects.filter(pk=author.pk)
        .filter(author_visibility_q(viewer=viewer, author_field="pk"))
        .exists()
    )


def request_follow(requester, target) -> int:
    response = client_for(requester).post(f"/api/v1/users/{target.pk}/follow")
    assert response.status_code == 201, response.json()
    return FollowRequest.objects.get(requester=requester, target=target).pk


def post_reads(viewer, post) -> tuple[int, list[str] | int]:
    """What `viewer` gets from the post's detail, and the ids on the author's timeline
    (its status when refused: a private account's timeline is a 403 to non-followers)."""
    client = client_for(viewer)
    detail = client.get(f"/api/v1/posts/{post.pk}").status_code
    timeline = client.get(f"/api/v1/users/{post.author_id}/posts")
    if timeline.status_code != 200:
        return detail, timeline.status_code
    return detail, [entry["post"]["id"] for entry in timeline.json()["results"]]


def test_request_approve_then_follower_sees_posts_and_lists(carol, dave):
    post = PostFactory(author=carol)
    assert not sees_content(dave, carol)
    assert post_reads(dave, post) == (404, 403)
    request_id = request_follow(dave, carol)
    assert post_reads(dave, post) == (404, 403)  # a pending request shows nothing

    listed = client_for(carol).get(LIST_URL).json()["results"]
    assert [(r["id"], r["requester"]["username"]) for r in listed] == [(str(request_id), "dave")]

    assert client_for(carol).post(approve_url(request_id)).status_code == 204

    assert Follow.objects.filter(follower=dave, followee=carol).exists()
    assert not FollowRequest.objects.exists()
    assert counters(carol) == (1, 0)
    assert counters(dave) == (0, 1)
    assert events("follow.approved") == [
        {"request_id": request_id, "follower_id": dave.pk, "followee_id": carol.pk}
    ]
    assert sees_content(dave, carol)
    assert post_reads(dave, post) == (200, [str(post.pk)])
    relationship = client_for(dave).get(f"/api/v1/users/{carol.pk}/relationship").json()
    assert (relationship["following"], relationship["requested"]) == (True, False)
    followers = client_for(dave).get(f"/api/v1/users/{carol.pk}/followers")
    assert followers.status_code == 200
    assert [r["user"]["id"] for r in followers.json()["results"]] == [str(dave.pk)]


def test_request_reject_leaves_nothing_visible(carol, dave):
    post = PostFactory(author=carol)
    request_id = request_follow(dave, carol)

    assert client_for(carol).post(reject_url(request_id)).status_code == 204

    assert not Follow.objects.exists()
    assert not FollowRequest.objects.exists()
    assert counters(carol) == (0, 0)
    assert events("follow.approved") == []
    assert not sees_content(dave, carol)
    assert post_reads(dave, post) == (404, 403)
    assert post_reads(carol, post) == (200, [str(post.pk)])
    assert_error(client_for(dave).get(f"/api/v1/users/{carol.pk}/followers"), 403)
    assert client_for(carol).get(LIST_URL).json()["results"] == []


@pytest.mark.parametrize("url", [approve_url, reject_url])
def test_only_the_target_may_answer_a_request(carol, dave, url):
    request_id = request_follow(dave, carol)
    stranger = UserFactory()
    for someone in (stranger, dave):
        assert_error(client_for(someone).post(url(request_id)), 404)
    assert FollowRequest.objects.filter(pk=request_id).exists()


@pytest.mark.parametrize("url", [approve_url, reject_url])
def test_answering_an_unknown_or_answered_request_is_404(carol, dave, url):
    assert_error(client_for(carol).post(url(999999)), 404)
    assert_error(client_for(carol).post(url(2**64)), 404)
    request_id = request_follow(dave, carol)
    assert client_for(carol).post(url(request_id)).status_code == 204
    assert_error(client_for(carol).post(url(request_id)), 404)


def test_requests_from_deactivated_accounts_are_hidden_and_cannot_be_approved(carol):
    request = FollowRequestFactory(target=carol)
    request.requester.deactivated_at = timezone.now()
    request.requester.save(update_fields=["deactivated_at"])

    assert client_for(carol).get(LIST_URL).json()["results"] == []
    assert_error(client_for(carol).post(approve_url(request.pk)), 404)
    assert not Follow.objects.exists()


def test_request_list_is_newest_first_and_paginated(carol):
    requests = [FollowRequestFactory(target=carol) for _ in range(3)]
    FollowRequestFactory()  # to someone else: not listed
    client = client_for(carol)

    first = client.get(LIST_URL, {"limit": 2}).json()
    second = client.get(first["next"]).json()
    ids = [r["id"] for r in first["results"] + second["results"]]
    assert ids == [str(r.pk) for r in reversed(requests)]
    assert second["next"] is None


def test_request_list_query_count_does_not_grow_with_page_size(carol, django_assert_num_queries):
    for _ in range(12):
        FollowRequestFactory(target=carol)
    client = client_for(carol)
    with django_assert_num_queries(1):
        assert len(client.get(LIST_URL, {"limit": 2}).json()["results"]) == 2
    with django_assert_num_queries(1):
        assert len(client.get(LIST_URL, {"limit": 12}).json()["results"]) == 12


def test_request_list_needs_authentication(api_client):
    assert_error(api_client.get(LIST_URL), 401)
