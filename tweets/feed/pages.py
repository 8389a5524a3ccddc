"""Rendered feed pages, kept in Redis and checked against stamps (docs/feed.md,
"Page cache").

A repeated read of the same page used to redo everything: re-check every id in
PostgreSQL, render every entry. Now the page's bytes are kept, and served again
while nothing they show has changed:

- **Key**: the reader, the request (URL with its host, and the media type), and
  a digest of the ids the read took from each list (`tl:` and the merged
  `ul:`s, with their floors). A new entry, a trim or a rebuild changes the ids,
  so it changes the key.
- **Dependencies**: what the page shows (core.stamps): the reader, every post and
  reference, their authors, retweeters and mentioned users, the `@names` in the
  texts, and `EVERYTHING`. A change stamps its keys after the commit with a clock
  that only grows; a page keeps the clock read before its statement ran, and is
  served only while none of its dependencies' stamps is newer.
- **One round trip**: a Lua call reads the lists as the read path's first round
  does, computes the key, and answers the page's bytes, or the lists (which
  that first round then uses) and the clock.

Pages expire after FEED_PAGE_CACHE_SECONDS. That also bounds what a lost stamp
can cost (Redis unreachable when a change committed: its stamp is skipped,
logged): such a page is at most that old.

**Pull-feed pages** (FEED_BACKEND=sql with Redis): no lists to digest, so a new
entry cannot change the key. Instead a new post or retweet stamps its author
(`stamps.entries`) into one sorted set of recent posters, author -> clock, and a
page keeps, beside its dependencies, whose entries it may show (the reader and
their followees). A page is served while no author it follows posted after its
clock. Checking costs one range read of the posters since then (none while
nobody posts), not one look-up per followee. The set keeps the last
PULL_POSTERS authors; its member `*` holds the highest clock trimmed away, and a
page older than that (or than the set, should Redis lose it) is not served.
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

from accounts.mentions import parse_mentions
from core import stamps
from tweets.feed import store

CLOCK = "fs:clock"
STAMP_PREFIX = "fs:"
POSTERS = "fs:posters"  # author -> the clock of their newest entry; `*`: the floor
PULL_POSTERS = 10_000  # authors the set keeps
PULL_CHECKED = 200  # posters since a page's clock checked before it is read again
PULL_MAX_FOLLOWED = 20_000  # authors a kept pull page may follow, the reader included

# Whether the page's dependencies are stamped after its clock. Expects `page`
# (HMGET c, d, b) and sets `fresh`.
_FRESH = """
local deps = {}
for dep in string.gmatch(page[2], '%S+') do deps[#deps + 1] = 'fs:' .. dep end
local built, fresh = tonumber(page[1]), true
local stamped = redis.call('MGET', unpack(deps))
for i = 1, #deps do
  if stamped[i] and tonumber(stamped[i]) > built then
    fresh = false
    break
  end
end
"""

# KEYS: the reader's timeline, then the merged author lists. ARGV: the timeline's
# TTL, the upper and lower bounds, ids per list, the page key's prefix. Every
# part of the digest is length-prefixed: members are bytes, any byte included.
_READ = (
    """
redis.call('EXPIRE', KEYS[1], ARGV[1])
local lists, parts = {}, {}
for i = 1, #KEYS do
  local got = redis.call('ZREVRANGEBYLEX', KEYS[i], ARGV[2], ARGV[3], 'LIMIT', 0, ARGV[4])
  local lowest = redis.call('ZRANGE', KEYS[i], 0, 0)
  lists[#lists + 1] = got
  lists[#lists + 1] = lowest
  parts[#parts + 1] = KEYS[i] .. '#' .. #got .. '#' .. #lowest .. '#'
    .. table.concat(got) .. table.concat(lowest)
end
local key = ARGV[5] .. redis.sha1hex(table.concat(parts, '|'))
local page = redis.call('HMGET', key, 'c', 'd', 'b')
if page[3] then
"""
    + _FRESH
    + """
  if fresh then
    return {page[3]}
  end
end
return {key, redis.call('GET', 'fs:clock') or '0', lists}
"""
)

# KEYS: the page, the clock, the posters. ARGV: how many posters to check at most.
_READ_PULLED = (
    """
local clock = redis.call('GET', KEYS[2]) or '0'
local floor = redis.call('ZSCORE', KEYS[3], '*')
if not floor then
  redis.call('ZADD', KEYS[3], clock, '*')  -- new or lost: only later pages are checkable
  floor = clock
end
local page = redis.call('HMGET', KEYS[1], 'c', 'd', 'b')
if page[3] then
"""
    + _FRESH
    + """
  if fresh and tonumber(floor) > built then
    fresh = false
  end
  if fresh then
    local limit = tonumber(ARGV[1])
    local posters = redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. page[1], '+inf', 'LIMIT', 0, limit)
    if #posters >= limit then
      fresh = false
    elseif #posters > 0 then
      local followed = redis.call('HGET', KEYS[1], 'f') or ''
      for i = 1, #posters do
        if string.find(followed, ',' .. posters[i] .. ',', 1, true) then
          fresh = false
          break
        end
      end
    end
  end
  if fresh then
    return page[3]
  end
end
return tonumber(clock)
"""
)

# KEYS: the clock, the posters, then the stamps. ARGV: the stamps' TTL, how many
# posters to keep, then the authors of new entries.
_STAMP = """
local now = redis.call('INCR', KEYS[1])
for i = 3, #KEYS do
  redis.call('SET', KEYS[i], now, 'EX', ARGV[1])
end
if #ARGV > 2 then
  if not redis.call('ZSCORE', KEYS[2], '*') then
    redis.call('ZADD', KEYS[2], now, '*')
  end
  for i = 3, #ARGV do
    redis.call('ZADD', KEYS[2], now, ARGV[i])
  end
  local extra = redis.call('ZCARD', KEYS[2]) - 1 - tonumber(ARGV[2])
  if extra > 0 then  -- `*` ranks first: its clock is at most any other's
    local last = redis.call('ZRANGE', KEYS[2], extra, extra, 'WITHSCORES')
    redis.call('ZREMRANGEBYRANK', KEYS[2], 1, extra)
    redis.call('ZADD', KEYS[2], last[2], '*')
  end
end
return now
"""


def enabled() -> bool:
    return settings.FEED_BACKEND == "redis" and settings.FEED_PAGE_CACHE_SECONDS > 0


def pulled_enabled() -> bool:
    """Pull-feed pages are kept: the pull feed serves every read, and Redis is there."""
    return (
        settings.FEED_BACKEND == "sql"
        and bool(settings.FEED_REDIS_URL)
        and settings.FEED_PAGE_CACHE_SECONDS > 0
    )


@dataclass(frozen=True)
class Slot:
    """Where a page read now is kept once rendered, and the clock read before it.
    `followed`: for a pull-feed page, the authors whose new entries it may show."""

    key: str
    clock: int
    followed: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Lookup:
    body: bytes | None = None  # the kept page: served as it is
    slot: Slot | None = None  # else: where this read's page goes
    lists: list[list[bytes]] | None = None  # and what the lists answered: the first round


def lookup(
    *, viewer_id: int, variant: str, keys: list[str], hi: bytes, lo: bytes, per_list: int
) -> Lookup:
    digest = hashlib.sha1(variant.encode(), usedforsecurity=False).hexdigest()[:16]
    reply = store.script(_READ)(
        keys=keys,
        args=[store.timeline_ttl(), hi, lo, per_list, f"fpg:{viewer_id}:{digest}:"],
    )
    if len(reply) == 1:
        return Lookup(body=reply[0])
    key, clock, lists = reply
    return Lookup(slot=Slot(key=key.decode(), clock=int(clock)), lists=lists)


def lookup_pulled(*, viewer_id: int, variant: str) -> Lookup:
    """A kept pull-feed page, or where this read's page goes (the caller reads
    `followed`, after this clock, into `Slot.followed`)."""
    digest = hashlib.sha1(variant.encode(), usedforsecurity=False).hexdigest()[:16]
    key = f"fpg:{viewer_id}:{digest}:pull"
    reply = store.script(_READ_PULLED)(keys=[key, CLOCK, POSTERS], args=[PULL_CHECKED])
    if isinstance(reply, bytes):
        return Lookup(body=reply)
    return Lookup(slot=Slot(key=key, clock=reply))


def keep(slot: Slot, *, dependencies: Iterable[str], body: bytes) -> None:
    """Keep a rendered page (Redis unavailable: it is not kept, nothing else changes)."""
    page = {"c": slot.clock, "d": " ".join(dependencies), "b": body}
    if slot.followed is not None:
        if len(slot.followed) > PULL_MAX_FOLLOWED:
            return
        page["f"] = "," + ",".join(map(str, slot.followed)) + ","

    def run() -> None:
        pipe = store.client().pipeline(transaction=True)
        pipe.hset(slot.key, mapping=page)
        pipe.expire(slot.key, settings.FEED_PAGE_CACHE_SECONDS)
        pipe.execute()

    store.breaker.call("a feed page is not cached", run, lambda: None)


def dependencies(*, viewer_id: int, rows: list, entries: list[dict]) -> set[str] | None:
    """Whatever a change to which would change these rendered entries (see the
    module docstring; what a read filtered out is the reader's, or EVERYTHING).
    `rows`: every row the read fetched, the one past the page too, whose presence
    decides the `next` link (a hidden or deleted post there removes it). None: a
    row without its state (whose author is unknown here); such a page is not kept."""
    found = {stamps.EVERYTHING, stamps.user(viewer_id)}
    for row in rows:
        if row.post is None:
            return None
        found.update((stamps.post(row.post_id), stamps.user(row.post.author_id)))
        if row.retweeted_by is not None:
            found.add(stamps.user(row.retweeted_by.pk))
    for entry in entries:
        if entry["retweeted_by"] is not None:
            found.add(stamps.user(int(entry["retweeted_by"]["id"])))
        post = entry["post"]
        found.update((stamps.post(int(post["id"])), stamps.user(int(post["author"]["id"]))))
        for ref in (post["reply_to"], post["quote_of"]):
            if ref is not None:
                found.add(stamps.post(int(ref["id"])))
                if ref["author"] is not None:
                    found.add(stamps.user(int(ref["author"]["id"])))
        found.update(stamps.user(int(m["user_id"])) for m in post["mentions"])
        found.update(stamps.name(span.username) for span in parse_mentions(post["text"]))
    return found


def stamp(keys: frozenset[str]) -> None:
    """core.stamps' backend: stamp `keys` now, in one call. Stamps outlive the pages
    that could depend on them, so a missing stamp is one no kept page predates.
    New entries (`stamps.entries`) go to the posters, where pull-feed pages are kept."""
    pulled = pulled_enabled()
    if not (pulled or enabled()):
        return
    authors = [k.removeprefix(stamps.ENTRIES) for k in keys if k.startswith(stamps.ENTRIES)]
    others = [STAMP_PREFIX + k for k in keys if not k.startswith(stamps.ENTRIES)]
    if not pulled:
        authors = []  # (Redis-backed pages: the lists tell)
    if not (authors or others):
        return
    ttl = 2 * settings.FEED_PAGE_CACHE_SECONDS + 60
    store.breaker.call(
        "a change is not stamped: cached feed pages may show it late",
        lambda: store.script(_STAMP)(
            keys=[CLOCK, POSTERS, *others], args=[ttl, PULL_POSTERS, *authors]
        ),
        lambda: None,
    )
