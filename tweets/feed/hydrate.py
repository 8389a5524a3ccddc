"""Feed entry rows to the API shape (TimelineEntrySerializer), through a versioned cache.

The part of a post that only an edit or a deletion changes (text, times,
conversation, media) is cached pre-serialized under `pp:<post_id>:<version>`;
`Post.version` is bumped by both, so a stale payload is never read and nothing
has to be found and invalidated. Everything else is read fresh, in a fixed
number of queries whatever the page size:

1. state: the posts' version, counters, reply/quote ids, author summary, and the
   viewer's liked/retweeted/bookmarked flags (EXISTS subqueries): one query;
2. references: the replied-to and quoted posts the viewer may see: at most one;
3. payloads: one cache MGET for the posts and references, one query for misses;
4. mentioned users, when the posts API renders mention entities and a text
   mentions anyone: at most one query (they change with accounts, not with posts).

Retweeters' summaries come with the rows (tweets.feed.rules). The output equals
what `tweets.api.serializers.render_entries` makes of the same entries
(tests/tweets/feed/test_hydrate.py checks it).
"""

from types import SimpleNamespace

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Exists, OuterRef

from accounts.api.serializers import UserSummarySerializer
from accounts.models import User
from core.datetimes import iso_datetime
from tweets import selectors
from tweets.api.serializers import PostSerializer
from tweets.feed.rules import Compiled, EntryRow
from tweets.models import Bookmark, Like, Post, Retweet

_AUTHOR_NAMES = ("id", "username", "display_name", "avatar", "is_private")
_AUTHOR = [f"author__{name}" for name in _AUTHOR_NAMES]
_COUNTERS = ["like_count", "retweet_count", "reply_count", "quote_count"]
# The posts API's mention entities (accounts.mentions), computed as it computes them.
_MENTIONS = "mentions" in PostSerializer().fields and hasattr(selectors, "mention_entities")


def _mentions(content: dict[int, dict], post_ids) -> dict[int, list[dict]] | None:
    if not _MENTIONS:
        return None
    texts = [SimpleNamespace(id=i, text=content[i]["text"]) for i in post_ids if i in content]
    return {
        post_id: [{**entity, "user_id": str(entity["user_id"])} for entity in found]
        for post_id, found in selectors.mention_entities(texts).items()
    }


def payload_key(post_id: int, version: int) -> str:
    return f"pp:{post_id}:{version}"


def _payload(post: Post) -> dict:
    return {
        "text": post.text,
        "created_at": iso_datetime(post.created_at),
        "edited_at": iso_datetime(post.edited_at) if post.edited_at else None,
        "conversation_id": str(post.conversation_id),
        "media": [{"id": str(media_id)} for media_id in post.media_ids],
    }


def payloads(posts) -> dict[int, dict]:
    """Cached payloads of `posts` (with `id` and `version` loaded): one MGET, one query
    for the misses (which are then cached)."""
    keys = {payload_key(p.id, p.version): p.id for p in posts}
    found = cache.get_many(list(keys))
    result = {keys[key]: value for key, value in found.items()}
    missing = [post_id for post_id in set(keys.values()) if post_id not in result]
    if missing:
        fresh = Post.objects.filter(pk__in=missing).only(
            "id", "version", "text", "created_at", "edited_at", "conversation_id", "media_ids"
        )
        to_cache = {}
        for post in fresh:
            result[post.id] = to_cache[payload_key(post.id, post.version)] = _payload(post)
        cache.set_many(to_cache, timeout=settings.FEED_PAYLOAD_TTL)
    return result


def _flag(model, viewer_id: int):
    return Exists(model.objects.filter(user_id=viewer_id, post_id=OuterRef("pk")))


_STATE_FIELDS = ["id", "version", "author_id", "reply_to_id", "quote_of_id", *_COUNTERS]
_FLAGS = ["liked", "retweeted", "bookmarked"]
_STATES = Compiled(
    Post,
    lambda viewer, ids_q: (
        Post.objects.filter(ids_q)
        .annotate(
            liked=_flag(Like, viewer.pk),
            retweeted=_flag(Retweet, viewer.pk),
            bookmarked=_flag(Bookmark, viewer.pk),
        )
        .values_list(*_STATE_FIELDS, *_AUTHOR, *_FLAGS)
    ),
)


def _states(viewer, post_ids) -> dict[int, SimpleNamespace]:
    """The posts' state (one query, compiled once: see tweets.feed.rules.Compiled), as
    objects with the Post attributes rendering reads and `author` a User."""
    states = {}
    n_state, n_author = len(_STATE_FIELDS), len(_AUTHOR)
    for row in _STATES.rows(viewer.pk, list(post_ids)):
        post = SimpleNamespace(**dict(zip(_STATE_FIELDS, row[:n_state], strict=True)))
        post.author = User.from_db(
            connection.alias, _AUTHOR_NAMES, row[n_state : n_state + n_author]
        )
        post.__dict__.update(zip(_FLAGS, row[n_state + n_author :], strict=True))
        states[post.id] = post
    return states


def _visible_refs(viewer, ref_ids) -> dict[int, Post]:
    if not ref_ids:
        return {}
    refs = (
        Post.objects.visible_to(viewer)
        .filter(pk__in=ref_ids)
        .select_related("author")
        .only("id", "version", "author_id", *_AUTHOR)
    )
    return {ref.id: ref for ref in refs}


def render_entries(*, viewer, rows: list[EntryRow], request=None) -> list[dict]:
    if not rows:
        return []
    states = _states(viewer, {row.post_id for row in rows})
    wanted = {ref for p in states.values() for ref in (p.reply_to_id, p.quote_of_id) if ref}
    # Posts of the page are visible to the viewer (they passed the feed rule).
    refs = {ref: states[ref] for ref in wanted if ref in states}
    refs.update(_visible_refs(viewer, wanted - refs.keys()))
    content = payloads([*states.values(), *refs.values()])
    mentions = _mentions(content, states)
    # Every user on the page in one many=True serialization: a serializer instance
    # per user would rebuild its fields each time (~1 ms apiece).
    people = {p.author.pk: p.author for p in [*states.values(), *refs.values()]}
    people.update((r.retweeted_by.pk, r.retweeted_by) for r in rows if r.retweeted_by)
    summaries = UserSummarySerializer(
        list(people.values()), many=True, context={"request": request}
    ).data
    users = {int(summary["id"]): summary for summary in summaries}

    def user(u) -> dict:
        return users[u.pk]

    def ref(ref_id):
        if ref_id is None:
            return None
        post = refs.get(ref_id)
        body = content.get(ref_id) if post is not None else None
        if body is None:
            return {
                "id": str(ref_id),
                "available": False,
                "author": None,
                "text": None,
                "created_at": None,
                "media": [],
            }
        return {
            "id": str(ref_id),
            "available": True,
            "author": user(post.author),
            "text": body["text"],
            "created_at": body["created_at"],
            "media": body["media"],
        }

    out = []
    for row in rows:
        post, body = states.get(row.post_id), content.get(row.post_id)
        if post is None or body is None:
            continue  # gone since the rows were read
        out.append(
            {
                "id": str(row.id),
                "type": row.type,
                "created_at": iso_datetime(row.created_at),
                "retweeted_by": user(row.retweeted_by) if row.retweeted_by else None,
                "post": {
                    "id": str(post.id),
                    "text": body["text"],
                    "author": user(post.author),
                    "created_at": body["created_at"],
                    "edited_at": body["edited_at"],
                    "conversation_id": body["conversation_id"],
                    "reply_to": ref(post.reply_to_id),
                    "quote_of": ref(post.quote_of_id),
                    "media": body["media"],
                    **({"mentions": mentions.get(post.id, [])} if mentions is not None else {}),
                    **{name: getattr(post, name) for name in _COUNTERS},
                    "liked": post.liked,
                    "retweeted": post.retweeted,
                    "bookmarked": post.bookmarked,
                },
            }
        )
    return out
