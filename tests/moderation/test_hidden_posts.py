"""A hidden post is gone from every read path for normal users; unhiding restores it."""

import pytest

from moderation import services
from moderation.models import AuditRecord, Report
from relationships import services as rel
from tests.moderation.conftest import client_for
from tweets import services as posts

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(alice, bob, django_capture_on_commit_callbacks):
    """bob posts; alice follows bob, likes, retweets and bookmarks the post; bob replies."""
    with django_capture_on_commit_callbacks(execute=True):
        rel.follow_create(follower=alice, followee_id=bob.pk)
        post = posts.post_create(author=bob, text="borderline")
        posts.post_create(author=bob, text="a reply", reply_to_id=post.pk)
        posts.like_create(user=alice, post_id=post.pk)
        posts.bookmark_create(user=alice, post_id=post.pk)
        posts.post_edit(user=bob, post_id=post.pk, text="borderline, edited")
    return post


def listed_ids(client, url: str) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200, (url, response.content)
    body = response.json()
    rows = body["results"] if "results" in body else body["recent_posts"]
    return {row["post"]["id"] if "post" in row else row["id"] for row in rows}


def reads(post) -> tuple[list[str], list[str]]:
    detail = [
        f"/api/v1/posts/{post.pk}",
        f"/api/v1/posts/{post.pk}/history",
        f"/api/v1/posts/{post.pk}/comments",
        f"/api/v1/posts/{post.pk}/context",
        f"/api/v1/posts/{post.pk}/liked-by",
        f"/api/v1/posts/{post.pk}/retweeted-by",
    ]
    lists = [
        "/api/v1/feed",
        "/api/v1/bookmarks",
        f"/api/v1/users/{post.author_id}/posts",
        f"/api/v1/users/{post.author_id}/profile",
        f"/api/v1/users/{post.author_id}/likes",
    ]
    return detail, lists


def test_hidden_is_404_everywhere_and_unhide_restores(
    world, alice, bob, moderator, django_capture_on_commit_callbacks
):
    client = client_for(alice)
    detail, lists = reads(world)
    for url in detail:
        assert client.get(url).status_code == 200, url
    assert str(world.pk) in listed_ids(client, "/api/v1/feed")
    Report.objects.create(
        reporter=alice, target_type="post", target_id=world.pk, post=world, target_user=bob,
        reason="abuse",
    )  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):
        assert services.post_hide(moderator=moderator, post=world, reason="rule 3")
    for viewer in (client, client_for(bob)):  # everyone, the author included
        for url in detail:
            response = viewer.get(url)
            assert response.status_code == 404, url
            assert response.json()["errors"][0]["code"] == "not_found"
    for url in lists:
        assert str(world.pk) not in listed_ids(client, url), url
    assert Report.objects.get().state == "resolved"  # hiding resolves its reports
    assert AuditRecord.objects.get().action == "post.hide"

    with django_capture_on_commit_callbacks(execute=True):
        assert services.post_unhide(moderator=moderator, post=world, reason="appeal")
    for url in detail:
        assert client.get(url).status_code == 200, url
    assert str(world.pk) in listed_ids(client, "/api/v1/feed")
    assert str(world.pk) in listed_ids(client, "/api/v1/bookmarks")


def test_hiding_twice_is_one_action_and_needs_the_permission(world, moderator, alice):
    assert services.post_hide(moderator=moderator, post=world, reason="r")
    assert not services.post_hide(moderator=moderator, post=world, reason="r")
    assert AuditRecord.objects.count() == 1
    from core.errors import NotAllowed

    with pytest.raises(NotAllowed):
        services.post_hide(moderator=alice, post=world, reason="not a moderator")


def test_subscribers_are_told_a_hidden_post_is_gone(world, moderator):
    from tweets.models import Post
    from tweets.rendering import render_post_update

    services.post_hide(moderator=moderator, post=world, reason="r")
    hidden = Post.objects.get(pk=world.pk)
    assert render_post_update(post_id=world.pk, post=hidden) == {
        "id": str(world.pk),
        "deleted": True,
    }
