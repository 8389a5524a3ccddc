"""Timelines and author lists rebuilt from PostgreSQL.

A rebuild reads the newest FEED_MAX_ENTRIES candidates (tweets.feed.rules) and
replaces the Redis list in one transaction, with the SENTINEL when that was the
whole history. Then it closes the race with fan-out: a post committed after the
snapshot whose fan-out ran before the new list existed (found no key, or wrote
into the list the RENAME replaced) would be lost, so the rebuild re-reads the
entries made since shortly before the snapshot (FEED_REBUILD_MARGIN_SECONDS:
longer than any write transaction between taking an id and committing) and
adds them. Any fan-out after that finds the key and adds to it itself.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from core.ids import min_id_for
from tweets.feed import rules, store


def _rebuild(key: str, read, *, ttl: int | None) -> int:
    cap = settings.FEED_MAX_ENTRIES
    since = min_id_for(timezone.now() - timedelta(seconds=settings.FEED_REBUILD_MARGIN_SECONDS))
    ids = read(limit=cap, above=0)
    store.replace(key, ids[:cap], complete=len(ids) <= cap, ttl=ttl)
    store.push([key], read(limit=cap, above=since))
    return min(len(ids), cap)


def rebuild_timeline(user_id: int) -> int:
    """Rebuild `tl:<user_id>` (marks the user active); returns the number of entries."""
    return _rebuild(
        store.timeline_key(user_id),
        lambda **kw: rules.candidate_ids(user_id, **kw),
        ttl=store.timeline_ttl(),
    )


def rebuild_author_list(author_id: int) -> int:
    """Rebuild `ul:<author_id>` for the readers that merge it. It expires after a day
    (and is rebuilt by the next reader that needs it), so the lists of small accounts,
    merged only for a while after someone followed them, do not stay in Redis."""
    return _rebuild(
        store.author_key(author_id),
        lambda **kw: rules.author_entry_ids(author_id, **kw),
        ttl=store.AUTHOR_LIST_TTL,
    )
