"""Every write to posts, retweets, likes and bookmarks. Keyword-only, typed, transactional.

Counters are exact under concurrency: a counter moves in the transaction of
the row that changes it, and only when that row was really inserted
(`INSERT ... ON CONFLICT DO NOTHING RETURNING id` says whether *we* inserted
it) or really removed (the DELETE's or UPDATE's row count). Every change
publishes its domain event in the same transaction (core.events outbox).

A post the actor may not see (deleted, author gone, blocked either way,
private and not followed) is a 404 for every write that targets it: replying,
quoting, liking, retweeting, bookmarking. A retweet's id stands for the post it
reposts, so retweeting a retweet retweets the original.
"""

from collections import Counter
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from core import stamps
from core.counters import decrement
from core.errors import Invalid, NotAllowed, NotFound
from core.events import publish, publish_many, publish_with
from core.ids import new_id
from core.results import CreateResult
from core.sql import increment_sql, insert_sql, quoted_column
from media import services as media_services
from tweets.events import (
    PostCreated,
    PostDeleted,
    PostEdited,
    PostHidden,
    PostLiked,
    PostUnhidden,
    PostUnliked,
    QuoteCreated,
    ReplyCreated,
    RetweetCreated,
    RetweetDeleted,
)
from tweets.feed.fanout import add_own_entry
from tweets.models import Bookmark, Like, Post, PostEdit, Retweet
from tweets.text import TextError, validate_post_text

MAX_MEDIA = media_services.MAX_ATTACHMENTS


def _clean_text(text: str) -> str:
    try:
        return validate_post_text(text)
    except TextError as exc:
        raise Invalid(fields={"text": [str(exc)]}, code=exc.code) from exc


def _target_post(*, actor: User, post_id: int, resolve_retweet: bool = True) -> Post:
    """The post `actor` acts on, or 404 if they may not see it.

    A retweet's id (same id space) resolves to the retweeted post.
    """
    # visible_to applies every rule, blocks in both directions included; the
    # author comes along because the create response renders the parent.
    posts = Post.objects.visible_to(actor).select_related("author")
    post = posts.filter(pk=post_id).first()
    if post is None and resolve_retweet:
        retweet = Retweet.objects.visible_to(actor).filter(pk=post_id).only("post_id").first()
        if retweet is not None:
            post = posts.filter(pk=retweet.post_id).first()
    if post is None:
        raise NotFound("No such post.")
    return post


def _own_post(*, actor: User, post_id: int, for_update: bool = False) -> Post:
    """A post the actor can see (else 404) and wrote (else 403)."""
    posts = Post.objects.visible_to(actor)
    if for_update:
        posts = posts.select_for_update(of=("self",), no_key=True)  # replies still insert
    post = posts.filter(pk=post_id).first()
    if post is None:
        raise NotFound("No such post.")
    if post.author_id != actor.pk:
        raise NotAllowed("Only the author can change a post.", code="not_author")
    return post


def _bump_post(*, post_id: int, field: str, delta: int) -> None:
    posts = Post.objects.filter(pk=post_id)
    if delta < 0:  # never below zero, whatever created the rows
        posts = posts.filter(**{f"{field}__gt": 0})
    posts.update(**{field: F(field) + delta})


def _bump_posts_count(*, user_id: int, delta: int) -> None:
    users = User.objects.filter(pk=user_id)
    if delta < 0:
        users = users.filter(posts_count__gt=0)
    users.update(posts_count=F("posts_count") + delta)


def _references(post: Post) -> list[tuple[int, str]]:
    """(post id, counter) pairs a post adds to, in id order so that concurrent
    writers lock rows in the same order and cannot deadlock."""
    refs = []
    if post.reply_to_id:
        refs.append((post.reply_to_id, "reply_count"))
    if post.quote_of_id:
        refs.append((post.quote_of_id, "quote_count"))
    return sorted(refs)


# --- posts -----------------------------------------------------------------


def post_create(
    *,
    author: User,
    text: str,
    reply_to_id: int | None = None,
    quote_of_id: int | None = None,
    media_ids: Iterable[int] = (),
) -> Post:
    text = _clean_text(text)
    media_ids = list(media_ids)
    if reply_to_id is None and quote_of_id is None and not media_ids:
        return _plain_post_create(author=author, text=text)
    return _post_create(
        author=author,
        text=text,
        reply_to_id=reply_to_id,
        quote_of_id=quote_of_id,
        media_ids=media_ids,
    )


def _plain_post_create(*, author: User, text: str) -> Post:
    """A post that is no reply or quote and has no media (most posts) in one
    statement: the post, the author's counter and the event (core.events.publish_with),
    instead of a transaction of five round trips (BEGIN, two INSERTs, an UPDATE, COMMIT)."""
    post = Post(author=author, text=text)
    post.conversation_id = post.id
    publish_with(
        PostCreated(
            post_id=post.id,
            author_id=author.pk,
            reply_to_id=None,
            quote_of_id=None,
            conversation_id=post.conversation_id,
        ),
        insert_sql(post),
        increment_sql(User, pk=author.pk, field="posts_count", by=1),
    )
    post._state.adding = False  # written: a later save() updates, as after the ORM's insert
    transaction.on_commit(lambda: add_own_entry(actor_id=author.pk, entry_id=post.id))
    return post


@transaction.atomic
def _post_create(
    *,
    author: User,
    text: str,
    reply_to_id: int | None,
    quote_of_id: int | None,
    media_ids: list[int],
) -> Post:
    # `is not None`: a post 0 is a post that does not exist (404), not "no post".
    parent = _target_post(actor=author, post_id=reply_to_id) if reply_to_id is not None else None
    quoted = _target_post(actor=author, post_id=quote_of_id) if quote_of_id is not None else None
    post = Post(author=author, text=text, reply_to=parent, quote_of=quoted)
    # The author's own ready uploads, attached to nothing yet (else a 400 naming the id).
    post.media_ids = media_services.media_attach(owner=author, media_ids=media_ids, post_id=post.id)
    post.conversation_id = parent.conversation_id if parent else post.id
    post.save(force_insert=True)
    for ref_id, counter in _references(post):
        _bump_post(post_id=ref_id, field=counter, delta=1)
    _bump_posts_count(user_id=author.pk, delta=1)

    publish(
        PostCreated(
            post_id=post.id,
            author_id=author.pk,
            reply_to_id=post.reply_to_id,
            quote_of_id=post.quote_of_id,
            conversation_id=post.conversation_id,
        )
    )
    if parent is not None:
        publish(
            ReplyCreated(
                post_id=post.id,
                author_id=author.pk,
                reply_to_id=parent.id,
                reply_to_author_id=parent.author_id,
                conversation_id=post.conversation_id,
            )
        )
    if quoted is not None:
        publish(
            QuoteCreated(
                post_id=post.id,
                author_id=author.pk,
                quote_of_id=quoted.id,
                quote_of_author_id=quoted.author_id,
            )
        )
    transaction.on_commit(lambda: add_own_entry(actor_id=author.pk, entry_id=post.id))
    return post


@transaction.atomic
def post_edit(*, user: User, post_id: int, text: str) -> Post:
    """Replace the text within the edit window; the old text goes to the history."""
    post = _own_post(actor=user, post_id=post_id, for_update=True)
    now = timezone.now()
    if now - post.created_at > timedelta(minutes=settings.POST_EDIT_WINDOW_MINUTES):
        raise NotAllowed(
            f"Posts can be edited for {settings.POST_EDIT_WINDOW_MINUTES} minutes after posting.",
            code="edit_window_closed",
        )
    text = _clean_text(text)
    if text == post.text:
        return post  # nothing changed: no history entry, no event
    edit = PostEdit.objects.create(post=post, text=post.text, edited_at=now)
    post.text = text
    post.edited_at = now
    post.version += 1  # new payload cache key for the feed (row locked above)
    post.save(update_fields=["text", "edited_at", "version"])
    publish(PostEdited(post_id=post.id, author_id=user.pk, edit_id=edit.id))
    return post


@transaction.atomic
def post_delete(*, user: User, post_id: int) -> None:
    post = _own_post(actor=user, post_id=post_id)
    post_soft_delete(post=post)


@transaction.atomic
def post_soft_delete(*, post: Post) -> bool:
    """Hide a post from every read path (moderators call this too).

    Replies keep pointing at it and show it as unavailable. Counters it added
    to go down once, however many times this runs.
    """
    deleted = posts_soft_delete(post_ids=[post.pk]) == 1
    if deleted:
        post.deleted_at = timezone.now()
    return deleted


@transaction.atomic
def posts_soft_delete(*, post_ids: list[int]) -> int:
    """`post_soft_delete` for many posts at once (an erasure's chunk): a fixed number
    of statements whatever their number. Returns how many were deleted now; the
    others were gone already (or are being deleted by a concurrent transaction,
    whose lock this waits for and which then counts them)."""
    rows = list(
        Post.objects.filter(pk__in=post_ids, deleted_at__isnull=True)
        .select_for_update(of=("self",), no_key=True)  # replies to them still insert
        .order_by("pk")
        .values_list("id", "author_id", "reply_to_id", "quote_of_id", "conversation_id")
    )
    if not rows:
        return 0
    Post.objects.filter(pk__in=[row[0] for row in rows]).update(
        deleted_at=timezone.now(), version=F("version") + 1
    )
    decrement(Post, "reply_count", Counter(row[2] for row in rows if row[2]))
    decrement(Post, "quote_count", Counter(row[3] for row in rows if row[3]))
    decrement(User, "posts_count", Counter(row[1] for row in rows))
    publish_many(
        PostDeleted(
            post_id=post_id,
            author_id=author_id,
            reply_to_id=reply_to_id,
            quote_of_id=quote_of_id,
            conversation_id=conversation_id,
        )
        for post_id, author_id, reply_to_id, quote_of_id, conversation_id in rows
    )
    return len(rows)


def post_bump_version(post_id: int) -> None:
    """Something the post renders changed elsewhere (its media's alt text): a new
    version retires its cached payloads, in the caller's transaction."""
    Post.objects.filter(pk=post_id).update(version=F("version") + 1)
    stamps.stale((stamps.post(post_id),))


@transaction.atomic
def post_set_hidden(*, post: Post, hidden: bool) -> bool:
    """Hide a post from every read path, or bring it back (moderators: through
    moderation.services, which audits it). Unlike deletion nothing else changes:
    counters stay, replies keep pointing at it. The version bump retires every
    cached payload of it. Returns whether the state changed."""
    rows = Post.objects.filter(pk=post.pk, hidden_at__isnull=hidden)
    now = timezone.now() if hidden else None
    if not rows.update(hidden_at=now, version=F("version") + 1):
        return False
    post.refresh_from_db(fields=["hidden_at", "version"])
    if hidden:
        publish(PostHidden(post_id=post.pk, author_id=post.author_id))
    else:
        publish(PostUnhidden(post_id=post.pk, author_id=post.author_id))
    return True


# --- likes, retweets, bookmarks ----------------------------------------------


def _insert_pair(
    model: type[Like] | type[Retweet] | type[Bookmark], *, user_id: int, post_id: int
) -> int | None:
    """INSERT the (user, post) row unless it exists; its new id, or None if it existed."""
    table = connection.ops.quote_name(model._meta.db_table)
    pk, user, post, created = (
        quoted_column(model, name) for name in ("id", "user", "post", "created_at")
    )
    sql = (
        f"INSERT INTO {table} ({pk}, {user}, {post}, {created}) VALUES (%s, %s, %s, %s) "  # noqa: S608 - names from model meta
        f"ON CONFLICT ({user}, {post}) DO NOTHING RETURNING {pk}"
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(sql, [new_id(), user_id, post_id, now])
        row = cursor.fetchone()
    return row[0] if row else None


@transaction.atomic
def like_create(*, user: User, post_id: int) -> CreateResult[Post]:
    """Like a post; (the post, whether this call created the like)."""
    post = _target_post(actor=user, post_id=post_id)
    like_id = _insert_pair(Like, user_id=user.pk, post_id=post.pk)
    if like_id is None:
        return CreateResult(post, created=False)
    _bump_post(post_id=post.pk, field="like_count", delta=1)
    publish(PostLiked(like_id=like_id, post_id=post.pk, user_id=user.pk, author_id=post.author_id))
    return CreateResult(post, created=True)


@transaction.atomic
def like_delete(*, user: User, post_id: int) -> bool:
    post = _target_post(actor=user, post_id=post_id)
    deleted, _ = Like.objects.filter(user=user, post=post).delete()
    if not deleted:
        return False
    _bump_post(post_id=post.pk, field="like_count", delta=-1)
    publish(PostUnliked(post_id=post.pk, user_id=user.pk, author_id=post.author_id))
    return True


@transaction.atomic
def retweet_create(*, user: User, post_id: int) -> CreateResult[Retweet]:
    """Retweet a post (a retweet's id means its original); (the retweet, created?)."""
    post = _target_post(actor=user, post_id=post_id)
    retweet_id = _insert_pair(Retweet, user_id=user.pk, post_id=post.pk)
    while retweet_id is None:
        existing = Retweet.objects.select_related("user").filter(user=user, post=post).first()
        if existing is not None:
            existing.post = post
            return CreateResult(existing, created=False)
        # Removed by a concurrent unretweet between our insert and read: try again.
        retweet_id = _insert_pair(Retweet, user_id=user.pk, post_id=post.pk)
    _bump_post(post_id=post.pk, field="retweet_count", delta=1)
    publish(
        RetweetCreated(
            retweet_id=retweet_id, post_id=post.pk, user_id=user.pk, author_id=post.author_id
        )
    )
    transaction.on_commit(lambda: add_own_entry(actor_id=user.pk, entry_id=retweet_id))
    retweet = Retweet.objects.select_related("user").get(pk=retweet_id)
    retweet.post = post
    return CreateResult(retweet, created=True)


@transaction.atomic
def retweet_delete(*, user: User, post_id: int) -> bool:
    post = _target_post(actor=user, post_id=post_id)
    retweet_id = Retweet.objects.filter(user=user, post=post).values_list("id", flat=True).first()
    if retweet_id is None or not Retweet.objects.filter(pk=retweet_id).delete()[0]:
        return False  # not retweeted, or a concurrent request removed it first
    _bump_post(post_id=post.pk, field="retweet_count", delta=-1)
    publish(
        RetweetDeleted(
            retweet_id=retweet_id, post_id=post.pk, user_id=user.pk, author_id=post.author_id
        )
    )
    return True


@transaction.atomic
def bookmark_create(*, user: User, post_id: int) -> CreateResult[Post]:
    """Bookmarks are private: no counter, no event anyone else could observe."""
    post = _target_post(actor=user, post_id=post_id)
    created = _insert_pair(Bookmark, user_id=user.pk, post_id=post.pk) is not None
    if created:
        stamps.stale((stamps.user(user.pk),))  # the `bookmarked` flag in their reads
    return CreateResult(post, created=created)


@transaction.atomic
def bookmark_delete(*, user: User, post_id: int) -> bool:
    post = _target_post(actor=user, post_id=post_id)
    deleted, _ = Bookmark.objects.filter(user=user, post=post).delete()
    if deleted:
        stamps.stale((stamps.user(user.pk),))
    return bool(deleted)
