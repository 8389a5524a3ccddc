"""Selectors the rendering reuses: posts for ids, flags, in fixed queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import PostFactory
from tweets import selectors

pytestmark = pytest.mark.django_db


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
