"""Likes, retweets and bookmarks: idempotent set/unset, counters, events, lists."""

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import User
from core.models import OutboxEvent
from tests.factories import BookmarkFactory, LikeFactory, PostFactory, UserFactory
from tests.tweets.conftest import client_for
from tweets import services
from tweets.models import Bookmark, Like, Post, Retweet

pytestmark = pytest.mark.django_db


def events(name: str) -> list[dict]:
    return [e.payload for e in OutboxEvent.objects.filter(name=name).order_by("id")]


# --- like --------------------------------------------------------------------


def test_like_is_201_then_200_and_counts_once(alice, bob, bob_client):
    post = PostFactory(author=alice)
    first = bob_client.post(f"/api/v1/posts/{post.id}/like")
    second = bob_client.post(f"/api/v1/posts/{post.id}/like")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["liked"] is True
    assert first.json()["like_count"] == second.json()["like_count"] == 1
    post.refresh_from_db()
    assert post.like_count == 1
    assert Like.objects.filter(post=post).count() == 1
    like = Like.objects.get()
    assert events("post.liked") == [
        {"like_id": like.id, "post_id": post.id, "user_id": bob.id, "author_id": alice.id}
    ]


def test_unlike_is_204_whether_or_not_liked_and_counts_once(alice, bob, bob_client):
    post = PostFactory(author=alice)
    bob_client.post(f"/api/v1/posts/{post.id}/like")
    assert bob_client.delete(f"/api/v1/posts/{post.id}/like").status_code == 204
    assert bob_client.delete(f"/api/v1/posts/{post.id}/like").status_code == 204
    post.refresh_from_db()
    assert post.like_count == 0
    assert not Like.objects.exists()
    assert events("post.unliked") == [
        {"post_id": post.id, "user_id": bob.id, "author_id": alice.id}
    ]
    assert bob_client.get(f"/api/v1/posts/{post.id}").json()["liked"] is False


@pytest.mark.parametrize("action", ["like", "retweet", "bookmark"])
@pytest.mark.parametrize("method", ["post", "delete"])
def test_interacting_with_a_deleted_or_missing_post_is_404(bob_client, action, method):
    deleted = PostFactory(deleted_at=timezone.now())
    call = getattr(bob_client, method)
    assert call(f"/api/v1/posts/{deleted.id}/{action}").status_code == 404
    assert call(f"/api/v1/posts/424242/{action}").status_code == 404
    assert not Like.objects.exists()
    assert not Retweet.objects.exists()
    assert not Bookmark.objects.exists()


@pytest.mark.parametrize("action", ["like", "retweet", "bookmark"])
def test_interactions_need_authentication(api_client, action):
    post = PostFactory()
    assert api_client.post(f"/api/v1/posts/{post.id}/{action}").status_code == 401


# --- retweet -----------------------------------------------------------------


def test_retweet_returns_the_timeline_entry_and_counts_once(alice, bob, bob_client):
    post = PostFactory(author=alice)
    first = bob_client.post(f"/api/v1/posts/{post.id}/retweet")
    second = bob_client.post(f"/api/v1/posts/{post.id}/retweet")
    assert (first.status_code, second.status_code) == (201, 200)
    entry = first.json()
    assert set(entry) == {"id", "type", "created_at", "retweeted_by", "post"}
    assert entry["type"] == "retweet"
    assert entry["retweeted_by"]["id"] == str(bob.id)
    assert entry["post"]["id"] == str(post.id)
    assert entry["post"]["retweeted"] is True
    assert entry["post"]["retweet_count"] == 1
    assert second.json()["id"] == entry["id"]

    retweet = Retweet.objects.get()
    assert str(retweet.id) == entry["id"]
    assert retweet.id != post.id
    post.refresh_from_db()
    assert post.retweet_count == 1
    assert events("retweet.created") == [
        {"retweet_id": retweet.id, "post_id": post.id, "user_id": bob.id, "author_id": alice.id}
    ]


def test_retweeting_a_retweet_retweets_the_original(alice, bob, bob_client):
    original = PostFactory(author=alice)
    carol = UserFactory()
    carols = client_for(carol).post(f"/api/v1/posts/{original.id}/retweet").json()
    response = bob_client.post(f"/api/v1/posts/{carols['id']}/retweet")
    assert response.status_code == 201
    assert response.json()["post"]["id"] == str(original.id)
    assert set(Retweet.objects.values_list("post_id", flat=True)) == {original.id}
    original.refresh_from_db()
    assert original.retweet_count == 2
    # and undoing it through the retweet id undoes bob's retweet of the original
    assert bob_client.delete(f"/api/v1/posts/{carols['id']}/retweet").status_code == 204
    assert list(Retweet.objects.values_list("user_id", flat=True)) == [carol.id]


def test_unretweet_is_204_whether_or_not_retweeted(alice, bob, bob_client):
    post = PostFactory(author=alice)
    retweet_id = bob_client.post(f"/api/v1/posts/{post.id}/retweet").json()["id"]
    assert bob_client.delete(f"/api/v1/posts/{post.id}/retweet").status_code == 204
    assert bob_client.delete(f"/api/v1/posts/{post.id}/retweet").status_code == 204
    post.refresh_from_db()
    assert post.retweet_count == 0
    assert events("retweet.deleted") == [
        {
            "retweet_id": int(retweet_id),
            "post_id": post.id,
            "user_id": bob.id,
            "author_id": alice.id,
        }
    ]


def test_cannot_retweet_a_deleted_post(alice, alice_client, bob_client):
    post_id = alice_client.post("/api/v1/posts", {"text": "soon gone"}).json()["id"]
    alice_client.delete(f"/api/v1/posts/{post_id}")
    assert bob_client.post(f"/api/v1/posts/{post_id}/retweet").status_code == 404
    assert not Retweet.objects.exists()


# --- bookmark ------------------------------------------------------------------


def test_bookmark_set_and_unset(alice, bob_client):
    post = PostFactory(author=alice)
    first = bob_client.post(f"/api/v1/posts/{post.id}/bookmark")
    second = bob_client.post(f"/api/v1/posts/{post.id}/bookmark")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["bookmarked"] is True
    assert Bookmark.objects.count() == 1
    assert bob_client.delete(f"/api/v1/posts/{post.id}/bookmark").status_code == 204
    assert bob_client.delete(f"/api/v1/posts/{post.id}/bookmark").status_code == 204
    assert not Bookmark.objects.exists()


def test_bookmarks_list_is_the_callers_own_newest_first(alice, bob, bob_client):
    posts = [PostFactory(author=alice) for _ in range(3)]
    for post in posts:
        bob_client.post(f"/api/v1/posts/{post.id}/bookmark")
    BookmarkFactory(user=alice, post=PostFactory())  # alice's, never shown to bob
    posts[1].deleted_at = timezone.now()
    posts[1].save(update_fields=["deleted_at"])

    body = bob_client.get("/api/v1/bookmarks").json()
    assert [p["id"] for p in body["results"]] == [str(posts[2].id), str(posts[0].id)]
    assert all(p["bookmarked"] for p in body["results"])


def test_bookmarks_show_when_each_post_was_bookmarked_newest_bookmark_first(alice, bob_client):
    older_post, newer_post = PostFactory(author=alice), PostFactory(author=alice)
    for post in (newer_post, older_post):  # bookmark order, not post order, decides
        bob_client.post(f"/api/v1/posts/{post.id}/bookmark")

    results = bob_client.get("/api/v1/bookmarks").json()["results"]
    assert [p["id"] for p in results] == [str(older_post.id), str(newer_post.id)]
    bookmarked_at = {
        str(b.post_id): b.created_at for b in Bookmark.objects.filter(user__username="bob")
    }
    assert [parse_datetime(p["bookmarked_at"]) for p in results] == [
        bookmarked_at[p["id"]] for p in results
    ]
    assert parse_datetime(results[0]["bookmarked_at"]) > parse_datetime(results[1]["bookmarked_at"])
    # The post itself is the posts API's shape; bookmarked_at is the only addition.
    detail = bob_client.get(f"/api/v1/posts/{older_post.id}").json()
    assert {k: v for k, v in results[0].items() if k != "bookmarked_at"} == detail


def test_another_users_bookmarks_are_never_visible(alice, bob, alice_client, bob_client):
    post = PostFactory(author=bob)
    alice_client.post(f"/api/v1/posts/{post.id}/bookmark")
    alice_client.post("/api/v1/posts", {"text": "q", "quote_of": str(post.id)})

    assert bob_client.get("/api/v1/bookmarks").json()["results"] == []
    for url in [
        f"/api/v1/posts/{post.id}",
        f"/api/v1/posts/{post.id}/context",
    ]:
        assert '"bookmarked":true' not in bob_client.get(url).content.decode().replace(" ", "")
    bob_view = bob_client.get(f"/api/v1/users/{bob.id}/posts").json()["results"]
    assert [entry["post"]["bookmarked"] for entry in bob_view] == [False]
    alice_view = bob_client.get(f"/api/v1/users/{alice.id}/posts").json()["results"]
    assert alice_view[0]["post"]["quote_of"]["id"] == str(post.id)
    assert "bookmark" not in str(alice_view[0]["post"]["quote_of"])
    assert bob_client.get(f"/api/v1/users/{alice.id}/bookmarks").status_code == 404
    assert "bookmark" not in bob_client.get(f"/api/v1/users/{alice.id}/profile").json()
    assert bob_client.get(f"/api/v1/posts/{post.id}").json()["bookmarked"] is False
    assert alice_client.get(f"/api/v1/posts/{post.id}").json()["bookmarked"] is True


# --- who liked, who retweeted, what a user liked --------------------------------


def test_liked_by_lists_visible_likers_newest_first(alice, bob_client):
    post = PostFactory(author=alice)
    first, second, gone = UserFactory(), UserFactory(), UserFactory()
    for user in (first, second, gone):
        services.like_create(user=user, post_id=post.id)
    User.objects.filter(pk=gone.pk).update(is_active=False)

    body = bob_client.get(f"/api/v1/posts/{post.id}/liked-by").json()
    assert [row["user"]["id"] for row in body["results"]] == [str(second.id), str(first.id)]
    # A list of users: the same rows as followers, the user and when they liked it.
    row = body["results"][0]
    assert set(row) == {"user", "created_at"}
    assert set(row["user"]) == {"id", "username", "display_name", "avatar", "is_private"}
    liked_at = Like.objects.get(post=post, user=second).created_at
    assert parse_datetime(row["created_at"]) == liked_at


def test_retweeted_by_lists_visible_retweeters_newest_first(alice, bob_client):
    post = PostFactory(author=alice)
    first, second, gone = UserFactory(), UserFactory(), UserFactory()
    for user in (first, second, gone):
        services.retweet_create(user=user, post_id=post.id)
    User.objects.filter(pk=gone.pk).update(deactivated_at=timezone.now())

    body = bob_client.get(f"/api/v1/posts/{post.id}/retweeted-by").json()
    assert [row["user"]["id"] for row in body["results"]] == [str(second.id), str(first.id)]
    retweeted_at = Retweet.objects.get(post=post, user=second).created_at
    assert parse_datetime(body["results"][0]["created_at"]) == retweeted_at


@pytest.mark.parametrize("path", ["liked-by", "retweeted-by"])
def test_who_liked_or_retweeted_a_hidden_post_is_404(bob_client, path):
    post = PostFactory(deleted_at=timezone.now())
    LikeFactory(post=post)
    assert bob_client.get(f"/api/v1/posts/{post.id}/{path}").status_code == 404


def test_user_likes_are_public_newest_like_first_visible_posts_only(alice, bob_client):
    older, newer, hidden = PostFactory(), PostFactory(), PostFactory()
    for post in (newer, older, hidden):  # like order, not post order, decides
        LikeFactory(user=alice, post=post)
    Post.objects.filter(pk=hidden.pk).update(deleted_at=timezone.now())
    LikeFactory(post=older)  # someone else's like

    body = bob_client.get(f"/api/v1/users/{alice.id}/likes").json()
    assert [p["id"] for p in body["results"]] == [str(older.id), str(newer.id)]
    assert [p["liked"] for p in body["results"]] == [False, False]  # bob's flags


def test_user_likes_of_unknown_or_deactivated_user_is_404(alice, bob_client):
    assert bob_client.get("/api/v1/users/999999/likes").status_code == 404
    User.objects.filter(pk=alice.pk).update(deactivated_at=timezone.now())
    assert bob_client.get(f"/api/v1/users/{alice.id}/likes").status_code == 404


def test_viewer_flags_are_the_viewers_own(alice, bob, alice_client, bob_client):
    post = PostFactory()
    alice_client.post(f"/api/v1/posts/{post.id}/like")
    alice_client.post(f"/api/v1/posts/{post.id}/retweet")
    alice_client.post(f"/api/v1/posts/{post.id}/bookmark")
    mine = alice_client.get(f"/api/v1/posts/{post.id}").json()
    theirs = bob_client.get(f"/api/v1/posts/{post.id}").json()
    assert (mine["liked"], mine["retweeted"], mine["bookmarked"]) == (True, True, True)
    assert (theirs["liked"], theirs["retweeted"], theirs["bookmarked"]) == (False, False, False)
    assert theirs["like_count"] == theirs["retweet_count"] == 1


def test_retweet_rows_of_a_deleted_post_leave_every_list(alice, bob, alice_client, bob_client):
    post_id = alice_client.post("/api/v1/posts", {"text": "x"}).json()["id"]
    bob_client.post(f"/api/v1/posts/{post_id}/retweet")
    bob_client.post(f"/api/v1/posts/{post_id}/like")
    bob_client.post(f"/api/v1/posts/{post_id}/bookmark")
    alice_client.delete(f"/api/v1/posts/{post_id}")

    assert bob_client.get(f"/api/v1/users/{bob.id}/posts").json()["results"] == []
    assert bob_client.get(f"/api/v1/users/{bob.id}/likes").json()["results"] == []
    assert bob_client.get("/api/v1/bookmarks").json()["results"] == []
