"""Hydration through the versioned payload cache renders exactly what the posts
API renders, and the feed's query count does not grow with page size or followees."""

import json

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from relationships.models import Follow
from tests.factories import (
    BlockFactory,
    BookmarkFactory,
    LikeFactory,
    MediaFactory,
    PostFactory,
    RetweetFactory,
    UserFactory,
)
from tests.tweets.conftest import client_for
from tweets.feed import hydrate
from tweets.feed.rules import EntryRow
from tweets.models import Post, Retweet
from tweets.rendering import render_entries
from tweets.selectors import TimelineEntry

pytestmark = pytest.mark.django_db


def rich_entries(viewer, authors, n):
    """n entries by `authors`: replies, quotes (some of a post hidden from the viewer),
    retweets, posts and quoted posts with media, and posts the viewer liked and bookmarked."""
    hidden = PostFactory(author=BlockFactory(blocked=viewer).blocker)
    made = []
    for i in range(n):
        author = authors[i % len(authors)]
        if i % 3 == 2:
            made.append(RetweetFactory(user=author, post=PostFactory(quote_of=hidden)))
            continue
        parent = made[-1] if i % 3 == 1 else None  # a reply to a followed author's post
        quoted = PostFactory(media_ids=[MediaFactory().id])
        post = PostFactory(
            author=author, quote_of=quoted, reply_to=parent, media_ids=[MediaFactory().id]
        )
        if i % 2:
            LikeFactory(user=viewer, post=post)
            BookmarkFactory(user=viewer, post=post)
        made.append(post)
    return made


def as_rows(items) -> list[EntryRow]:
    rows = []
    for item in items:
        if isinstance(item, Post):
            rows.append(
                EntryRow(id=item.id, type="post", post_id=item.id, created_at=item.created_at)
            )
        else:
            rows.append(
                EntryRow(
                    id=item.id,
                    type="retweet",
                    post_id=item.post_id,
                    created_at=item.created_at,
                    retweeted_by=item.user,
                )
            )
    return sorted(rows, key=lambda row: row.id, reverse=True)


def as_entries(items) -> list[TimelineEntry]:
    """The same entries as the posts API renders them: fresh rows, newest first."""
    entries = []
    for item in items:
        if isinstance(item, Post):
            post = Post.objects.select_related("author").get(pk=item.pk)
            entries.append(TimelineEntry.of_post(post))
        else:
            retweet = Retweet.objects.select_related("user", "post__author").get(pk=item.pk)
            entries.append(TimelineEntry.of_retweet(retweet))
    return sorted(entries, key=lambda entry: entry.id, reverse=True)


def test_rendering_equals_the_posts_api_and_a_cached_payload_equals_a_fresh_one():
    viewer, author = UserFactory.create_batch(2)
    mentioning = PostFactory(author=author, text=f"hello @{viewer.username} and @nobody")
    items = [*rich_entries(viewer, [author], 9), mentioning]
    rows = as_rows(items)
    entries = as_entries(items)
    expected = json.loads(json.dumps(render_entries(viewer=viewer, entries=entries)))

    assert hydrate.render_entries(viewer=viewer, rows=rows) == expected  # cold cache
    assert hydrate.render_entries(viewer=viewer, rows=rows) == expected  # from the cache


def test_a_post_without_media_is_rendered_from_its_row_without_the_payload_cache(monkeypatch):
    viewer = UserFactory()
    post = PostFactory(text="plain #tag")
    monkeypatch.setattr(cache, "get_many", lambda keys: pytest.fail(f"payloads read: {keys}"))
    (entry,) = hydrate.render_entries(viewer=viewer, rows=as_rows([post]))
    assert entry["post"]["text"] == "plain #tag"
    assert entry["post"]["media"] == []
    assert entry["post"]["hashtags"] == [{"tag": "tag", "start": 6, "end": 10}]


def test_payload_cache_keys_carry_the_version_so_edits_are_never_stale():
    viewer = UserFactory()
    post = PostFactory(text="before", media_ids=[MediaFactory().id])
    rows = as_rows([post])
    hydrate.render_entries(viewer=viewer, rows=rows)
    assert cache.get(hydrate.payload_key(post.id, 0))["text"] == "before"

    Post.objects.filter(pk=post.pk).update(text="after", version=1)

    assert hydrate.render_entries(viewer=viewer, rows=rows)[0]["post"]["text"] == "after"
    assert cache.get(hydrate.payload_key(post.id, 1))["text"] == "after"


def feed_queries(client, limit: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/feed?limit={limit}")
    assert response.status_code == 200
    assert len(response.json()["results"]) == limit
    return len(queries)


@pytest.mark.parametrize("backend", ["redis", "sql"])
def test_query_count_is_constant_with_page_size_and_followees(settings, backend):
    settings.FEED_BACKEND = backend
    settings.FEED_PAGE_CACHE_SECONDS = 0  # every read renders (a kept page costs none)
    cold, warm = {}, {}
    for followees, limit in [(3, 5), (3, 50), (300, 5), (300, 50)]:
        viewer = UserFactory()
        authors = UserFactory.create_batch(followees)
        Follow.objects.bulk_create(Follow(follower=viewer, followee=a) for a in authors)
        rich_entries(viewer, authors, 60)
        client = client_for(viewer)
        client.get("/api/v1/feed?limit=1")  # builds the timeline (the user is active)
        cache.delete_pattern("pp:*")  # no cached payloads: the misses query runs
        cold[(followees, limit)] = feed_queries(client, limit)
        warm[(followees, limit)] = feed_queries(client, limit)
    # Constant in the page size and the number of followees. With the Redis backend,
    # a reader who followed more than FEED_MAX_MERGED_AUTHORS accounts in the last
    # FEED_FOLLOW_MERGE_SECONDS (the 300 here) is served by the pull feed, whose
    # page is one query more than the Redis read's: the merged authors (asked each
    # time for such a reader, tweets.feed.merged); the pull feed's page is one
    # statement too (tweets.feed.rules._pulled_entries).
    extra = 1 if backend == "redis" else 0
    for counts in (cold, warm):
        assert counts[(3, 5)] == counts[(3, 50)] == counts[(300, 5)] - extra, counts
        assert counts[(300, 5)] == counts[(300, 50)], counts
    # Warm: the payloads come from one MGET; the misses query and the query of their
    # media are gone.
    assert {cold[key] - warm[key] for key in cold} == {2}
    # Warm, with references on the page: the page's entries with their posts' states
    # and the merged authors the read remembered, checked (Redis), or with the
    # candidates they were chosen from (SQL): one statement; the references.
    assert warm[(3, 5)] == 2
