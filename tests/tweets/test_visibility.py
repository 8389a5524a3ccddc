"""Every read and write path goes through the one visibility rule.

The relationship rules (blocks, private accounts) arrive through
`relationships.visibility`; here they are replaced by a rule hiding one author
from one viewer, and every endpoint must honour it.
"""

import pytest
from django.db.models import Q

from tests.factories import BlockFactory, LikeFactory, PostFactory, RetweetFactory, UserFactory
from tests.tweets.conftest import client_for
from tweets import models
from tweets.models import Like, Post, Retweet

pytestmark = pytest.mark.django_db


@pytest.fixture
def hidden(monkeypatch, alice, bob):
    """Bob may not see alice (as a block between them would make it)."""

    def rule(*, viewer, author_field="author", probe=False):
        if viewer is not None and viewer.pk == bob.pk:
            return ~Q(**{author_field: alice.pk})
        return Q()

    monkeypatch.setattr(models, "author_visibility_q", rule)
    return alice


def test_every_read_path_hides_what_the_rule_hides(hidden, alice, bob, bob_client):
    carol = UserFactory()
    post = PostFactory(author=alice)
    reply_by_alice = PostFactory(author=alice, reply_to=PostFactory(author=carol))
    carols_root = reply_by_alice.reply_to
    carols_reply = PostFactory(author=carol, reply_to=post, quote_of=post)
    LikeFactory(user=alice, post=carols_root)
    RetweetFactory(user=alice, post=carols_root)
    LikeFactory(user=bob, post=post)
    RetweetFactory(user=carol, post=post)

    def ids(url, key="results"):
        return {item["id"] for item in bob_client.get(url).json()[key]}

    assert bob_client.get(f"/api/v1/posts/{post.id}").status_code == 404
    for path in ("comments", "context", "history", "liked-by", "retweeted-by"):
        assert bob_client.get(f"/api/v1/posts/{post.id}/{path}").status_code == 404
    assert ids(f"/api/v1/posts/{carols_root.id}/comments") == set()
    assert ids(f"/api/v1/posts/{carols_root.id}/liked-by") == set()
    assert ids(f"/api/v1/posts/{carols_root.id}/retweeted-by") == set()
    assert ids(f"/api/v1/users/{alice.id}/posts?include_replies=1") == set()
    assert bob_client.get(f"/api/v1/users/{alice.id}/profile").json()["recent_posts"] == []
    assert ids(f"/api/v1/users/{bob.id}/likes") == set()
    # carol's own post shows, her retweet of alice's post does not
    assert ids(f"/api/v1/users/{carol.id}/posts") == {str(carols_root.id)}
    thread = bob_client.get(f"/api/v1/posts/{carols_root.id}/context").json()
    assert thread["descendants"] == []
    reply = bob_client.get(f"/api/v1/posts/{carols_reply.id}").json()
    assert reply["reply_to"]["available"] is False
    assert reply["quote_of"]["available"] is False

    # Carol still sees everything.
    carol_client = client_for(carol)
    assert carol_client.get(f"/api/v1/posts/{post.id}").status_code == 200
    assert len(carol_client.get(f"/api/v1/posts/{post.id}/liked-by").json()["results"]) == 1


def test_every_write_path_answers_404_for_a_hidden_post(hidden, alice, bob, bob_client):
    post = PostFactory(author=alice)
    for action in ("like", "retweet", "bookmark"):
        assert bob_client.post(f"/api/v1/posts/{post.id}/{action}").status_code == 404
    assert bob_client.post(f"/api/v1/posts/{post.id}/comment", {"text": "x"}).status_code == 404
    for field in ("reply_to", "quote_of"):
        response = bob_client.post("/api/v1/posts", {"text": "x", field: str(post.id)})
        assert response.status_code == 404
    assert bob_client.patch(f"/api/v1/posts/{post.id}", {"text": "x"}).status_code == 404
    assert bob_client.delete(f"/api/v1/posts/{post.id}").status_code == 404
    assert Post.objects.count() == 1
    assert not Like.objects.exists()
    assert not Retweet.objects.exists()


def test_write_services_refuse_blocked_pairs(alice, bob):
    """The one visibility rule hides a blocker's post from the blocked user, so
    every write on it is a 404 (no separate block check in the services)."""
    post = PostFactory(author=alice)
    BlockFactory(blocker=alice, blocked=bob)
    bob_client = client_for(bob)
    for action in ("like", "retweet", "bookmark"):
        assert bob_client.post(f"/api/v1/posts/{post.id}/{action}").status_code == 404
    assert bob_client.post(f"/api/v1/posts/{post.id}/comment", {"text": "x"}).status_code == 404
    assert (
        bob_client.post("/api/v1/posts", {"text": "q", "quote_of": str(post.id)}).status_code == 404
    )
    # The author herself is never blocked from her own post.
    assert client_for(alice).post(f"/api/v1/posts/{post.id}/like").status_code == 201
