"""The `/ws/` endpoint: one authenticated socket per client, joined to its user's group.

Frames (docs/realtime.md): the server pushes what `core.realtime.push_to_user`
sends to the user's group (`notification.created`, `notification.unread_count`,
`feed.new_entries`) and, for posts the client subscribed to, `post.updated`;
and a `heartbeat` frame every NOTIFICATIONS_WS_HEARTBEAT_SECONDS, so that a
client can tell a quiet socket from a dead one. The client sends `ping`,
`subscribe` and `unsubscribe`.

The socket lives as long as its access token: at the token's expiry, when the
user's tokens are revoked (password change, deactivation), or when the token's
session signs out (`POST /auth/logout`), the server
closes it with 4401, as it does for a missing, expired or revoked token at
connect, and the client reconnects with a fresh token. If the channel layer
loses Redis, the server closes with 4503: pushes may have been lost, so the
client reconnects and resyncs through REST.
"""

import asyncio
import logging
import time

from channels.db import aclose_old_connections, database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken

from accounts.websocket_auth import (
    SUBPROTOCOL_PREFIX,
    revokes,
    token_from_scope,
    token_still_valid,
)
from core import parsers, realtime
from notifications.realtime import post_group

logger = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4401
# Application close codes are 4000-4999 (daphne's autobahn refuses 1011-1014
# from the application): 4503 is "service unavailable, come back later".
CLOSE_UNAVAILABLE = 4503
MAX_IDS_PER_MESSAGE = 100


def token_expiry(raw: str | None) -> float | None:
    """The `exp` (epoch seconds) of an access token already validated elsewhere."""
    if not raw:
        return None
    try:
        return float(AccessToken(raw, verify=False)["exp"])
    except (TokenError, KeyError, TypeError, ValueError):
        return None


@database_sync_to_async
def visible_post_ids(user, post_ids: list[int]) -> list[int]:
    from tweets.models import Post

    found = set(Post.objects.visible_to(user).filter(pk__in=post_ids).values_list("pk", flat=True))
    return [post_id for post_id in post_ids if post_id in found]


def parse_post_ids(value) -> list[int] | None:
    """Distinct ids from a list of id strings (or integers); None if it is not one."""
    if not isinstance(value, list) or not 0 < len(value) <= MAX_IDS_PER_MESSAGE:
        return None
    ids = []
    for item in value:
        text = str(item) if isinstance(item, str | int) and not isinstance(item, bool) else ""
        if not (text.isascii() and text.isdigit()) or len(text) > 19 or int(text) >= 2**63:
            return None
        ids.append(int(text))
    return list(dict.fromkeys(ids))


class UserSocketConsumer(AsyncJsonWebsocketConsumer):
    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        except realtime.BACKEND_ERRORS:
            # The channel layer (or the presence cache) lost Redis: pushes sent
            # meanwhile are gone. Close with a code that says "reconnect and
            # resync" instead of daphne's 1011 and a traceback per socket.
            logger.warning("closing a socket: the channel layer failed", exc_info=True)
            await self._leave()
            await self.close(code=CLOSE_UNAVAILABLE)
            # channels closes the database connections of this context before each
            # handler; no handler comes after this one.
            await aclose_old_connections()

    async def connect(self):
        user = self.scope.get("user")
        subprotocol = next(
            (p for p in self.scope.get("subprotocols") or [] if p.startswith(SUBPROTOCOL_PREFIX)),
            None,
        )
        # Accept first: a close before accept is an HTTP 403 and the client never
        # sees the 4401 code that tells it to refresh its token.
        await self.accept(subprotocol=subprotocol)
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHORIZED)
            return
        self.user = user
        self.token_version = user.token_version  # the token's "ver": authentication checked it
        self.session_id = getattr(user, "token_session_id", None)  # its "sid"
        self.post_ids: set[int] = set()
        self.tasks: list[asyncio.Future] = []
        try:
            await realtime.ajoin(
                layer=self.channel_layer, channel=self.channel_name, user_id=user.pk
            )
        except realtime.BACKEND_ERRORS:
            # Close now: channels waits for the layer's receive task to unwind
            # before this error reaches __call__, and the first socket after a
            # Redis restart could wait there, accepted but silent, until the
            # client gave up (tests/integration/test_realtime_redis_down.py).
            await self.close(code=CLOSE_UNAVAILABLE)
            raise
        self.joined = True
        if not await token_still_valid(
            user_id=user.pk, token_version=self.token_version, session_id=self.session_id
        ):
            await self.close(code=CLOSE_UNAUTHORIZED)  # revoked while we were joining
            return
        self.tasks.append(
            asyncio.ensure_future(
                realtime.akeep_joined(
                    layer=self.channel_layer, channel=self.channel_name, user_id=user.pk
                )
            )
        )
        self.tasks.append(asyncio.ensure_future(self._heartbeat()))
        expires_at = token_expiry(token_from_scope(self.scope))
        if expires_at is not None:
            self.tasks.append(asyncio.ensure_future(self._close_at(expires_at)))
        await self.send_json({"type": "hello", "user_id": str(user.pk)})

    async def _close_at(self, expires_at: float) -> None:
        await asyncio.sleep(max(0.0, expires_at - time.time()))
        await self.close(code=CLOSE_UNAUTHORIZED)

    async def _heartbeat(self) -> None:
        # daphne also pings at the protocol level (--ping-interval), which keeps
        # proxies from idling the connection out but is invisible to browser code.
        while True:
            await asyncio.sleep(settings.NOTIFICATIONS_WS_HEARTBEAT_SECONDS)
            await self.send_json({"type": "heartbeat"})

    async def disconnect(self, code):
        await self._leave()

    async def _leave(self) -> None:
        for task in getattr(self, "tasks", ()):
            task.cancel()
        if not getattr(self, "joined", False):
            return
        self.joined = False
        await realtime.aleave(
            layer=self.channel_layer, channel=self.channel_name, user_id=self.user.pk
        )
        try:
            for post_id in self.post_ids:
                await self.channel_layer.group_discard(post_group(post_id), self.channel_name)
        except realtime.BACKEND_ERRORS:  # Redis is what failed; the groups expire
            logger.warning("leaving post groups failed", exc_info=True)

    async def tokens_revoked(self, message):
        """Control message from accounts.websocket_auth.announce_revocation."""
        if revokes(message, token_version=self.token_version, session_id=self.session_id):
            await self.close(code=CLOSE_UNAUTHORIZED)

    @classmethod
    async def decode_json(cls, text_data):
        try:
            return parsers.loads(text_data)  # over-deep frames too: ValueError
        except ValueError:
            return None

    async def error(self, code: str, detail: str) -> None:
        await self.send_json({"type": "error", "code": code, "detail": detail})

    async def receive_json(self, content, **kwargs):
        if not hasattr(self, "user"):
            return  # closed as unauthorized; nothing more to say
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind == "subscribe":
            await self.subscribe(content.get("post_ids"))
        elif kind == "unsubscribe":
            await self.unsubscribe(content.get("post_ids"))
        else:
            await self.error(
                "invalid_message",
                "Send a JSON object whose type is ping, subscribe or unsubscribe.",
            )

    async def subscribe(self, raw_ids) -> None:
        """Join the groups of the posts the user may see; answer with those ids."""
        post_ids = parse_post_ids(raw_ids)
        if post_ids is None:
            await self.error(
                "invalid_post_ids", f"post_ids: a list of 1 to {MAX_IDS_PER_MESSAGE} post ids."
            )
            return
        new = [i for i in post_ids if i not in self.post_ids]
        limit = settings.NOTIFICATIONS_MAX_POST_SUBSCRIPTIONS
        if len(self.post_ids) + len(new) > limit:
            await self.error(
                "too_many_subscriptions",
                f"A socket follows at most {limit} posts; unsubscribe from some first.",
            )
            return
        for post_id in await visible_post_ids(self.user, new):
            await self.channel_layer.group_add(post_group(post_id), self.channel_name)
            self.post_ids.add(post_id)
        subscribed = [str(i) for i in post_ids if i in self.post_ids]
        await self.send_json({"type": "subscribed", "post_ids": subscribed})

    async def unsubscribe(self, raw_ids) -> None:
        post_ids = parse_post_ids(raw_ids)
        if post_ids is None:
            await self.error(
                "invalid_post_ids", f"post_ids: a list of 1 to {MAX_IDS_PER_MESSAGE} post ids."
            )
            return
        for post_id in post_ids:
            if post_id in self.post_ids:
                await self.channel_layer.group_discard(post_group(post_id), self.channel_name)
                self.post_ids.discard(post_id)
        await self.send_json({"type": "unsubscribed", "post_ids": [str(i) for i in post_ids]})

    async def push(self, message):
        """Relay an event pushed to the user's group or a post's group."""
        await self.send_json(message["payload"])
