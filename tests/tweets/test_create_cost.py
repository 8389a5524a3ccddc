"""Creating a post costs a fixed number of queries, none of them to render its flags.

A post that did not exist before the request cannot be liked, retweeted or
bookmarked by anyone, so POST /posts and POST /posts/{id}/comment answer
`false` for all three without asking the database (it was one UNION query of
likes, retweets and bookmarks per request).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import PostFactory
from tests.tweets.conftest import client_for

pytestmark = pytest.mark.django_db

FLAG_TABLES = ("tweets_like", "tweets_retweet", "tweets_bookmark")


def create(client, path: str, body: dict) -> tuple[dict, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.post(path, body, format="json")
    assert response.status_code == 201, response.content
    return response.json(), [q["sql"] for q in queries.captured_queries]


def assert_new_post_flags(data: dict) -> None:
    assert (data["liked"], data["retweeted"], data["bookmarked"]) == (False, False, False)


def test_a_plain_post_costs_its_writes_and_nothing_else(alice):
    data, sql = create(client_for(alice), "/api/v1/posts", {"text": "hello"})

    # One statement (core.sql.write_together): INSERT post, UPDATE posts_count and
    # INSERT the outbox row as data-modifying CTEs; no transaction around it.
    assert len(sql) == 1, sql
    assert sql[0].startswith('WITH w0 AS (INSERT INTO "tweets_post"')
    assert 'UPDATE "accounts_user"' in sql[0]
    assert 'INSERT INTO "core_outboxevent"' in sql[0]
    assert_new_post_flags(data)
    assert data["author"]["username"] == "alice"
    assert (data["reply_to"], data["quote_of"], data["mentions"]) == (None, None, [])


def test_a_reply_quoting_a_post_and_mentioning_a_user_reads_no_flags(alice, bob):
    parent = PostFactory(author=bob)
    quoted = PostFactory(author=bob)
    body = {"text": "hi @bob", "reply_to": str(parent.id), "quote_of": str(quoted.id)}

    data, sql = create(client_for(alice), "/api/v1/posts", body)

    # 11 for the write (the two target posts with their authors, whose visibility
    # query covers blocks; the counters; 3 events), 1 for the mentioned users; the
    # referenced posts render from what the write loaded
    assert len(sql) == 12, sql
    assert not [q for q in sql if any(table in q for table in FLAG_TABLES)]
    assert_new_post_flags(data)
    assert data["reply_to"]["id"] == str(parent.id)
    assert data["reply_to"]["author"]["username"] == "bob"
    assert data["quote_of"]["id"] == str(quoted.id)
    assert [m["username"] for m in data["mentions"]] == ["bob"]


def test_a_comment_reads_no_flags(alice, bob):
    parent = PostFactory(author=bob)

    data, sql = create(client_for(alice), f"/api/v1/posts/{parent.id}/comment", {"text": "yes"})

    # savepoint; the parent with its author (visibility covers blocks); INSERT post;
    # reply_count and posts_count; 2 events; release. The parent renders as loaded.
    assert len(sql) == 8, sql
    assert not [q for q in sql if any(table in q for table in FLAG_TABLES)]
    assert_new_post_flags(data)
    assert data["reply_to"]["author"]["username"] == "bob"


def test_the_same_post_read_back_renders_the_same_as_its_create_answer(alice, bob):
    parent = PostFactory(author=bob)
    quoted = PostFactory(author=bob)
    client = client_for(alice)
    body = {"text": "hi @bob", "reply_to": str(parent.id), "quote_of": str(quoted.id)}
    created, _ = create(client, "/api/v1/posts", body)

    read = client.get(f"/api/v1/posts/{created['id']}").json()

    assert created == read
