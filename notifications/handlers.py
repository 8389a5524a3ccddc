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
from django.db.models.functions import Lower

from accounts.mentions import mentioned_usernames
from accounts.models import User
from core.events import Event, handler
from notifications import realtime, selectors, services
from notifications.models import Mention, Notification, TargetType, Verb
from notifications.services import Cause
from relationships.models import FollowRequest
from tweets.models import Like, Post, Retweet


def _live_posts(post_ids) -> dict[int, Post]:
    """Posts that are not deleted, by id. One query."""
    return {p.id: p for p in Post.objects.filter(pk__in=set(post_ids), deleted_at__isnull=True)}


def _visible_to(*, user_id: int, post_id: int, users: dict[int, User]) -> bool:
    user = users.get(user_id)
    return user is not None and Post.objects.visible_to(user).filter(pk=post_id).exists()


# --- follows ---------------------------------------------------------------------


@handler("user.followed")
def notify_followed(events: list[Event]) -> None:
    pairs = {(e.payload["follower_id"], e.payload["followee_id"]) for e in events}
    still = selectors.following_pairs(pairs)  # an unfollow since: nothing to say
    services.notify(
        causes=[
            Cause(recipient_id=followee, actor_id=follower, verb=Verb.FOLLOW)
            for follower, followee in sorted(still)
        ]
    )


@handler("follow.requested")
def notify_follow_requested(events: list[Event]) -> None:
    pending = set(
        FollowRequest.objects.filter(pk__in=[e.payload["request_id"] for e in events]).values_list(
            "requester_id", "target_id"
        )
    )
    services.notify(
        causes=[
            Cause(recipient_id=target, actor_id=requester, verb=Verb.FOLLOW_REQUEST)
            for requester, target in sorted(pending)
        ]
    )


@handler("follow.approved")
def notify_follow_approved(events: list[Event]) -> None:
    pairs = {(e.payload["follower_id"], e.payload["followee_id"]) for e in events}
    still = selectors.following_pairs(pairs)
    services.notify(
        causes=[
            Cause(recipient_id=follower, actor_id=followee, verb=Verb.FOLLOW_APPROVED)
            for follower, followee in sorted(still)
        ]
    )


@handler("user.blocked")
def withdraw_on_block(events: list[Event]) -> None:
    """A block removes what either user notified the other of (unblocking restores
    nothing). Reads already hide them; this keeps them from coming back."""
    between = Q()
    for e in events:
        a, b = e.payload["blocker_id"], e.payload["blocked_id"]
        between |= Q(recipient_id=a, actor_id=b) | Q(recipient_id=b, actor_id=a)
    services.withdraw(notifications=Notification.objects.filter(between))


# --- posts -------------------------------------------------------------------------


@handler("post.liked")
def notify_liked(events: list[Event]) -> None:
    posts = _live_posts(e.payload["post_id"] for e in events)
    wanted = {(e.payload["user_id"], e.payload["post_id"]) for e in events}
    # Only likes that still stand: a like undone before its handler ran says nothing.
    # (A like undone after leaves its notification, as users expect.)
    standing = set(
        Like.objects.filter(
            user_id__in={u for u, _ in wanted}, post_id__in={p for _, p in wanted}
        ).values_list("user_id", "post_id")
    )
    services.notify(
        causes=[
            Cause(
                recipient_id=posts[post_id].author_id,
                actor_id=user_id,
                verb=Verb.LIKE,
                target_type=TargetType.POST,
                target_id=post_id,
            )
            for user_id, post_id in sorted(wanted & standing)
            if post_id in posts
        ]
    )


@handler("retweet.created")
def notify_retweeted(events: list[Event]) -> None:
    standing = Retweet.objects.filter(
        pk__in=[e.payload["retweet_id"] for e in events], post__deleted_at__isnull=True
    ).values_list("user_id", "post_id", "post__author_id")
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


def _notify_about_new_post(events: list[Event], *, verb: str, parent_author_key: str) -> None:
    """A reply or a quote: the parent's author hears about the new post, if they may see it."""
    posts = _live_posts(e.payload["post_id"] for e in events)
    recipients = {e.payload[parent_author_key] for e in events}
    users = {u.pk: u for u in User.objects.filter(pk__in=recipients)}
    causes = []
    for e in events:
        post_id, recipient_id = e.payload["post_id"], e.payload[parent_author_key]
        post = posts.get(post_id)
        if post is None or not _visible_to(user_id=recipient_id, post_id=post_id, users=users):
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


@handler("reply.created")
def notify_replied(events: list[Event]) -> None:
    _notify_about_new_post(events, verb=Verb.REPLY, parent_author_key="reply_to_author_id")


@handler("quote.created")
def notify_quoted(events: list[Event]) -> None:
    _notify_about_new_post(events, verb=Verb.QUOTE, parent_author_key="quote_of_author_id")


@handler("post.created", "post.edited")
def record_mentions(events: list[Event]) -> None:
    """Parse the post's current text (whichever event comes first, or both, the
    result is the same), store its mention rows, notify the users newly mentioned
    who may see the post. A mention an edit removed takes its notification along."""
    posts = _live_posts(e.payload["post_id"] for e in events)
    limit = settings.NOTIFICATIONS_MAX_MENTIONS
    names = {pid: mentioned_usernames(post.text)[:limit] for pid, post in posts.items()}
    wanted = {name for post_names in names.values() for name in post_names}
    users_by_name = {}
    if wanted:
        found = User.objects.visible().annotate(name=Lower("username")).filter(name__in=wanted)
        users_by_name = {user.name: user for user in found}
    parent_ids = {ref for p in posts.values() for ref in (p.reply_to_id, p.quote_of_id) if ref}
    parent_authors = dict(Post.objects.filter(pk__in=parent_ids).values_list("id", "author_id"))
    users = {u.pk: u for u in users_by_name.values()}
    changes = services.mentions_sync(
        wanted={
            post_id: {users_by_name[n].pk for n in names[post_id] if n in users_by_name}
            for post_id in posts
        }
    )
    causes = []
    for post_id, post in posts.items():
        added, removed = changes[post_id]
        if removed:
            services.withdraw(
                notifications=Notification.objects.filter(
                    verb=Verb.MENTION,
                    target_type=TargetType.POST,
                    target_id=post_id,
                    recipient_id__in=removed,
                )
            )
        # The parent's author already hears about this post as a reply or quote.
        told = {parent_authors.get(post.reply_to_id), parent_authors.get(post.quote_of_id)}
        for user_id in sorted(added - told - {post.author_id}):
            if _visible_to(user_id=user_id, post_id=post_id, users=users):
                causes.append(
                    Cause(
                        recipient_id=user_id,
                        actor_id=post.author_id,
                        verb=Verb.MENTION,
                        target_type=TargetType.POST,
                        target_id=post_id,
                    )
                )
    services.notify(causes=causes)


@handler("post.deleted")
def withdraw_on_post_deleted(events: list[Event]) -> None:
    """A deleted post takes along every notification that points at it (its likes,
    retweets, and the reply, quote or mention it was) and its mention rows."""
    post_ids = [e.payload["post_id"] for e in events]
    services.withdraw(
        notifications=Notification.objects.filter(
            target_type=TargetType.POST, target_id__in=post_ids
        )
    )
    Mention.objects.filter(post_id__in=post_ids).delete()


# --- post.updated pushes -------------------------------------------------------------

_COUNTER_EVENTS = {
    "post.liked": ("post_id",),
    "post.unliked": ("post_id",),
    "retweet.created": ("post_id",),
    "retweet.deleted": ("post_id",),
    "reply.created": ("reply_to_id",),
    "quote.created": ("quote_of_id",),
    "post.deleted": ("reply_to_id", "quote_of_id"),
}


@handler(
    "post.edited",
    "post.deleted",
    "post.liked",
    "post.unliked",
    "retweet.created",
    "retweet.deleted",
    "reply.created",
    "quote.created",
    transactional=False,
)
def push_post_updates(events: list[Event]) -> None:
    """Tell subscribed sockets a post changed. Idempotent by construction: it pushes
    the post's current state, so a repeat only repeats the same frame. Edits and
    deletions go out at once; counter changes are throttled per post."""
    now = {e.payload["post_id"] for e in events if e.name in ("post.edited", "post.deleted")}
    counters = {e.payload.get(key) for e in events for key in _COUNTER_EVENTS.get(e.name, ())} - {
        None
    }
    if now:
        realtime.push_post_updates(post_ids=now, throttled=False)
    if counters - now:
        realtime.push_post_updates(post_ids=counters - now, throttled=True)
