"""Every route of part A: success, auth failure (401 without a token, 403 outside
its scope) and not found, through the Mastodon host."""

import pytest

from relationships import services as rel_services
from tests.factories import PostFactory, UserFactory
from tests.mastodon_api.conftest import masto_api_client, masto_client
from tweets import services as tweet_services

pytestmark = pytest.mark.django_db

MISSING = "999999999999"


@pytest.fixture
def world(db):
    me = UserFactory(username="me")
    other = UserFactory(username="other")
    post = tweet_services.post_create(author=other, text="hello #world @me")
    mine = tweet_services.post_create(author=me, text="mine")
    return {"me": me, "other": other, "post": post, "mine": mine}


# (method, path, scope that suffices, scope that does not, public read?)
ROUTES = [
    ("get", "/api/v1/accounts/verify_credentials", "read:accounts", "write", False),
    ("patch", "/api/v1/accounts/update_credentials", "write:accounts", "read", False),
    ("get", "/api/v1/accounts/{other}", "read:accounts", "write", True),
    ("get", "/api/v1/accounts/lookup?acct=other", "read:accounts", "write", True),
    ("get", "/api/v1/accounts/{other}/statuses", "read:statuses", "write", True),
    ("get", "/api/v1/accounts/{other}/followers", "read:accounts", "write", True),
    ("get", "/api/v1/accounts/{other}/following", "read:accounts", "write", True),
    ("post", "/api/v1/accounts/{other}/follow", "follow", "read", False),
    ("post", "/api/v1/accounts/{other}/unfollow", "write:follows", "read", False),
    ("post", "/api/v1/accounts/{other}/block", "write:blocks", "read", False),
    ("post", "/api/v1/accounts/{other}/unblock", "follow", "read", False),
    ("post", "/api/v1/accounts/{other}/mute", "write:mutes", "read", False),
    ("post", "/api/v1/accounts/{other}/unmute", "write", "read", False),
    ("get", "/api/v1/accounts/relationships?id[]={other}", "read:follows", "write", False),
    ("get", "/api/v1/accounts/search?q=oth", "read:accounts", "write", False),
    ("get", "/api/v1/follow_requests", "read:follows", "write", False),
    ("get", "/api/v1/blocks", "read:blocks", "write", False),
    ("get", "/api/v1/mutes", "read:mutes", "write", False),
    ("get", "/api/v1/bookmarks", "read:bookmarks", "write", False),
    ("get", "/api/v1/favourites", "read:favourites", "write", False),
    ("get", "/api/v2/suggestions", "read", "write", False),
    ("post", "/api/v1/statuses", "write:statuses", "read", False),
    ("get", "/api/v1/statuses/{post}", "read:statuses", "write", True),
    ("put", "/api/v1/statuses/{mine}", "write:statuses", "read", False),
    ("get", "/api/v1/statuses/{post}/history", "read:statuses", "write", True),
    ("get", "/api/v1/statuses/{mine}/source", "read:statuses", "write", False),
    ("get", "/api/v1/statuses/{post}/context", "read:statuses", "write", True),
    ("post", "/api/v1/statuses/{post}/favourite", "write:favourites", "read", False),
    ("post", "/api/v1/statuses/{post}/unfavourite", "write:favourites", "read", False),
    ("post", "/api/v1/statuses/{post}/reblog", "write:statuses", "read", False),
    ("post", "/api/v1/statuses/{post}/unreblog", "write:statuses", "read", False),
    ("post", "/api/v1/statuses/{post}/bookmark", "write:bookmarks", "read", False),
    ("post", "/api/v1/statuses/{post}/unbookmark", "write:bookmarks", "read", False),
    ("get", "/api/v1/statuses/{post}/favourited_by", "read:accounts", "write", True),
    ("get", "/api/v1/statuses/{post}/reblogged_by", "read:accounts", "write", True),
    ("delete", "/api/v1/statuses/{mine}", "write:statuses", "read", False),
    ("get", "/api/v1/timelines/home", "read:statuses", "write", False),
    ("get", "/api/v1/timelines/public", "read:statuses", "write", True),
    ("get", "/api/v1/timelines/tag/world", "read:statuses", "write", True),
    ("get", "/api/v1/markers", "read:statuses", "write", False),
    ("post", "/api/v1/markers", "write:statuses", "read", False),
]
BODIES = {
    "/api/v1/statuses": {"status": "new post"},
    "/api/v1/statuses/{mine}": {"status": "edited"},
    "/api/v1/accounts/update_credentials": {"display_name": "Me!"},
    "/api/v1/markers": {"home": {"last_read_id": "1"}},
}


def _path(template: str, world) -> str:
    return template.format(
        other=world["other"].pk, post=world["post"].id, mine=world["mine"].id, me=world["me"].pk
    )


def _call(client, method, template, world):
    body = BODIES.get(template)
    return getattr(client, method)(_path(template, world), body, format="json")


@pytest.mark.parametrize(("method", "template", "good", "bad", "public"), ROUTES)
def test_route_success_auth_failure_and_scope(world, method, template, good, bad, public):
    anonymous = _call(masto_api_client(), method, template, world)
    if public:
        assert anonymous.status_code == 200, anonymous.content
    else:
        assert anonymous.status_code == 401, anonymous.content
        assert set(anonymous.json()) == {"error"}
    outside = _call(masto_client(world["me"], bad), method, template, world)
    assert outside.status_code == 403, outside.content
    assert outside.json() == {"error": "This action is outside the authorized scopes"}
    ok = _call(masto_client(world["me"], good), method, template, world)
    assert ok.status_code == 200, ok.content


NOT_FOUND = [
    ("get", "/api/v1/accounts/{missing}"),
    ("get", "/api/v1/accounts/lookup?acct=nobody"),
    ("get", "/api/v1/accounts/{missing}/statuses"),
    ("get", "/api/v1/accounts/{missing}/followers"),
    ("get", "/api/v1/accounts/{missing}/following"),
    ("post", "/api/v1/accounts/{missing}/follow"),
    ("post", "/api/v1/accounts/{missing}/unfollow"),
    ("post", "/api/v1/accounts/{missing}/block"),
    ("post", "/api/v1/accounts/{missing}/unblock"),
    ("post", "/api/v1/accounts/{missing}/mute"),
    ("post", "/api/v1/accounts/{missing}/unmute"),
    ("post", "/api/v1/follow_requests/{missing}/authorize"),
    ("post", "/api/v1/follow_requests/{missing}/reject"),
    ("get", "/api/v1/statuses/{missing}"),
    ("put", "/api/v1/statuses/{missing}"),
    ("delete", "/api/v1/statuses/{missing}"),
    ("get", "/api/v1/statuses/{missing}/history"),
    ("get", "/api/v1/statuses/{missing}/source"),
    ("get", "/api/v1/statuses/{missing}/context"),
    ("post", "/api/v1/statuses/{missing}/favourite"),
    ("post", "/api/v1/statuses/{missing}/unfavourite"),
    ("post", "/api/v1/statuses/{missing}/reblog"),
    ("post", "/api/v1/statuses/{missing}/unreblog"),
    ("post", "/api/v1/statuses/{missing}/bookmark"),
    ("post", "/api/v1/statuses/{missing}/unbookmark"),
    ("get", "/api/v1/statuses/{missing}/favourited_by"),
    ("get", "/api/v1/statuses/{missing}/reblogged_by"),
    ("get", "/api/v1/statuses/not-an-id"),
    ("get", "/api/v1/accounts/not-an-id"),
]


@pytest.fixture
def me_client(world):
    return masto_client(world["me"])


@pytest.mark.parametrize(("method", "template"), NOT_FOUND)
def test_route_not_found(world, me_client, method, template):
    response = getattr(me_client, method)(
        template.format(missing=MISSING), {"status": "x"}, format="json"
    )
    assert response.status_code == 404, response.content
    assert set(response.json()) == {"error"}


def test_hidden_objects_are_not_found(world, me_client):
    """Object-level rules: a private account's posts, a blocked user, another's source."""
    locked = UserFactory(username="locked", is_private=True)
    secret = PostFactory(author=locked, text="secret")
    assert me_client.get(f"/api/v1/statuses/{secret.id}").status_code == 404
    assert me_client.post(f"/api/v1/statuses/{secret.id}/favourite").status_code == 404
    assert me_client.get(f"/api/v1/accounts/{locked.pk}/statuses").status_code == 403
    assert me_client.get(f"/api/v1/statuses/{world['post'].id}/source").status_code == 404
    rel_services.block_create(blocker=world["other"], blocked_id=world["me"].pk)
    assert me_client.get(f"/api/v1/accounts/{world['other'].pk}").status_code == 404
    assert me_client.delete(f"/api/v1/statuses/{world['post'].id}").status_code == 404
