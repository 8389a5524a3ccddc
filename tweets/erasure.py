"""What an erased account left in the posts app, removed in resumable chunks.

An account can hold hundreds of thousands of likes and tens of thousands of posts:
one transaction for all of it outlived every task time limit. Each step here is
one short transaction over at most CHUNK rows that locks the rows it takes (SKIP
LOCKED: a concurrent run of the same erasure takes other rows), moves the
counters only for rows it really removed and publishes their events, so a step
can be cut off, repeated or run twice at once without a counter moving twice.
The handler (tweets.handlers.erase_user_content) runs steps until its budget is
spent and hands the rest on with ContentErasureContinued.
"""

from django.db import transaction
from django.db.models import F, QuerySet

from core.events import publish, publish_many
from tweets import services
from tweets.events import ContentErasureContinued, PostUnliked, RetweetDeleted
from tweets.models import Bookmark, Like, Post, PostEdit, Retweet

CHUNK = 1000


def erase_step(*, user_id: int) -> bool:
    """One chunk of the first kind of row with something left; False when all is gone.

    Posts go first (their counters and events), then the text and edit history they
    keep, then the account's likes, retweets and bookmarks."""
    return any(step(user_id) for step in (_posts, _texts, _edits, _likes, _retweets, _bookmarks))


def continue_later(*, user_id: int) -> None:
    with transaction.atomic():
        publish(ContentErasureContinued(user_id=user_id))


def _locked_ids(queryset: QuerySet[Post] | QuerySet[PostEdit] | QuerySet[Bookmark]) -> list[int]:
    return list(
        queryset.select_for_update(of=("self",), skip_locked=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:CHUNK]
    )


@transaction.atomic
def _posts(user_id: int) -> bool:
    ids = _locked_ids(Post.objects.filter(author_id=user_id, deleted_at__isnull=True))
    if not ids:
        return False
    services.posts_soft_delete(post_ids=ids)
    return True


@transaction.atomic
def _texts(user_id: int) -> bool:
    ids = _locked_ids(Post.objects.filter(author_id=user_id).exclude(text=""))
    return bool(Post.objects.filter(pk__in=ids).update(text=""))


@transaction.atomic
def _edits(user_id: int) -> bool:
    ids = _locked_ids(PostEdit.objects.filter(post__author_id=user_id))
    return bool(PostEdit.objects.filter(pk__in=ids).delete()[0])


@transaction.atomic
def _likes(user_id: int) -> bool:
    """Likes go with their counters and a `post.unliked` each (pushes of the counter)."""
    rows = _locked_rows(Like.objects.filter(user_id=user_id))
    if not rows:
        return False
    Like.objects.filter(pk__in=[pk for pk, _, _ in rows]).delete()
    _take_one(field="like_count", post_ids=[post_id for _, post_id, _ in rows])
    publish_many(
        PostUnliked(post_id=post_id, user_id=user_id, author_id=author_id)
        for _, post_id, author_id in rows
    )
    return True


@transaction.atomic
def _retweets(user_id: int) -> bool:
    rows = _locked_rows(Retweet.objects.filter(user_id=user_id))
    if not rows:
        return False
    Retweet.objects.filter(pk__in=[pk for pk, _, _ in rows]).delete()
    _take_one(field="retweet_count", post_ids=[post_id for _, post_id, _ in rows])
    publish_many(
        RetweetDeleted(retweet_id=pk, post_id=post_id, user_id=user_id, author_id=author_id)
        for pk, post_id, author_id in rows
    )
    return True


@transaction.atomic
def _bookmarks(user_id: int) -> bool:
    ids = _locked_ids(Bookmark.objects.filter(user_id=user_id))
    return bool(Bookmark.objects.filter(pk__in=ids).delete()[0])


def _locked_rows(queryset: QuerySet[Like] | QuerySet[Retweet]) -> list[tuple[int, int, int]]:
    """(pk, post id, post author id) of up to CHUNK of the account's likes or retweets,
    locked: the rows are deleted by this transaction and nobody else."""
    return list(
        queryset.select_for_update(of=("self",), skip_locked=True)
        .order_by("pk")
        .values_list("pk", "post_id", "post__author_id")[:CHUNK]
    )


def _take_one(*, field: str, post_ids: list[int]) -> None:
    """One like or retweet fewer on each post (an account likes a post at most once)."""
    Post.objects.filter(pk__in=sorted(post_ids), **{f"{field}__gt": 0}).update(
        **{field: F(field) - 1}
    )
