"""Mastodon search v2 (GET /api/v2/search) and trends (GET /api/v1/trends,
/api/v1/trends/tags, /api/v1/trends/statuses, /api/v1/trends/links)."""

import re

import pytest
from django.core.cache import cache
from django.utils import timezone

from search import selectors, services
from tests.factories import BlockFactory, FollowFactory, PostFactory, UserFactory
from tests.mastodon_api.conftest import masto_client

pytestmark = pytest.mark.django_db


def indexed(author, text: str, **kwargs):
    post = PostFactory(author=author, text=text, **kwargs)
    services.hashtags_sync(post_ids=[post.id])
    return post


@pytest.fixture
def world():
    cache.delete(selectors.TRENDS_CACHE_KEY)
    alice = UserFactory(username="alice")
    walrus = UserFactory(username="walrus_fan", display_name="Walrus Fan")
    hidden = UserFactory(username="walrus_private", is_private=True)
    posts = [indexed(walrus, f"the walrus number {i} #walrus") for i in range(3)]
    indexed(hidden, "secret walrus plans")
    return alice, walrus, hidden, posts


@pytest.fixture
def client(world):
    return masto_client(world[0], "read")


def test_search_finds_accounts_statuses_and_hashtags(world, client):
    _alice, _walrus, _hidden, posts = world
    body = client.get("/api/v2/search", {"q": "walrus"}).json()
    assert {a["username"] for a in body["accounts"]} == {"walrus_fan", "walrus_private"}
    assert [s["id"] for s in body["statuses"]] == [str(p.id) for p in reversed(posts)]
    assert [h["name"] for h in body["hashtags"]] == ["walrus"]
    assert body["hashtags"][0]["url"].endswith("/tags/walrus")


def test_search_by_type_with_paging_offset_and_filters(world, client):
    alice, walrus, _hidden, posts = world
    first = client.get("/api/v2/search", {"q": "walrus", "type": "statuses", "limit": 2})
    body = first.json()
    assert body["accounts"] == []
    assert body["hashtags"] == []
    assert [s["id"] for s in body["statuses"]] == [str(posts[2].id), str(posts[1].id)]
    following = re.search(r'<([^>]+)>; rel="next"', first["Link"]).group(1)
    assert [s["id"] for s in client.get(following).json()["statuses"]] == [str(posts[0].id)]
    offset = client.get("/api/v2/search", {"q": "walrus", "type": "statuses", "offset": 2})
    assert [s["id"] for s in offset.json()["statuses"]] == [str(posts[0].id)]
    by_account = client.get(
        "/api/v2/search", {"q": "walrus", "type": "statuses", "account_id": str(alice.pk)}
    )
    assert by_account.json()["statuses"] == []
    FollowFactory(follower=alice, followee=walrus)
    followed = client.get("/api/v2/search", {"q": "walrus", "type": "accounts", "following": "1"})
    assert [a["username"] for a in followed.json()["accounts"]] == ["walrus_fan"]


def test_search_applies_visibility_and_blocks(world, client):
    alice, walrus, _hidden, _posts = world
    BlockFactory(blocker=walrus, blocked=alice)
    body = client.get("/api/v2/search", {"q": "walrus"}).json()
    assert body["statuses"] == []  # blocked by walrus_fan; walrus_private's posts are private
    assert [a["username"] for a in body["accounts"]] == ["walrus_private"]


def test_search_refuses_bad_input(client):
    assert client.get("/api/v2/search").status_code == 422
    assert client.get("/api/v2/search", {"q": "x", "type": "polls"}).status_code == 422
    assert client.get("/api/v2/search", {"q": "has:nothing"}).status_code == 422
    assert "error" in client.get("/api/v2/search").json()


def test_search_auth_failures_and_scopes(world, masto):
    assert masto.get("/api/v2/search", {"q": "walrus"}).status_code == 401
    statuses_only = masto_client(world[0], "read:statuses")
    assert statuses_only.get("/api/v2/search", {"q": "walrus"}).status_code == 403
    assert (
        masto_client(world[0], "read:search").get("/api/v2/search", {"q": "w"}).status_code == 200
    )


def test_search_of_an_unknown_thing_is_empty_not_404(client):
    body = client.get("/api/v2/search", {"q": "zzzz-nothing"}).json()
    assert body == {"accounts": [], "statuses": [], "hashtags": []}


def test_trends_tags_and_statuses(world, client, masto):
    _alice, _walrus, _hidden, _posts = world
    crowd = UserFactory.create_batch(3)
    liked = None
    for i, author in enumerate(crowd):
        post = indexed(author, f"look #Rising {i}")
        if i == 1:
            liked = post
    type(liked).objects.filter(pk=liked.pk).update(like_count=5)
    cache.delete(selectors.TRENDS_CACHE_KEY)
    for path in ("/api/v1/trends", "/api/v1/trends/tags"):
        tags = masto.get(path).json()  # public: no token needed
        assert [t["name"] for t in tags] == ["rising"]
        assert tags[0]["history"][0]["accounts"] == "3"
    statuses = client.get("/api/v1/trends/statuses").json()
    assert statuses[0]["id"] == str(liked.id)
    assert len(statuses) == 3
    assert masto.get("/api/v1/trends/statuses", {"offset": 2}).json()[0]["id"] != str(liked.id)
    assert masto.get("/api/v1/trends/links").json() == []
    assert masto.get("/api/v1/trends/tags", {"offset": -1}).status_code == 422


def test_trends_refuse_a_token_without_a_read_scope(world):
    writer = masto_client(world[0], "write")
    for path in ("/api/v1/trends/tags", "/api/v1/trends/statuses", "/api/v1/trends/links"):
        assert writer.get(path).status_code == 403
    assert masto_client(world[0], "read").get("/api/v1/trends/nope").status_code == 404


def test_a_bad_token_is_401_even_on_the_public_trends(masto):
    masto.credentials(HTTP_AUTHORIZATION="Bearer nonsense")
    for path in ("/api/v1/trends/tags", "/api/v1/trends/statuses", "/api/v1/trends/links"):
        response = masto.get(path)
        assert response.status_code == 401, path
        assert "error" in response.json()


def test_search_and_trending_statuses_cost_the_same_queries_whatever_the_page_size(world, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    crowd = UserFactory.create_batch(3)

    def count(path: str, **params) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path, params).status_code == 200
        return len(queries)

    for author in crowd:
        indexed(author, "a #Rising walrus @alice")
    selectors.trends_store(now=timezone.now())  # as the periodic job keeps them
    small = count("/api/v2/search", q="walrus", limit=1)
    trends_small = count("/api/v1/trends/statuses", limit=1)
    for author in crowd:
        for i in range(4):
            indexed(author, f"more #Rising walrus {i} @walrus_fan")
    assert count("/api/v2/search", q="walrus", limit=20) == small
    assert count("/api/v1/trends/statuses", limit=20) == trends_small
