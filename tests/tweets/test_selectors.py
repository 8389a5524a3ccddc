"""Selectors the home feed will reuse: entries for ids, rendering in fixed queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import PostFactory, RetweetFactory
from tweets import selectors
from tweets.rendering import render_entries

pytestmark = pytest.mark.django_db


def test_timeline_entries_hydrates_post_and_retweet_ids_in_the_given_order(alice, bob):
    post = PostFactory(author=alice, quote_of=PostFactory())
    retweet = RetweetFactory(user=bob, post=PostFactory())
    deleted = PostFactory(deleted_at=timezone.now())
    retweet_of_deleted = RetweetFactory(post=deleted)

    ids = [retweet.id, deleted.id, post.id, retweet_of_deleted.id, 123]
    with CaptureQueriesContext(connection) as queries:
        entries = selectors.timeline_entries(viewer=alice, entry_ids=ids)
        data = render_entries(viewer=alice, entries=entries)
    assert [(e["type"], e["id"]) for e in data] == [
        ("retweet", str(retweet.id)),
        ("post", str(post.id)),
    ]
    assert data[0]["retweeted_by"]["username"] == "bob"
    assert data[1]["post"]["quote_of"]["available"] is True
    assert len(queries) == 4  # posts, retweets, referenced posts, viewer flags


def test_posts_for_viewer_keeps_order_and_drops_hidden_posts(alice):
    first, hidden, last = PostFactory(), PostFactory(deleted_at=timezone.now()), PostFactory()
    posts = selectors.posts_for_viewer(viewer=alice, ids=[last.id, hidden.id, first.id])
    assert [p.id for p in posts] == [last.id, first.id]


def test_anonymous_viewers_get_no_flags_and_no_flag_query():
    from django.contrib.auth.models import AnonymousUser

    post = PostFactory()
    with CaptureQueriesContext(connection) as queries:
        flags = selectors.viewer_flags(viewer=AnonymousUser(), post_ids=[post.id])
    assert flags == (set(), set(), set())
    assert len(queries) == 0
