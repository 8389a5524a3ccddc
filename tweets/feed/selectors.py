"""`home_timeline`: the signed-in user's home feed as entry rows, newest first.

Two ways to compute the same list (tweets.feed.rules defines it):

- SQL (embedded mode, `q` searches, pages walking back toward newer entries):
  the keyset pull query (one statement for newest-first pages without `q` on
  PostgreSQL, otherwise two queries).
- Redis (services mode): ids from the viewer's timeline `tl:<viewer>` merged with
  the author lists `ul:<author>` of the followed authors that are not fanned out
  (tweets.feed.merged), then filtered through the same rule in one statement
  (deleted, blocked, muted, unfollowed... drop out). Each list is exact only from its floor up
  (tweets.feed.store), so a page takes the ids down to the highest "horizon"
  where every list is still exact, reads further if filtering left it short, and
  continues with the SQL query below the floor of a list (deep pages past the
  800 kept entries). A missing timeline or author list is rebuilt first.
  When Redis is unavailable, the SQL query serves the page (store.breaker).

Both honour the same window (lo < id < hi), so cursors are the entry ids either way.

`home_page` is the same read for the feed view, through its rendered page cache
(tweets.feed.pages): a kept page is answered as it is, in the Lua call that reads
the lists (or, with the SQL backend, in one call before the pull query).
"""

from dataclasses import dataclass, replace

from django.conf import settings

from accounts.models import User
from core.pagination import KeysetWindow
from tweets.feed import merged, pages, rebuild, rules, store
from tweets.feed.rules import EntryRow

MAX_ROUNDS = 4  # Redis reads per page before the rest comes from SQL


def home_timeline(
    *,
    viewer: User,
    window: KeysetWindow,
    since_id: int | None = None,
    q: str = "",
    backend: str | None = None,
) -> list[EntryRow]:
    """`window.fetch_size` entries at most, in window order, all newer than `since_id`."""
    lo = max(since_id or 0, window.after or 0)
    backend = backend or settings.FEED_BACKEND
    if backend != "redis" or q or window.ascending:
        return rules.sql_entries(
            viewer, lo=lo, hi=window.before, ascending=window.ascending, n=window.fetch_size, q=q
        )
    # Redis unavailable: the pull feed serves the same entries, same cursors.
    return store.breaker.call(
        "the home feed is read from SQL",
        lambda: redis_entries(viewer, lo=lo, hi=window.before, n=window.fetch_size),
        lambda: rules.sql_entries(viewer, lo=lo, hi=window.before, n=window.fetch_size),
    )


def redis_entries(viewer: User, *, lo: int, hi: int | None, n: int) -> list[EntryRow]:
    """The page from the reader's timeline and the merged authors' lists: those
    remembered from their last read, checked by the page statement itself
    (tweets.feed.merged); a read that missed one is done again."""
    authors = merged.known(viewer.pk)
    checked = authors is None
    if authors is None:
        authors = merged.merged_authors(viewer.pk)
    while True:
        try:
            return _merged_read(viewer, authors, lo=lo, hi=hi, n=n, check=not checked).rows
        except _MissedAuthors as missed:
            authors, checked = missed.authors, True


@dataclass(frozen=True)
class Page:
    """`home_page`'s answer: the entry rows, or the page as it was rendered before."""

    rows: list[EntryRow]
    body: bytes | None = None  # the kept rendered page: serve it as it is
    slot: pages.Slot | None = None  # where to keep this page's rendering


def home_page(
    *, viewer: User, window: KeysetWindow, since_id: int | None = None, q: str = "", variant: str
) -> Page:
    """`home_timeline` through the rendered page cache (tweets.feed.pages), for the
    feed's own responses. `variant`: what else the rendering depends on (the URL,
    the media type). Pages are kept for reads whose lists answered the whole page
    in their first round, from the merged authors this process remembers."""
    lo = max(since_id or 0, window.after or 0)
    if pages.pulled_enabled() and not q and not window.ascending:
        return _pulled_page(viewer=viewer, window=window, lo=lo, variant=variant)
    authors = merged.known(viewer.pk)
    if (
        authors is None
        or q
        or window.ascending
        or not pages.enabled()
        or len(authors) > settings.FEED_MAX_MERGED_AUTHORS
    ):
        return Page(home_timeline(viewer=viewer, window=window, since_id=since_id, q=q))
    n = window.fetch_size

    def cached() -> Page:
        keys = [store.timeline_key(viewer.pk), *(store.author_key(a) for a in authors)]
        found = pages.lookup(
            viewer_id=viewer.pk,
            variant=variant,
            keys=keys,
            hi=store.bound(window.before, upper=True),
            lo=store.bound(lo, upper=False),
            per_list=over_read(n),
        )
        if found.body is not None:
            return Page([], body=found.body)
        try:
            read = _merged_read(
                viewer, authors, lo=lo, hi=window.before, n=n, check=True, first=found.lists
            )
        except _MissedAuthors:  # read again with the current ones, and not kept
            return Page(redis_entries(viewer, lo=lo, hi=window.before, n=n))
        return Page(read.rows, slot=found.slot if read.first_round else None)

    return store.breaker.call(
        "the home feed is read from SQL",
        cached,
        lambda: Page(rules.sql_entries(viewer, lo=lo, hi=window.before, n=n)),
    )


def _pulled_page(*, viewer: User, window: KeysetWindow, lo: int, variant: str) -> Page:
    """The pull feed's page, kept as rendered while no author it follows posted
    (tweets.feed.pages). Whom it follows is read after the page's clock: a follow
    or unfollow since stamps the reader, which the page depends on."""
    n = window.fetch_size

    def cached() -> Page:
        found = pages.lookup_pulled(viewer_id=viewer.pk, variant=variant)
        if found.body is not None:
            return Page([], body=found.body)
        assert found.slot is not None
        rows = rules.sql_entries(viewer, lo=lo, hi=window.before, n=n)
        followed = (viewer.pk, *rules.followed_ids(viewer.pk))
        return Page(rows, slot=replace(found.slot, followed=followed))

    return store.breaker.call(
        "feed pages are not kept",
        cached,
        lambda: Page(rules.sql_entries(viewer, lo=lo, hi=window.before, n=n)),
    )


def over_read(n: int) -> int:
    """How many ids a page of n reads from each list."""
    return n + max(n // 4, 4)


class _MissedAuthors(Exception):
    def __init__(self, authors: tuple[int, ...]):
        self.authors = authors


def _check(viewer: User, used: tuple[int, ...], seen: tuple[int, ...] | None) -> None:
    """What the page statement saw (`seen`; None: no row carried it, so ask) against
    the authors the read merged: remember any change, redo a read that missed one."""
    current = merged.merged_authors(viewer.pk) if seen is None else seen
    if current != used:
        merged.remember(viewer.pk, current)
        if not set(current) <= set(used):
            raise _MissedAuthors(current)


@dataclass(frozen=True)
class _Read:
    rows: list[EntryRow]
    first_round: bool = False  # the lists' first answer held the whole page


def _merged_read(
    viewer: User,
    authors: tuple[int, ...],
    *,
    lo: int,
    hi: int | None,
    n: int,
    check: bool,
    first: list[list[bytes]] | None = None,
) -> _Read:
    """`first`: what the lists answered to the first round, read already (with
    the timeline's TTL refreshed: tweets.feed.pages)."""
    if len(authors) > settings.FEED_MAX_MERGED_AUTHORS:
        # Too many lists to merge per read: this viewer gets the pull query (the
        # timeline is kept active, as every read does).
        store.client().expire(store.timeline_key(viewer.pk), store.timeline_ttl())
        return _Read(rules.sql_entries(viewer, lo=lo, hi=hi, n=n))
    keys = [store.timeline_key(viewer.pk), *(store.author_key(a) for a in authors)]
    # Over-read a little: filtering (mutes, blocks, deletions) drops a few, and a page
    # it leaves short reads on below. Each id read is checked by the page statement:
    # 2n of them cost PostgreSQL 0.17 ms more a read than these.
    per_list = over_read(n)
    found: list[EntryRow] = []
    rebuilt: set[str] = set()
    rounds = 0
    while rounds < MAX_ROUNDS:
        rounds += 1
        if first is not None:
            replies, first = first, None
        else:
            replies = _read_lists(keys, lo=lo, hi=hi, per_list=per_list, touch=rounds == 1)
        missing = [k for k, lowest in zip(keys, replies[1::2], strict=True) if not lowest]
        if missing:
            if set(missing) & rebuilt:
                break  # lost again at once (Redis evicting): the rest from SQL
            for key in missing:
                _rebuild_key(key, viewer.pk)
            rebuilt.update(missing)
            rounds -= 1
            continue
        horizon, exhausted = 0, True
        ids: set[int] = set()
        for got, lowest in zip(replies[0::2], replies[1::2], strict=True):
            got_ids = [store.entry_id(m) for m in got]
            ids.update(got_ids)
            if len(got_ids) == per_list:  # exact down to the last id read
                if got_ids[-1] >= horizon:
                    horizon, exhausted = got_ids[-1], False
            else:  # exact down to its floor (a floor above the window: nothing known)
                floor = store.floor_of(lowest)
                if floor is None:  # cannot be: lists found missing were rebuilt above
                    raise RuntimeError(f"feed list vanished while reading {keys}")
                floor = floor if hi is None else min(floor, hi)
                if floor > horizon:
                    horizon, exhausted = floor, True
        wanted = sorted((i for i in ids if i >= horizon), reverse=True)
        if check:  # the first page statement also reads the merged authors now
            page, seen = rules.entries_and_merged(viewer, wanted, limit=n - len(found))
            _check(viewer, authors, seen)
            check = False
        else:
            page = rules.entries_among(viewer, wanted, limit=n - len(found))
        found += page
        if len(found) >= n or horizon <= lo + 1:
            return _Read(found[:n], first_round=rounds == 1 and not rebuilt)
        hi = horizon
        if exhausted:
            break  # below a list's floor: only SQL knows
    return _Read(found + rules.sql_entries(viewer, lo=lo, hi=hi, n=n - len(found)))


def _read_lists(
    keys: list[str], *, lo: int, hi: int | None, per_list: int, touch: bool
) -> list[list[bytes]]:
    """Per list, the ids in the window (newest first, `per_list` at most) and its
    lowest member, in one round trip."""
    pipe = store.client().pipeline(transaction=False)
    if touch:
        # The user is active: refresh the timeline's TTL in the same round trip
        # (a missing timeline shows up below as a missing list and is rebuilt).
        pipe.expire(keys[0], store.timeline_ttl())
    for key in keys:
        pipe.zrevrangebylex(
            key, store.bound(hi, upper=True), store.bound(lo, upper=False), 0, per_list
        )
        pipe.zrange(key, 0, 0)
    return pipe.execute()[1:] if touch else pipe.execute()


def _rebuild_key(key: str, viewer_id: int) -> None:
    kind, _, owner = key.partition(":")
    if kind == "tl":
        rebuild.rebuild_timeline(int(owner))
    else:
        rebuild.rebuild_author_list(int(owner))
