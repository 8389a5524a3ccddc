"""The one renderer of posts (DESIGN.md §2, Sentry's API serializer pattern).

Every post in every payload is rendered here: post detail, every list of posts,
user timelines, threads, the home feed, notification targets (listed and
pushed) and `post.updated` pushes. In two steps:

1. `PostRenderer.get_attrs(posts)` gathers, for the whole batch, what the rows
   do not hold, in a fixed number of queries: the visible replied-to and quoted
   posts and the viewer's liked/retweeted/bookmarked flags
   (`tweets.selectors.post_render_context`: at most 2), the users mentioned in
   the texts (`mention_entities`: at most 1), the hashtags (`tweets.hashtags`,
   parsed from the text, no query), and the users' summaries (no
   query: authors come with the rows; each summary is built once).
2. `PostRenderer.serialize(post, attrs)` builds one dict: no query, no
   serializer instance.

Callers that already hold some attributes feed them in instead of letting the
renderer load them: the home feed passes the references and flags from its
state query and the contents from its versioned payload cache
(`tweets.feed.hydrate`); a post created in this request passes the references
the service just checked.

A post's *content* (`post_content`) is what only an edit or a deletion changes:
text, times, conversation, media (rendered by `media.rendering`, one query for a
batch). The feed caches it under
`pp:<post_id>:<version>`; everything else (author, counters, references,
mentions, flags) is read fresh.

The shapes are declared for the OpenAPI schema by `tweets.api.serializers`
(Post, PostRef, TimelineEntry, PostThread, BookmarkedPost);
tests/tweets/test_rendering.py checks every renderer's output against it.
"""

from dataclasses import dataclass
from datetime import datetime

from accounts.rendering import UserSummaries
from core import datetimes
from media import selectors as media_selectors
from tweets import selectors
from tweets.hashtags import parse_hashtags
from tweets.selectors import PostRenderContext, PostThread

COUNTERS = ("like_count", "retweet_count", "reply_count", "quote_count")
# The row fields `post_content` reads (the feed loads only these for cache misses).
CONTENT_FIELDS = ("text", "created_at", "edited_at", "conversation_id", "media_ids")


def iso_datetime(value: datetime | None) -> str | None:
    """As the API renders a datetime (DRF's format), or None."""
    return datetimes.iso_datetime(value) if value is not None else None


def post_content(post, *, media: dict[int, dict]) -> dict:
    """The viewer-independent part of a post that only an edit, a deletion or a change
    of its media (`media.*` events bump the version) changes. `media`: the rendered
    media items by id (`post_contents` loads them for a batch); one gone since is left out."""
    return {
        "text": post.text,
        "created_at": iso_datetime(post.created_at),
        "edited_at": iso_datetime(post.edited_at),
        "conversation_id": str(post.conversation_id),
        "media": [media[int(i)] for i in post.media_ids if int(i) in media],
    }


def post_contents(posts) -> dict[int, dict]:
    """`post_content` of each post by id, their media in one query (none without media)."""
    posts = list(posts)
    media = media_selectors.media_payloads([int(i) for p in posts for i in p.media_ids])
    return {p.id: post_content(p, media=media) for p in posts}


def unavailable_ref(ref_id: int) -> dict:
    """A replied-to or quoted post that was deleted or that the viewer may not see."""
    return {
        "id": str(ref_id),
        "available": False,
        "author": None,
        "text": None,
        "created_at": None,
        "media": [],
    }


@dataclass(frozen=True, slots=True)
class PostAttrs:
    """Everything a post's payload needs beyond its row (id and counters)."""

    content: dict
    author: dict
    reply_to: dict | None
    quote_of: dict | None
    mentions: list[dict]
    hashtags: list[dict]
    liked: bool
    retweeted: bool
    bookmarked: bool


def hashtag_entities(text: str) -> list[dict]:
    """The hashtags of a text as entities (tweets.hashtags; no query: a tag needs no row)."""
    return [{"tag": h.tag, "start": h.start, "end": h.end} for h in parse_hashtags(text)]


class PostRenderer:
    """Posts as one viewer sees them.

    A post is anything with the Post attributes rendering reads: `id`, `author`
    (a User), `reply_to_id`, `quote_of_id`, the COUNTERS, and the CONTENT_FIELDS
    unless `contents` has the post.
    """

    def __init__(self, *, viewer, request=None, users: UserSummaries | None = None):
        self.viewer = viewer
        self.users = users or UserSummaries(request=request)

    def get_attrs(
        self,
        posts,
        *,
        context: PostRenderContext | None = None,
        contents: dict[int, dict] | None = None,
    ) -> dict[int, PostAttrs]:
        """Attributes of each post by id. `context`: references and flags already
        known (default: loaded, at most 2 queries); `contents`: `post_content` of
        the posts and references by id (default: from the rows). A post without
        content (gone since it was read) gets none and is not rendered."""
        posts = list(posts)
        if context is None:
            context = selectors.post_render_context(viewer=self.viewer, posts=posts)
        if contents is None:
            contents = post_contents([*posts, *context.refs.values()])
        shown = {post.id: post for post in posts if post.id in contents}
        mentions = selectors.mention_entities({i: contents[i]["text"] for i in shown})
        return {
            post_id: PostAttrs(
                content=contents[post_id],
                author=self.users(post.author),
                reply_to=self._ref(post.reply_to_id, context.refs, contents),
                quote_of=self._ref(post.quote_of_id, context.refs, contents),
                mentions=[
                    {**entity, "user_id": str(entity["user_id"])}
                    for entity in mentions.get(post_id, ())
                ],
                hashtags=hashtag_entities(contents[post_id]["text"]),
                liked=post_id in context.liked,
                retweeted=post_id in context.retweeted,
                bookmarked=post_id in context.bookmarked,
            )
            for post_id, post in shown.items()
        }

    def _ref(self, ref_id: int | None, refs: dict, contents: dict[int, dict]) -> dict | None:
        if ref_id is None:
            return None
        ref = refs.get(ref_id)
        content = contents.get(ref_id) if ref is not None else None
        if content is None:
            return unavailable_ref(ref_id)
        return {
            "id": str(ref_id),
            "available": True,
            "author": self.users(ref.author),
            "text": content["text"],
            "created_at": content["created_at"],
            "media": content["media"],
        }

    def serialize(self, post, attrs: PostAttrs) -> dict:
        content = attrs.content
        return {
            "id": str(post.id),
            "text": content["text"],
            "author": attrs.author,
            "created_at": content["created_at"],
            "edited_at": content["edited_at"],
            "conversation_id": content["conversation_id"],
            "reply_to": attrs.reply_to,
            "quote_of": attrs.quote_of,
            "media": content["media"],
            "mentions": attrs.mentions,
            "hashtags": attrs.hashtags,
            "like_count": post.like_count,
            "retweet_count": post.retweet_count,
            "reply_count": post.reply_count,
            "quote_count": post.quote_count,
            "liked": attrs.liked,
            "retweeted": attrs.retweeted,
            "bookmarked": attrs.bookmarked,
        }

    def render(self, posts, **known) -> list[dict]:
        posts = list(posts)
        attrs = self.get_attrs(posts, **known)
        return [self.serialize(post, attrs[post.id]) for post in posts if post.id in attrs]


class EntryRenderer:
    """Timeline entries: a post, or a retweet of one (`retweeted_by`).

    An entry is anything with `id`, `type`, `created_at`, `retweeted_by` (a User
    or None) and `post_id`: `tweets.selectors.TimelineEntry`, or a feed row
    (`tweets.feed.rules.EntryRow`) with its posts passed separately.
    """

    def __init__(self, *, viewer, request=None):
        self.posts = PostRenderer(viewer=viewer, request=request)

    def get_attrs(self, entries, *, posts=None, **known) -> dict[int, dict]:
        """The rendered post of each entry, by post id (a post two entries share,
        a post and its retweet, is rendered once)."""
        if posts is None:
            posts = [entry.post for entry in entries]
        posts = list({post.id: post for post in posts}.values())
        attrs = self.posts.get_attrs(posts, **known)
        return {p.id: self.posts.serialize(p, attrs[p.id]) for p in posts if p.id in attrs}

    def serialize(self, entry, post: dict) -> dict:
        retweeter = entry.retweeted_by
        return {
            "id": str(entry.id),
            "type": entry.type,
            "created_at": iso_datetime(entry.created_at),
            "retweeted_by": self.posts.users(retweeter) if retweeter is not None else None,
            "post": post,
        }

    def render(self, entries, **known) -> list[dict]:
        entries = list(entries)
        posts = self.get_attrs(entries, **known)
        return [self.serialize(e, posts[e.post_id]) for e in entries if e.post_id in posts]


# --- what the API and the pushes call -------------------------------------------------


def render_posts(*, viewer, posts, request=None) -> list[dict]:
    """Posts in the given order, in a fixed number of queries (at most three)."""
    return PostRenderer(viewer=viewer, request=request).render(posts)


def render_post(*, viewer, post, request=None) -> dict:
    return render_posts(viewer=viewer, posts=[post], request=request)[0]


def render_new_post(*, viewer, post, request=None) -> dict:
    """A post created in this request: no flags query (nobody can have liked it
    yet), and the references the service just loaded are reused."""
    context = selectors.new_post_render_context(viewer=viewer, post=post)
    return PostRenderer(viewer=viewer, request=request).render([post], context=context)[0]


def render_entries(*, viewer, entries, request=None) -> list[dict]:
    return EntryRenderer(viewer=viewer, request=request).render(entries)


def render_thread(*, viewer, thread: PostThread, request=None) -> dict:
    renderer = PostRenderer(viewer=viewer, request=request)
    attrs = renderer.get_attrs([*thread.ancestors, thread.post, *thread.descendants])

    def one(post) -> dict:
        return renderer.serialize(post, attrs[post.id])

    return {
        "ancestors": [one(post) for post in thread.ancestors],
        "post": one(thread.post),
        "descendants": [one(post) for post in thread.descendants],
    }


def render_bookmarks(*, viewer, bookmarks, request=None) -> list[dict]:
    """The viewer's bookmarks: each post with `bookmarked_at`."""
    bookmarks = list(bookmarks)
    renderer = PostRenderer(viewer=viewer, request=request)
    attrs = renderer.get_attrs([b.post for b in bookmarks])
    return [
        {
            **renderer.serialize(b.post, attrs[b.post_id]),
            "bookmarked_at": iso_datetime(b.created_at),
        }
        for b in bookmarks
        if b.post_id in attrs
    ]


def render_post_update(*, post_id: int, post) -> dict:
    """A post's current state for the `post.updated` push (`post` None: it is gone).
    The push goes to every subscriber, so nothing viewer-specific is in it."""
    if post is None or post.deleted_at is not None or post.hidden_at is not None:
        return {"id": str(post_id), "deleted": True}
    content = post_content(post, media={})  # the push carries no media
    return {
        "id": str(post.id),
        "deleted": False,
        "text": content["text"],
        "edited_at": content["edited_at"],
        **{name: getattr(post, name) for name in COUNTERS},
    }
