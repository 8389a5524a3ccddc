"""The home feed while Redis is unavailable: the SQL pull feed serves it, page by
page with the same cursors, and a new post is in its author's next read. The
timelines come back by themselves (tests/faults/test_redis_down.py, with real
processes and a Redis SIGKILLed and restarted empty)."""

import pytest

from relationships.services import follow_create
from tests.factories import UserFactory
from tests.faults.dead_redis import redis_down
from tests.tweets.conftest import client_for
from tests.tweets.feed.conftest import feed_ids, walk
from tweets import services as posts
from tweets.feed import store


@pytest.fixture
def network(redis_feed, committed, db):
    """Four users following each other, posts and retweets, every timeline in Redis."""
    users = UserFactory.create_batch(4)
    with committed():
        for follower in users:
            for followee in users[:3]:
                if follower != followee:
                    follow_create(follower=follower, followee_id=followee.pk)
    for user in users:
        client_for(user).get("/api/v1/feed")  # active: fan-out reaches them
    with committed():
        for i in range(10):
            made = posts.post_create(author=users[i % 4], text=f"post {i}")
            if i % 3 == 0:
                posts.retweet_create(user=users[(i + 1) % 4], post_id=made.id)
    return users


def test_without_redis_every_feed_reads_as_with_it_page_by_page(network, redis_feed):
    clients = [client_for(u) for u in network]
    before = [feed_ids(client) for client in clients]  # through Redis
    assert all(before)

    with redis_down():
        # Before issue 14: 500 (the timeline read's connection error escaped).
        assert [feed_ids(client) for client in clients] == before
        assert [walk(u, backend="redis") for u in network] == [
            walk(u, backend="sql") for u in network
        ]

    assert [feed_ids(client) for client in clients] == before
    assert all(redis_feed.exists(store.timeline_key(u.pk)) for u in network)


def test_without_redis_a_new_post_is_in_its_authors_next_read(network, committed):
    author = client_for(network[0])
    with redis_down():
        with committed():
            created = author.post("/api/v1/posts", {"text": "during"}, format="json")
        assert created.status_code == 201, created.content
        assert feed_ids(author)[0] == created.json()["id"]
