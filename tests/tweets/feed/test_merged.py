"""The merged authors a Redis feed read remembers per process (tweets.feed.merged):
a warm read asks for them only inside its page statement, and whatever that
statement sees replaces what was remembered, a missed author by reading again."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from relationships import services as rel
from tests.factories import UserFactory
from tests.tweets.conftest import client_for
from tests.tweets.feed.test_feed import follow, post
from tweets.feed import merged, store

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the Redis feed's statement"),
]


@pytest.fixture
def stars(settings, redis_feed):
    """Authors past the merge threshold: never fanned out, merged at read time (and
    only they: a recent follow is not, its backfill runs at once here)."""
    settings.FEED_FANOUT_MAX_FOLLOWERS = settings.FEED_MERGE_MIN_FOLLOWERS = 1
    settings.FEED_FOLLOW_MERGE_SECONDS = 0
    return UserFactory.create_batch(2, followers_count=50)


def read(viewer) -> tuple[list[str], list[str]]:
    """The first feed page's ids, and the SQL of the queries the read made."""
    with CaptureQueriesContext(connection) as queries:
        response = client_for(viewer).get("/api/v1/feed?limit=20")
    assert response.status_code == 200, response.content
    return [e["id"] for e in response.json()["results"]], [q["sql"] for q in queries]


def asked_alone(sql: list[str]) -> int:
    """How many times the read ran the merged-authors query on its own."""
    alone = merged.query().template()[0]
    return sum(1 for text in sql if text.startswith(alone[:60]) and "feed_page" not in text)


def page_statements(sql: list[str]) -> int:
    return sum(1 for text in sql if "feed_page" in text)


def test_a_warm_read_asks_for_the_merged_authors_only_inside_its_page_statement(stars, committed):
    viewer, friend = UserFactory.create_batch(2)
    follow(committed, viewer, friend)
    follow(committed, viewer, stars[0])
    made = [post(committed, friend), post(committed, stars[0])]

    cold, cold_sql = read(viewer)
    warm, warm_sql = read(viewer)

    assert cold == warm == [str(p.id) for p in reversed(made)]
    assert asked_alone(cold_sql) == 1  # nothing remembered yet
    assert asked_alone(warm_sql) == 0
    assert page_statements(warm_sql) == 1
    assert merged.known(viewer.pk) == (stars[0].pk,)


@pytest.mark.parametrize("on_timeline", [True, False], ids=["page-has-rows", "empty-page"])
def test_a_new_followee_is_in_the_next_read_though_not_remembered(stars, committed, on_timeline):
    """Remembered before the follow: the page statement (or, for a page without
    rows, the query on its own) sees the new author, and the read is done again."""
    viewer, friend = UserFactory.create_batch(2)
    if on_timeline:
        follow(committed, viewer, friend)
        post(committed, friend)
    read(viewer)
    assert merged.known(viewer.pk) == ()

    follow(committed, viewer, stars[1])
    star_post = post(committed, stars[1], "from the star")
    assert star_post.id not in store.all_ids(store.timeline_key(viewer.pk))  # not fanned out
    ids, sql = read(viewer)

    assert ids[0] == str(star_post.id)
    assert merged.known(viewer.pk) == (stars[1].pk,)
    again, warm_sql = read(viewer)
    assert again == ids
    # The read that missed the author (its page statement saw it, or, without rows,
    # the query on its own did), then the read with it, as the next read makes.
    assert page_statements(sql) == page_statements(warm_sql) + on_timeline
    assert asked_alone(sql) == (not on_timeline)
    assert asked_alone(warm_sql) == 0


def test_authors_no_longer_merged_are_forgotten_by_the_next_read(stars, committed):
    viewer, friend = UserFactory.create_batch(2)
    follow(committed, viewer, friend)
    for star in stars:
        follow(committed, viewer, star)
    made = [post(committed, friend), *(post(committed, star) for star in stars)]
    read(viewer)
    assert set(merged.known(viewer.pk) or ()) == {s.pk for s in stars}

    with committed():
        rel.follow_delete(follower=viewer, followee_id=stars[1].pk)
    ids, sql = read(viewer)

    assert ids == [str(made[1].id), str(made[0].id)]  # the unfollowed star's post is gone
    assert merged.known(viewer.pk) == (stars[0].pk,)
    assert page_statements(sql) == 1  # no second read needed
    assert asked_alone(sql) == 0


def test_a_remembered_author_the_viewer_never_followed_changes_nothing(stars, committed):
    viewer, friend = UserFactory.create_batch(2)
    follow(committed, viewer, friend)
    mine = post(committed, friend)
    post(committed, stars[0])  # in the star's list; the viewer does not follow them
    merged.remember(viewer.pk, (stars[0].pk,))

    ids, _ = read(viewer)

    assert ids == [str(mine.id)]
    assert merged.known(viewer.pk) == ()


def test_the_memory_is_bounded_least_recently_read_first(monkeypatch, settings):
    monkeypatch.setattr(merged, "KNOWN_READERS", 3)
    for reader in (1, 2, 3):
        merged.remember(reader, (reader * 10,))
    assert merged.known(1) == (10,)  # read again: now the most recent

    merged.remember(4, (40,))

    assert merged.known(2) is None
    assert [merged.known(r) for r in (1, 3, 4)] == [(10,), (30,), (40,)]


def test_readers_past_the_cap_are_not_remembered(settings):
    settings.FEED_MAX_MERGED_AUTHORS = 2
    merged.remember(1, (5, 6))
    merged.remember(1, (5, 6, 7))
    assert merged.known(1) is None


def test_each_setting_of_the_thresholds_has_its_own_memory(settings):
    merged.remember(1, (5,))
    settings.FEED_MERGE_MIN_FOLLOWERS += 1
    assert merged.known(1) is None
