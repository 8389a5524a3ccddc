"""A plain post (no reply, quote or media) is written in one statement, outside any
transaction (tweets.services._plain_post_create): the row, the author's counter and
the post.created event all land, and the author reads it at once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import OutboxEvent
from tests.factories import UserFactory
from tests.tweets.conftest import client_for
from tweets.models import Post

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_plain_post_lands_whole_and_is_in_the_authors_next_read():
    alice = UserFactory(username="alice")
    client = client_for(alice)
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/api/v1/posts", {"text": "one statement"}, format="json")
    assert response.status_code == 201, response.content
    sql = [q["sql"] for q in queries.captured_queries]
    # (Celery is eager here: the handlers' queries follow the write in the same list.)
    inserts = [i for i, q in enumerate(sql) if 'INSERT INTO "tweets_post"' in q]
    assert len(inserts) == 1, sql
    assert sql[inserts[0]].startswith("WITH "), sql
    assert not [q for q in sql[: inserts[0]] if q.startswith(("SAVEPOINT", "BEGIN"))]
    post_id = int(response.json()["id"])

    post = Post.objects.get(pk=post_id)
    assert (post.author_id, post.text, post.conversation_id) == (alice.pk, "one statement", post_id)
    assert (post.reply_to_id, post.quote_of_id, post.media_ids, post.version) == (
        None,
        None,
        [],
        0,
    )
    alice.refresh_from_db()
    assert alice.posts_count == 1
    event = OutboxEvent.objects.get(name="post.created", payload__post_id=post_id)
    assert event.payload["author_id"] == alice.pk
    assert event.payload["conversation_id"] == post_id

    feed = client.get("/api/v1/feed").json()
    assert [entry["post"]["id"] for entry in feed["results"]][:1] == [str(post_id)]


def test_a_reply_still_goes_through_the_transaction():
    alice = UserFactory(username="alice")
    client = client_for(alice)
    parent = client.post("/api/v1/posts", {"text": "parent"}, format="json").json()
    response = client.post(
        "/api/v1/posts", {"text": "reply", "reply_to": parent["id"]}, format="json"
    )
    assert response.status_code == 201, response.content
    assert Post.objects.get(pk=parent["id"]).reply_count == 1
    alice.refresh_from_db()
    assert alice.posts_count == 2
