"""Post search on PostgreSQL's full-text index: syntax, ranking, operators, visibility."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from relationships import services as relationships
from search.query import parse_post_query
from tests.factories import FollowFactory, PostFactory, UserFactory
from tests.search.conftest import client_for, results, texts
from tweets import services as tweets
from tweets.models import Post
from tweets.textsearch import text_search_q

pytestmark = pytest.mark.django_db


def search(client, q: str, **params) -> list[str]:
    return texts(client.get("/api/v1/search/posts", {"q": q, **params}))


def test_uses_the_full_text_index():
    assert connection.vendor == "postgresql"  # the tests below test the index, not icontains
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'post_search_vector_gin'")
        assert "gin (search_vector)" in cursor.fetchone()[0]


def test_stemming_phrase_exclusion_and_or(alice):
    PostFactory(text="I went running in the park")
    PostFactory(text="The runners run a park run")
    PostFactory(text="A quiet park bench")
    PostFactory(text="Bench pressing at the gym")
    client = client_for(alice)
    assert sorted(search(client, "run")) == [
        "I went running in the park",
        "The runners run a park run",
    ]
    assert search(client, '"park bench"') == ["A quiet park bench"]
    assert search(client, "park -run -running") == ["A quiet park bench"]
    assert sorted(search(client, "gym or quiet")) == [
        "A quiet park bench",
        "Bench pressing at the gym",
    ]
    assert search(client, "the") == []  # stop words only: nothing to look for


def test_ranked_by_relevance_then_recency_or_latest(alice):
    now = timezone.now()
    once_old = PostFactory(text="coffee", created_at=now - timedelta(hours=2))
    twice = PostFactory(text="coffee coffee and more coffee beans")
    once_new = PostFactory(text="coffee")
    client = client_for(alice)
    assert [p["id"] for p in results(client.get("/api/v1/search/posts?q=coffee"))] == [
        str(twice.id),
        str(once_new.id),  # the same rank: newest first
        str(once_old.id),
    ]
    latest = results(client.get("/api/v1/search/posts?q=coffee&sort=latest"))
    assert [p["id"] for p in latest] == [str(once_new.id), str(twice.id), str(once_old.id)]


def test_relevance_pages_follow_the_cursor(alice):
    for i in range(5):
        PostFactory(text="tea " * (i + 1))
    client = client_for(alice)
    seen, url = [], "/api/v1/search/posts?q=tea&limit=2"
    while url:
        body = client.get(url).json()
        seen += [p["text"].count("tea") for p in body["results"]]
        url = body["next"]
    assert seen == [5, 4, 3, 2, 1]


def test_from_and_has_media_operators_and_parameters(alice, bob):
    PostFactory(author=bob, text="cats by bob")
    with_media = PostFactory(author=bob, text="cats with a photo", media_ids=[123])
    PostFactory(author=alice, text="cats by alice")
    client = client_for(alice)
    assert sorted(search(client, "cats from:Bob")) == ["cats by bob", "cats with a photo"]
    assert sorted(search(client, "cats", **{"from": "@bob"})) == [
        "cats by bob",
        "cats with a photo",
    ]
    assert search(client, "has:media cats") == [with_media.text]
    assert search(client, "cats", has="media", sort="latest") == [with_media.text]
    assert len(search(client, "from:alice")) == 1  # operators alone: newest first


@pytest.mark.parametrize("q", ["has:pictures", "from:", "from:alice from:bob"])
def test_a_bad_operator_is_a_400(alice, q):
    response = client_for(alice).get("/api/v1/search/posts", {"q": q})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "q"


@pytest.mark.parametrize("cursor", ["junk", "cjEuNTpub3RhbmlkKg", "cm5hbjox"])
def test_a_bad_cursor_is_a_400(alice, cursor):
    response = client_for(alice).get("/api/v1/search/posts", {"q": "x", "cursor": cursor})
    assert response.status_code == 400


def test_parse_keeps_the_web_search_text():
    query = parse_post_query('"big cats" -dogs FROM:@Bob has:MEDIA or lions')
    assert query.text == '"big cats" -dogs or lions'
    assert query.from_username == "bob"
    assert query.has_media


def test_visibility_blocked_private_deleted_suspended_never_leak(alice, bob, delivered):
    blocker, blocked, private, suspended, friend = UserFactory.create_batch(5)
    private.is_private = True
    private.save(update_fields=["is_private"])
    friend.is_private = True
    friend.save(update_fields=["is_private"])
    FollowFactory(follower=alice, followee=friend)
    PostFactory(author=bob, text="secret visible")
    PostFactory(author=blocker, text="secret from a blocker")
    PostFactory(author=blocked, text="secret from the blocked")
    PostFactory(author=private, text="secret private")
    PostFactory(author=friend, text="secret from a private friend")
    PostFactory(author=suspended, text="secret suspended")
    PostFactory(author=bob, text="secret deleted", deleted_at=timezone.now())
    with delivered():
        relationships.block_create(blocker=blocker, blocked_id=alice.pk)
        relationships.block_create(blocker=alice, blocked_id=blocked.pk)
    suspended.is_active = False
    suspended.save(update_fields=["is_active"])
    client = client_for(alice)
    expected = ["secret from a private friend", "secret visible"]
    assert sorted(search(client, "secret")) == expected
    assert sorted(search(client, "secret", sort="latest")) == expected
    combined = client.get("/api/v1/search", {"q": "secret", "type": "posts"}).json()
    assert sorted(p["text"] for p in combined["posts"]) == expected


def test_the_feed_q_uses_the_same_index(alice, bob):
    FollowFactory(follower=alice, followee=bob)
    PostFactory(author=bob, text="Went running today")
    PostFactory(author=bob, text="Stayed home")
    client = client_for(alice)
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/api/v1/feed?q=run").json()
    assert [e["post"]["text"] for e in body["results"]] == ["Went running today"]
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "websearch_to_tsquery" in sql
    assert '"tweets_post"."text"::text) LIKE' not in sql  # no icontains scan of the text


def test_post_search_query_count_does_not_grow(alice):
    def count(word: str, n: int) -> int:
        for _ in range(n):
            PostFactory(text=f"{word} here", quote_of=PostFactory(), reply_to=PostFactory())
        with CaptureQueriesContext(connection) as queries:
            assert len(search(client_for(alice), word, limit=50)) == n
        return len(queries)

    assert count("apples", 3) == count("oranges", 30)


def test_a_match_in_a_subquery_reads_the_subquerys_own_row():
    # The ranking window and the feed's retweets put the match in `id IN (SELECT ...)`:
    # it must read the inner row's vector (U0), never the outer row's.
    inner = Post.objects.filter(text_search_q("cats")).values("id")
    sql = str(Post.objects.filter(id__in=inner).query)
    assert 'U0."search_vector" @@' in sql
    assert '"tweets_post"."search_vector"' not in sql


def test_an_edit_is_reindexed_and_a_delete_disappears_at_once(alice, delivered):
    with delivered():
        post = tweets.post_create(author=alice, text="old words about herons")
    client = client_for(alice)
    assert search(client, "heron") == ["old words about herons"]
    with delivered():
        tweets.post_edit(user=alice, post_id=post.id, text="new words about pelicans")
    assert search(client, "heron") == []
    assert search(client, "pelican") == ["new words about pelicans"]
    with delivered():
        tweets.post_delete(user=alice, post_id=post.id)
    assert search(client, "pelican") == []


def test_relevance_pages_through_equal_ranks_without_repeats(alice):
    same = [PostFactory(text="mango") for _ in range(5)]
    client = client_for(alice)
    seen, url = [], "/api/v1/search/posts?q=mango&limit=2"
    while url:
        body = client.get(url).json()
        seen += [p["id"] for p in body["results"]]
        url = body["next"]
    assert seen == [str(p.id) for p in reversed(same)]
