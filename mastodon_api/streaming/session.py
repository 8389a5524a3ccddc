"""One Mastodon streaming connection (WebSocket or SSE), independent of its transport.

Mastodon's streaming API speaks in events — `update` (a Status), `notification`
(a Notification), `delete` (a status id), `status.update` (an edited Status) —
each for a stream (`user`, `user:notification`, `public`, `public:local`,
`hashtag`, `hashtag:local`). Warble's realtime layer (core.realtime,
docs/realtime.md) pushes hints instead: `notification.created`,
`feed.new_entries` (count, newest id), `post.updated` (to the sockets that
subscribed to a post). A session joins the same channel-layer groups as `/ws/`
and turns each hint into Mastodon events by reading through the apps'
selectors and rendering with the Mastodon renderers, for its own viewer — so
visibility, blocks and mutes are the apps' rules, applied when the event is
delivered:

- `notification.created` → `notification` (the row read again for the viewer);
- `feed.new_entries` → one `update` per new home entry (read from the home
  timeline above the newest entry this session already delivered);
- the public and hashtag groups (mastodon_api.streaming.handlers) → `update`
  for the new post if the viewer may see it;
- `post.updated` → `delete` or `status.update`, for the posts this session
  delivered (it subscribes to their groups, as a `/ws/` client would, capped at
  NOTIFICATIONS_MAX_POST_SUBSCRIPTIONS, oldest dropped first).
"""

import json
import logging
from collections import OrderedDict
from dataclasses import dataclass, field

from channels.db import database_sync_to_async
from django.conf import settings

from core import realtime
from mastodon_api.streaming import render
from notifications.realtime import post_group
from tweets.hashtags import normalize_tag

logger = logging.getLogger(__name__)

PUBLIC_GROUP = "mastodon.public"
# What the public and hashtag groups carry (mastodon_api.streaming.handlers).
PUBLIC_POST = "mastodon.public_post"
MAX_UPDATES_PER_PUSH = 20  # a burst past this is left to the client's REST resync

USER_STREAMS = ("user", "user:notification")
PUBLIC_STREAMS = ("public", "public:local", "public:media", "public:local:media")
HASHTAG_STREAMS = ("hashtag", "hashtag:local")
STREAMS = USER_STREAMS + PUBLIC_STREAMS + HASHTAG_STREAMS


def hashtag_group(tag: str) -> str:
    # channels group names: ASCII letters, digits, hyphens, underscores, periods (< 100).
    return "mastodon.tag." + tag.encode("utf-8").hex()[:80]


class StreamError(ValueError):
    """A stream that cannot be subscribed to (unknown, or a hashtag missing)."""


@dataclass(frozen=True)
class Stream:
    name: str
    tag: str | None = None

    @property
    def label(self) -> list[str]:
        """How events name it (`"stream": [...]`)."""
        return [self.name, self.tag] if self.tag is not None else [self.name]

    @property
    def group(self) -> str:
        if self.name in PUBLIC_STREAMS:
            return PUBLIC_GROUP
        if self.tag is not None:
            return hashtag_group(self.tag)
        raise AssertionError("user streams use the user's group")


def parse_stream(name, tag=None) -> Stream:
    if not isinstance(name, str) or name not in STREAMS:
        raise StreamError(f"Unknown stream type; one of {', '.join(STREAMS)}.")
    if name in HASHTAG_STREAMS:
        normalized = normalize_tag(tag.lstrip("#")) if isinstance(tag, str) else ""
        if not normalized:
            raise StreamError("Missing or invalid tag name.")
        return Stream(name, normalized)
    return Stream(name)


@dataclass(frozen=True)
class Event:
    """One Mastodon streaming event; `payload` is already a string (JSON, or an id)."""

    event: str
    payload: str
    stream: list[str]

    def websocket(self) -> dict:
        return {"stream": self.stream, "event": self.event, "payload": self.payload}

    def sse(self) -> str:
        return f"event: {self.event}\ndata: {self.payload}\n\n"


def _dumps(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@dataclass
class Session:
    user: object
    layer: object
    channel: str
    # The token has read:notifications: the `user` stream carries notifications too.
    notifications: bool = True
    # What renderers build absolute URLs with (the HTTP request, or render.BaseURL).
    request: object = None
    streams: set[Stream] = field(default_factory=set)
    last_home_id: int | None = None
    # post id → (stream label, the edited_at delivered): posts whose groups it joined
    post_ids: OrderedDict = field(default_factory=OrderedDict)
    joined_user: bool = False

    @property
    def user_id(self) -> int:
        return self.user.pk  # type: ignore[attr-defined]

    # --- membership ------------------------------------------------------------

    async def join_user(self) -> None:
        """Join the user's group (every Mastodon connection does: revocations arrive
        there, whatever the streams) and count the user online."""
        await realtime.ajoin(layer=self.layer, channel=self.channel, user_id=self.user_id)
        self.joined_user = True

    async def subscribe(self, stream: Stream) -> None:
        if stream in self.streams:
            return
        if stream.name not in USER_STREAMS:
            groups = {s.group for s in self.streams if s.name not in USER_STREAMS}
            if stream.group not in groups:
                await self.layer.group_add(stream.group, self.channel)
        self.streams.add(stream)

    async def unsubscribe(self, stream: Stream) -> None:
        if stream not in self.streams:
            return
        self.streams.discard(stream)
        if stream.name not in USER_STREAMS:
            groups = {s.group for s in self.streams if s.name not in USER_STREAMS}
            if stream.group not in groups:
                await self.layer.group_discard(stream.group, self.channel)

    async def leave(self) -> None:
        """Best effort: Redis may be what failed (the groups expire then)."""
        if self.joined_user:
            self.joined_user = False
            await realtime.aleave(layer=self.layer, channel=self.channel, user_id=self.user_id)
        groups = {s.group for s in self.streams if s.name not in USER_STREAMS}
        groups |= {post_group(post_id) for post_id in self.post_ids}
        self.streams.clear()
        self.post_ids.clear()
        try:
            for group in groups:
                await self.layer.group_discard(group, self.channel)
        except realtime.BACKEND_ERRORS:
            logger.warning("leaving streaming groups failed", exc_info=True)

    async def _follow_posts(self, delivered: list[tuple[int, list[str], dict]]) -> None:
        """Subscribe to the groups of delivered posts, to pass on their edits and
        deletions; the oldest are dropped past the cap."""
        limit = settings.NOTIFICATIONS_MAX_POST_SUBSCRIPTIONS
        for post_id, label, status in delivered:
            if post_id in self.post_ids:
                self.post_ids.move_to_end(post_id)
                continue
            await self.layer.group_add(post_group(post_id), self.channel)
            self.post_ids[post_id] = (label, status.get("edited_at"))
            while len(self.post_ids) > limit:
                old, _ = self.post_ids.popitem(last=False)
                await self.layer.group_discard(post_group(old), self.channel)

    def _subscribed(self, *names: str) -> list[Stream]:
        return [s for s in self.streams if s.name in names]

    # --- translation -----------------------------------------------------------

    async def events_for(self, payload: dict) -> list[Event]:
        """The Mastodon events a pushed frame means for this session (often none)."""
        kind = payload.get("type")
        if kind == "notification.created":
            return await self._notification(payload)
        if kind == "feed.new_entries":
            return await self._home(payload)
        if kind == PUBLIC_POST:
            return await self._public(payload)
        if kind == "post.updated":
            return await self._post_updated(payload)
        return []

    async def _notification(self, payload: dict) -> list[Event]:
        streams = self._subscribed("user:notification")
        if self.notifications:
            streams += self._subscribed("user")
        if not streams:
            return []
        try:
            notification_id = int(payload["notification"]["id"])
        except (KeyError, TypeError, ValueError):
            return []
        rendered = await database_sync_to_async(render.notification)(
            viewer=self.user, notification_id=notification_id, request=self.request
        )
        if rendered is None:  # not shown to the viewer, or a type Mastodon has not
            return []
        body = _dumps(rendered)
        return [Event("notification", body, s.label) for s in streams]

    async def _home(self, payload: dict) -> list[Event]:
        streams = self._subscribed("user")
        if not streams:
            return []
        try:
            newest = int(payload["newest_id"])
            count = int(payload.get("count") or 1)
        except (KeyError, TypeError, ValueError):
            return []
        if self.last_home_id is not None and newest <= self.last_home_id:
            return []
        limit = MAX_UPDATES_PER_PUSH if self.last_home_id else min(count, MAX_UPDATES_PER_PUSH)
        rendered = await database_sync_to_async(render.home_updates)(
            viewer=self.user,
            newest_id=newest,
            since_id=self.last_home_id,
            limit=limit,
            request=self.request,
        )
        self.last_home_id = max([newest, *(entry_id for entry_id, _, _ in rendered)])
        label = streams[0].label
        await self._follow_posts([(post_id, label, status) for _, post_id, status in rendered])
        return [Event("update", _dumps(status), label) for _, _, status in rendered]

    async def _public(self, payload: dict) -> list[Event]:
        try:
            post_id = int(payload["post_id"])
        except (KeyError, TypeError, ValueError):
            return []
        tags = set(payload.get("tags") or [])
        has_media = bool(payload.get("has_media"))
        streams = [
            s
            for s in self.streams
            if (s.name in ("public", "public:local"))
            or (s.name in ("public:media", "public:local:media") and has_media)
            or (s.name in HASHTAG_STREAMS and s.tag in tags)
        ]
        if not streams:
            return []
        status = await database_sync_to_async(render.status)(
            viewer=self.user, post_id=post_id, request=self.request
        )
        if status is None:  # the viewer may not see it (blocked, muted, gone)
            return []
        await self._follow_posts([(post_id, streams[0].label, status)])
        body = _dumps(status)
        return [Event("update", body, s.label) for s in sorted(streams, key=lambda s: s.label)]

    async def _post_updated(self, payload: dict) -> list[Event]:
        post = payload.get("post") or {}
        try:
            post_id = int(post["id"])
        except (KeyError, TypeError, ValueError):
            return []
        known = self.post_ids.get(post_id)
        if known is None:
            return []
        label, edited_at = known
        if post.get("deleted"):
            self.post_ids.pop(post_id, None)
            await self.layer.group_discard(post_group(post_id), self.channel)
            return [Event("delete", str(post_id), label)]
        if not post.get("edited_at"):
            return []  # counters moved: Mastodon streams nothing for that
        status = await database_sync_to_async(render.status)(
            viewer=self.user, post_id=post_id, request=self.request
        )
        if status is None or status.get("edited_at") == edited_at:
            return []  # counters of an edited post moved; no new edit
        self.post_ids[post_id] = (label, status.get("edited_at"))
        return [Event("status.update", _dumps(status), label)]
