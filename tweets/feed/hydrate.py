"""Feed entry rows to the API shape, through a versioned cache of post contents.

The feed renders with the one post renderer (`tweets.rendering.EntryRenderer`),
feeding it attributes it gathered more cheaply than the renderer's own loaders:

1. state (tweets.feed.states): the posts' version, counters, reply/quote ids,
   author summary, and the viewer's liked/retweeted/bookmarked flags: no query of
   its own for rows that came with it (entries_among reads both in one
   statement), else one query;
2. references: the replied-to and quoted posts the viewer may see: at most one;
3. contents (`tweets.rendering.post_content`: text, times, conversation, media),
   the part of a post only an edit, a deletion or a media change changes. A post
   without media (most) is rendered from the columns its state row brought: no
   round trip. One with media (whose items cost a query) is cached under
   `pp:<post_id>:<version>`: one cache MGET for those posts and references, one
   query for the misses. `Post.version` is bumped by both, so a stale content is
   never read and nothing has to be found and invalidated. With Redis
   unavailable the cache is skipped: the contents come from the query.

The renderer adds at most one query (users mentioned in the texts). Retweeters'
summaries come with the rows (tweets.feed.rules). The output equals what the
posts API renders for the same entries (tests/tweets/feed/test_hydrate.py,
tests/tweets/test_rendering.py).
"""

from django.conf import settings
from django.core.cache import cache

from core.degrade import cache_breaker
from tweets.feed.rules import EntryRow
from tweets.feed.states import AUTHOR_COLUMNS, post_states
from tweets.models import Post
from tweets.rendering import CONTENT_FIELDS, EntryRenderer, post_content, post_contents
from tweets.selectors import PostRenderContext


def payload_key(post_id: int, version: int) -> str:
    return f"pp:{post_id}:{version}"


def payloads(posts) -> dict[int, dict]:
    """Cached contents of `posts` (with `id` and `version` loaded): one MGET, one query
    for the misses (which are then cached)."""
    keys = {payload_key(p.id, p.version): p.id for p in posts}
    # Redis unavailable: every content is a miss, read from PostgreSQL, not cached.
    found = cache_breaker.call(
        "the post payload cache is skipped", lambda: cache.get_many(list(keys)), dict
    )
    result = {keys[key]: value for key, value in found.items()}
    missing = [post_id for post_id in set(keys.values()) if post_id not in result]
    if missing:
        fresh = list(Post.objects.filter(pk__in=missing).only("id", "version", *CONTENT_FIELDS))
        to_cache = {}
        contents = post_contents(fresh)
        for post in fresh:
            result[post.id] = to_cache[payload_key(post.id, post.version)] = contents[post.id]
        cache_breaker.call(
            "the post payload cache is skipped",
            lambda: cache.set_many(to_cache, timeout=settings.FEED_PAYLOAD_TTL),
            lambda: [],
        )
    return result


def _contents(posts) -> dict[int, dict]:
    """Contents by post id: a post without media from its own columns (read with
    its state: no round trip), one with media from its cached payload."""
    posts = list({post.id: post for post in posts}.values())  # a page's post and a reference
    with_media = [post for post in posts if post.media_ids]
    contents = {p.id: post_content(p, media={}) for p in posts if not p.media_ids}
    contents.update(payloads(with_media) if with_media else {})
    return contents


def _visible_refs(viewer, ref_ids) -> dict[int, Post]:
    if not ref_ids:
        return {}
    refs = (
        Post.objects.visible_to(viewer)
        .filter(pk__in=ref_ids)
        .select_related("author")
        .only("id", "version", "author_id", *CONTENT_FIELDS, *AUTHOR_COLUMNS)
    )
    return {ref.id: ref for ref in refs}


def render_entries(*, viewer, rows: list[EntryRow], request=None) -> list[dict]:
    if not rows:
        return []
    # Rows from entries_among come with their post's state (same statement).
    states = {row.post_id: row.post for row in rows if row.post is not None}
    unknown = {row.post_id for row in rows} - states.keys()
    if unknown:
        states.update(post_states(viewer, unknown))
    wanted = {ref for p in states.values() for ref in (p.reply_to_id, p.quote_of_id) if ref}
    # Posts of the page are visible to the viewer (they passed the feed rule).
    refs = {ref: states[ref] for ref in wanted if ref in states}
    refs.update(_visible_refs(viewer, wanted - refs.keys()))
    context = PostRenderContext(
        refs=refs,
        liked={p.id for p in states.values() if p.liked},
        retweeted={p.id for p in states.values() if p.retweeted},
        bookmarked={p.id for p in states.values() if p.bookmarked},
    )
    contents = _contents([*states.values(), *refs.values()])
    # A post gone since the rows were read has no state: its entries drop out.
    return EntryRenderer(viewer=viewer, request=request).render(
        rows, posts=states.values(), context=context, contents=contents
    )
