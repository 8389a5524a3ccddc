"""Best-effort pushes to a user's WebSocket group, sent after commit.

Clients treat pushes as hints and resync through REST (`since_id`), so a push
that fails (channel layer down) is logged and dropped, never raised.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def push_to_group(*, group: str, payload: dict) -> None:
    """Send `payload` to every socket in `group`, after commit, best effort."""

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            async_to_sync(layer.group_send)(group, {"type": "push", "payload": payload})
        except Exception:  # a lost push is recovered by the client's resync
            logger.warning("realtime push to %s failed", group, exc_info=True)

    transaction.on_commit(send)


def push_to_user(*, user_id: int, payload: dict) -> None:
    push_to_group(group=user_group(user_id), payload=payload)


# --- presence: who has a socket open, so pushes that fan out to many users
# (feed.new_entries) go only to those who can receive them. A count per user
# (several tabs) with a short TTL that every open socket re-arms: the sockets
# of a crashed or killed server stop counting within PRESENCE_TTL, instead of
# costing every fan-out a push to nobody.

PRESENCE_TTL = 90  # seconds
PRESENCE_REFRESH = 30  # each open socket re-arms its user's TTL this often


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


def online_among(user_ids) -> list[int]:
    """Those of `user_ids` with at least one socket open (one MGET)."""
    from django.core.cache import cache

    user_ids = list(user_ids)
    if not user_ids:
        return []
    found = cache.get_many([_presence_key(u) for u in user_ids])
    return [u for u in user_ids if (found.get(_presence_key(u)) or 0) > 0]
