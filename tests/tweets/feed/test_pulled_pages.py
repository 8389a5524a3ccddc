"""Pull-feed pages (tweets.feed.pages, FEED_BACKEND=sql with Redis): a kept page is
served while no author it follows posted after it, checked against the posters
since its clock. What both backends share (every kind of change, the state
machine) is in test_page_cache.py."""

import threading
from dataclasses import dataclass

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections
from rest_framework.test import APIClient

from accounts.models import User
from core import stamps
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


@pytest.mark.django_db(transaction=True)
def test_pages_kept_while_followees_post_in_parallel_end_up_exact(pull, settings):
    """Real commits (each post stamps after its own), three authors posting in
    threads with connections of their own while two readers keep reading, and
    keeping, alice's page: when the posting stops, a read through the cache is
    what rendering answers now, topped by the last post of those she follows."""
    assert connection.vendor == "postgresql", "concurrency is proven against PostgreSQL"
    alice, bob, carol, dave = UserFactory.create_batch(4)
    for followee in (bob, carol):
        rel.follow_create(follower=alice, followee_id=followee.pk)
    posting, last = threading.Event(), {}
    errors: list[BaseException] = []

    def post(author):
        try:
            for i in range(25):
                last[author.pk] = posts.post_create(author=author, text=f"{author.pk}:{i}").id
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def read():
        client = client_for(alice)
        try:
            while posting.is_set():
                assert client.get(URL).status_code == 200
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    posting.set()
    readers = [threading.Thread(target=read) for _ in range(2)]
    authors = [threading.Thread(target=post, args=(u,)) for u in (bob, carol, dave)]
    for thread in readers + authors:
        thread.start()
    for thread in authors:
        thread.join()
    posting.clear()
    for thread in readers:
        thread.join()
    assert errors == []
    client = client_for(alice)
    cached = client.get(URL)
    assert cached.content == rendered(client, URL, settings).content
    ids = [int(entry["id"]) for entry in cached.json()["results"]]
    assert ids[0] == max(last[bob.pk], last[carol.pk])  # dave's are not hers


@pytest.mark.django_db(transaction=True)
def test_a_plain_post_is_stamped_only_once_others_can_read_it(pull, monkeypatch):
    # A page whose statement ran before the commit but whose clock was read after
    # the stamp would miss the post and still be served: the stamp must follow
    # the commit, also for the one-statement write outside a transaction.
    alice = UserFactory()
    visible: list[int] = []

    def backend(keys):
        other = connections.create_connection(DEFAULT_DB_ALIAS)  # another reader's
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM tweets_post WHERE author_id = %s", [alice.pk])
                visible.append(cursor.fetchone()[0])
        finally:
            other.close()

    monkeypatch.setattr(stamps, "_backend", backend)
    posts.post_create(author=alice, text="plain")
    assert visible == [1]
