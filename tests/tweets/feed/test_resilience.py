"""The feed survives Redis losing everything, and pages stay exact while posts arrive."""

import threading

import pytest
from django.db import connection

from relationships.models import Follow
from relationships.services import follow_create
from tests.factories import UserFactory
from tests.tweets.conftest import client_for
from tests.tweets.feed.conftest import feed_ids, walk
from tweets import services as posts
from tweets.feed import store
from tweets.models import Post


def test_after_a_flush_every_feed_reads_as_before(redis_feed, committed, db):
    users = UserFactory.create_batch(4)
    with committed():
        for follower in users:
            for followee in users[:3]:
                if follower != followee:
                    follow_create(follower=follower, followee_id=followee.pk)
    clients = [client_for(u) for u in users]
    for client in clients:
        client.get("/api/v1/feed")  # every user active: fan-out reaches them
    with committed():
        for i in range(12):
            made = posts.post_create(author=users[i % 4], text=f"post {i}")
            if i % 4 == 3:
                posts.retweet_create(user=users[0], post_id=made.id)
    before = [feed_ids(client) for client in clients]
    assert all(before)
    assert len(set(map(tuple, before))) > 1  # different feeds

    # FLUSHDB of this test run's Redis db only (REDIS_URL's db): never FLUSHALL, the
    # Redis server is shared with other test runs on other db numbers.
    redis_feed.flushdb()

    assert [feed_ids(client) for client in clients] == before
    assert all(redis_feed.exists(store.timeline_key(u.pk)) for u in users)


@pytest.mark.django_db(transaction=True)
def test_walking_pages_while_posts_arrive_never_repeats_or_skips(redis_feed):
    reader, writer = UserFactory.create_batch(2)
    Follow.objects.create(follower=reader, followee=writer)
    for i in range(40):
        posts.post_create(author=writer, text=f"before {i}")
    client = client_for(reader)
    client.get("/api/v1/feed")  # active: new posts are fanned out to the reader
    existing = set(Post.objects.values_list("id", flat=True))
    stop, inserted = threading.Event(), []

    def insert():
        try:
            while not stop.is_set() and len(inserted) < 500:
                inserted.append(posts.post_create(author=writer, text="during").id)
        finally:
            connection.close()

    thread = threading.Thread(target=insert)
    thread.start()
    try:
        while len(inserted) < 3:  # posts are arriving before the walk starts
            pass
        seen, url, first_top = [], "/api/v1/feed?limit=4", None
        while url:
            body = client.get(url).json()
            ids = [int(entry["id"]) for entry in body["results"]]
            first_top = first_top or ids[0]
            seen += ids
            url = body["next"]
    finally:
        stop.set()
        thread.join()

    assert len(seen) == len(set(seen)), "an entry was repeated"
    older = {i for i in existing | set(inserted) if i < first_top}
    assert older - set(seen) == set(), "an entry older than the first page was skipped"
    assert len(inserted) > 3  # the writer really wrote during the walk
    assert walk(reader, backend="redis") == walk(reader, backend="sql")
