"""Authentication verdicts kept in each server thread, for as long as Redis says
that no revocation of their user came.

A verdict read from Redis costs one MGET: a round trip of about 0.2 ms of CPU,
as much as a third of an authenticated ping (bench/README.md, issue 18, sixth
pass). So each server thread keeps the valid verdicts it read (or checked
against PostgreSQL) and every revocation (`forget_authentication`) also
publishes the user's id on a Redis channel, to which each thread holds a
subscription (`local_verdicts()`).
Before a kept verdict is used, the messages waiting on that subscription are
read (one non-blocking read of a socket) and every verdict of a user they name
is dropped. The revocation waits one round trip more after publishing: Redis
has written the message to every subscriber's socket before it reads a command
sent after its answer. So once the request that revoked has its answer, every
subscriber has the message waiting: the next request anywhere refuses the token,
as before.

The subscription counts only while it is known to be whole:
- It must have answered a PING within `TRUST_SECONDS`. A PING is sent when the
  last answer is half that old, and every message published before Redis read
  the PING comes before its answer. So a connection lost without a sign (a
  network partition) is trusted for at most `TRUST_SECONDS`.
- An error on it drops every kept verdict; a new subscription is tried after
  `REDIS_RETRY_AFTER_SECONDS` and counts once it has answered its first PING.
Meanwhile authentication reads Redis (or PostgreSQL) as it did.

A verdict is kept only if no revocation of its user (and no loss of the
subscription) was heard since the request's `mark`, taken before it read Redis
or the row: a revocation that came in between wins, whichever thread heard it.
"""

import contextlib
import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.dispatch import receiver
from django.test.signals import setting_changed
from redis.backoff import NoBackoff
from redis.retry import Retry

from core.degrade import cache_breaker

# A silently lost subscription (no error, no answers) is trusted this long at most.
TRUST_SECONDS = 1.0
# Users with kept verdicts or recent revocations; past it everything is dropped.
MAX_USERS = 50_000


def enabled() -> bool:
    """Only where verdicts are cached in Redis (services mode)."""
    backend = settings.CACHES["default"]["BACKEND"]
    return bool(settings.AUTH_CACHE_SECONDS) and backend.startswith("django_redis.")


def channel() -> str:
    """One per deployment and Redis database: the cache's key prefix and db."""
    from django_redis import get_redis_connection

    db = get_redis_connection("default").connection_pool.connection_kwargs.get("db", 0)
    return f"{cache.make_key('auth:revoked')}:db{db}"


def publish_revocation(user_id: int, *, generation_key: str, generation: int, timeout: int) -> None:
    """Write the user's new verdict generation (the full cache key), then tell every
    subscriber to drop its kept verdicts of the user: in this order, so a thread that
    heard it reads the new generation. Then one more round trip: Redis writes the
    message to every subscriber's socket before it reads a command sent after its
    answer, so once this returns every subscriber has the message waiting. (Redis
    errors are the caller's: it runs this under the cache breaker.)"""
    from django_redis import get_redis_connection

    client = get_redis_connection("default")
    pipe = client.pipeline(transaction=False)
    pipe.set(generation_key, generation, ex=timeout)  # an int: django-redis stores it as is
    pipe.publish(channel(), str(user_id))
    pipe.execute()
    client.ping()


class LocalVerdicts:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._conn: Any = None  # a redis-py Connection in subscribed mode
        self._pid = os.getpid()
        self._retry_at = 0.0
        self._heard = 0  # revocations heard and subscriptions lost, counted
        self._cleared_at = 0  # the count when every kept verdict was last dropped
        # user id -> {session id: (version, summary, expires)}, or the count at
        # which a revocation of the user was heard.
        self._users: dict[int, dict[str | None, tuple[Any, tuple, float]] | int] = {}
        self._ping_sent: float | None = None
        self._heard_until: float | None = None  # when the last answered PING was sent

    def lookup(
        self, user_id: int, sid: str | None, version: object
    ) -> tuple[tuple | None, int | None]:
        """(the kept summary of a valid verdict or None, the mark to keep a verdict
        read now under; None when the subscription does not count)."""
        with self._lock:
            now = self.clock()
            if not self._listen(now):
                return None, None
            known = self._users.get(user_id)
            if isinstance(known, dict):
                kept = known.get(sid)
                if kept is not None and kept[0] == version and kept[2] > now:
                    return kept[1], self._heard
            return None, self._heard

    def keep(
        self, user_id: int, sid: str | None, version: object, summary: tuple, *, mark: int | None
    ) -> None:
        """Keep a verdict read after `mark`, unless a revocation of the user or a loss
        of the subscription was heard since."""
        if mark is None:
            return
        with self._lock:
            if mark < self._cleared_at:
                return
            known = self._users.get(user_id)
            if isinstance(known, int):
                if known > mark:
                    return
                known = None
            if known is None:
                if len(self._users) >= MAX_USERS:
                    self._drop_all()
                    return
                known = self._users[user_id] = {}
            known[sid] = (version, summary, self.clock() + settings.AUTH_CACHE_SECONDS)

    def reset(self) -> None:
        """Drop the subscription and every kept verdict (settings changed; tests)."""
        with self._lock:
            self._disconnect()
            self._drop_all()
            self._retry_at = 0.0

    def _listen(self, now: float) -> bool:
        """Read what the subscription has for us; whether it counts now."""
        if self._pid != os.getpid():  # a forked child: the parent's socket is not ours
            self._conn, self._pid = None, os.getpid()
            self._drop_all()
        if self._conn is None and (now < self._retry_at or not self._subscribe()):
            return False
        try:
            while self._conn.can_read(timeout=0):
                self._heard_message(self._conn.read_response())
            if self._ping_sent is None and (
                self._heard_until is None or now - self._heard_until > TRUST_SECONDS / 2
            ):
                self._conn.send_command("PING")
                self._ping_sent = now
        except Exception:  # any failure: nothing kept counts any more
            self._lost(now)
            return False
        return self._heard_until is not None and now - self._heard_until <= TRUST_SECONDS

    def _heard_message(self, reply: Any) -> None:
        kind = reply[0]
        if kind == b"message":
            self._heard += 1
            self._users[int(reply[2])] = self._heard  # drops its kept verdicts
            if len(self._users) > MAX_USERS:
                self._drop_all()
        elif kind == b"pong":
            self._heard_until, self._ping_sent = self._ping_sent, None

    def _subscribe(self) -> bool:
        from django_redis import get_redis_connection

        try:
            pool = get_redis_connection("default").connection_pool
            # No retries: a request must not wait on a Redis that is down. RESP2:
            # messages and PING answers come back as replies (RESP3 pushes them).
            kwargs = {**pool.connection_kwargs, "retry": Retry(NoBackoff(), 0), "protocol": 2}
            conn = pool.connection_class(**kwargs)
            conn.send_command("SUBSCRIBE", channel())
            conn.send_command("PING")  # answered after the subscription took effect
        except Exception:  # Redis unreachable: try again later
            self._retry_at = self.clock() + cache_breaker.retry_after
            return False
        self._conn, self._ping_sent, self._heard_until = conn, self.clock(), None
        return True

    def _lost(self, now: float) -> None:
        self._disconnect()
        self._drop_all()
        self._retry_at = now + cache_breaker.retry_after

    def _disconnect(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):  # closing a broken socket
                self._conn.disconnect()
        self._conn, self._ping_sent, self._heard_until = None, None, None

    def _drop_all(self) -> None:
        self._heard += 1
        self._cleared_at = self._heard
        self._users.clear()


_every: "weakref.WeakSet[LocalVerdicts]" = weakref.WeakSet()


class _ThreadVerdicts(threading.local):
    def __init__(self) -> None:
        self.verdicts = LocalVerdicts()
        _every.add(self.verdicts)


_per_thread = _ThreadVerdicts()


def local_verdicts() -> LocalVerdicts:
    """This thread's: each thread of a server has its own subscription and kept
    verdicts. Shared by a process's threads, they waited on each other's read of
    the socket (which releases the GIL): 11 % of a ping's samples under granian's
    four threads, against 2 % for the reads themselves."""
    return _per_thread.verdicts


@receiver(setting_changed)
def _forget_on_settings_change(*, setting: str, **kwargs: object) -> None:
    if setting in ("CACHES", "AUTH_CACHE_SECONDS"):  # another Redis, or none
        for verdicts in list(_every):
            verdicts.reset()
