"""Pull-feed pages (tweets.feed.pages, FEED_BACKEND=sql with Redis): a kept page is
served while no author it follows posted after it, checked against the posters
since its clock. What both backends share (every kind of change, the state
machine) is in test_page_cache.py."""

from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from relationships import services as rel
from tests.factories import UserFactory
from tests.faults.dead_redis import redis_down
from tests.relationships.helpers import client_for
from tests.tweets.feed.conftest import rendered
from tweets import services as posts
from tweets.feed import pages, store

pytestmark = pytest.mark.django_db
URL = "/api/v1/feed?limit=5"


@pytest.fixture
def pull(settings):
    settings.FEED_BACKEND = "sql"
    return store.client()


@dataclass
class Reading:
    alice: User
    bob: User
    client: APIClient


@pytest.fixture
def alice_follows_bob(pull, committed) -> Reading:
    """alice follows bob, who posted; her page is kept (her second read is a hit)."""
    alice, bob = UserFactory.create_batch(2)
    with committed():
        rel.follow_create(follower=alice, followee_id=bob.pk)
        posts.post_create(author=bob, text="first")
    client = client_for(alice)
    client.get(URL)
    return Reading(alice, bob, client)


def texts(response) -> list[str]:
    return [entry["post"]["text"] for entry in response.json()["results"]]


@pytest.mark.parametrize("backend", ["redis", "sql"])
def test_a_plain_post_costs_a_stamp_only_where_pull_pages_are_kept(settings, committed, backend):
    # A Redis-backed page's key changes with the lists: there the hottest write
    # makes no stamping call at all.
    settings.FEED_BACKEND = backend
    redis = store.client()
    with committed():
        alice = UserFactory()  # (stamps the new user and name)
    clock = int(redis.get(pages.CLOCK) or 0)
    with committed():
        posts.post_create(author=alice, text="plain")
    if backend == "redis":
        assert int(redis.get(pages.CLOCK) or 0) == clock
        assert redis.zscore(pages.POSTERS, alice.pk) is None
    else:
        assert int(redis.get(pages.CLOCK)) == clock + 1
        assert redis.zscore(pages.POSTERS, alice.pk) == clock + 1


def test_a_post_by_someone_the_reader_does_not_follow_leaves_the_page_kept(
    alice_follows_bob, committed, settings, hits
):
    w = alice_follows_bob
    kept = w.client.get(URL)
    assert len(hits) == 1
    with committed():
        posts.post_create(author=UserFactory(), text="elsewhere")
    again = w.client.get(URL)
    assert len(hits) == 2
    assert again.content == kept.content == rendered(w.client, URL, settings).content


def test_a_followee_s_post_trimmed_from_the_posters_still_stales_the_page(
    alice_follows_bob, committed, settings, hits, monkeypatch
):
    monkeypatch.setattr(pages, "PULL_POSTERS", 2)
    w = alice_follows_bob
    w.client.get(URL)
    with committed():
        posts.post_create(author=w.bob, text="new")
    strangers = UserFactory.create_batch(3)
    for stranger in strangers:  # bob's stamp is trimmed away: the set's floor rises
        with committed():
            posts.post_create(author=stranger, text="elsewhere")
    assert store.client().zscore(pages.POSTERS, w.bob.pk) is None
    after = w.client.get(URL)
    assert texts(after) == ["new", "first"]
    assert after.content == rendered(w.client, URL, settings).content


def test_when_redis_loses_the_posters_older_pages_are_not_served(
    alice_follows_bob, committed, settings, hits
):
    w = alice_follows_bob
    w.client.get(URL)
    assert len(hits) == 1
    with committed():
        posts.post_create(author=w.bob, text="new")
    store.client().delete(pages.POSTERS)  # evicted, say: bob's stamp with it
    assert texts(w.client.get(URL)) == ["new", "first"]
    assert len(hits) == 1
    w.client.get(URL)
    assert len(hits) == 2  # the new page is kept


def test_past_too_many_posters_the_page_is_read_again(
    alice_follows_bob, committed, settings, hits, monkeypatch
):
    monkeypatch.setattr(pages, "PULL_CHECKED", 2)
    w = alice_follows_bob
    w.client.get(URL)
    assert len(hits) == 1
    for stranger in UserFactory.create_batch(2):
        with committed():
            posts.post_create(author=stranger, text="elsewhere")
    w.client.get(URL)
    assert len(hits) == 1  # two posters since: more than it checks
    w.client.get(URL)
    assert len(hits) == 2


def test_a_reader_following_more_than_the_cap_gets_no_kept_page(pull, committed, hits, monkeypatch):
    monkeypatch.setattr(pages, "PULL_MAX_FOLLOWED", 2)  # alice and one followee, not two
    alice, bob, carol = UserFactory.create_batch(3)
    with committed():
        for followee in (bob, carol):
            rel.follow_create(follower=alice, followee_id=followee.pk)
    client = client_for(alice)
    for _ in range(3):
        assert client.get(URL).status_code == 200
    assert hits == []
    assert pull.keys(f"fpg:{alice.pk}:*") == []


def test_without_redis_the_pull_feed_answers_uncached(alice_follows_bob, committed, settings):
    w = alice_follows_bob
    with redis_down():
        with committed():
            posts.post_create(author=w.alice, text="mine")
        response = w.client.get(URL)
        assert response.status_code == 200
        assert texts(response) == ["mine", "first"]
