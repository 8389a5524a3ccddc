"""GET /api/v1/search: posts, users and hashtags at once, or one kind."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from search import services
from tests.factories import PostFactory, UserFactory
from tests.search.conftest import client_for

pytestmark = pytest.mark.django_db


def test_all_kinds_or_one(alice):
    author = UserFactory(username="gardener")
    post = PostFactory(author=author, text="My #gardening diary: gardens grow")
    services.hashtags_sync(post_ids=[post.id])
    client = client_for(alice)
    body = client.get("/api/v1/search?q=garden").json()
    assert [p["id"] for p in body["posts"]] == [str(post.id)]
    assert [u["user"]["username"] for u in body["users"]] == ["gardener"]
    assert body["hashtags"] == [{"tag": "gardening"}]
    only = client.get("/api/v1/search?q=garden&type=users").json()
    assert (only["posts"], only["hashtags"]) == ([], [])
    assert client.get("/api/v1/search?q=x&type=places").status_code == 400
    assert client.get("/api/v1/search?q=has:nothing").status_code == 400


def test_combined_query_count_does_not_grow(alice):
    def count(word: str, n: int) -> int:
        for i in range(n):
            user = UserFactory(username=f"{word}{i}")
            post = PostFactory(author=user, text=f"{word} #{word}{i}", quote_of=PostFactory())
            services.hashtags_sync(post_ids=[post.id])
        with CaptureQueriesContext(connection) as queries:
            body = client_for(alice).get(f"/api/v1/search?q={word}&limit=20").json()
        assert [len(body[kind]) for kind in ("posts", "users", "hashtags")] == [n, n, n]
        return len(queries)

    assert count("plum", 2) == count("pear", 12)
