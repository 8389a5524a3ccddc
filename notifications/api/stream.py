"""`GET /api/v1/stream`: the user's pushes as Server-Sent Events, for clients that
cannot hold a WebSocket.

Served by the ASGI server (daphne) only: an open stream is an idle coroutine
there, while under the WSGI server it would hold a worker thread for as long as
the client stays, so the WSGI server answers 404 (after the token check, as
every route: 401 without a valid one) and clients connect to the
ASGI host (the same host as `/ws/`). Authentication is the access token in
`Authorization: Bearer` (the scheme in any case), or, for EventSource (which
cannot set headers), the `token` query parameter, which the servers' access
logs show redacted (core.log_redaction). The stream carries the frames of `/ws/`
(docs/realtime.md), each as `event: <type>` with the JSON frame as `data`, and
a comment line as keep-alive every NOTIFICATIONS_SSE_KEEPALIVE_SECONDS.

The stream ends after a final frame: `token.expired` when the access token
expires, `token.revoked` when the user's tokens are revoked (password change,
deactivation) or the token's session signs out, `reconnect` when the channel
layer loses Redis (pushes may have been lost meanwhile). EventSource
reconnects by itself after `retry` (the client supplies a fresh token, then
resyncs through REST); with a revoked token it gets a 401 and stops.
"""

import asyncio
import json
import logging
import time

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import StreamingHttpResponse
from django.views.decorators.http import require_GET
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import AuthenticationFailed

from accounts.authentication import JWTAuthentication, bearer_token
from accounts.websocket_auth import (
    revokes,
    token_still_valid,
    user_for_raw_token,
    user_for_token,
)
from core import realtime
from core.errors import error_response
from core.schema import ErrorResponse404Serializer
from notifications.consumers import token_expiry

logger = logging.getLogger(__name__)


def _token(request) -> str | None:
    """The access token; "" for a malformed Authorization header (refused)."""
    try:
        token = bearer_token(request.META.get("HTTP_AUTHORIZATION"))
    except AuthenticationFailed:
        return ""
    return token if token is not None else request.GET.get("token") or None


def sse_frame(payload: dict) -> str:
    kind = str(payload.get("type", "message")).replace("\n", " ")
    return f"event: {kind}\ndata: {json.dumps(payload, separators=(',', ':'))}\n\n"


# Final frames: the stream ends after them.
TOKEN_EXPIRED = sse_frame({"type": "token.expired"})
TOKEN_REVOKED = sse_frame({"type": "token.revoked"})
# The channel layer lost Redis: pushes may be gone. EventSource reconnects
# after `retry`; the client resyncs through REST.
RECONNECT = sse_frame({"type": "reconnect"})


async def _events(
    user_id: int, token_version: int, session_id: str | None, expires_at: float | None
):
    layer = get_channel_layer()
    channel = await layer.new_channel()
    joined = False
    tasks: list[asyncio.Future] = []
    try:
        try:
            await realtime.ajoin(layer=layer, channel=channel, user_id=user_id)
            joined = True
        except realtime.BACKEND_ERRORS:
            logger.warning("event stream: joining the user's group failed", exc_info=True)
            yield RECONNECT
            return
        if not await token_still_valid(
            user_id=user_id, token_version=token_version, session_id=session_id
        ):
            yield TOKEN_REVOKED  # revoked while we were joining
            return
        tasks.append(
            asyncio.ensure_future(
                realtime.akeep_joined(layer=layer, channel=channel, user_id=user_id)
            )
        )
        yield "retry: 3000\n" + sse_frame({"type": "hello", "user_id": str(user_id)})
        receiving = None
        while True:
            if receiving is None:
                receiving = asyncio.ensure_future(layer.receive(channel))
                tasks.append(receiving)
            timeout = settings.NOTIFICATIONS_SSE_KEEPALIVE_SECONDS
            if expires_at is not None:
                left = expires_at - time.time()
                if left <= 0:
                    yield TOKEN_EXPIRED
                    return
                timeout = min(timeout, left)
            done, _ = await asyncio.wait({receiving}, timeout=timeout)
            if not done:
                yield ": keep-alive\n\n"
                continue
            tasks.remove(receiving)
            try:
                message = receiving.result()
            except realtime.BACKEND_ERRORS:
                logger.warning("event stream: the channel layer failed", exc_info=True)
                yield RECONNECT
                return
            receiving = None
            if message.get("type") == "push":
                yield sse_frame(message["payload"])
            elif revokes(message, token_version=token_version, session_id=session_id):
                yield TOKEN_REVOKED
                return
    finally:  # the stream ended, or the client went away (Django cancels it on http.disconnect)
        for task in tasks:
            task.cancel()
        if joined:
            await realtime.aleave(layer=layer, channel=channel, user_id=user_id)


@require_GET
async def event_stream(request):
    # Authentication first, on either server, as on every other route: without a
    # valid token the answer is 401, whichever host was asked.
    raw = _token(request)
    user = None  # no token, or "" (a malformed header)
    if raw and isinstance(request, ASGIRequest):
        user = await user_for_token(raw)
    elif raw:  # under WSGI, Django owns the request's connection: channels must not close it
        user = await sync_to_async(user_for_raw_token)(raw)
    if user is None or not user.is_authenticated:
        response = error_response(
            status_code=401,
            code="not_authenticated",
            detail="A valid access token is required (Authorization: Bearer, or ?token=).",
        )
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response
    if not isinstance(request, ASGIRequest):
        return error_response(
            status_code=404,
            code="not_found",
            detail="The event stream is served by the ASGI server, next to /ws/.",
        )
    session_id = getattr(user, "token_session_id", None)
    events = _events(user.pk, user.token_version, session_id, token_expiry(raw))
    response = StreamingHttpResponse(events, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass events through as they come
    return response


# --- OpenAPI ---------------------------------------------------------------------
# drf-spectacular describes DRF views only, and the stream is a plain async Django
# view (DRF views are synchronous; an open stream must not hold a thread). The
# schema generator instantiates `callback.cls` of each URL pattern; pointing the
# view's `cls` at this never-routed APIView gives the operation its schema, from
# the same decorators, security scheme and error responses as every other one.


class EventStreamSchema(APIView):
    # The stream (like /ws/) reads Warble's access tokens only: OAuth clients of the
    # Mastodon face stream through /api/v1/streaming (mastodon_api.streaming).
    authentication_classes = [JWTAuthentication]
    throttle_classes: list = []  # the stream has no rate limit (no 429)
    parser_classes: list = []  # and reads no body (no 400)

    @extend_schema(
        tags=["notifications"],
        operation_id="event_stream",
        summary="Your pushes as Server-Sent Events (on the ASGI host, next to /ws/)",
        description=(
            "For clients that cannot hold a WebSocket. Served by the ASGI server that "
            "serves `/ws/`; the HTTP API's server answers 404 (401 without a valid token). "
            "The stream carries the "
            "user's frames of `/ws/` (`hello`, `notification.created`, "
            "`notification.unread_count`, `feed.new_entries`), each as `event: <type>` "
            "and `data: <the JSON frame>`, a `: keep-alive` comment every "
            "NOTIFICATIONS_SSE_KEEPALIVE_SECONDS and `retry: 3000`. It ends after a final "
            "`token.expired` (the access token expired), `token.revoked` (password "
            "change, deactivation, or the token's session signed out) or `reconnect` "
            "(the server lost its realtime backend: reconnect, then resync through "
            "REST). Frames: docs/realtime.md."
        ),
        parameters=[
            OpenApiParameter(
                "token",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                description=(
                    "The access token, for EventSource (which cannot set headers). "
                    "Prefer the Authorization header (`Bearer`, any case). The servers' "
                    "access logs show this parameter's value redacted."
                ),
            )
        ],
        responses={
            (200, "text/event-stream"): OpenApiResponse(
                OpenApiTypes.STR, description="An endless stream of events."
            ),
            404: OpenApiResponse(
                ErrorResponse404Serializer,
                description="Asked of the HTTP API's (WSGI) server: use the ASGI host.",
            ),
        },
    )
    def get(self, request):  # pragma: no cover - documentation only, never routed
        raise NotImplementedError


event_stream.cls = EventStreamSchema  # type: ignore[attr-defined]
event_stream.initkwargs = {}  # type: ignore[attr-defined]
