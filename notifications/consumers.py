"""The `/ws/` endpoint: one authenticated socket per client, joined to its user's group."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from accounts.websocket_auth import SUBPROTOCOL_PREFIX
from core.realtime import user_group

CLOSE_UNAUTHORIZED = 4401


class UserSocketConsumer(AsyncJsonWebsocketConsumer):
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
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send_json({"type": "hello", "user_id": str(user.pk)})

    async def disconnect(self, code):
        group = getattr(self, "group", None)
        if group:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def push(self, message):
        """Relay an event pushed to the user's group (`core.realtime`)."""
        await self.send_json(message["payload"])
