"""The SQL pull feed read from its candidates (tweets.feed.rules._pulled_entries: a
top-n per followee, or the newest entries probed against the follows): the same
entries as the scan of every post by author, in one statement per batch, and a
query plan that probes indexes instead of scanning posts."""

import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from accounts.viewer import SignedInViewer
from relationships.models import Follow
from tests.factories import (
    BlockFactory,
    FollowFactory,
    MuteFactory,
    PostFactory,
    RetweetFactory,
    UserFactory,
)
from tweets.feed import merged, rules
from tweets.models import Post

pytestmark = pytest.mark.django_db


def scanned(viewer, *, lo=0, hi=None, n, probe=False):
    entries = rules._scanned_entries(viewer, lo=lo, hi=hi, ascending=False, n=n, q="", probe=probe)
    return [r.id for r in entries]


def pulled(viewer, *, lo=0, hi=None, n):
    return [r.id for r in rules._pulled_entries(viewer, lo=lo, hi=hi, n=n)]


@pytest.fixture
def ways(monkeypatch):
    """Which way each statement read its candidates: True per followee, False probed."""
    seen = []
    real = rules._pull

    def recording(*args, **kwargs):
        result = real(*args, **kwargs)
        seen.append(result.per_followee)
        return result

    monkeypatch.setattr(rules, "_pull", recording)
    return seen


def read_per_followee(settings, per_followee: bool) -> None:
    # The statement compares the reader's following counter with the setting.
    settings.FEED_SQL_LATERAL_MAX_FOLLOWS = 10**6 if per_followee else -1


@pytest.fixture
def world():
    """A viewer following three authors, with every kind of entry the rule drops."""
    viewer = UserFactory()
    friend, muted, other, stranger = UserFactory.create_batch(4)
    suspended = UserFactory()
    for followee in (friend, muted, other, suspended):
        FollowFactory(follower=viewer, followee=followee)
    MuteFactory(muter=viewer, muted=muted)
    blocker = UserFactory()
    FollowFactory(follower=viewer, followee=blocker)
    BlockFactory(blocker=blocker, blocked=viewer)
    for i in range(6):
        PostFactory(author=friend)
        PostFactory(author=muted)  # muted: dropped, many in a row
        PostFactory(author=muted)
        PostFactory(author=blocker)  # blocks the viewer: dropped
        PostFactory(author=suspended)
        PostFactory(author=stranger)  # not followed: never a candidate
        PostFactory(author=other, hidden_at=timezone.now() if i % 2 else None)
        PostFactory(author=friend, deleted_at=timezone.now())
        PostFactory(author=viewer)
        RetweetFactory(user=other, post=PostFactory(author=stranger))
        RetweetFactory(user=friend, post=PostFactory(author=muted))  # of a muted author
        PostFactory(author=stranger, reply_to=PostFactory(author=stranger))
        PostFactory(author=friend, reply_to=PostFactory(author=stranger))  # reply to a stranger
        PostFactory(author=friend, reply_to=PostFactory(author=other))
    type(suspended).objects.filter(pk=suspended.pk).update(is_active=False)
    return viewer


@pytest.mark.parametrize("per_followee", [True, False], ids=["per followee", "probed"])
@pytest.mark.parametrize("n", [1, 3, 8, 21, 200])
def test_the_candidate_reads_equal_the_scan_at_every_page_size(
    world, n, per_followee, settings, ways
):
    read_per_followee(settings, per_followee)
    everything = scanned(world, n=1000)
    assert len(everything) > 20  # the rule keeps some of each kind
    assert pulled(world, n=n) == everything[:n]
    # Windows inside the feed, as cursors cut them.
    for hi in everything[::4]:
        for lo in (0, everything[-1], everything[len(everything) // 2]):
            expected = scanned(world, lo=lo, hi=hi, n=n)
            assert pulled(world, lo=lo, hi=hi, n=n) == expected
    assert set(ways) == {per_followee}


@pytest.mark.parametrize("per_followee", [True, False], ids=["per followee", "probed"])
def test_batches_dropped_by_the_rule_are_read_past_then_the_scan_takes_over(
    world, monkeypatch, settings, ways, per_followee
):
    """A page whose candidates the rule keeps few of takes more batches, and after
    PULL_MAX_ROUNDS the scan serves the rest: the entries stay those of the scan."""
    read_per_followee(settings, per_followee)
    everything = scanned(world, n=1000)
    monkeypatch.setattr(rules, "PULL_MAX_ROUNDS", 2)
    scans = []
    real_scan = rules._scanned_entries

    def scanning(*args, **kwargs):
        scans.append(kwargs["probe"])
        return real_scan(*args, **kwargs)

    monkeypatch.setattr(rules, "_scanned_entries", scanning)
    assert pulled(world, n=30) == everything[:30]
    assert ways == [per_followee] * 2  # two batches, then the scan in the same way
    assert scans == [not per_followee]


@pytest.mark.parametrize("n", [1, 2, 5, 8])
def test_per_followee_reads_only_followees_with_an_entry_above_the_nth_newest(settings, n):
    """The per-followee way reads each followee's newest entry, then further entries
    only of followees whose newest is among the n newest of all (`floor`): the page
    is the same whether one followee wrote all of it or many wrote one each."""
    read_per_followee(settings, True)
    viewer, prolific = UserFactory.create_batch(2)
    quiet = UserFactory.create_batch(6)
    for author in [prolific, *quiet]:
        FollowFactory(follower=viewer, followee=author)
    for author in quiet:
        PostFactory(author=author)
    RetweetFactory(user=quiet[0], post=PostFactory())
    for _ in range(4):
        PostFactory(author=prolific)
    PostFactory(author=quiet[1])
    RetweetFactory(user=prolific, post=PostFactory())
    PostFactory(author=prolific, deleted_at=timezone.now())  # newest, deleted: not a top
    everything = scanned(viewer, n=100)
    assert len(everything) == 13
    for hi in [None, *everything]:
        assert pulled(viewer, hi=hi, n=n) == scanned(viewer, hi=hi, n=n)


def test_the_readers_own_posts_and_nothing_else_without_follows():
    viewer, stranger = UserFactory.create_batch(2)
    mine = PostFactory(author=viewer)
    PostFactory(author=stranger)
    assert pulled(viewer, n=20) == [mine.id]


def test_the_way_goes_by_the_following_counter_read_in_the_same_statement(world, settings, ways):
    """Per followee up to FEED_SQL_LATERAL_MAX_FOLLOWS, probed past it (the per-followee
    descents cost more than the probes for a reader following thousands), as the
    statement reads the counter on the row."""
    everything = scanned(world, n=1000)
    for n in (1, 3, 21):  # the scan's probing form (after the last batch) is the same rule
        for hi in [None, *everything[::5]]:
            assert scanned(world, hi=hi, n=n, probe=True) == scanned(world, hi=hi, n=n)
    settings.FEED_SQL_LATERAL_MAX_FOLLOWS = 5
    reader = SignedInViewer(pk=world.pk)
    for following, per_followee in [(5, True), (6, False)]:
        User.objects.filter(pk=world.pk).update(following_count=following)
        ways.clear()
        assert [r.id for r in rules.sql_entries(reader, n=7)] == everything[:7]
        assert set(ways) == {per_followee}


@pytest.mark.parametrize("per_followee", [True, False], ids=["per followee", "probed"])
def test_a_page_is_one_statement_for_a_reader_known_by_id(settings, per_followee):
    """Candidates, the rule, the posts' states and the following counter that picks
    the way: one round trip, and no user row loaded for the counter."""
    read_per_followee(settings, per_followee)
    viewer, author = UserFactory.create_batch(2)
    FollowFactory(follower=viewer, followee=author)
    posts = [PostFactory(author=author) for _ in range(3)]
    RetweetFactory(user=author, post=PostFactory())
    with CaptureQueriesContext(connection) as queries:
        entries = rules.sql_entries(SignedInViewer(pk=viewer.pk), n=20)
    assert len(queries) == 1
    assert [e.type for e in entries] == ["retweet", "post", "post", "post"]
    assert [e.post_id for e in entries[1:]] == [p.id for p in reversed(posts)]
    assert entries[0].retweeted_by.pk == author.pk
    assert all(e.post is not None for e in entries)  # the states came along


def _plan(sql: str, params) -> dict:
    with connection.cursor() as cursor:
        # The test tables are tiny: a sequential scan would be cheapest whatever
        # the indexes. With seqscan off, one is chosen only where no index can serve.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (plan,) = cursor.fetchone()
        cursor.execute("RESET enable_seqscan")
    return json.loads(plan)[0]["Plan"] if isinstance(plan, str) else plan[0]["Plan"]


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _hashed(plan: dict) -> bool:
    """Whether the plan uses a hashed subplan (one that reads every row its
    subquery can return, then looks each outer row up in a hash). EXPLAIN names
    one only in the expressions that use it, e.g. `(hashed SubPlan 2)`, under
    whichever key holds the expression."""
    return "hashed SubPlan" in json.dumps(plan)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN of PostgreSQL")
def test_the_plan_for_a_reader_following_5000_probes_indexes(settings):
    """The SQL feed of a reader following 5,000 accounts: every access to posts (and
    retweets) is an index scan, for both strategies (per followee, and the scan)."""
    viewer = UserFactory()
    authors = UserFactory.create_batch(50)
    fillers = type(viewer).objects.bulk_create(UserFactory.build() for _ in range(4950))
    followees = [*authors, *fillers]
    Follow.objects.bulk_create(Follow(follower=viewer, followee=u) for u in followees)
    for author in authors:
        RetweetFactory(user=author, post=PostFactory(author=author))
    # As in a network: many followers, each following a few (so a generic plan
    # expects any follower to follow a few), and posts enough that the planner
    # expects the newest-first scan to probe many rows.
    Follow.objects.bulk_create(Follow(follower=u, followee=authors[0]) for u in fillers)
    others = [Post(author=u, text="filler") for u in fillers[:2000] for _ in range(10)]
    for post in others:
        post.conversation_id = post.id
    Post.objects.bulk_create(others)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    posts_table = "tweets_post"
    index_access = {"Index Scan", "Index Only Scan", "Bitmap Heap Scan"}
    # The pull statement runs prepared, so with its generic plan: both ways of
    # reading the candidates are in it (the reader's counter picks one at run time).
    marks = {
        "viewer": viewer.pk,
        "limit": 20,
        "pull_few": settings.FEED_SQL_LATERAL_MAX_FOLLOWS,
        "pull_lo": 0,
        "pull_hi": 2**63 - 1,
    }
    sql, slots = rules._pull_template()
    pull_plan = _generic_plan(
        sql, [marks[s] if isinstance(s, str) and s in marks else s for s in slots]
    )
    on_posts = [
        node
        for node in _nodes(pull_plan)
        if node.get("Relation Name") in (posts_table, "tweets_retweet")
    ]
    assert on_posts, pull_plan
    # Index accesses only (a bitmap heap scan is fed by a bitmap index scan).
    assert {node["Node Type"] for node in on_posts} <= index_access, pull_plan
    assert "Seq Scan" not in {node["Node Type"] for node in _nodes(pull_plan)}, pull_plan
    indexes = {node.get("Index Name") for node in _nodes(pull_plan)}
    # Per followee: the (author, -id) index, once per followee; probed: the newest
    # posts by primary key, each probed against the (follower, followee) pair.
    assert {"post_author_recent", "tweets_post_pkey", "follow_unique_pair"} <= indexes, pull_plan
    # Probed one entry at a time: hashing all 5,000 follows first cost 0.8 ms a read
    # (the generic plan cannot know how many there are).
    assert not _hashed(pull_plan), pull_plan

    # The rule over the Redis read's ids, with the page's post states.
    ids = [row.id for row in rules.sql_entries(viewer, n=20)]
    assert len(ids) == 20
    sql, slots = rules._among_template()
    marks = {"viewer": viewer.pk, "ids": ids, "limit": 20}
    among_plan = _plan(sql, [marks[s] if isinstance(s, str) and s in marks else s for s in slots])
    on_posts = [n for n in _nodes(among_plan) if n.get("Relation Name") == posts_table]
    assert on_posts, among_plan
    assert {n["Node Type"] for n in on_posts} <= index_access, among_plan

    # The Redis read's form of it also reads the merged authors. Prepared statements
    # run their generic plan (plan_cache_mode), which cannot see a parameter's value:
    # the follower threshold is compiled in, so the plan starts from the few popular
    # users, not from all 5,000 follows (6.3 ms on the bench's data).
    sql, slots = rules._among_template(merged.settings_key())
    generic = _generic_plan(
        sql, [marks[s] if isinstance(s, str) and s in marks else s for s in slots]
    )
    indexes = {node.get("Index Name") for node in _nodes(generic)}
    assert "user_popular_idx" in indexes, generic
    assert "Seq Scan" not in {node["Node Type"] for node in _nodes(generic)}, generic
    # Its follow checks (the author, the replied-to author, the retweeter, a private
    # author) stay probes: hashed, each read all 5,000 follows (the bench's reader
    # following 5,000: 1.27 ms of PostgreSQL CPU per read, against 0.47 probed).
    assert not _hashed(generic), generic
    sql, slots = rules._among_template()
    plain = _generic_plan(
        sql, [marks[s] if isinstance(s, str) and s in marks else s for s in slots]
    )
    assert not _hashed(plain), plain


def _generic_plan(sql: str, params) -> dict:
    """The plan a prepared statement runs with: PREPARE, then EXPLAIN EXECUTE under
    the connection's plan_cache_mode=force_generic_plan (config/settings/base.py)."""
    numbered = iter(range(1, sql.count("%s") + 1))
    prepared = re.sub("%s", lambda _: f"${next(numbered)}", sql)
    kinds = {int: "bigint", list: "bigint[]", timedelta: "interval"}
    # As psycopg binds them (an int subclass, e.g. psycopg's Int4, as an int).
    types = ", ".join(next(v for k, v in kinds.items() if isinstance(p, k)) for p in params)
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone() == ("force_generic_plan",)
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"PREPARE generic_probe ({types}) AS {prepared}")
        try:
            marks = ", ".join(["%s"] * len(params))
            cursor.execute(f"EXPLAIN (FORMAT JSON) EXECUTE generic_probe({marks})", params)
            (plan,) = cursor.fetchone()
        finally:
            cursor.execute("DEALLOCATE generic_probe")
            cursor.execute("RESET enable_seqscan")
    return json.loads(plan)[0]["Plan"] if isinstance(plan, str) else plan[0]["Plan"]
