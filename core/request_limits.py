"""A cap on the size of every request body, checked before anything reads it.

Django's DATA_UPLOAD_MAX_MEMORY_SIZE bounds only what it reads into memory
(a JSON body, the non-file fields of a form): the files of a multipart body
go to disk, whatever their size, and under ASGI Django spools the whole body
before the first middleware runs. So the cap is checked on the declared
`Content-Length` before a view runs (WSGI: RequestBodyLimitMiddleware) and
on the bytes as they arrive (ASGI: ASGIBodyLimit), and answers 413 in the one
error format.

Every route gets REQUEST_BODY_MAX_BYTES; a route that needs more (media
uploads) or less is listed by URL name in REQUEST_BODY_MAX_BYTES_BY_ROUTE.
"""

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.urls import Resolver404, resolve

from core.errors import GetResponse, PayloadTooLarge, error_response

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def body_limit_for(path: str) -> int:
    """The largest body, in bytes, the route at `path` accepts: the route is looked
    up in every URLconf a host may be served (REQUEST_BODY_URLCONFS: the native
    one and the Mastodon hosts' one), and the largest cap listed for it counts."""
    by_route: dict[str, int] = settings.REQUEST_BODY_MAX_BYTES_BY_ROUTE
    default: int = settings.REQUEST_BODY_MAX_BYTES
    if not by_route:
        return default
    limits = []
    for urlconf in getattr(settings, "REQUEST_BODY_URLCONFS", None) or [None]:
        try:
            name = resolve(path, urlconf=urlconf).url_name
        except Resolver404:
            continue
        if name in by_route:
            limits.append(by_route[name])
    return max(limits, default=default)


def smallest_body_limit() -> int:
    """No route's cap is below this: a body this small needs no route lookup."""
    by_route: dict[str, int] = settings.REQUEST_BODY_MAX_BYTES_BY_ROUTE
    return min(settings.REQUEST_BODY_MAX_BYTES, *by_route.values())


def too_large(limit: int) -> JsonResponse:
    return error_response(
        status_code=PayloadTooLarge.status_code,
        code=PayloadTooLarge.default_code,
        detail=f"The request body is larger than {limit} bytes.",
    )


def _declared_length(value: str | bytes | None) -> int | None:
    """The Content-Length as a number; None when absent or not a number."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() else None


class RequestBodyLimitMiddleware:
    """WSGI: 413 for a declared body over the route's cap, before any view or
    middleware reads it (Django's WSGI request reads no more than Content-Length,
    and nothing without one)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        length = _declared_length(request.META.get("CONTENT_LENGTH"))
        # Most bodies are small: the route is looked up only for a larger one.
        if length and length > smallest_body_limit():
            limit = body_limit_for(request.path_info)
            if length > limit:
                return too_large(limit)
        return self.get_response(request)


class ASGIBodyLimit:
    """ASGI: the same cap around Django's ASGI handler, which would otherwise
    spool a body of any size (with or without Content-Length) before any
    middleware runs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit_for(scope["path"])
        headers = dict(scope.get("headers") or [])
        declared = _declared_length(headers.get(b"content-length"))
        if declared is not None and declared > limit:
            await self._send_too_large(send, limit)
            return
        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    # Django stops reading and answers nothing; the 413 is sent below.
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counting_receive, tracking_send)
        if exceeded and not started:
            await self._send_too_large(send, limit)

    @staticmethod
    async def _send_too_large(send: Send, limit: int) -> None:
        response = too_large(limit)
        await send(
            {
                "type": "http.response.start",
                "status": response.status_code,
                "headers": [
                    (b"content-type", response["Content-Type"].encode()),
                    (b"content-length", str(len(response.content)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": response.content})
