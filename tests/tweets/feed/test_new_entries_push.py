"""`feed.new_entries` reaches followers with a socket open, and only them."""

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache

from core import realtime
from relationships import services as relationships
from tests.factories import UserFactory
from tweets import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    return get_channel_layer()


def listen(layer, user) -> str:
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(realtime.user_group(user.pk), channel)
    return channel


def frames(layer, channel) -> list[dict]:
    async def drain():
        out = []
        while True:
            try:
                message = await asyncio.wait_for(layer.receive(channel), timeout=0.05)
            except TimeoutError:
                return out
            out.append(message["payload"])

    return async_to_sync(drain)()


@pytest.mark.parametrize("backend", ["redis", "sql"])
def test_online_followers_hear_of_new_entries(settings, layer, committed, backend):
    settings.FEED_BACKEND = backend
    author, online, offline, muting = UserFactory.create_batch(4)
    for follower in (online, offline, muting):
        relationships.follow_create(follower=follower, followee_id=author.pk)
    relationships.mute_create(muter=muting, muted_id=author.pk)
    channels = {user: listen(layer, user) for user in (online, offline, muting)}
    for user in (online, muting):
        async_to_sync(realtime.amark_online)(user.pk)

    with committed():
        post = services.post_create(author=author, text="fresh")

    assert frames(layer, channels[online]) == [
        {"type": "feed.new_entries", "count": 1, "newest_id": str(post.pk)}
    ]
    assert frames(layer, channels[offline]) == []  # no socket: no push at all
    assert frames(layer, channels[muting]) == []  # a muted author is never announced


def test_presence_counts_sockets_per_user(db):
    user = UserFactory()
    async_to_sync(realtime.amark_online)(user.pk)
    async_to_sync(realtime.amark_online)(user.pk)  # a second tab
    async_to_sync(realtime.amark_offline)(user.pk)
    assert realtime.online_among([user.pk]) == [user.pk]
    async_to_sync(realtime.amark_offline)(user.pk)
    assert realtime.online_among([user.pk]) == []


def test_presence_of_a_dead_server_expires_and_an_open_socket_keeps_it(db):
    """The TTL is what clears the sockets of a server killed without its disconnects;
    the heartbeat of a live socket re-arms it (and re-creates a key that was lost).
    Time is moved by hand: each key is brought to its last second (as if PRESENCE_TTL
    had nearly passed), then only the live socket's heartbeat runs."""
    gone, alive = UserFactory.create_batch(2)
    keys = {user.pk: f"online:{user.pk}" for user in (gone, alive)}
    for user in (gone, alive):
        async_to_sync(realtime.amark_online)(user.pk)
        assert 0 < cache.ttl(keys[user.pk]) <= realtime.PRESENCE_TTL  # never kept forever
        cache.expire(keys[user.pk], 1)
    async_to_sync(realtime.arefresh_online)(alive.pk)
    assert cache.ttl(keys[alive.pk]) > 1  # re-armed to the full TTL
    assert cache.ttl(keys[gone.pk]) <= 1  # left to expire: nobody re-arms it
    cache.expire(keys[gone.pk], 0)  # its last second passes
    assert realtime.online_among([gone.pk, alive.pk]) == [alive.pk]

    cache.delete(keys[alive.pk])  # lost (eviction, Redis restart)
    async_to_sync(realtime.arefresh_online)(alive.pk)
    assert realtime.online_among([alive.pk]) == [alive.pk]
