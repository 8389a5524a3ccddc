"""A fresh benchmark database: migrate, then the seed's follow graph loaded with COPY.

Who is in it (ids are assigned here, so the harness knows them without asking):
- `users` seed users, each with 1..max_followers followers drawn from the others;
- `fillers` quiet accounts, so a reader can follow 5,000 and an author be followed by 5,000;
- readers following 10, 300 and 5,000 accounts, and authors with 10 and 5,000 followers;
- `history_posts` old posts per seed user and one per filler, with ids from the past,
  so feeds have something to show before the workload posts anything;
- follows made a day ago (FOLLOWS_AGE): a graph in its steady state. A follow
  younger than FEED_FOLLOW_MERGE_SECONDS has its followee's list merged at read
  time (a new follow's posts show before the backfill); with follows made "now",
  every reader merged all its followees, past FEED_MAX_MERGED_AUTHORS got the SQL
  pull feed, had no Redis timeline, and the fan-out pushed into none.

Every account shares one pre-computed argon2 hash (hashing thousands of
passwords would take minutes); counters are set by one UPDATE at the end.
"""

import datetime as dt
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import psycopg
from tqdm import tqdm

from bench.scales import Scale

EPOCH_MS = 1_577_836_800_000  # core.ids.EPOCH_MS
HISTORY_WORKER = 1023  # the id worker bits of bulk-loaded posts: never leased by a live process
PASSWORD = "bench-Passphrase-42"
FOLLOWS_AGE = dt.timedelta(days=1)  # older than FEED_FOLLOW_MERGE_SECONDS (10 minutes)


@dataclass
class Graph:
    seed_users: list[int]
    fillers: list[int]
    readers: dict[int, int]  # followee count -> user id
    authors: dict[int, int]  # follower count -> user id
    followers: dict[int, list[int]] = field(repr=False)  # seed user -> its followers
    posts_per_user: dict[int, int] = field(repr=False)
    history: dict[int, list[int]] = field(repr=False)  # user -> its history post ids
    counts: dict[str, int] = field(default_factory=dict)

    def following(self) -> dict[int, set[int]]:
        out: dict[int, set[int]] = {}
        for followee, followers in self.followers.items():
            for follower in followers:
                out.setdefault(follower, set()).add(followee)
        return out


def admin_url(database_url: str) -> tuple[str, str]:
    """(URL of the `postgres` maintenance database, name of the benchmark database)."""
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    return urlunsplit(parts._replace(path="/postgres")), name


def fresh_database(database_url: str) -> None:
    url, name = admin_url(database_url)
    if not name.replace("_", "").isalnum():
        raise ValueError(f"refusing an odd database name: {name!r}")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        env=env,
        check=True,
        timeout=600,
    )


def _history_id(ms: int, seq: int) -> int:
    return ((ms - EPOCH_MS) << 22) | (HISTORY_WORKER << 12) | (seq & 0xFFF)


def build_graph(scale: Scale, rng: random.Random) -> Graph:
    n = scale.users
    seed_users = list(range(1, n + 1))
    fillers = list(range(n + 1, n + scale.fillers + 1))
    next_id = n + scale.fillers + 1
    readers, authors = {}, {}
    for count in scale.readers:
        readers[count], next_id = next_id, next_id + 1
    for count in scale.authors:
        authors[count], next_id = next_id, next_id + 1

    followers: dict[int, list[int]] = {}
    for user in seed_users:
        k = rng.randint(1, min(scale.max_followers, n - 1))
        others = rng.sample(seed_users, min(n, k + 1))
        followers[user] = [u for u in others if u != user][:k]
    # The readers follow seed users first (they post), then fillers.
    pool = seed_users + fillers
    for count, reader in readers.items():
        followees = rng.sample(seed_users, count) if count <= n else pool[:count]
        for followee in followees:
            followers.setdefault(followee, []).append(reader)
    for count, author in authors.items():
        followers[author] = (rng.sample(seed_users, count) if count <= n else pool[:count])[:]
    posts_per_user = {u: rng.randint(*scale.posts_per_user) for u in seed_users}

    # History: ids from the last day, in time order, all below any id made now.
    now_ms = int(time.time() * 1000) - 60_000
    history: dict[int, list[int]] = {}
    seq = 0
    authors_of_history = [(u, scale.history_posts) for u in seed_users] + [
        (u, 1) for u in (*fillers, *authors.values())
    ]
    for user, count in authors_of_history:
        ids = []
        for _ in range(count):
            seq += 1
            ids.append(_history_id(now_ms - 86_400_000 + seq, seq))
        history[user] = ids
    return Graph(seed_users, fillers, readers, authors, followers, posts_per_user, history)


def _extra_columns(conn, table: str, given: list[str]) -> dict[str, object]:
    """Zero values for NOT NULL columns without a default that `given` leaves out.

    Other apps add columns to users and posts; the loader keeps working as long
    as a zero value is acceptable for them.
    """
    zero = {
        "boolean": False,
        "integer": 0,
        "bigint": 0,
        "smallint": 0,
        "jsonb": "{}",
        "text": "",
        "character varying": "",
        "double precision": 0.0,
    }
    rows = conn.execute(
        """SELECT column_name, data_type FROM information_schema.columns
           WHERE table_name = %s AND is_nullable = 'NO' AND column_default IS NULL
             AND is_identity = 'NO'""",
        (table,),
    ).fetchall()
    extra = {}
    for name, kind in rows:
        if name in given:
            continue
        if kind.startswith("timestamp"):
            extra[name] = dt.datetime.now(dt.UTC)
        elif kind in zero:
            extra[name] = zero[kind]
        else:
            raise RuntimeError(f"{table}.{name} ({kind}) needs a value the loader cannot guess")
    return extra


def _copy(conn, table: str, columns: list[str], rows, total: int, label: str) -> None:
    extra = _extra_columns(conn, table, columns)
    cols = [*columns, *extra]
    tail = tuple(extra.values())
    sql = f"COPY {table} ({', '.join(cols)}) FROM STDIN"
    with (
        conn.cursor().copy(sql) as copy,
        tqdm(
            total=total,
            desc=f"load {label}",
            unit="row",
            unit_scale=True,
            file=sys.stdout,
            mininterval=0.5,
            leave=False,
        ) as bar,
    ):
        for i, row in enumerate(rows, 1):
            copy.write_row((*row, *tail))
            if i % 10_000 == 0:
                bar.update(10_000)
        bar.update(total % 10_000)
    print(f"  loaded {total:,} {label}")


def load(database_url: str, graph: Graph, password_hash: str) -> None:
    now = dt.datetime.now(dt.UTC)
    all_users = [
        *graph.seed_users,
        *graph.fillers,
        *graph.readers.values(),
        *graph.authors.values(),
    ]
    kind = {u: "seed" for u in graph.seed_users} | {u: "filler" for u in graph.fillers}
    kind |= {u: f"reader{c}" for c, u in graph.readers.items()}
    kind |= {u: f"author{c}" for c, u in graph.authors.items()}
    user_cols = [
        "id",
        "password",
        "is_superuser",
        "username",
        "email",
        "display_name",
        "bio",
        "location",
        "website",
        "avatar",
        "is_private",
        "is_active",
        "is_staff",
        "created_at",
        "token_version",
        "followers_count",
        "following_count",
        "posts_count",
    ]
    users = (
        (
            u,
            password_hash,
            False,
            f"b{u}",
            f"b{u}@bench.invalid",
            f"{kind[u]} {u}",
            "",
            "",
            "",
            "",
            False,
            True,
            False,
            now,
            0,
            0,
            0,
            0,
        )
        for u in all_users
    )
    edges = [(f, e) for e, fs in graph.followers.items() for f in fs]
    posts = [(pid, u) for u, ids in graph.history.items() for pid in ids]
    post_cols = [
        "id",
        "text",
        "conversation_id",
        "media_ids",
        "created_at",
        "like_count",
        "retweet_count",
        "reply_count",
        "quote_count",
        "author_id",
    ]
    with psycopg.connect(database_url) as conn:
        _copy(conn, "accounts_user", user_cols, users, len(all_users), "users")
        _copy(
            conn,
            "relationships_follow",
            ["follower_id", "followee_id", "created_at"],
            ((f, e, now - FOLLOWS_AGE) for f, e in edges),
            len(edges),
            "follows",
        )
        _copy(
            conn,
            "tweets_post",
            post_cols,
            (
                (
                    pid,
                    f"history post {pid} by {u}",
                    pid,
                    "[]",
                    dt.datetime.fromtimestamp(((pid >> 22) + EPOCH_MS) / 1000, dt.UTC),
                    0,
                    0,
                    0,
                    0,
                    u,
                )
                for pid, u in posts
            ),
            len(posts),
            "history posts",
        )
        conn.execute(
            "SELECT setval(pg_get_serial_sequence('accounts_user', 'id'), "
            "(SELECT max(id) FROM accounts_user))"
        )
        # Every counter in one statement, from the rows just loaded.
        conn.execute(
            """
            UPDATE accounts_user u SET
                followers_count = coalesce(c.followers, 0),
                following_count = coalesce(c.following, 0),
                posts_count = coalesce(c.posts, 0)
            FROM (
                SELECT u2.id,
                    (SELECT count(*) FROM relationships_follow f WHERE f.followee_id = u2.id)
                        AS followers,
                    (SELECT count(*) FROM relationships_follow f WHERE f.follower_id = u2.id)
                        AS following,
                    (SELECT count(*) FROM tweets_post p WHERE p.author_id = u2.id) AS posts
                FROM accounts_user u2
            ) c
            WHERE c.id = u.id
            """
        )
        conn.commit()
    with psycopg.connect(database_url, autocommit=True) as conn:
        # VACUUM too: a table just filled by COPY has no visibility map, so every
        # index-only scan (the follow pairs of every feed read) fetches heap pages;
        # a database that autovacuum keeps has the map. We measure that steady state.
        conn.execute("VACUUM (ANALYZE)")
    graph.counts = {"users": len(all_users), "follows": len(edges), "history_posts": len(posts)}


def one_password_hash() -> str:
    from django.contrib.auth.hashers import make_password

    return make_password(PASSWORD)


def mint_tokens(user_ids) -> dict[int, str]:
    """Access tokens made in-process (no OutstandingToken rows): what the token
    endpoint would hand out, with the "ver" claim of a user who never changed it."""
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.authentication import TOKEN_VERSION_CLAIM

    class _User:  # AccessToken.for_user reads the id only
        is_active = True

        def __init__(self, pk: int) -> None:
            self.id = pk

    tokens = {}
    for pk in user_ids:
        token = AccessToken.for_user(_User(pk))
        token[TOKEN_VERSION_CLAIM] = 0
        tokens[pk] = str(token)
    return tokens


def expected_timeline(conn, *, user_id: int, include_own: bool, limit: int = 800) -> list[int]:
    """The newest `limit` entry ids of a home timeline, computed in SQL: posts of
    the accounts the user follows (and their own if the feed shows them)."""
    own = "OR p.author_id = %(u)s" if include_own else ""
    rows = conn.execute(
        f"""
        SELECT p.id FROM tweets_post p
        WHERE p.deleted_at IS NULL AND p.reply_to_id IS NULL
          AND (p.author_id IN (SELECT followee_id FROM relationships_follow
                               WHERE follower_id = %(u)s) {own})
        UNION
        SELECT r.id FROM tweets_retweet r
        WHERE r.user_id IN (SELECT followee_id FROM relationships_follow WHERE follower_id = %(u)s)
        ORDER BY 1 DESC LIMIT %(n)s
        """,  # noqa: S608 - `own` is one of two constant strings
        {"u": user_id, "n": limit},
    ).fetchall()
    return [r[0] for r in rows]
