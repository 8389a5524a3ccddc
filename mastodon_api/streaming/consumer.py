"""WebSocket `/api/v1/streaming`: Mastodon's multiplexed streaming socket.

The client authenticates with its access token (an OAuth token of the Mastodon
API, or a Warble JWT): `Authorization: Bearer`, the `access_token` query
parameter, or the token as the WebSocket subprotocol (what Mastodon's web app
does). It names a first stream in the query (`?stream=user`, `?stream=hashtag&tag=x`)
and/or sends `{"type": "subscribe", "stream": "...", "tag": "..."}` and
`{"type": "unsubscribe", ...}`. Every event is
`{"stream": [...], "event": "update"|"notification"|"delete"|"status.update",
"payload": "<JSON string, or the id for delete>"}` (mastodon_api.streaming.session).
A message the server cannot use is answered `{"error": "...", "status": 400}`,
as Mastodon's streaming server does; the socket stays open.

Like `/ws/`: the socket joins its user's channel-layer group (core.realtime),
keeps its membership and presence alive, closes with 4401 when the user's
tokens are revoked, the token expires or stops being valid (checked every
NOTIFICATIONS_WS_HEARTBEAT_SECONDS), and with 4503 when the channel layer
fails. Idle sockets are kept alive by daphne's protocol pings, which Mastodon
clients answer (Mastodon's streaming server sends no application heartbeat).
"""

import asyncio
import logging
from urllib.parse import parse_qs

from channels.db import aclose_old_connections
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from accounts.websocket_auth import revokes
from core import parsers, realtime
from mastodon_api.streaming import auth as stream_auth
from mastodon_api.streaming import render
from mastodon_api.streaming.session import Session, StreamError, parse_stream

logger = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4401
CLOSE_UNAVAILABLE = 4503


def _query(scope) -> dict[str, str]:
    query = parse_qs((scope.get("query_string") or b"").decode("latin-1"))
    return {key: values[0] for key, values in query.items() if values}


def _mastodon_host(scope) -> bool:
    host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
    return host.rsplit(":", 1)[0].lower() in settings.MASTODON_API_HOSTS


def _raw_token(scope) -> tuple[str | None, str | None]:
    """(token, the subprotocol to echo)."""
    headers = dict(scope.get("headers") or [])
    token = stream_auth.bearer(headers.get(b"authorization"))
    if token:
        return token, None
    protocols = [p for p in scope.get("subprotocols") or [] if p]
    if protocols:
        return protocols[0], protocols[0]
    return _query(scope).get("access_token") or None, None


class MastodonStreamingConsumer(AsyncJsonWebsocketConsumer):
    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        except realtime.BACKEND_ERRORS:
            logger.warning("closing a streaming socket: the channel layer failed", exc_info=True)
            await self._leave()
            await self.close(code=CLOSE_UNAVAILABLE)
            await aclose_old_connections()

    async def connect(self):
        if not _mastodon_host(self.scope):
            await self.close()  # the native host: /ws/ is its socket (HTTP 403)
            return
        raw, subprotocol = _raw_token(self.scope)
        auth = await stream_auth.aauthenticate(raw) if raw else None
        if auth is None:
            await self.close()  # before accept: the handshake fails (HTTP 403)
            return
        await self.accept(subprotocol=subprotocol)
        self.auth = auth
        self.tasks: list[asyncio.Future] = []
        self.session = Session(
            user=auth.user,
            layer=self.channel_layer,
            channel=self.channel_name,
            notifications=stream_auth.may_read_notifications(auth),
            request=render.websocket_base(self.scope),
        )
        try:
            await self.session.join_user()
        except realtime.BACKEND_ERRORS:
            await self.close(code=CLOSE_UNAVAILABLE)
            raise
        if not await stream_auth.astill_valid(auth):
            await self.close(code=CLOSE_UNAUTHORIZED)  # revoked while we were joining
            return
        self.tasks.append(
            asyncio.ensure_future(
                realtime.akeep_joined(
                    layer=self.channel_layer, channel=self.channel_name, user_id=auth.user.pk
                )
            )
        )
        self.tasks.append(asyncio.ensure_future(self._watch_token()))
        query = _query(self.scope)
        if "stream" in query:
            await self._subscribe(query.get("stream"), query.get("tag"))

    async def _watch_token(self) -> None:
        """Close at the token's expiry, or once it is no longer valid (revoked
        through /oauth/revoke, which announces nothing)."""
        while True:
            await asyncio.sleep(stream_auth.next_check(self.auth))
            if not await stream_auth.astill_valid(self.auth):
                await self.close(code=CLOSE_UNAUTHORIZED)
                return

    async def disconnect(self, code):
        await self._leave()

    async def _leave(self) -> None:
        for task in getattr(self, "tasks", ()):
            task.cancel()
        session = getattr(self, "session", None)
        if session is not None:
            self.session = None
            await session.leave()

    async def tokens_revoked(self, message):
        auth = getattr(self, "auth", None)
        if auth is not None and revokes(
            message, token_version=auth.token_version, session_id=auth.session_id
        ):
            await self.close(code=CLOSE_UNAUTHORIZED)

    @classmethod
    async def decode_json(cls, text_data):
        try:
            return parsers.loads(text_data)
        except ValueError:
            return None

    async def error(self, detail: str, status: int = 400) -> None:
        await self.send_json({"error": detail, "status": status})

    async def receive_json(self, content, **kwargs):
        if getattr(self, "session", None) is None:
            return
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "subscribe":
            await self._subscribe(content.get("stream"), content.get("tag"))
        elif kind == "unsubscribe":
            try:
                stream = parse_stream(content.get("stream"), content.get("tag"))
            except StreamError as exc:
                await self.error(str(exc))
                return
            await self.session.unsubscribe(stream)
        else:
            await self.error("Send a JSON object whose type is subscribe or unsubscribe.")

    async def _subscribe(self, name, tag) -> None:
        try:
            stream = parse_stream(name, tag)
        except StreamError as exc:
            await self.error(str(exc))
            return
        missing = stream_auth.missing_scope(self.auth, stream.name)
        if missing:
            await self.error(f"This action is outside the authorized scopes ({missing}).", 403)
            return
        await self.session.subscribe(stream)

    async def push(self, message):
        session = getattr(self, "session", None)
        if session is None:
            return
        for event in await session.events_for(message["payload"]):
            await self.send_json(event.websocket())
