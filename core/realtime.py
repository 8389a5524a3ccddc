"""Best-effort pushes to a user's sockets and streams, sent after commit.

Clients treat pushes as hints and resync through REST (`since_id`), so a push
that fails (channel layer down) is logged and dropped, never raised; after a
Redis failure, sends are dropped without trying for a few seconds
(core.degrade), so a hung Redis does not hold every pushing request.

A user's open `/ws/` sockets and `/api/v1/stream` streams are members of the
channel-layer group `user_group(user_id)`. Messages sent to it carry a `type`
that names the receivers' handler: `push` relays a frame to the client; other
types are control messages for the connection itself (accounts sends
`tokens.revoked`). The receivers keep their membership and the user's
presence alive with `akeep_joined` and close when the layer fails
(`BACKEND_ERRORS`), so that the client reconnects and resyncs (docs/realtime.md).
"""

import asyncio
import logging
import os
import threading
from collections.abc import Coroutine, Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import BaseChannelLayer, get_channel_layer
from channels_redis.core import RedisChannelLayer
from django.conf import settings
from django.db import transaction

from core.degrade import REDIS_ERRORS, Breaker, cache_breaker

logger = logging.getLogger(__name__)

# What the channel layer (channels-redis) and the presence cache (django-redis)
# raise when Redis is unreachable or times out.
BACKEND_ERRORS = REDIS_ERRORS
layer_breaker = Breaker("channel layer")  # sends from web and worker processes


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def send_to_group(*, group: str, message: dict[str, Any]) -> None:
    """Send a channel-layer `message` to every member of `group`, after commit, best effort."""

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            # Redis unavailable: dropped at once (a hung one is not waited for again
            # by every request that pushes: core.degrade).
            layer_breaker.call(
                "realtime pushes are dropped",
                lambda: run_layer_call(layer, layer.group_send(group, message)),
                lambda: None,
            )
        except Exception:  # a lost push is recovered by the client's resync
            logger.warning("realtime send to %s failed", group, exc_info=True)

    transaction.on_commit(send)


class _LayerLoop:
    """One event loop per process, in a daemon thread, that sync code (request
    threads, Celery tasks) sends channel-layer messages on.

    channels-redis keeps its Redis connections per event loop, and `async_to_sync`
    outside an event loop makes a new loop (and thread) for each call: every push
    opened, and dropped, a Redis connection (a fifth of the default worker's time
    while posting, bench/README.md). Made again after a fork (prefork workers)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0

    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                self._loop, self._pid = asyncio.new_event_loop(), os.getpid()
                threading.Thread(
                    target=self._loop.run_forever, name="channel-layer-sends", daemon=True
                ).start()
            return self._loop


_layer_loop = _LayerLoop()


def run_layer_call(layer: BaseChannelLayer, call: Coroutine[Any, Any, Any]) -> Any:
    """Run a channel-layer coroutine from sync code and return its result.

    The Redis layer's calls run on this process's one layer loop (connections
    kept). Any other layer (the in-memory one of embedded mode and tests, whose
    queues belong to the loop of the consumers reading them) goes through
    `async_to_sync`, which runs it on that loop when called from a consumer's
    sync code."""
    if not isinstance(layer, RedisChannelLayer):

        async def awaited() -> Any:
            return await call

        return async_to_sync(awaited)()
    future = asyncio.run_coroutine_threadsafe(call, _layer_loop.loop())
    try:
        return future.result(timeout=LAYER_CALL_TIMEOUT_SECONDS)
    except TimeoutError:
        future.cancel()
        raise


# Longer than the layer's Redis socket timeout (config/settings/tasks.py), which
# fails a call first: only a bound for a loop that stopped.
LAYER_CALL_TIMEOUT_SECONDS = getattr(settings, "CHANNELS_REDIS_SOCKET_TIMEOUT", 15) + 5


def push_to_group(*, group: str, payload: dict[str, Any]) -> None:
    """Relay the frame `payload` to every socket in `group`, after commit, best effort."""
    send_to_group(group=group, message={"type": "push", "payload": payload})


def push_to_user(*, user_id: int, payload: dict[str, Any]) -> None:
    push_to_group(group=user_group(user_id), payload=payload)


# --- presence: who has a socket or stream open, so pushes that fan out to many
# users (feed.new_entries) go only to those who can receive them. A count per
# user (several tabs) with a short TTL that every open connection re-arms: the
# connections of a crashed or killed server stop counting within PRESENCE_TTL,
# instead of costing every fan-out a push to nobody.

# Seconds; settings so that a soak test can outlast the TTL in less than 90 s.
# Each open connection re-arms its user's TTL every PRESENCE_REFRESH.
PRESENCE_TTL: float = settings.REALTIME_PRESENCE_TTL_SECONDS
PRESENCE_REFRESH: float = settings.REALTIME_PRESENCE_REFRESH_SECONDS


def _presence_key(user_id: int) -> str:
    return f"online:{user_id}"


async def amark_online(user_id: int) -> None:
    from django.core.cache import cache

    key = _presence_key(user_id)
    if not await cache.aadd(key, 1, timeout=PRESENCE_TTL):
        try:
            await cache.aincr(key)
        except ValueError:  # expired between add and incr
            await cache.aset(key, 1, timeout=PRESENCE_TTL)
        await cache.atouch(key, timeout=PRESENCE_TTL)


async def arefresh_online(user_id: int) -> None:
    """An open socket's heartbeat: re-arm the TTL (re-create the key if it was lost)."""
    from django.core.cache import cache

    key = _presence_key(user_id)
    if not await cache.atouch(key, timeout=PRESENCE_TTL):
        await cache.aadd(key, 1, timeout=PRESENCE_TTL)


async def amark_offline(user_id: int) -> None:
    from django.core.cache import cache

    key = _presence_key(user_id)
    try:
        if await cache.adecr(key) <= 0:
            await cache.adelete(key)
    except ValueError:
        pass  # already expired


def online_among(user_ids: Iterable[int]) -> list[int]:
    """Those of `user_ids` with at least one socket open (one MGET). Nobody, when
    Redis is unavailable: the channel layer is down with it (same Redis), and
    pushes are hints the clients resync after anyway."""
    from django.core.cache import cache

    user_ids = list(user_ids)
    if not user_ids:
        return []
    found: dict[str, int] = cache_breaker.call(
        "presence is unknown: nobody is pushed to",
        lambda: cache.get_many([_presence_key(u) for u in user_ids]),
        dict,
    )
    return [u for u in user_ids if (found.get(_presence_key(u)) or 0) > 0]


# --- membership: one open socket or stream of a user, in the user's group


async def ajoin(*, layer: BaseChannelLayer, channel: str, user_id: int) -> None:
    """Join the user's group and count the user online."""
    await layer.group_add(user_group(user_id), channel)
    await amark_online(user_id)


async def aleave(*, layer: BaseChannelLayer, channel: str, user_id: int) -> None:
    """Leave the user's group and count one connection fewer. Best effort: Redis
    may be what failed; the presence TTL and the group expiry clean up then."""
    try:
        await layer.group_discard(user_group(user_id), channel)
        await amark_offline(user_id)
    except BACKEND_ERRORS:
        logger.warning("leaving the group of user %s failed", user_id, exc_info=True)


async def akeep_joined(*, layer: BaseChannelLayer, channel: str, user_id: int) -> None:
    """Run as a task while the connection is open: every PRESENCE_REFRESH, re-arm
    the user's presence and re-join the group. A Redis that restarted without
    its data forgot both, and channels-redis drops a member after its
    `group_expiry` (a day), so an idle connection would otherwise stop hearing
    anything while looking healthy."""
    while True:
        await asyncio.sleep(PRESENCE_REFRESH)
        try:
            await arefresh_online(user_id)
            await layer.group_add(user_group(user_id), channel)
        except BACKEND_ERRORS:  # the next beat tries again; a dead layer fails the receive too
            logger.warning("refreshing the membership of user %s failed", user_id, exc_info=True)
