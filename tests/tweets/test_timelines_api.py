"""A user's posts as timeline entries, the profile with recent posts, keyset cursors."""

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.schemas import ProfileSerializer
from tests.factories import PostFactory, RetweetFactory, UserFactory
from tweets.models import Post

pytestmark = pytest.mark.django_db


def test_user_posts_merge_posts_and_retweets_newest_first(alice, bob, bob_client):
    first = PostFactory(author=alice)
    someone_elses = PostFactory(author=bob)
    retweet = RetweetFactory(user=alice, post=someone_elses)
    reply = PostFactory(author=alice, reply_to=someone_elses)
    last = PostFactory(author=alice, quote_of=someone_elses)
    PostFactory(author=bob)  # not alice's

    body = bob_client.get(f"/api/v1/users/{alice.id}/posts").json()
    entries = body["results"]
    assert [(e["type"], e["id"]) for e in entries] == [
        ("post", str(last.id)),
        ("retweet", str(retweet.id)),
        ("post", str(first.id)),
    ]
    assert set(entries[0]) == {"id", "type", "created_at", "retweeted_by", "post"}
    assert entries[0]["retweeted_by"] is None
    assert entries[0]["post"]["id"] == str(last.id)
    assert entries[0]["post"]["quote_of"]["id"] == str(someone_elses.id)
    assert entries[1]["retweeted_by"]["username"] == "alice"
    assert entries[1]["post"]["id"] == str(someone_elses.id)
    assert entries[1]["post"]["author"]["username"] == "bob"
    assert body["next"] is None
    assert body["previous"] is None

    with_replies = bob_client.get(f"/api/v1/users/{alice.id}/posts?include_replies=true").json()
    assert str(reply.id) in [e["id"] for e in with_replies["results"]]


def test_user_posts_leave_out_deleted_posts_and_retweets_of_them(alice, bob_client):
    kept = PostFactory(author=alice)
    PostFactory(author=alice, deleted_at=timezone.now())
    RetweetFactory(user=alice, post=PostFactory(deleted_at=timezone.now()))
    hidden_author = UserFactory()
    RetweetFactory(user=alice, post=PostFactory(author=hidden_author))
    User.objects.filter(pk=hidden_author.pk).update(is_active=False)
    body = bob_client.get(f"/api/v1/users/{alice.id}/posts").json()
    assert [e["id"] for e in body["results"]] == [str(kept.id)]


def test_user_posts_cursor_walks_forward_and_back_without_gaps(alice, bob_client):
    made = []
    for i in range(7):
        post = PostFactory(author=alice)
        made.append(post.id)
        if i % 2:
            made.append(RetweetFactory(user=alice, post=PostFactory()).id)
    expected = [str(i) for i in sorted(made, reverse=True)]

    pages, url = [], f"/api/v1/users/{alice.id}/posts?limit=3"
    while url:
        page = bob_client.get(url).json()
        pages.append(page)
        url = page["next"]
    assert [e["id"] for page in pages for e in page["results"]] == expected
    assert [len(page["results"]) for page in pages] == [3, 3, 3, 1]
    assert pages[0]["previous"] is None

    back = bob_client.get(pages[2]["previous"]).json()
    assert [e["id"] for e in back["results"]] == [e["id"] for e in pages[1]["results"]]
    back = bob_client.get(back["previous"]).json()
    assert [e["id"] for e in back["results"]] == [e["id"] for e in pages[0]["results"]]
    assert back["previous"] is None


def test_user_posts_of_unknown_or_suspended_user_is_404(alice, bob_client):
    assert bob_client.get("/api/v1/users/4242/posts").status_code == 404
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert bob_client.get(f"/api/v1/users/{alice.id}/posts").status_code == 404


@pytest.mark.parametrize(
    "query", ["cursor=%%%", "cursor=Yi0x", "cursor=eDEyMw", "limit=0", "limit=x"]
)
def test_bad_cursor_or_limit_is_400(alice, bob_client, query):
    response = bob_client.get(f"/api/v1/users/{alice.id}/posts?{query}")
    assert response.status_code == 400, response.json()
    assert response.json()["errors"][0]["attr"] in {"cursor", "limit"}


def test_limit_above_the_maximum_is_refused(alice, bob_client):
    """It was clamped silently; the schema says 1 to 100 (issue 14)."""
    for _ in range(3):
        PostFactory(author=alice)
    assert bob_client.get(f"/api/v1/users/{alice.id}/posts?limit=1000").status_code == 400
    assert len(bob_client.get(f"/api/v1/users/{alice.id}/posts?limit=100").json()["results"]) == 3


def test_profile_is_the_accounts_profile_plus_recent_posts(alice, bob_client):
    posts = [PostFactory(author=alice) for _ in range(7)]
    PostFactory(author=alice, reply_to=posts[0])  # replies are not "recent posts"
    PostFactory(author=alice, deleted_at=timezone.now())

    response = bob_client.get(f"/api/v1/users/{alice.id}/profile")
    assert response.status_code == 200
    body = response.json()
    expected = ProfileSerializer(alice).data
    assert {k: body[k] for k in expected} == dict(expected)
    assert set(body) == {*expected, "recent_posts"}
    assert [p["id"] for p in body["recent_posts"]] == [str(p.id) for p in posts[::-1][:5]]
    assert body["recent_posts"][0]["author"]["username"] == "alice"


def test_profile_of_deactivated_user_is_404(alice, bob_client):
    User.objects.filter(pk=alice.pk).update(deactivated_at=timezone.now())
    assert bob_client.get(f"/api/v1/users/{alice.id}/profile").status_code == 404
    assert bob_client.get(f"/api/v1/users/{2**64}/profile").status_code == 404


def test_profile_posts_count_follows_creates_and_deletes(alice, alice_client, bob_client):
    ids = [alice_client.post("/api/v1/posts", {"text": f"p{i}"}).json()["id"] for i in range(3)]
    alice_client.delete(f"/api/v1/posts/{ids[0]}")
    body = bob_client.get(f"/api/v1/users/{alice.id}/profile").json()
    assert body["posts_count"] == 2
    assert Post.objects.filter(author=alice).count() == 3


def test_include_replies_is_a_boolean_or_a_400(bob_client, alice):
    from tests.accounts.helpers import assert_error

    for value in ("true", "1", "yes", "false", "0", "no"):
        url = f"/api/v1/users/{alice.id}/posts?include_replies={value}"
        assert bob_client.get(url).status_code == 200, value
    response = bob_client.get(f"/api/v1/users/{alice.id}/posts?include_replies=maybe")
    assert_error(response, 400, attr="include_replies")
