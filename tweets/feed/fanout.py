"""What the feed's event handlers do to the Redis store (tweets/handlers.py registers them).

Every function takes a batch of events, reads the current state from
PostgreSQL (events may come late, twice, or out of order: docs/events.md) and
applies idempotent Redis effects: adding a member twice, removing a missing
one, or rebuilding a list again changes nothing.
"""

from collections import defaultdict
from collections.abc import Callable

from django.conf import settings
from django.db.models import Q

from core import realtime
from core.events import Delivered
from relationships.events import FollowApproved, UserFollowed, UserUnfollowed
from relationships.models import Follow, Mute
from tweets.events import PostCreated, PostDeleted, RetweetCreated, RetweetDeleted
from tweets.feed import rebuild, rules, store
from tweets.models import Post, Retweet

Groups = list[tuple[list[int], list[int]]]  # (entry ids, follower ids) pairs


def _new_entries(
    events: list[Delivered[PostCreated | RetweetCreated]],
) -> list[tuple[int, int, int | None, int]]:
    """(entry id, actor id, replied-to author or None, actor's followers) of the entries
    of `events` that still exist: a post deleted or a retweet undone since is skipped."""
    post_ids = [d.event.post_id for d in events if isinstance(d.event, PostCreated)]
    retweet_ids = [d.event.retweet_id for d in events if isinstance(d.event, RetweetCreated)]
    entries = []
    if post_ids:
        entries += Post.objects.filter(pk__in=post_ids, deleted_at__isnull=True).values_list(
            "id", "author_id", "reply_to__author_id", "author__followers_count"
        )
    if retweet_ids:
        entries += [
            (entry, user, None, followers)
            for entry, user, followers in Retweet.objects.filter(
                pk__in=retweet_ids, post__deleted_at__isnull=True
            ).values_list("id", "user_id", "user__followers_count")
        ]
    return entries


def _audiences(
    by_actor: dict[int, list[tuple[int, int | None]]],
) -> dict[int, list[int]]:
    """Entry ids per follower for the fanned-out actors' entries, in at most two queries:
    the actors' followers (one `followee_id IN (...)`), and for replies the pairs
    (follower, replied-to author) among those followers. A reply goes to the followers
    of its author who follow the replied-to author too (or are that author)."""
    if not by_actor:
        return {}
    followers: dict[int, list[int]] = defaultdict(list)
    for follower, followee in Follow.objects.filter(followee_id__in=by_actor).values_list(
        "follower_id", "followee_id"
    ):
        followers[followee].append(follower)
    replies = {
        (actor, replied_to)
        for actor, items in by_actor.items()
        for _, replied_to in items
        if replied_to is not None and replied_to != actor
    }
    follows_replied: set[tuple[int, int]] = set()
    if replies:
        replied = {replied_to for _, replied_to in replies}
        repliers = {actor for actor, _ in replies}
        follows_replied = set(
            Follow.objects.filter(
                followee_id__in=replied,
                follower_id__in=Follow.objects.filter(followee_id__in=repliers).values(
                    "follower_id"
                ),
            ).values_list("follower_id", "followee_id")
        )
    targets: dict[int, list[int]] = defaultdict(list)
    for actor, items in by_actor.items():
        for entry, replied_to in items:
            for follower in followers[actor]:
                if (
                    replied_to is None
                    or replied_to in (actor, follower)
                    or (follower, replied_to) in follows_replied
                ):
                    targets[follower].append(entry)
    return targets


def add_own_entry(*, actor_id: int, entry_id: int) -> None:
    """Read-your-writes: the author's own timeline and list get a new post or retweet
    in the request, right after its commit, so their very next read shows it without
    waiting for the fan-out worker (which adds it again: ZADD is idempotent). Existing
    keys only, like fan-out: a missing timeline is rebuilt from PostgreSQL on the next
    read, which finds the entry there. Best effort: if Redis is unavailable, the
    handler adds it later (logged by store.breaker).
    """
    if not store.enabled():
        return
    store.breaker.call(
        f"the read-your-writes push of {entry_id} is left to fan-out",
        lambda: store.push([store.author_key(actor_id), store.timeline_key(actor_id)], [entry_id]),
        lambda: None,
    )


def fan_out(
    events: list[Delivered[PostCreated | RetweetCreated]],
    *,
    queue_chunk: Callable[[Groups], None],
) -> None:
    """post.created / retweet.created: push each entry to its author's own list and
    timeline and, unless the author has more than FEED_FANOUT_MAX_FOLLOWERS followers,
    to their followers' timelines (existing keys only: active users). The first
    chunk of followers is pushed here; `queue_chunk` sends each other one to a task
    (the caller passes it in: tweets.feed.tasks imports this module)."""
    entries = _new_entries(events)
    by_actor: dict[int, list[tuple[int, int | None]]] = defaultdict(list)
    followers_of: dict[int, int] = {}
    for entry, actor, replied_to, followers in entries:
        by_actor[actor].append((entry, replied_to))
        followers_of[actor] = followers

    if store.enabled():
        store.push_groups(
            ([store.author_key(actor), store.timeline_key(actor)], [e for e, _ in items])
            for actor, items in by_actor.items()
        )

    # Coalesce: each follower gets all of the batch's entries meant for them at once.
    # Authors above the threshold are merged at read time from ul:<actor> instead.
    fanned = {
        actor: items
        for actor, items in by_actor.items()
        if followers_of[actor] <= settings.FEED_FANOUT_MAX_FOLLOWERS
    }
    chunks = _chunks(_audiences(fanned))
    if not store.enabled():  # the SQL pull feed has the entries already; only announce them
        for groups in chunks:
            announce_groups(groups)
        return
    for index, groups in enumerate(chunks):
        if index == 0:
            push_groups(groups)
        else:
            queue_chunk(groups)


def _chunks(targets: dict[int, list[int]]) -> list[Groups]:
    """Cut the followers into chunks of FEED_FANOUT_CHUNK; inside a chunk, followers
    who get the same entries form one group (entries sent once). Followers are sorted
    by their entries first, so followers of one author stay together."""
    ordered = sorted((sorted(set(ids)), follower) for follower, ids in targets.items())
    size = settings.FEED_FANOUT_CHUNK
    chunks: list[Groups] = []
    for start in range(0, len(ordered), size):
        groups: Groups = []
        for entry_ids, follower in ordered[start : start + size]:
            if groups and groups[-1][0] == entry_ids:
                groups[-1][1].append(follower)
            else:
                groups.append((entry_ids, [follower]))
        chunks.append(groups)
    return chunks


def push_groups(groups: Groups) -> None:
    """One chunk: one Lua call for its groups, then the `feed.new_entries` pushes."""
    store.push_groups([([store.timeline_key(f) for f in fs], es) for es, fs in groups])
    announce_groups(groups)


def announce_groups(groups: Groups) -> None:
    """`feed.new_entries` to the followers with a socket open: a "new posts"
    banner; clients fetch with since_id. One MGET of presence per chunk; the
    entries' actors and mutes are read only when someone is online, and a
    follower is told only of their own entries whose actor they do not mute."""
    online = set(realtime.online_among([f for _, followers in groups for f in followers]))
    if not online:
        return
    mine = {f: entry_ids for entry_ids, followers in groups for f in followers if f in online}
    entry_ids = {e for ids in mine.values() for e in ids}
    actor_of = dict(Post.objects.filter(pk__in=entry_ids).values_list("id", "author_id"))
    actor_of.update(Retweet.objects.filter(pk__in=entry_ids).values_list("id", "user_id"))
    muted: dict[int, set[int]] = defaultdict(set)
    mutes = Mute.objects.filter(muter_id__in=online, muted_id__in=set(actor_of.values()))
    for muter, actor in mutes.values_list("muter_id", "muted_id"):
        muted[muter].add(actor)
    for user_id, ids in mine.items():
        news = [e for e in ids if e in actor_of and actor_of[e] not in muted[user_id]]
        if news:
            payload = {"type": "feed.new_entries", "count": len(news), "newest_id": str(max(news))}
            realtime.push_to_user(user_id=user_id, payload=payload)


def remove_deleted(events: list[Delivered[PostDeleted | RetweetDeleted]]) -> None:
    """post.deleted / retweet.deleted: drop the entry from its author's list and
    timeline. Followers' timelines keep the id until trimmed; readers filter it."""
    if not store.enabled():
        return
    pipe = store.client().pipeline(transaction=False)
    for delivered in events:
        event = delivered.event
        if isinstance(event, PostDeleted):
            entry, actor = event.post_id, event.author_id
        else:
            entry, actor = event.retweet_id, event.user_id
        for key in (store.author_key(actor), store.timeline_key(actor)):
            pipe.zrem(key, store.member(entry))
    pipe.execute()


def backfill_followers(events: list[Delivered[UserFollowed | FollowApproved]]) -> None:
    """user.followed / follow.approved: an active follower's timeline is rebuilt from
    PostgreSQL, once per follower per batch. That backfills the followee's recent
    entries and also followees' replies to the followee, which fan-out skipped while
    the follower did not follow both. An inactive follower gets it on the next read."""
    if not store.enabled():
        return
    for follower in {d.event.follower_id for d in events}:
        if store.client().exists(store.timeline_key(follower)):
            rebuild.rebuild_timeline(follower)


def prune_unfollowed(events: list[Delivered[UserUnfollowed]]) -> None:
    """user.unfollowed (also the follows a block removes): remove the former followee's
    newest FEED_MAX_ENTRIES entries (from PostgreSQL: two indexed queries) from the
    follower's timeline.

    Readers filter unfollowed authors anyway; this frees memory. If the follow exists
    again by now (a re-follow raced this), the removal may have taken entries that
    belong: rebuild that timeline. Checked after removing, so a re-follow committed
    later has its own rebuild run after our removal.
    """
    if not store.enabled():
        return
    client = store.client()
    pairs = {(d.event.follower_id, d.event.followee_id) for d in events}
    for follower, followee in pairs:
        key = store.timeline_key(follower)
        if client.exists(key):
            cap = settings.FEED_MAX_ENTRIES
            store.remove(key, rules.author_entry_ids(followee, limit=cap))
    refollowed = {
        follower
        for follower, followee in Follow.objects.filter(
            Q(*[Q(follower_id=f, followee_id=g) for f, g in pairs], _connector=Q.OR)
        ).values_list("follower_id", "followee_id")
    }
    for follower in refollowed:
        if client.exists(store.timeline_key(follower)):
            rebuild.rebuild_timeline(follower)
