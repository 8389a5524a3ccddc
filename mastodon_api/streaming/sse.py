"""Mastodon's streaming over Server-Sent Events, and its health check.

`GET /api/v1/streaming/health` answers `OK` (text/plain) on any server.

`GET /api/v1/streaming/user`, `/user/notification`, `/public`, `/public/local`,
`/hashtag?tag=`, `/hashtag/local?tag=`: one stream each, as `event: <name>` +
`data: <payload>` (Mastodon's format: the payload is the JSON of the entity, or
the id for `delete`), a `:thump` comment every NOTIFICATIONS_SSE_KEEPALIVE_SECONDS
so idle streams outlive proxies and client read timeouts. Served by the ASGI
server only (an open stream is an idle coroutine there; under the WSGI server
it would hold a thread), like Warble's own `/api/v1/stream`: the WSGI server
answers 404 after the token check (401 without a valid token, 403 without the
stream's scope). The stream ends when the token expires or is revoked
(password change, deactivation, sign-out, /oauth/revoke) and when the channel
layer fails; Mastodon clients reconnect by themselves.
"""

import asyncio
import logging

from channels.layers import get_channel_layer
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET

from accounts.websocket_auth import revokes
from core import realtime
from mastodon_api.middleware import mastodon_error
from mastodon_api.streaming import auth as stream_auth
from mastodon_api.streaming.session import Session, StreamError, parse_stream

logger = logging.getLogger(__name__)

KEEPALIVE = ":thump\n\n"


@require_GET
async def health(request):
    return HttpResponse("OK", content_type="text/plain")


async def _events(auth, stream, request):
    layer = get_channel_layer()
    channel = await layer.new_channel()
    session = Session(
        user=auth.user,
        layer=layer,
        channel=channel,
        notifications=stream_auth.may_read_notifications(auth),
        request=request,
    )
    tasks: list[asyncio.Future] = []
    try:
        try:
            await session.join_user()
            await session.subscribe(stream)
        except realtime.BACKEND_ERRORS:
            logger.warning("streaming: joining the groups failed", exc_info=True)
            return
        if not await stream_auth.astill_valid(auth):
            return
        tasks.append(
            asyncio.ensure_future(
                realtime.akeep_joined(layer=layer, channel=channel, user_id=auth.user.pk)
            )
        )
        yield KEEPALIVE  # headers and a first byte at once: the client knows it is connected
        receiving = None
        next_check = asyncio.get_running_loop().time() + stream_auth.next_check(auth)
        while True:
            if receiving is None:
                receiving = asyncio.ensure_future(layer.receive(channel))
                tasks.append(receiving)
            now = asyncio.get_running_loop().time()
            if now >= next_check:
                if not await stream_auth.astill_valid(auth):
                    return
                next_check = now + stream_auth.next_check(auth)
            timeout = min(settings.NOTIFICATIONS_SSE_KEEPALIVE_SECONDS, max(0.0, next_check - now))
            done, _ = await asyncio.wait({receiving}, timeout=timeout)
            if not done:
                yield KEEPALIVE
                continue
            tasks.remove(receiving)
            try:
                message = receiving.result()
            except realtime.BACKEND_ERRORS:
                logger.warning("streaming: the channel layer failed", exc_info=True)
                return
            receiving = None
            if message.get("type") == "push":
                for event in await session.events_for(message["payload"]):
                    yield event.sse()
            elif revokes(message, token_version=auth.token_version, session_id=auth.session_id):
                return
    finally:
        for task in tasks:
            task.cancel()
        await session.leave()


def stream_view(name: str):
    @require_GET
    async def view(request):
        auth = await stream_auth.aauthenticate_request(request)
        if auth is None:
            return mastodon_error("The access token is invalid", status=401)
        try:
            stream = parse_stream(name, request.GET.get("tag"))
        except StreamError as exc:
            return mastodon_error(str(exc), status=400)
        missing = stream_auth.missing_scope(auth, stream.name)
        if missing:
            return mastodon_error("This action is outside the authorized scopes", status=403)
        if not isinstance(request, ASGIRequest):
            return mastodon_error(
                "Streaming is served by the ASGI server (the streaming URL).", status=404
            )
        response = StreamingHttpResponse(
            _events(auth, stream, request), content_type="text/event-stream"
        )
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"
        return response

    view.__name__ = f"stream_{name.replace(':', '_')}"
    return view
