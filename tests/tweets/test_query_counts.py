"""Every list endpoint costs the same number of queries for 5 items as for 50.

Each item carries what could cost a query per item if hydration were naive: an
author, a quoted or replied-to post (with its author), media, and viewer flags.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import (
    BookmarkFactory,
    LikeFactory,
    MediaFactory,
    PostEditFactory,
    PostFactory,
    RetweetFactory,
    UserFactory,
)
from tests.tweets.conftest import client_for

pytestmark = pytest.mark.django_db


def rich_post(viewer, **kwargs):
    """A post with media that quotes another with media, which the viewer has liked,
    retweeted and bookmarked."""
    quoted = PostFactory(media_ids=[MediaFactory().id])
    post = PostFactory(quote_of=quoted, media_ids=[MediaFactory().id, MediaFactory().id], **kwargs)
    LikeFactory(user=viewer, post=post)
    RetweetFactory(user=viewer, post=post)
    BookmarkFactory(user=viewer, post=post)
    return post


def comments(viewer, n):
    root = PostFactory()
    for _ in range(n):
        rich_post(viewer, reply_to=root)
    return f"/api/v1/posts/{root.id}/comments"


def history(viewer, n):
    post = PostFactory()
    PostEditFactory.create_batch(n, post=post)
    return f"/api/v1/posts/{post.id}/history"


def liked_by(viewer, n):
    post = PostFactory()
    LikeFactory.create_batch(n, post=post)
    return f"/api/v1/posts/{post.id}/liked-by"


def retweeted_by(viewer, n):
    post = PostFactory()
    RetweetFactory.create_batch(n, post=post)
    return f"/api/v1/posts/{post.id}/retweeted-by"


def bookmarks(viewer, n):
    for _ in range(n):
        rich_post(viewer)  # bookmarked by the viewer
    return "/api/v1/bookmarks"


def user_posts(viewer, n):
    author = UserFactory()
    for i in range(n):
        if i % 2:
            RetweetFactory(user=author, post=rich_post(viewer))
        else:
            rich_post(viewer, author=author, reply_to=PostFactory())
    return f"/api/v1/users/{author.id}/posts?include_replies=true"


def user_likes(viewer, n):
    liker = UserFactory()
    for _ in range(n):
        LikeFactory(user=liker, post=rich_post(viewer, reply_to=PostFactory()))
    return f"/api/v1/users/{liker.id}/likes"


def context(viewer, n):
    root = PostFactory()
    parent = root
    for i in range(n):
        post = rich_post(viewer, reply_to=parent if i % 3 else root)
        parent = post
    return f"/api/v1/posts/{root.id}/context"


ENDPOINTS = [
    comments,
    history,
    liked_by,
    retweeted_by,
    bookmarks,
    user_posts,
    user_likes,
]


def count_queries(client, url) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.json()
    return len(queries), response.json()


@pytest.mark.parametrize("build", ENDPOINTS, ids=lambda f: f.__name__)
def test_list_query_count_does_not_grow_with_page_size(build):
    small_viewer, large_viewer = UserFactory(), UserFactory()
    small_url = build(small_viewer, 5) + _sep(build) + "limit=100"
    large_url = build(large_viewer, 50) + _sep(build) + "limit=100"
    small, small_body = count_queries(client_for(small_viewer), small_url)
    large, large_body = count_queries(client_for(large_viewer), large_url)
    assert len(small_body["results"]) == 5
    assert len(large_body["results"]) == 50
    assert small == large, f"{build.__name__}: {small} queries for 5 items, {large} for 50"


def _sep(build) -> str:
    return "&" if build is user_posts else "?"


def test_context_query_count_does_not_grow_with_thread_size():
    viewer = UserFactory()
    client = client_for(viewer)
    small, small_body = count_queries(client, context(viewer, 5))
    large, large_body = count_queries(client, context(viewer, 50))
    assert len(small_body["descendants"]) == 5
    assert len(large_body["descendants"]) == 50
    assert small == large


def test_profile_query_count_does_not_grow_with_posts():
    viewer = UserFactory()
    client = client_for(viewer)
    counts = []
    for n in (2, 20):
        author = UserFactory()
        for _ in range(n):
            rich_post(viewer, author=author)
        count, body = count_queries(client, f"/api/v1/users/{author.id}/profile")
        assert len(body["recent_posts"]) == min(n, 5)
        counts.append(count)
    assert counts[0] == counts[1]


def test_viewer_flags_take_one_query():
    from tweets.selectors import viewer_flags

    viewer = UserFactory()
    posts = [rich_post(viewer) for _ in range(3)]
    with CaptureQueriesContext(connection) as queries:
        liked, retweeted, bookmarked = viewer_flags(viewer=viewer, post_ids=[p.id for p in posts])
    assert len(queries) == 1
    assert liked == retweeted == bookmarked == {p.id for p in posts}
