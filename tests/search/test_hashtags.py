"""Hashtag rows and links from post events, their rendering, and /hashtags/{tag}/posts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.events import Delivered
from relationships import services as relationships
from search import handlers
from search.models import Hashtag, PostHashtag
from tests.factories import PostFactory, UserFactory
from tests.search.conftest import client_for, results
from tweets import services as tweets
from tweets.events import PostCreated

pytestmark = pytest.mark.django_db


def links(post) -> set[str]:
    return set(PostHashtag.objects.filter(post_id=post.id).values_list("hashtag__name", flat=True))


def test_create_edit_delete_keep_the_links(alice, delivered):
    with delivered():
        post = tweets.post_create(author=alice, text="Hello #World and #café")
    assert links(post) == {"world", "café"}
    with delivered():
        tweets.post_edit(user=alice, post_id=post.id, text="Now #café and #new")
    assert links(post) == {"café", "new"}
    assert set(Hashtag.objects.values_list("name", flat=True)) == {"world", "café", "new"}
    with delivered():
        tweets.post_delete(user=alice, post_id=post.id)
    assert links(post) == set()


def test_a_redelivered_event_adds_nothing(alice):
    post = PostFactory(author=alice, text="#once #once #ONCE")
    event = PostCreated(
        post_id=post.id,
        author_id=alice.pk,
        reply_to_id=None,
        quote_of_id=None,
        conversation_id=post.id,
    )
    batch = [Delivered(id=1, created_at=timezone.now(), event=event)]
    handlers.index_hashtags(batch)
    handlers.index_hashtags(batch + batch)
    assert PostHashtag.objects.filter(post_id=post.id).count() == 1
    assert Hashtag.objects.filter(name="once").count() == 1


def test_posts_render_hashtag_entities(alice):
    post = PostFactory(author=alice, text="Go #Café go https://x.org/#frag")
    body = client_for(alice).get(f"/api/v1/posts/{post.id}").json()
    assert body["hashtags"] == [{"tag": "café", "start": 3, "end": 8}]


def test_hashtag_posts_newest_first_visible_only_and_paginated(alice, bob, carol, delivered):
    with delivered():
        relationships.block_create(blocker=carol, blocked_id=alice.pk)
        mine = [tweets.post_create(author=bob, text=f"#Tag number {i}") for i in range(3)]
        tweets.post_create(author=carol, text="#tag from someone who blocks alice")
        gone = tweets.post_create(author=bob, text="#tag deleted")
        tweets.post_delete(user=bob, post_id=gone.id)
        secret = UserFactory(is_private=True)
        tweets.post_create(author=secret, text="#tag private")
    client = client_for(alice)
    first = client.get("/api/v1/hashtags/TAG/posts?limit=2").json()
    assert [p["id"] for p in first["results"]] == [str(mine[2].id), str(mine[1].id)]
    second = client.get(first["next"]).json()
    assert [p["id"] for p in second["results"]] == [str(mine[0].id)]
    assert second["next"] is None
    assert results(client.get("/api/v1/hashtags/nothing/posts")) == []


def test_hashtag_posts_query_count_does_not_grow(alice):
    def count(n: int) -> int:
        tag = f"count{n}"
        for _ in range(n):
            post = PostFactory(text=f"#{tag}", quote_of=PostFactory())
            tag_row, _ = Hashtag.objects.get_or_create(name=tag)
            PostHashtag.objects.create(
                post=post, hashtag=tag_row, author=post.author, created_at=post.created_at
            )
        with CaptureQueriesContext(connection) as queries:
            assert len(results(client_for(alice).get(f"/api/v1/hashtags/{tag}/posts"))) == n
        return len(queries)

    assert count(2) == count(12)
