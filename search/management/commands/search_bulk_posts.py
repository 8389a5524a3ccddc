"""Fill a database of its own with users and posts for measuring search (docs/search.md).

    DATABASE_URL=postgres://.../warble_search_bulk manage.py migrate
    DATABASE_URL=postgres://.../warble_search_bulk manage.py search_bulk_posts --posts 1000000

One INSERT ... SELECT FROM generate_series per table, in PostgreSQL: no row goes
through the ORM. Texts are 6 to 16 words: 4 in 5 drawn from a fixed English
vocabulary with a Zipf-like skew (common words are common), 1 in 5 from a long
tail of made-up words; about 1 in 8 posts carries a
hashtag, 1 in 20 has media, 1 in 50 authors is private. Ids are time-ordered as
core.ids makes them (milliseconds since its epoch in the high bits), so order by
id is order by time as in production. The GIN index is dropped during the load
and built once after (much faster than maintaining it row by row).

Refuses to run on a database whose name does not end in "_bulk" (it is for a
database of its own, never the development or test one), and off PostgreSQL.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from core.ids import EPOCH_MS

_WORDS = """
the good new first last long great little own other old right big high different small large
next early young important few public bad same able time person year way day thing man world
life hand part child eye woman place work week case point government company number group
problem fact coffee tea morning night music song game team city park river garden book movie
film phone photo friend family home house school water food dinner lunch weather rain sun snow
storm summer winter spring autumn love happy sad funny crazy amazing beautiful terrible best
worst today tomorrow yesterday run running ran runner walk walking walked talk talking read
reading write writing play playing played watch watching watched cook cooking cooked build
building built travel travelling trip flight train bus car bike road street market store shop
price money bank job office meeting project code coding software bug release update launch
startup product design data science research study paper news story report election vote
policy health doctor hospital medicine sleep dream idea plan goal hope fear anger joy peace war
history future present art artist paint painting photo camera light dark color blue green red
black white gold silver dog cat bird fish horse tree flower forest mountain beach ocean sea
island sky star moon planet space rocket science football soccer basketball tennis match win
lose score goal fan season league concert festival party holiday birthday wedding baby kid
"""
_TAGS = """
news tech music sports travel food photography art science politics weather football coffee
books movies gaming health climate startup coding design fashion nature fitness
"""
WORDS = _WORDS.split()
TAGS = _TAGS.split()
# The long tail: 1 word in 5 is one of 64,000 made-up three-syllable words (40³), so a
# query of rare words matches a few posts, as in real text.
_SYLLABLES = """
ka lo mi ne ru ta ve zo ba di fe go hu ji ko la mu no pi qua re si tu vo
wa xe yo za bre cla dri fo gri kla pro stu tri vla sha che
"""
SYLLABLES = _SYLLABLES.split()

USERS_SQL = """
INSERT INTO accounts_user (
    password, last_login, is_superuser, username, email, display_name, bio, location,
    website, avatar, is_private, is_active, is_staff, created_at, deactivated_at,
    token_version, followers_count, following_count, posts_count
)
SELECT '!', NULL, false, 'bulk' || n, 'bulk' || n || '@bulk.example',
       initcap((%(first)s::text[])[1 + (n * 7) %% array_length(%(first)s::text[], 1)]) || ' '
         || initcap((%(last)s::text[])[1 + (n * 13) %% array_length(%(last)s::text[], 1)]),
       '', '', '', '', n %% 50 = 0, true, false, now() - interval '400 days', NULL,
       0, 0, 0, 0
FROM generate_series(%(start)s, %(stop)s) AS n
ON CONFLICT DO NOTHING
"""

# One post per n: a random author among the bulk users, a time spread over the
# last `days` days (increasing with n), an id built from that time as core.ids does.
POSTS_SQL = """
INSERT INTO tweets_post (
    id, author_id, text, reply_to_id, conversation_id, quote_of_id, media_ids,
    created_at, edited_at, deleted_at, like_count, retweet_count, reply_count,
    quote_count, version
)
SELECT p.id, p.author_id, p.text, NULL, p.id, NULL,
       CASE WHEN p.n %% 20 = 0 THEN '[1]'::jsonb ELSE '[]'::jsonb END,
       p.at, NULL, NULL, 0, 0, 0, 0, 0
FROM (
    SELECT n,
           ((floor(extract(epoch FROM t.at) * 1000)::bigint - %(epoch_ms)s) << 22)
             | (n %% 4194304) AS id,
           t.at,
           %(min_user)s + floor(random() * %(users)s)::bigint AS author_id,
           (
             SELECT string_agg(CASE WHEN random() < 0.8
                 THEN (%(words)s::text[])[1 + floor(power(random(), 2.2)
                      * array_length(%(words)s::text[], 1))::int]
                 ELSE (%(syllables)s::text[])[1 + floor(random() * 40)::int]
                      || (%(syllables)s::text[])[1 + floor(power(random(), 1.5) * 40)::int]
                      || (%(syllables)s::text[])[1 + floor(power(random(), 3) * 40)::int]
                 END, ' ')
             FROM generate_series(1, 6 + (n * 31) %% 11) AS g
           ) || CASE WHEN n %% 8 = 0
                     THEN ' #' || (%(tags)s::text[])[
                         1 + (n / 8) %% array_length(%(tags)s::text[], 1)]
                     ELSE '' END AS text
    FROM generate_series(%(start)s, %(stop)s) AS n,
         LATERAL (SELECT now() - (%(days)s * interval '1 day')
                         * (1 - n::float / %(total)s) AS at) AS t
) AS p
"""


class Command(BaseCommand):
    help = "Generate many users and posts fast (generate_series SQL) in a *_bulk database."

    def add_arguments(self, parser):
        parser.add_argument("--posts", type=int, default=1_000_000)
        parser.add_argument("--users", type=int, default=20_000)
        parser.add_argument("--days", type=int, default=90, help="spread posts over these days")
        parser.add_argument("--batch", type=int, default=250_000, help="posts per INSERT")

    def handle(self, *args, posts: int, users: int, days: int, batch: int, **options):
        if connection.vendor != "postgresql":
            raise CommandError("PostgreSQL only (generate_series and the full-text index).")
        name = connection.settings_dict["NAME"]
        if not name.endswith("_bulk"):
            raise CommandError(f"Refusing to fill {name!r}: use a database named *_bulk.")
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM tweets_post")
            existing = cursor.fetchone()[0]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                USERS_SQL,
                {"first": WORDS[40:140], "last": WORDS[140:], "start": 1, "stop": users},
            )
            cursor.execute(
                "SELECT min(id), max(id) FROM accounts_user WHERE username LIKE 'bulk%%'"
            )
            min_user, max_user = cursor.fetchone()
        self.stdout.write(f"users: {users} in {time.monotonic() - started:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX IF EXISTS post_search_vector_gin")
        offset = existing
        for start in range(1, posts + 1, batch):
            stop = min(start + batch - 1, posts)
            t0 = time.monotonic()
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    POSTS_SQL,
                    {
                        "words": WORDS,
                        "tags": TAGS,
                        "syllables": SYLLABLES,
                        "epoch_ms": EPOCH_MS,
                        "min_user": min_user,
                        "users": max_user - min_user + 1,
                        "days": days,
                        "start": offset + start,
                        "stop": offset + stop,
                        "total": offset + posts,
                    },
                )
            self.stdout.write(f"posts {start}-{stop} in {time.monotonic() - t0:.1f} s")
        t0 = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE INDEX IF NOT EXISTS post_search_vector_gin "
                "ON tweets_post USING gin (search_vector)"
            )
            cursor.execute("ANALYZE tweets_post")
            cursor.execute("ANALYZE accounts_user")
        self.stdout.write(f"GIN index and ANALYZE in {time.monotonic() - t0:.1f} s")
        self.stdout.write(f"done in {time.monotonic() - started:.1f} s")
