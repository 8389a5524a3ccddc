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


def push_to_user(*, user_id: int, payload: dict) -> None:
    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            async_to_sync(layer.group_send)(
                user_group(user_id), {"type": "push", "payload": payload}
            )
        except Exception:  # a lost push is recovered by the client's resync
            logger.warning("realtime push to user %s failed", user_id, exc_info=True)

    transaction.on_commit(send)
