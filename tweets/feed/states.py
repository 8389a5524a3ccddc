"""A feed post's *state*: what changes without its version changing (counters,
author summary, the viewer's liked/retweeted/bookmarked flags), read fresh on every
read, beside the version that keys its cached contents (tweets.feed.hydrate) and
the content's own columns.

One template, compiled once (tweets.feed.compiled), in two forms: for a list of
post ids (`post_states`), and for the posts of the `feed_page` rows of the
statement that also picks the page (tweets.feed.rules.entries_among), so a Redis
or pull feed read gets its entries and their states in one round trip.
"""

from types import SimpleNamespace

from django.db import connection
from django.db.models import Exists, OuterRef

from accounts.models import User
from accounts.rendering import USER_SUMMARY_FIELDS
from core.instances import loaded
from tweets.feed.compiled import Compiled
from tweets.models import Bookmark, Like, Post, Retweet
from tweets.rendering import CONTENT_FIELDS, COUNTERS

AUTHOR_NAMES = USER_SUMMARY_FIELDS  # what a post's author summary renders
AUTHOR_COLUMNS = [f"author__{name}" for name in AUTHOR_NAMES]
# With the content's columns: the row is read anyway, and a post without media is
# rendered from them (tweets.feed.hydrate) without its cached payload.
FIELDS = ["id", "version", "author_id", "reply_to_id", "quote_of_id", *COUNTERS, *CONTENT_FIELDS]
FLAGS = ["liked", "retweeted", "bookmarked"]
# The state template's columns, in order.
COLUMNS = [*FIELDS, *AUTHOR_COLUMNS, *FLAGS]


def _flag(model, viewer_id: int):
    return Exists(model.objects.filter(user_id=viewer_id, post_id=OuterRef("pk")))


def _build(viewer, ids_q):
    return (
        Post.objects.filter(ids_q)
        .annotate(
            liked=_flag(Like, viewer.pk),
            retweeted=_flag(Retweet, viewer.pk),
            bookmarked=_flag(Bookmark, viewer.pk),
        )
        .values_list(*COLUMNS)
    )


_MEDIA_IDS = Post._meta.get_field("media_ids")
STATES = Compiled(Post, _build)
# The same, for the posts of the enclosing statement's `feed_page` rows.
PAGE_STATES = Compiled(Post, _build, ids_in="SELECT post_id FROM feed_page")


_N_FIELDS, _N_AUTHOR = len(FIELDS), len(AUTHOR_NAMES)


class StateRows:
    """Decodes the state rows (COLUMNS) of one statement into objects with the Post
    attributes rendering reads and `author` a User: the connection alias is read
    once (a thread-local lookup) and each author is built once."""

    def __init__(self) -> None:
        self.alias = connection.alias
        self.authors: dict[int, User] = {}

    def __call__(self, row) -> SimpleNamespace:
        post = SimpleNamespace(**dict(zip(FIELDS, row[:_N_FIELDS], strict=True)))
        author = self.authors.get(post.author_id)
        if author is None:
            values = row[_N_FIELDS : _N_FIELDS + _N_AUTHOR]
            author = self.authors[post.author_id] = loaded(User, self.alias, AUTHOR_NAMES, values)
        post.author = author
        post.liked, post.retweeted, post.bookmarked = row[_N_FIELDS + _N_AUTHOR :]
        media_ids = post.media_ids
        if isinstance(media_ids, str):  # raw SQL's JSON text (the ORM's rows are decoded)
            post.media_ids = (
                [] if media_ids == "[]" else _MEDIA_IDS.from_db_value(media_ids, None, connection)
            )
        return post


def post_states(viewer, post_ids) -> dict[int, SimpleNamespace]:
    """The posts' states by id (one query)."""
    states = map(StateRows(), STATES.rows(viewer.pk, list(post_ids)))
    return {post.id: post for post in states}
