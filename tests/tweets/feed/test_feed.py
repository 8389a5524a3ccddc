"""The home feed's behaviour in services mode (Redis timelines), against the SQL feed.

Writes go through the services inside `committed()`, so their events are
dispatched and the (eager) handlers fan out as after a real commit.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.postgresql import prepared
from core.postgresql.arrays import int_array
from relationships import services as rel
from relationships.models import Follow
from tests.factories import (
    BlockFactory,
    FollowFactory,
    LikeFactory,
    MuteFactory,
    PostFactory,
    RetweetFactory,
    UserFactory,
)
from tests.tweets.conftest import client_for
from tests.tweets.feed.conftest import feed_ids, timeline, walk
from tweets import services as posts
from tweets.api import feed as feed_api
from tweets.feed import rules, selectors, states, store
from tweets.models import Post

pytestmark = pytest.mark.django_db


def follow(committed, follower, followee):
    with committed():
        rel.follow_create(follower=follower, followee_id=followee.pk)


def post(committed, author, text="hello", **kwargs):
    with committed():
        return posts.post_create(author=author, text=text, **kwargs)


def activate(client, user) -> None:
    """Read the feed once: the user is active and has a timeline key."""
    client_for(user).get("/api/v1/feed")
    assert client.exists(store.timeline_key(user.pk))


def test_feed_merges_own_and_followed_posts_and_retweets_newest_first(redis_feed, committed):
    alice, bob, carol = UserFactory.create_batch(3)
    follow(committed, alice, bob)
    activate(redis_feed, alice)
    mine = post(committed, alice, "mine")
    bobs = post(committed, bob, "bob's")
    carols = post(committed, carol, "carol's: not followed")
    with committed():
        retweet = posts.retweet_create(user=bob, post_id=carols.id).value

    response = client_for(alice).get("/api/v1/feed")

    assert response.status_code == 200
    results = response.json()["results"]
    assert [e["id"] for e in results] == [str(retweet.id), str(bobs.id), str(mine.id)]
    rt = results[0]
    assert rt["type"] == "retweet"
    assert rt["retweeted_by"]["username"] == bob.username
    assert rt["post"]["id"] == str(carols.id)
    assert rt["post"]["author"]["username"] == carol.username
    assert results[1] == {
        "id": str(bobs.id),
        "type": "post",
        "created_at": results[1]["created_at"],
        "retweeted_by": None,
        "post": results[1]["post"],
    }
    assert results[1]["post"]["text"] == "bob's"
    # Fan-out pushed the entries into alice's timeline; nothing was read from SQL for them.
    assert timeline(alice) == [retweet.id, bobs.id, mine.id]


def test_fan_out_skips_inactive_followers_whose_next_read_rebuilds(redis_feed, committed):
    author, active, inactive = UserFactory.create_batch(3)
    follow(committed, active, author)
    follow(committed, inactive, author)
    activate(redis_feed, active)

    new = post(committed, author)

    assert timeline(active) == [new.id]
    assert not redis_feed.exists(store.timeline_key(inactive.pk))
    assert feed_ids(client_for(inactive)) == [str(new.id)]
    assert timeline(inactive) == [new.id]  # rebuilt: active from now on


def test_replies_reach_only_those_who_follow_both_authors(redis_feed, committed):
    author, replied, both, only_author = UserFactory.create_batch(4)
    for user in (both, only_author):
        follow(committed, user, author)
        activate(redis_feed, user)
    follow(committed, both, replied)
    parent = post(committed, replied, "parent")
    reply = post(committed, author, "reply", reply_to_id=parent.id)
    self_reply = post(committed, author, "thread", reply_to_id=reply.id)

    assert timeline(both) == [self_reply.id, reply.id, parent.id]
    assert timeline(only_author) == [self_reply.id]
    for user in (both, only_author):
        assert walk(user, backend="redis") == walk(user, backend="sql")
    # Following the replied-to author later makes the old reply eligible: the
    # follow rebuilds the timeline, so it appears as the SQL feed says.
    follow(committed, only_author, replied)
    assert walk(only_author, backend="redis") == [self_reply.id, reply.id, parent.id]


def test_unfollow_removes_entries_and_follow_backfills(redis_feed, committed):
    alice, bob = UserFactory.create_batch(2)
    old = [post(committed, bob, f"old {i}") for i in range(3)]
    activate(redis_feed, alice)
    assert timeline(alice) == []

    follow(committed, alice, bob)
    assert timeline(alice) == [p.id for p in reversed(old)]
    assert feed_ids(client_for(alice)) == [str(p.id) for p in reversed(old)]

    with committed():
        rel.follow_delete(follower=alice, followee_id=bob.pk)
    assert timeline(alice) == []
    assert feed_ids(client_for(alice)) == []


def test_block_and_mute_filter_at_once(redis_feed, committed):
    alice, bob, carol = UserFactory.create_batch(3)
    follow(committed, alice, bob)
    follow(committed, alice, carol)
    activate(redis_feed, alice)
    bobs, carols = post(committed, bob), post(committed, carol)
    with committed():
        rt = posts.retweet_create(user=bob, post_id=carols.id).value
    assert walk(alice, backend="redis") == [rt.id, carols.id, bobs.id]

    with committed():
        rel.mute_create(muter=alice, muted_id=carol.pk)
    # Muting carol hides her posts and bob's retweet of one.
    assert walk(alice, backend="redis") == [bobs.id] == walk(alice, backend="sql")
    with committed():
        rel.mute_delete(muter=alice, muted_id=carol.pk)
    assert walk(alice, backend="redis") == [rt.id, carols.id, bobs.id]

    with committed():
        rel.block_create(blocker=bob, blocked_id=alice.pk)
    assert walk(alice, backend="redis") == [carols.id] == walk(alice, backend="sql")


def test_deleted_posts_and_undone_retweets_never_appear(redis_feed, committed):
    alice, bob = UserFactory.create_batch(2)
    follow(committed, alice, bob)
    activate(redis_feed, alice)
    keep, gone = post(committed, bob, "keep"), post(committed, bob, "gone")
    with committed():
        rt = posts.retweet_create(user=bob, post_id=keep.id).value
    client = client_for(alice)
    assert feed_ids(client) == [str(rt.id), str(gone.id), str(keep.id)]

    with committed():
        posts.post_delete(user=bob, post_id=gone.id)
        posts.retweet_delete(user=bob, post_id=keep.id)

    assert feed_ids(client) == [str(keep.id)]
    # Still in alice's timeline (no fan-out for deletes), filtered at read.
    assert gone.id in timeline(alice)


def test_an_edit_is_served_fresh_from_a_new_payload_version(redis_feed, committed):
    alice, bob = UserFactory.create_batch(2)
    follow(committed, alice, bob)
    note = post(committed, bob, "first text")
    client = client_for(alice)
    assert client.get("/api/v1/feed").json()["results"][0]["post"]["text"] == "first text"

    with committed():
        posts.post_edit(user=bob, post_id=note.id, text="second text")

    entry = client.get("/api/v1/feed").json()["results"][0]["post"]
    assert entry["text"] == "second text"
    assert entry["edited_at"] is not None


def test_a_page_checks_few_more_ids_than_it_shows_and_reads_on_when_filtered(
    redis_feed, committed, monkeypatch
):
    """Each id read from Redis is checked by the page statement, so a page reads a
    quarter more than it shows; when filtering leaves it short it reads further down,
    and the pages stay those of the SQL feed."""
    alice, bob, carol = UserFactory.create_batch(3)
    follow(committed, alice, bob)
    follow(committed, alice, carol)
    activate(redis_feed, alice)
    for i in range(24):
        post(committed, carol if i % 3 else bob, text=f"post {i}")
    checked: list[int] = []

    def spy(name):
        among = getattr(rules, name)

        def counted(viewer, ids, **kwargs):
            checked.append(len(ids))
            return among(viewer, ids, **kwargs)

        monkeypatch.setattr(rules, name, counted)

    spy("entries_and_merged")
    spy("entries_among")
    assert len(walk(alice, backend="redis", limit=10)) == 24
    assert checked[0] == selectors.over_read(11) == 15  # a page of 10 and one more
    with committed():
        rel.mute_create(muter=alice, muted_id=carol.pk)
    checked.clear()
    assert walk(alice, backend="redis", limit=5) == walk(alice, backend="sql", limit=5)
    assert len(walk(alice, backend="redis", limit=5)) == 8
    assert len(checked) > 1  # the first read kept 3 of bob's: the page read on


def test_counters_and_viewer_flags_are_fresh(redis_feed, committed):
    alice, bob = UserFactory.create_batch(2)
    follow(committed, alice, bob)
    note = post(committed, bob)
    client = client_for(alice)
    before = client.get("/api/v1/feed").json()["results"][0]["post"]
    assert (before["like_count"], before["liked"]) == (0, False)

    with committed():
        posts.like_create(user=alice, post_id=note.id)
        posts.bookmark_create(user=alice, post_id=note.id)

    after = client.get("/api/v1/feed").json()["results"][0]["post"]
    assert (after["like_count"], after["liked"], after["bookmarked"]) == (1, True, True)


def test_since_id_returns_only_newer_entries_and_next_stops_there(redis_feed, committed):
    alice = UserFactory()
    made = [post(committed, alice, f"n{i}") for i in range(7)]
    since = made[1].id
    client = client_for(alice)

    first = client.get(f"/api/v1/feed?since_id={since}&limit=2").json()
    assert [e["id"] for e in first["results"]] == [str(made[6].id), str(made[5].id)]
    assert f"since_id={since}" in first["next"]
    ids = feed_ids(client, f"/api/v1/feed?since_id={since}&limit=2")
    assert ids == [str(p.id) for p in reversed(made[2:])]
    assert walk(alice, backend="sql", since_id=since) == [int(i) for i in ids]


def test_q_filters_by_text_or_author_username_and_paginates(redis_feed, committed):
    alice, bob = UserFactory(), UserFactory(username="zebra")
    follow(committed, alice, bob)
    cats = [post(committed, alice, f"cats {i}") for i in range(4)]
    post(committed, alice, "dogs")
    by_zebra = post(committed, bob, "anything")
    client = client_for(alice)

    assert feed_ids(client, "/api/v1/feed?q=CATS&limit=3") == [str(p.id) for p in reversed(cats)]
    assert feed_ids(client, "/api/v1/feed?q=zebr&limit=3") == [str(by_zebra.id)]


def test_an_author_above_the_threshold_is_merged_at_read_time(redis_feed, committed, settings):
    settings.FEED_FANOUT_MAX_FOLLOWERS = 1
    settings.FEED_MERGE_MIN_FOLLOWERS = 1
    star, fan, other = UserFactory.create_batch(3)
    follow(committed, fan, star)
    follow(committed, other, star)  # star now has 2 followers: above the threshold
    activate(redis_feed, fan)

    new = post(committed, star, "from the star")

    assert timeline(fan) == []  # not fanned out
    assert store.all_ids(store.author_key(star.pk)) == [new.id]
    assert feed_ids(client_for(fan)) == [str(new.id)]


def test_deep_pages_past_the_kept_entries_come_from_sql(redis_feed, committed, settings):
    settings.FEED_MAX_ENTRIES = 4
    alice, bob = UserFactory.create_batch(2)
    follow(committed, alice, bob)
    activate(redis_feed, alice)
    made = [post(committed, bob, f"p{i}") for i in range(9)]

    assert len(timeline(alice)) == 4  # trimmed
    expected = [p.id for p in reversed(made)]
    assert walk(alice, backend="redis", limit=3) == expected == walk(alice, backend="sql")


def test_a_lost_timeline_is_rebuilt_on_read(redis_feed, committed):
    alice, bob = UserFactory.create_batch(2)
    follow(committed, alice, bob)
    activate(redis_feed, alice)
    made = [post(committed, bob) for _ in range(4)]
    redis_feed.delete(store.timeline_key(alice.pk), store.author_key(bob.pk))

    assert feed_ids(client_for(alice)) == [str(p.id) for p in reversed(made)]
    assert timeline(alice) == [p.id for p in reversed(made)]


def test_embedded_mode_computes_the_same_feed_with_sql(settings, committed):
    settings.FEED_BACKEND = "sql"
    alice, bob = UserFactory.create_batch(2)
    follow(committed, alice, bob)
    made = [post(committed, bob) for _ in range(5)]

    assert feed_ids(client_for(alice), "/api/v1/feed?limit=2") == [
        str(p.id) for p in reversed(made)
    ]
    assert not store.client().exists(store.timeline_key(alice.pk))


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=abc",
        "cursor=nope",
        "since_id=abc",
        "since_id=99999999999999999999",
        "q=" + "x" * 101,
    ],
)
def test_bad_parameters_are_a_400_in_the_error_format(redis_feed, query):
    response = client_for(UserFactory()).get(f"/api/v1/feed?{query}")
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"


def test_a_plain_page_read_skips_the_parameter_serializer(redis_feed, monkeypatch):
    """Building FeedQuerySerializer cost 90 µs a read; it runs only for the parameters
    it validates, and those are all of its fields."""
    assert tuple(feed_api.FeedQuerySerializer().fields) == feed_api.FEED_PARAMS
    client = client_for(UserFactory())

    class Refused(feed_api.FeedQuerySerializer):
        def __init__(self, *args, **kwargs):
            raise AssertionError("built for a plain read")

    monkeypatch.setattr(feed_api, "FeedQuerySerializer", Refused)
    assert client.get("/api/v1/feed?limit=5&cursor=").status_code == 200
    monkeypatch.undo()
    for query in ("since_id=abc", "since_id=-1", "q=" + "x" * 101):
        response = client.get(f"/api/v1/feed?limit=5&{query}")
        assert response.status_code == 400, query
        assert response.json()["type"] == "validation_error"


def test_the_feed_needs_a_signed_in_user(api_client):
    assert api_client.get("/api/v1/feed").status_code == 401


def test_the_compiled_recheck_runs_with_each_viewers_own_relationships():
    """entries_among reuses SQL compiled once per process: the viewer's id and the ids
    must be parameters, never baked in from the first viewer who read."""
    author, retweeter = UserFactory.create_batch(2)
    first, blocker, muter, stranger = UserFactory.create_batch(4)
    for viewer in (first, blocker, muter, stranger):
        FollowFactory(follower=viewer, followee=author)
        FollowFactory(follower=viewer, followee=retweeter)
    post = PostFactory(author=author)
    retweet = RetweetFactory(user=retweeter, post=post)
    other = PostFactory(author=author)
    BlockFactory(blocker=blocker, blocked=retweeter)
    MuteFactory(muter=muter, muted=author)
    ids = [other.id, retweet.id, post.id]

    def among(viewer, wanted=ids):
        return [(row.id, row.type) for row in rules.entries_among(viewer, wanted)]

    expected = sorted([(post.id, "post"), (retweet.id, "retweet"), (other.id, "post")])[::-1]
    assert among(first) == expected
    assert among(blocker) == [e for e in expected if e[0] != retweet.id]
    assert among(muter) == []  # the author's posts and retweets of them
    assert among(first, [post.id]) == [(post.id, "post")]
    assert rules.entries_among(first, [retweet.id])[0].retweeted_by.username == retweeter.username
    Follow.objects.filter(follower=stranger).delete()
    assert among(stranger) == []


def test_the_compiled_recheck_is_planned_once_per_connection_and_still_logged():
    """The compiled queries run as prepared statements with one generic plan (PostgreSQL
    planned them on every read before: 0.5-0.9 ms each), and Django still logs and
    counts them like any other query."""
    viewer, author, retweeter = UserFactory.create_batch(3)
    FollowFactory(follower=viewer, followee=author)
    FollowFactory(follower=viewer, followee=retweeter)
    post = PostFactory(author=author)
    retweet = RetweetFactory(user=retweeter, post=post)
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            rows = rules.entries_among(viewer, [retweet.id, post.id])
        assert [row.id for row in rows] == [retweet.id, post.id]
        assert len(queries) == 1  # posts and retweets in one statement (UNION ALL)
        assert queries.captured_queries[0]["sql"].count("= ANY(") == 2

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")
        plans = [(g, c) for statement, g, c in cursor.fetchall() if "= ANY($" in statement]
    assert len(plans) == 1  # prepared once on this connection
    assert all(generic >= 3 and custom == 0 for generic, custom in plans)


def test_the_compiled_templates_are_parsed_once_and_logged_only_when_asked():
    """psycopg caches placeholder parsing only for statements under 4 KB; the feed's
    templates are longer, so the preparing cursor keeps its own cache (parsed once per
    process), and rebuilds the statement text for Django's log only while it logs
    (tests do; production does not)."""
    viewer, author = UserFactory.create_batch(2)
    FollowFactory(follower=viewer, followee=author)
    post = PostFactory(author=author)
    parsed = prepared.preparing_cursor_class().parsed
    sql, _ = rules._among_template()
    assert len(sql.encode()) > 4096  # past psycopg's own cache: the case this is for
    rules.entries_among(viewer, [post.id])
    before = parsed.cache_info()
    for _ in range(3):
        assert [row.id for row in rules.entries_among(viewer, [post.id])] == [post.id]
    after = parsed.cache_info()
    assert (after.misses, after.hits) == (before.misses, before.hits + 3)

    with CaptureQueriesContext(connection) as queries:
        rules.entries_among(viewer, [post.id])
    assert queries.captured_queries[0]["sql"].startswith("WITH among")  # logged
    with prepared.prepared_cursor() as cursor:
        cursor.execute("SELECT %s::int", [7])
        assert cursor.fetchone() == (7,)
        assert connection.queries_logged or cursor.cursor._query is None


def test_the_ids_reach_postgresql_as_one_array_literal(monkeypatch):
    """psycopg dumps a list element by element in Python (140 µs for a feed page's two
    lists of 42 ids); the templates get one text literal, typed by `= ANY(...)`."""
    assert int_array([2**63 - 1, 7]) == "{9223372036854775807,7}"
    assert int_array([]) == "{}"
    with pytest.raises(ValueError, match="invalid literal for int"):
        int_array(["1}'); DROP TABLE tweets_post; --"])
    viewer, author = UserFactory.create_batch(2)
    FollowFactory(follower=viewer, followee=author)
    newer, older = PostFactory(author=author), PostFactory(author=author)
    cursor_class = prepared.preparing_cursor_class()
    sent = []
    execute = cursor_class.execute

    def spy(self, query, params=None, **kwargs):
        sent.append(params)
        return execute(self, query, params, **kwargs)

    monkeypatch.setattr(cursor_class, "execute", spy)
    ids = [older.id, newer.id, 2**63 - 1]
    found = rules.entries_among(viewer, ids)
    assert {row.id for row in found} == {older.id, newer.id}
    arrays = [p for p in sent[0] if isinstance(p, str) and p.startswith("{")]
    assert arrays == [int_array(ids)] * 2  # posts and retweets
    assert not any(isinstance(p, list) for p in sent[0])
    assert rules.entries_among(viewer, []) == []


def test_entries_among_reads_the_newest_up_to_the_limit_with_their_posts_states():
    """On PostgreSQL the page and its posts' states (counters, author, the viewer's
    flags) are one statement; the states equal what the separate query reads."""
    viewer, author, retweeter = UserFactory.create_batch(3)
    FollowFactory(follower=viewer, followee=author)
    FollowFactory(follower=viewer, followee=retweeter)
    old, liked = PostFactory(author=author), PostFactory(author=author)
    LikeFactory(user=viewer, post=liked)
    Post.objects.filter(pk=liked.pk).update(like_count=1)
    retweet = RetweetFactory(user=retweeter, post=liked)
    ids = [retweet.id, liked.id, old.id]

    with CaptureQueriesContext(connection) as queries:
        rows = rules.entries_among(viewer, ids, limit=2)
    assert len(queries) == 1
    assert [(row.id, row.post_id) for row in rows] == [(retweet.id, liked.id), (liked.id, liked.id)]
    expected = states.post_states(viewer, [liked.id])[liked.id]
    for row in rows:
        assert vars(row.post) | {"author": None} == vars(expected) | {"author": None}
        assert row.post.author.username == author.username
        assert (row.post.liked, row.post.like_count, row.post.retweeted) == (True, 1, False)
    assert [row.id for row in rules.entries_among(viewer, ids)] == ids
    assert rules.entries_among(viewer, ids, limit=0) == []
