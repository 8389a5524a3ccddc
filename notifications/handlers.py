"""Domain events → notifications, mention rows and `post.updated` pushes.

Handlers take batches and must not trust the order of events (docs/events.md,
the ordering table lists each one): every handler reads the current state from
the database and decides what the event still means. A like whose post was
deleted since, or that was already undone, notifies nobody; a follow that was
undone before its handler ran notifies nobody.

The transactional handlers are made effectively-once by core.events (processed
markers in the same transaction) and are idempotent on their own too (the
unique cause of a notification, the unique (post, user) mention), so running
one twice on the same events creates nothing new.
"""

from django.conf import settings
from django.db.models import Q

from accounts import selectors as accounts
from accounts.mentions import mentioned_usernames
from core.events import Delivered, handler
from notifications import realtime, services
from notifications.models import Mention, Notification, TargetType, Verb
from notifications.services import Cause
from relationships import selectors as relationships
from relationships.events import FollowApproved, FollowRequested, UserBlocked, UserFollowed
from tweets import selectors as posts_of
from tweets.events import (
    PostCreated,
    PostDeleted,
    PostEdited,
    PostHidden,
    PostLiked,
    PostUnliked,
    QuoteCreated,
    ReplyCreated,
    RetweetCreated,
    RetweetDeleted,
)

# --- follows ---------------------------------------------------------------------


@handler(UserFollowed)
def notify_followed(events: list[Delivered[UserFollowed]]) -> None:
    pairs = {(d.event.follower_id, d.event.followee_id) for d in events}
    still = relationships.following_pairs(pairs)  # an unfollow since: nothing to say
    services.notify(
        causes=[
            Cause(recipient_id=followee, actor_id=follower, verb=Verb.FOLLOW)
            for follower, followee in sorted(still)
        ]
    )


@handler(FollowRequested)
def notify_follow_requested(events: list[Delivered[FollowRequested]]) -> None:
    pending = relationships.pending_request_pairs(d.event.request_id for d in events)
    services.notify(
        causes=[
            Cause(recipient_id=target, actor_id=requester, verb=Verb.FOLLOW_REQUEST)
            for requester, target in sorted(pending)
        ]
    )


@handler(FollowApproved)
def notify_follow_approved(events: list[Delivered[FollowApproved]]) -> None:
    pairs = {(d.event.follower_id, d.event.followee_id) for d in events}
    still = relationships.following_pairs(pairs)
    services.notify(
        causes=[
            Cause(recipient_id=follower, actor_id=followee, verb=Verb.FOLLOW_APPROVED)
            for follower, followee in sorted(still)
        ]
    )


@handler(UserBlocked)
def withdraw_on_block(events: list[Delivered[UserBlocked]]) -> None:
    """A block removes what either user notified the other of (unblocking restores
    nothing). Reads already hide them; this keeps them from coming back."""
    between = Q()
    for d in events:
        a, b = d.event.blocker_id, d.event.blocked_id
        between |= Q(recipient_id=a, actor_id=b) | Q(recipient_id=b, actor_id=a)
    services.withdraw(notifications=Notification.objects.filter(between))


# --- posts -------------------------------------------------------------------------


@handler(PostLiked)
def notify_liked(events: list[Delivered[PostLiked]]) -> None:
    posts = posts_of.live_posts(d.event.post_id for d in events)
    wanted = {(d.event.user_id, d.event.post_id) for d in events}
    # Only likes that still stand: a like undone before its handler ran says nothing.
    # (A like undone after leaves its notification, as users expect.)
    standing = posts_of.standing_likes(wanted)
    services.notify(
        causes=[
            Cause(
                recipient_id=posts[post_id].author_id,
                actor_id=user_id,
                verb=Verb.LIKE,
                target_type=TargetType.POST,
                target_id=post_id,
            )
            for user_id, post_id in sorted(standing)
            if post_id in posts
        ]
    )


@handler(RetweetCreated)
def notify_retweeted(events: list[Delivered[RetweetCreated]]) -> None:
    standing = posts_of.standing_retweets(d.event.retweet_id for d in events)
    services.notify(
        causes=[
            Cause(
                recipient_id=author_id,
                actor_id=user_id,
                verb=Verb.RETWEET,
                target_type=TargetType.POST,
                target_id=post_id,
            )
            for user_id, post_id, author_id in standing
        ]
    )


def _notify_about_new_post(new_posts: list[tuple[int, int]], *, verb: str) -> None:
    """A reply or a quote, as (post id, parent's author): the parent's author hears about
    the new post, if they may see it."""
    posts = posts_of.live_posts(post_id for post_id, _ in new_posts)
    visible = posts_of.visible_pairs((recipient, post_id) for post_id, recipient in new_posts)
    causes = []
    for post_id, recipient_id in new_posts:
        post = posts.get(post_id)
        if post is None or (recipient_id, post_id) not in visible:
            continue
        causes.append(
            Cause(
                recipient_id=recipient_id,
                actor_id=post.author_id,
                verb=verb,
                target_type=TargetType.POST,
                target_id=post_id,
            )
        )
    services.notify(causes=causes)


@handler(ReplyCreated)
def notify_replied(events: list[Delivered[ReplyCreated]]) -> None:
    replies = [(d.event.post_id, d.event.reply_to_author_id) for d in events]
    _notify_about_new_post(replies, verb=Verb.REPLY)


@handler(QuoteCreated)
def notify_quoted(events: list[Delivered[QuoteCreated]]) -> None:
    quotes = [(d.event.post_id, d.event.quote_of_author_id) for d in events]
    _notify_about_new_post(quotes, verb=Verb.QUOTE)


@handler(PostCreated, PostEdited)
def record_mentions(events: list[Delivered[PostCreated | PostEdited]]) -> None:
    """Parse the post's current text (whichever event comes first, or both, the
    result is the same), store its mention rows, notify the users newly mentioned
    who may see the post. A mention an edit removed takes its notification along."""
    posts = posts_of.live_posts(d.event.post_id for d in events)
    limit = settings.NOTIFICATIONS_MAX_MENTIONS
    names = {pid: mentioned_usernames(post.text)[:limit] for pid, post in posts.items()}
    users_by_name = accounts.visible_users_by_name(n for found in names.values() for n in found)
    parent_authors = posts_of.post_authors(
        ref for p in posts.values() for ref in (p.reply_to_id, p.quote_of_id) if ref
    )
    changes = services.mentions_sync(
        wanted={
            post_id: {users_by_name[n].pk for n in names[post_id] if n in users_by_name}
            for post_id in posts
        }
    )
    gone = [
        Q(target_id=post_id, recipient_id__in=removed)
        for post_id, (_, removed) in changes.items()
        if removed
    ]
    if gone:  # mentions an edit removed take their notifications along
        services.withdraw(
            notifications=Notification.objects.filter(
                Q(*gone, _connector=Q.OR), verb=Verb.MENTION, target_type=TargetType.POST
            )
        )
    candidates = []
    for post_id, post in posts.items():
        added, _ = changes[post_id]
        # The parent's author already hears about this post as a reply or quote.
        told = {parent_authors.get(ref) for ref in (post.reply_to_id, post.quote_of_id) if ref}
        candidates += [(user_id, post) for user_id in sorted(added - told - {post.author_id})]
    visible = posts_of.visible_pairs((user_id, post.id) for user_id, post in candidates)
    services.notify(
        causes=[
            Cause(
                recipient_id=user_id,
                actor_id=post.author_id,
                verb=Verb.MENTION,
                target_type=TargetType.POST,
                target_id=post.id,
            )
            for user_id, post in candidates
            if (user_id, post.id) in visible
        ]
    )


@handler(PostDeleted)
def withdraw_on_post_deleted(events: list[Delivered[PostDeleted]]) -> None:
    """A deleted post takes along every notification that points at it (its likes,
    retweets, and the reply, quote or mention it was) and its mention rows."""
    post_ids = [d.event.post_id for d in events]
    services.withdraw(
        notifications=Notification.objects.filter(
            target_type=TargetType.POST, target_id__in=post_ids
        )
    )
    Mention.objects.filter(post_id__in=post_ids).delete()


# --- post.updated pushes -------------------------------------------------------------

PostChange = (
    PostEdited
    | PostDeleted
    | PostHidden
    | PostLiked
    | PostUnliked
    | RetweetCreated
    | RetweetDeleted
    | ReplyCreated
    | QuoteCreated
)


def _counted_posts(event: PostChange) -> tuple[int | None, ...]:
    """The posts whose counters `event` moved."""
    if isinstance(event, ReplyCreated):
        return (event.reply_to_id,)
    if isinstance(event, QuoteCreated):
        return (event.quote_of_id,)
    if isinstance(event, PostDeleted):
        return (event.reply_to_id, event.quote_of_id)
    if isinstance(event, PostEdited | PostHidden):
        return ()
    return (event.post_id,)  # likes and retweets


@handler(
    PostEdited,
    PostDeleted,
    PostHidden,
    PostLiked,
    PostUnliked,
    RetweetCreated,
    RetweetDeleted,
    ReplyCreated,
    QuoteCreated,
    transactional=False,
)
def push_post_updates(events: list[Delivered[PostChange]]) -> None:
    """Tell subscribed sockets a post changed. Idempotent by construction: it pushes
    the post's current state, so a repeat only repeats the same frame. Edits and
    deletions (and a moderator's hiding, shown as one) go out at once; counter changes
    are throttled per post."""
    now = {
        d.event.post_id
        for d in events
        if isinstance(d.event, PostEdited | PostDeleted | PostHidden)
    }
    counters = {post_id for d in events for post_id in _counted_posts(d.event)} - {None}
    if now:
        realtime.push_post_updates(post_ids=now, throttled=False)
    if counters - now:
        realtime.push_post_updates(post_ids=counters - now, throttled=True)
