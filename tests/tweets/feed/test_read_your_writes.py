"""Read-your-writes in services mode with no Celery worker running: whoever posts,
retweets or follows sees it in their very next feed read.

Celery is not eager here and nothing consumes the broker, so the fan-out and
backfill handlers never run: what the author sees comes from the request itself.
"""

import pytest

from config.celery import app
from tests.factories import MediaFactory, PostFactory, UserFactory
from tests.tweets.conftest import client_for
from tests.tweets.feed.conftest import timeline
from tweets.feed import store

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_worker(settings, redis_feed):
    """Tasks go to the (Redis) broker and stay there: no worker is running."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


def active(user) -> None:
    """The user read their feed before: their timeline exists in Redis."""
    assert client_for(user).get("/api/v1/feed").status_code == 200
    assert store.client().exists(store.timeline_key(user.pk))


def feed(user) -> list[str]:
    response = client_for(user).get("/api/v1/feed")
    assert response.status_code == 200, response.content
    return [entry["id"] for entry in response.json()["results"]]


def test_your_post_is_in_your_next_read_before_any_worker_ran(no_worker, committed):
    author, follower = UserFactory.create_batch(2)
    client_for(follower).post(f"/api/v1/users/{author.pk}/follow")
    active(author)
    active(follower)

    with committed():
        response = client_for(author).post("/api/v1/posts", {"text": "mine, at once"})
    assert response.status_code == 201
    post_id = response.json()["id"]

    assert feed(author)[0] == post_id
    # Nothing ran the fan-out: the follower's timeline does not have it yet.
    assert int(post_id) not in timeline(follower)


def test_your_retweet_is_in_your_next_read_before_any_worker_ran(no_worker, committed):
    reader, stranger = UserFactory.create_batch(2)
    theirs = PostFactory(author=stranger)
    active(reader)

    with committed():
        response = client_for(reader).post(f"/api/v1/posts/{theirs.id}/retweet")
    assert response.status_code == 201

    first = client_for(reader).get("/api/v1/feed").json()["results"][0]
    assert first["id"] == response.json()["id"]
    assert first["type"] == "retweet"
    assert first["post"]["id"] == str(theirs.id)


def test_a_new_followees_posts_are_in_your_next_read_before_the_backfill(
    no_worker, committed, settings
):
    settings.FEED_FOLLOW_MERGE_SECONDS = 600
    reader, followee = UserFactory.create_batch(2)
    older = PostFactory(author=followee)
    active(reader)
    assert str(older.id) not in feed(reader)

    with committed():
        response = client_for(reader).post(f"/api/v1/users/{followee.pk}/follow")
    assert response.status_code == 201

    assert str(older.id) in feed(reader)
    # The timeline itself was not rebuilt (the backfill handler did not run): the
    # followee's list was merged at read time.
    assert older.id not in timeline(reader)


def test_the_recent_follow_merge_ends_after_its_window(no_worker, committed, settings):
    """Past FEED_FOLLOW_MERGE_SECONDS the follow counts like any other (the backfill
    is long done): its list is no longer merged, so the rule is what decides."""
    settings.FEED_FOLLOW_MERGE_SECONDS = 0
    reader, followee = UserFactory.create_batch(2)
    older = PostFactory(author=followee)
    active(reader)
    with committed():
        client_for(reader).post(f"/api/v1/users/{followee.pk}/follow")

    assert str(older.id) not in feed(reader)  # only the (unrun) backfill would add it


def test_your_alt_text_edit_is_in_your_next_read_before_any_worker_ran(no_worker, committed):
    author = UserFactory()
    media = MediaFactory(owner=author, alt_text="before")
    with committed():
        response = client_for(author).post(
            "/api/v1/posts", {"text": "with a picture", "media_ids": [str(media.pk)]}
        )
    assert response.status_code == 201, response.content

    def alt_texts() -> list[str]:
        entry = client_for(author).get("/api/v1/feed").json()["results"][0]
        return [item["alt_text"] for item in entry["post"]["media"]]

    assert alt_texts() == ["before"]  # the payload is cached now
    with committed():
        response = client_for(author).patch(f"/api/v1/media/{media.pk}", {"alt_text": "after"})
    assert response.status_code == 200, response.content
    # The media.updated handler has not run (no worker): the request bumped the version.
    assert alt_texts() == ["after"]
