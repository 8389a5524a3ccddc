"""User search (pg_trgm): fuzzy matches, prefix first, followed higher; autocomplete."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from relationships import services as relationships
from tests.factories import FollowFactory, UserFactory
from tests.search.conftest import client_for, results

pytestmark = pytest.mark.django_db


def names(response) -> list[str]:
    return [row["user"]["username"] for row in results(response)]


def test_a_typo_finds_the_user(alice):
    UserFactory(username="john", display_name="")
    UserFactory(username="zed", display_name="Johnny Cash")
    UserFactory(username="mary", display_name="")
    client = client_for(alice)
    assert "john" in names(client.get("/api/v1/search/users?q=jonh"))
    # by similarity: "john" is closer to "johny" than "Johnny Cash" is
    assert names(client.get("/api/v1/search/users?q=johny")) == ["john", "zed"]


def test_prefix_first_then_followed_then_similarity(alice):
    UserFactory(username="xsamantha", display_name="")  # similar, not a prefix
    prefix = UserFactory(username="samuel", display_name="")
    followed_prefix = UserFactory(username="samwise", display_name="")
    FollowFactory(follower=alice, followee=followed_prefix)
    found = names(client_for(alice).get("/api/v1/search/users?q=sam"))
    assert found[:2] == [followed_prefix.username, prefix.username]
    assert "xsamantha" in found[2:]
    row = results(client_for(alice).get("/api/v1/search/users?q=samw"))[0]
    assert row["following"] is True


def test_blocked_and_suspended_users_are_not_found(alice, delivered):
    blocker = UserFactory(username="kimblocker")
    UserFactory(username="kimgone", is_active=False)
    UserFactory(username="kimprivate", is_private=True)  # a private profile is findable
    with delivered():
        relationships.block_create(blocker=blocker, blocked_id=alice.pk)
    client = client_for(alice)
    assert names(client.get("/api/v1/search/users?q=kim")) == ["kimprivate"]
    assert names(client.get("/api/v1/search/users/autocomplete?q=kim")) == ["kimprivate"]


def test_autocomplete_prefix_only_followed_first_in_one_query(alice):
    popular = UserFactory(username="ann_popular", followers_count=100)
    friend = UserFactory(username="annfriend")
    UserFactory(username="joanna")  # contains "ann" but does not start with it
    UserFactory(username="bob_x", display_name="Anna B")  # display name starts with it
    FollowFactory(follower=alice, followee=friend)
    client = client_for(alice)
    with CaptureQueriesContext(connection) as queries:
        found = names(client.get("/api/v1/search/users/autocomplete?q=@Ann"))
    assert found == [friend.username, popular.username, "bob_x"]
    assert len(queries) == 1


def test_blank_query_finds_nobody(alice):
    client = client_for(alice)
    assert results(client.get("/api/v1/search/users?q=")) == []
    assert results(client.get("/api/v1/search/users/autocomplete?q=@")) == []


@pytest.mark.parametrize("path", ["/api/v1/search/users", "/api/v1/search/users/autocomplete"])
def test_user_search_query_count_does_not_grow(alice, path):
    def count(prefix: str, n: int) -> int:
        for i in range(n):
            user = UserFactory(username=f"{prefix}{i:02d}")
            if i % 2:
                FollowFactory(follower=alice, followee=user)
        with CaptureQueriesContext(connection) as queries:
            assert len(results(client_for(alice).get(f"{path}?q={prefix}&limit=10"))) == min(n, 10)
        return len(queries)

    assert count("qqa", 2) == count("qqb", 10)
