"""Redis timelines and author lists: sorted sets of entry ids.

Layout (docs/feed.md):
- `tl:<user_id>`: the user's home timeline. Exists only for active users (TTL
  FEED_ACTIVE_DAYS, refreshed by each read); fan-out adds only to existing keys,
  so a missing key means "rebuild from PostgreSQL on the next read" whether the
  user was inactive or Redis lost the key.
- `ul:<author_id>`: the author's own recent entries (posts and retweets), for the
  read-time merge of authors not fanned out. Also only added to when it exists.

Members are the entry id as 8 big-endian bytes and every score is 0. With equal
scores Redis orders members lexicographically, which for fixed-width big-endian
unsigned integers is numeric order, so `ZREVRANGEBYLEX key (<cursor> ...` is an
exact keyset page. (A score of the id itself would be a double, exact only up to
2^53; our ids are ~2^62.) 8 bytes is also the smallest member: the memory per
entry is what the benchmark measures.

Completeness: a list is *exact from its floor up*: every entry that belongs in
it with an id >= floor is present (extra entries are harmless, readers filter).
The floor is 0 when the list holds the SENTINEL member (all eight bytes zero,
lower than any id), written by a rebuild that found the whole history; else it
is the lowest member. Trimming drops the lowest members, sentinel first, so the
invariant holds through trims, removals and additions of newer entries.

Requests reach Redis through `breaker` (core.degrade): when it is unavailable
the feed is read from SQL and the read-your-writes push is skipped, logged.
Event handlers use the client directly: they fail and are retried.
"""

import redis
from django.conf import settings
from redis.commands.core import Script

from core.degrade import Breaker

SENTINEL = b"\x00" * 8
AUTHOR_LIST_TTL = 86_400  # seconds; a reader that needs a list again rebuilds it
_clients: dict[str, redis.Redis] = {}
_scripts: dict[tuple[str, str], Script] = {}
breaker = Breaker("timelines")  # the request path's way to this Redis

# Add members to each existing key, then trim it to the newest `cap` members; keys
# come in groups that get the same members, so a chunk of followers is one call.
# KEYS: the lists, group after group; ARGV[1]: cap, then per group: its number of
# keys and its members concatenated (8 bytes each: one argument, not one per
# member, because packing arguments is most of the client's cost).
_PUSH = """
local cap = tonumber(ARGV[1])
local k = 1
local pushed = 0
for a = 2, #ARGV, 2 do
  local nkeys, blob = tonumber(ARGV[a]), ARGV[a + 1]
  local args = {}
  for i = 1, #blob, 8 do
    args[#args + 1] = 0
    args[#args + 1] = string.sub(blob, i, i + 7)
  end
  for j = k, k + nkeys - 1 do
    if redis.call('EXISTS', KEYS[j]) == 1 then
      redis.call('ZADD', KEYS[j], unpack(args))
      if redis.call('ZCARD', KEYS[j]) > cap then
        redis.call('ZREMRANGEBYRANK', KEYS[j], 0, -(cap + 1))
      end
      pushed = pushed + 1
    end
  end
  k = k + nkeys
end
return pushed
"""


def enabled() -> bool:
    return settings.FEED_BACKEND == "redis"


def client() -> redis.Redis:
    url = settings.FEED_REDIS_URL
    if url not in _clients:
        _clients[url] = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    return _clients[url]


def member(entry_id: int) -> bytes:
    return entry_id.to_bytes(8, "big")


def entry_id(value: bytes) -> int:
    return int.from_bytes(value, "big")


def timeline_key(user_id: int) -> str:
    return f"tl:{user_id}"


def author_key(author_id: int) -> str:
    return f"ul:{author_id}"


def timeline_ttl() -> int:
    return settings.FEED_ACTIVE_DAYS * 86_400


def push(keys: list[str], entry_ids, *, pipe=None) -> None:
    """Add entries to those of `keys` that exist (one round trip; idempotent)."""
    push_groups([(keys, entry_ids)], pipe=pipe)


def push_groups(groups, *, pipe=None) -> None:
    """For each (keys, entry ids) group, add the entries to those keys that exist:
    all groups in one Lua call, one round trip (idempotent: ZADD of the same member)."""
    keys: list[str] = []
    args: list = [settings.FEED_MAX_ENTRIES]
    for group_keys, entry_ids in groups:
        if group_keys and entry_ids:
            keys += group_keys
            args += [len(group_keys), b"".join(member(i) for i in entry_ids)]
    if not keys:
        return
    script(_PUSH)(keys=keys, args=args, client=pipe if pipe is not None else client())


def script(source: str) -> Script:
    """The Lua `source`, registered with this Redis once per process: call it with
    `keys=` and `args=` (EVALSHA, loaded again by redis-py if Redis lost it)."""
    key = (settings.FEED_REDIS_URL, source)
    if key not in _scripts:
        _scripts[key] = client().register_script(source)
    return _scripts[key]


def remove(key: str, entry_ids) -> None:
    members = [member(i) for i in entry_ids]
    for start in range(0, len(members), 1000):
        client().zrem(key, *members[start : start + 1000])


def replace(key: str, entry_ids, *, complete: bool, ttl: int | None) -> None:
    """Write a rebuilt list in one transaction (readers see the old or the new one)."""
    members = [member(i) for i in entry_ids]
    if complete:
        members.append(SENTINEL)
    temporary = f"{key}:rebuild"
    pipe = client().pipeline(transaction=True)
    pipe.delete(temporary)
    if members:
        pipe.zadd(temporary, dict.fromkeys(members, 0))
        pipe.rename(temporary, key)
        if ttl:
            pipe.expire(key, ttl)
    else:
        pipe.delete(key)
    pipe.execute()


def all_ids(key: str) -> list[int]:
    return [entry_id(m) for m in client().zrange(key, 0, -1) if m != SENTINEL]


def bound(entry: int | None, *, upper: bool) -> bytes:
    """An exclusive lex bound; none above is "+", and below is always above the sentinel."""
    if entry is None:
        return b"+" if upper else b"(" + SENTINEL
    return b"(" + member(entry)


def floor_of(lowest: list[bytes]) -> int | None:
    """The list's floor from `ZRANGE key 0 0`; None if the key does not exist."""
    if not lowest:
        return None
    return 0 if lowest[0] == SENTINEL else entry_id(lowest[0])
