"""Events the posts app publishes (core.events.types; docs/events.md lists them)."""

from dataclasses import dataclass
from typing import ClassVar

from core import stamps
from core.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class PostCreated(DomainEvent):
    """Any new post: a plain post, a reply or a quote (those also publish their own event)."""

    name: ClassVar[str] = "post.created"
    post_id: int
    author_id: int
    reply_to_id: int | None
    quote_of_id: int | None
    conversation_id: int

    def stale(self) -> tuple[str, ...]:
        # The counters it moves, and the post as a new entry of feeds. A Redis-backed
        # page's key changes with the timelines and author lists that get it, so that
        # backend drops `entries`: there a plain post stamps nothing, and costs no
        # call (tweets.feed.pages).
        return (stamps.entries(self.author_id), *_posts(self.reply_to_id, self.quote_of_id))


@dataclass(frozen=True, kw_only=True)
class ReplyCreated(DomainEvent):
    name: ClassVar[str] = "reply.created"
    post_id: int
    author_id: int
    reply_to_id: int
    reply_to_author_id: int
    conversation_id: int

    def stale(self) -> tuple[str, ...]:
        return (stamps.post(self.reply_to_id),)


@dataclass(frozen=True, kw_only=True)
class QuoteCreated(DomainEvent):
    name: ClassVar[str] = "quote.created"
    post_id: int
    author_id: int
    quote_of_id: int
    quote_of_author_id: int

    def stale(self) -> tuple[str, ...]:
        return (stamps.post(self.quote_of_id),)


@dataclass(frozen=True, kw_only=True)
class PostEdited(DomainEvent):
    name: ClassVar[str] = "post.edited"
    post_id: int
    author_id: int
    edit_id: int

    def stale(self) -> tuple[str, ...]:
        return (stamps.post(self.post_id),)


@dataclass(frozen=True, kw_only=True)
class PostDeleted(DomainEvent):
    """A post was soft-deleted (by its author, a moderator or an erasure)."""

    name: ClassVar[str] = "post.deleted"
    post_id: int
    author_id: int
    reply_to_id: int | None
    quote_of_id: int | None
    conversation_id: int

    def stale(self) -> tuple[str, ...]:
        return _posts(self.post_id, self.reply_to_id, self.quote_of_id)


@dataclass(frozen=True, kw_only=True)
class PostHidden(DomainEvent):
    """A moderator hid a post (moderation.services.post_hide)."""

    name: ClassVar[str] = "post.hidden"
    post_id: int
    author_id: int

    def stale(self) -> tuple[str, ...]:
        return (stamps.post(self.post_id),)


@dataclass(frozen=True, kw_only=True)
class PostUnhidden(DomainEvent):
    """A moderator lifted a post's hiding."""

    name: ClassVar[str] = "post.unhidden"
    unhandled: ClassVar[str] = (
        "Every read path (feeds included: a timeline keeps the entry and filters it by "
        "visibility) checks hidden_at, and the version bump retires cached payloads, so "
        "the post is back from the next read on."
    )
    post_id: int
    author_id: int

    def stale(self) -> tuple[str, ...]:
        return (stamps.EVERYTHING,)  # back in reads that filtered it out


@dataclass(frozen=True, kw_only=True)
class PostLiked(DomainEvent):
    name: ClassVar[str] = "post.liked"
    like_id: int
    post_id: int
    user_id: int
    author_id: int

    def stale(self) -> tuple[str, ...]:
        return (stamps.post(self.post_id), stamps.user(self.user_id))


@dataclass(frozen=True, kw_only=True)
class PostUnliked(DomainEvent):
    name: ClassVar[str] = "post.unliked"
    post_id: int
    user_id: int
    author_id: int

    def stale(self) -> tuple[str, ...]:
        return (stamps.post(self.post_id), stamps.user(self.user_id))


@dataclass(frozen=True, kw_only=True)
class RetweetCreated(DomainEvent):
    name: ClassVar[str] = "retweet.created"
    retweet_id: int
    post_id: int
    user_id: int
    author_id: int

    def stale(self) -> tuple[str, ...]:
        return (stamps.post(self.post_id), stamps.user(self.user_id), stamps.entries(self.user_id))


@dataclass(frozen=True, kw_only=True)
class RetweetDeleted(DomainEvent):
    name: ClassVar[str] = "retweet.deleted"
    retweet_id: int
    post_id: int
    user_id: int
    author_id: int

    def stale(self) -> tuple[str, ...]:
        return (stamps.post(self.post_id), stamps.user(self.user_id))


@dataclass(frozen=True, kw_only=True)
class ContentErasureContinued(DomainEvent):
    """An erased account's posts, likes and retweets were too many for one handler run:
    the rest continues in the next (tweets.erasure), carried by the outbox."""

    name: ClassVar[str] = "user.content_erasure_continued"
    user_id: int

    def stale(self) -> tuple[str, ...]:
        return (stamps.EVERYTHING,)


def _posts(*post_ids: int | None) -> tuple[str, ...]:
    """A post and those whose counters it moves (the replied-to, the quoted)."""
    return tuple(stamps.post(post_id) for post_id in post_ids if post_id)
