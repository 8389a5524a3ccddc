"""Every notifications handler runs a fixed number of queries per batch: the same for
3 events as for 30 (the reads live in the selectors of the apps that own the rows
and take the whole batch; notify creates and re-surfaces in bulk)."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.events import Delivered
from core.ids import new_id
from notifications import handlers
from notifications.models import Notification
from relationships.events import FollowApproved, FollowRequested, UserBlocked, UserFollowed
from tests.factories import (
    FollowFactory,
    FollowRequestFactory,
    LikeFactory,
    PostFactory,
    RetweetFactory,
    UserFactory,
)
from tweets.events import (
    PostCreated,
    PostDeleted,
    PostLiked,
    QuoteCreated,
    ReplyCreated,
    RetweetCreated,
)

pytestmark = pytest.mark.django_db


def batch(events) -> list[Delivered]:
    now = datetime.now(UTC)
    return [Delivered(id=new_id(), created_at=now, event=event) for event in events]


def pairs(n: int):
    return [(UserFactory(), UserFactory()) for _ in range(n)]


def followed(n):
    follows = [FollowFactory(follower=a, followee=b) for a, b in pairs(n)]
    return handlers.notify_followed, [
        UserFollowed(follower_id=f.follower_id, followee_id=f.followee_id) for f in follows
    ]


def requested(n):
    requests = [FollowRequestFactory(requester=a, target=b) for a, b in pairs(n)]
    return handlers.notify_follow_requested, [
        FollowRequested(request_id=r.pk, requester_id=r.requester_id, target_id=r.target_id)
        for r in requests
    ]


def approved(n):
    follows = [FollowFactory(follower=a, followee=b) for a, b in pairs(n)]
    return handlers.notify_follow_approved, [
        FollowApproved(request_id=new_id(), follower_id=f.follower_id, followee_id=f.followee_id)
        for f in follows
    ]


def blocked(n):
    return handlers.withdraw_on_block, [
        UserBlocked(blocker_id=a.pk, blocked_id=b.pk) for a, b in pairs(n)
    ]


def liked(n):
    likes = [LikeFactory(user=a, post=PostFactory(author=b)) for a, b in pairs(n)]
    return handlers.notify_liked, [
        PostLiked(like_id=like.pk, post_id=like.post_id, user_id=like.user_id, author_id=0)
        for like in likes
    ]


def retweeted(n):
    retweets = [RetweetFactory(user=a, post=PostFactory(author=b)) for a, b in pairs(n)]
    return handlers.notify_retweeted, [
        RetweetCreated(retweet_id=r.pk, post_id=r.post_id, user_id=r.user_id, author_id=0)
        for r in retweets
    ]


def replied(n):
    replies = []
    for a, b in pairs(n):
        parent = PostFactory(author=b)
        replies.append(PostFactory(author=a, reply_to=parent))
    return handlers.notify_replied, [
        ReplyCreated(
            post_id=r.pk,
            author_id=r.author_id,
            reply_to_id=r.reply_to_id,
            reply_to_author_id=r.reply_to.author_id,
            conversation_id=r.conversation_id,
        )
        for r in replies
    ]


def quoted(n):
    quotes = [PostFactory(author=a, quote_of=PostFactory(author=b)) for a, b in pairs(n)]
    return handlers.notify_quoted, [
        QuoteCreated(
            post_id=q.pk,
            author_id=q.author_id,
            quote_of_id=q.quote_of_id,
            quote_of_author_id=q.quote_of.author_id,
        )
        for q in quotes
    ]


def mentioned(n):
    posts = [PostFactory(author=a, text=f"hello @{b.username}") for a, b in pairs(n)]
    return handlers.record_mentions, [
        PostCreated(
            post_id=p.pk,
            author_id=p.author_id,
            reply_to_id=None,
            quote_of_id=None,
            conversation_id=p.conversation_id,
        )
        for p in posts
    ]


def deleted(n):
    posts = [PostFactory(author=a) for a, _ in pairs(n)]
    return handlers.withdraw_on_post_deleted, [
        PostDeleted(
            post_id=p.pk,
            author_id=p.author_id,
            reply_to_id=None,
            quote_of_id=None,
            conversation_id=p.conversation_id,
        )
        for p in posts
    ]


def queries_for(make, n: int) -> tuple[int, int]:
    handler, events = make(n)
    with CaptureQueriesContext(connection) as captured:
        handler(batch(events))
    return len(captured), Notification.objects.count()


@pytest.mark.parametrize(
    "make",
    [followed, requested, approved, blocked, liked, retweeted, replied, quoted, mentioned, deleted],
)
def test_a_batch_of_30_costs_the_queries_of_a_batch_of_3(make):
    few, notified_few = queries_for(make, 3)
    many, notified_many = queries_for(make, 30)
    assert many == few, f"{make.__name__}: {few} queries for 3 events, {many} for 30"
    # The batches did their work (the withdrawals leave nothing, the others notify).
    assert notified_many - notified_few in (0, 30)
    if make not in (blocked, deleted):
        assert notified_many - notified_few == 30


def test_a_read_notification_is_resurfaced_in_the_same_fixed_queries():
    handler, events = liked(3)
    handler(batch(events))
    Notification.objects.update(is_read=True)
    with CaptureQueriesContext(connection) as again:
        handler(batch(events))  # each like happens again: re-surfaced, not duplicated
    assert Notification.objects.count() == 3
    assert not Notification.objects.filter(is_read=True).exists()
    handler, events = liked(30)
    handler(batch(events))
    Notification.objects.update(is_read=True)
    with CaptureQueriesContext(connection) as again_30:
        handler(batch(events))
    assert len(again_30) == len(again)
