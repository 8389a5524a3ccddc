"""Verdicts kept in the process (accounts.local_verdicts, issue 18).

A warm request authenticates without a Redis round trip; a revocation is heard
at the very next request; a revocation heard while a verdict was being read
wins; a subscription that broke or stopped answering makes kept verdicts count
no more. Against the test Redis, or a private redis-server the test kills.
"""

import os
import signal
import threading

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django_redis.cache import RedisCache
from rest_framework.test import APIClient

from accounts import authentication as auth
from accounts import local_verdicts as local
from accounts import services
from tests.accounts.helpers import assert_error, obtain_tokens
from tests.factories import UserFactory
from tests.faults.injectors import PrivateRedis
from tests.integration.procs import Procs, wait_until

pytestmark = pytest.mark.django_db

PING = "/api/v1/ping"
SUMMARY = ("alice", "Alice", "", False)


@pytest.fixture(autouse=True)
def verdict_cache(settings):
    settings.AUTH_CACHE_SECONDS = 30
    settings.THROTTLE_ENABLED = False
    settings.REDIS_RETRY_AFTER_SECONDS = 0


@pytest.fixture
def redis_reads(monkeypatch):
    """How many times the cache was asked for verdicts (one MGET each)."""
    calls = []
    real = RedisCache.get_many

    def counted(self, keys, *args, **kwargs):
        calls.append(keys)
        return real(self, keys, *args, **kwargs)

    monkeypatch.setattr(RedisCache, "get_many", counted)
    return calls


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def listening(verdicts: local.LocalVerdicts) -> None:
    """Until the subscription counts (its first PING answered)."""
    wait_until(lambda: verdicts.lookup(0, None, None)[1] is not None, timeout=10, interval=0.01)


def kept(verdicts: local.LocalVerdicts, user_id: int = 7) -> tuple | None:
    return verdicts.lookup(user_id, "s", 1)[0]


def keep(verdicts: local.LocalVerdicts, user_id: int = 7, *, mark: int | None) -> None:
    verdicts.keep(user_id, "s", 1, SUMMARY, mark=mark)


def revoke(user_id: int = 7) -> None:
    auth._bump_generation(user_id)


def get(access: str):
    return APIClient().get(PING, HTTP_AUTHORIZATION=f"Bearer {access}")


def test_a_warm_request_reads_neither_redis_nor_postgresql(redis_reads):
    UserFactory(username="alice")
    access = obtain_tokens(APIClient(), "alice")["access"]
    listening(local.local_verdicts())
    assert get(access).status_code == 200  # read from Redis (or the row), then kept
    redis_reads.clear()
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            assert get(access).status_code == 200
    assert (len(redis_reads), len(queries)) == (0, 0)


def test_the_request_after_a_revocation_refuses_the_kept_token(redis_reads):
    alice = UserFactory(username="alice")
    this, other = obtain_tokens(APIClient(), "alice"), obtain_tokens(APIClient(), "alice")
    listening(local.local_verdicts())
    for tokens in (this, other):
        get(tokens["access"])
    redis_reads.clear()
    assert get(this["access"]).status_code == 200
    assert not redis_reads  # kept

    response = APIClient().post("/api/v1/auth/logout", {"refresh": this["refresh"]}, format="json")
    assert response.status_code == 204
    assert_error(get(this["access"]), 401, code="token_revoked")
    assert get(other["access"]).status_code == 200  # the other session is read again, and kept

    services.revoke_tokens(user=alice)  # every session
    assert_error(get(other["access"]), 401, code="token_revoked")


def test_a_revocation_is_heard_when_its_call_returns():
    verdicts = local.LocalVerdicts()
    listening(verdicts)
    keep(verdicts, mark=verdicts.lookup(7, "s", 1)[1])
    assert kept(verdicts) == SUMMARY
    revoke(8)  # another user's
    assert kept(verdicts) == SUMMARY
    revoke(7)
    assert kept(verdicts) is None  # no waiting: the message was there


def test_a_revocation_heard_between_the_mark_and_the_keep_wins():
    verdicts = local.LocalVerdicts()
    listening(verdicts)
    mark = verdicts.lookup(7, "s", 1)[1]  # the request is about to read Redis
    revoke(7)
    verdicts.lookup(9, "s", 1)  # another thread's request hears it
    keep(verdicts, mark=mark)  # the first request keeps what it read before
    assert kept(verdicts) is None
    keep(verdicts, mark=verdicts.lookup(7, "s", 1)[1])  # a read after it is kept
    assert kept(verdicts) == SUMMARY


def test_a_kept_verdict_counts_for_its_token_version_and_session_and_expires():
    clock = Clock()
    verdicts = local.LocalVerdicts(clock=clock)
    wait_until(lambda: verdicts.lookup(0, None, None)[1] is not None, timeout=10, interval=0.01)
    keep(verdicts, mark=verdicts.lookup(7, "s", 1)[1])
    assert verdicts.lookup(7, "s", 2)[0] is None
    assert verdicts.lookup(7, "t", 1)[0] is None
    assert kept(verdicts) == SUMMARY
    clock.now += 0.4  # within the PING's answer: still counts
    assert kept(verdicts) == SUMMARY
    wait_until(lambda: verdicts.lookup(0, None, None)[1] is not None, timeout=10, interval=0.01)
    clock.now += 0.4
    assert kept(verdicts) == SUMMARY
    for _ in range(60):  # answered PINGs keep it listening; AUTH_CACHE_SECONDS end the verdict
        clock.now += 0.5
        wait_until(lambda: verdicts.lookup(0, None, None)[1] is not None, timeout=10, interval=0.01)
    assert kept(verdicts) is None


def test_past_max_users_everything_is_dropped(monkeypatch):
    monkeypatch.setattr(local, "MAX_USERS", 3)
    verdicts = local.LocalVerdicts()
    listening(verdicts)
    for user_id in (1, 2, 3):
        keep(verdicts, user_id, mark=verdicts.lookup(user_id, "s", 1)[1])
    assert [kept(verdicts, user_id) for user_id in (1, 2, 3)] == [SUMMARY] * 3
    mark = verdicts.lookup(4, "s", 1)[1]
    keep(verdicts, 4, mark=mark)  # a fourth user: all dropped, this one not kept
    assert [kept(verdicts, user_id) for user_id in (1, 2, 3, 4)] == [None] * 4
    keep(verdicts, 4, mark=mark)  # its mark predates the drop
    assert kept(verdicts, 4) is None


def test_a_forked_process_keeps_nothing_of_its_parent():
    verdicts = local.LocalVerdicts()
    listening(verdicts)
    keep(verdicts, mark=verdicts.lookup(7, "s", 1)[1])
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the parent's kept verdicts and socket are not its own
        try:
            os.write(write, b"kept" if kept(verdicts) is not None else b"none")
        finally:
            os._exit(0)
    os.close(write)
    answer = os.read(read, 16)
    os.waitpid(pid, 0)
    os.close(read)
    assert answer == b"none"
    assert kept(verdicts) == SUMMARY  # the parent's subscription still counts


def test_it_is_off_without_redis_verdicts(settings):
    assert local.enabled()
    settings.AUTH_CACHE_SECONDS = 0
    assert not local.enabled()
    settings.AUTH_CACHE_SECONDS = 30
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert not local.enabled()


@pytest.fixture
def private_redis():
    """A redis-server of the test's own, as the cache (a fresh local_verdicts state)."""
    with Procs() as procs:
        redis = PrivateRedis(procs).start()
        caches = {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": redis.url,
                "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
            }
        }
        with override_settings(CACHES=caches):
            yield redis


def test_a_killed_redis_drops_every_kept_verdict(private_redis):
    clock = Clock()
    verdicts = local.LocalVerdicts(clock=clock)
    listening(verdicts)
    keep(verdicts, mark=verdicts.lookup(7, "s", 1)[1])
    assert kept(verdicts) == SUMMARY

    private_redis.kill()  # revocations published meanwhile would be lost
    wait_until(lambda: verdicts.lookup(7, "s", 1) == (None, None), timeout=10, interval=0.01)
    private_redis.start()  # empty, as after a crash
    listening(verdicts)  # subscribed again (REDIS_RETRY_AFTER_SECONDS is 0 here)
    assert kept(verdicts) is None


def test_a_redis_that_stops_answering_counts_for_trust_seconds_at_most(private_redis):
    clock = Clock()
    verdicts = local.LocalVerdicts(clock=clock)
    listening(verdicts)
    keep(verdicts, mark=verdicts.lookup(7, "s", 1)[1])
    assert private_redis.proc is not None
    os.killpg(private_redis.proc.process.pid, signal.SIGSTOP)  # hangs: no error, no answer
    try:
        clock.now += local.TRUST_SECONDS / 2 + 0.01  # a PING goes out, unanswered
        assert kept(verdicts) == SUMMARY
        clock.now += local.TRUST_SECONDS / 2
        assert kept(verdicts) is None
        assert verdicts.lookup(7, "s", 1)[1] is None  # nothing can be kept either
    finally:
        os.killpg(private_redis.proc.process.pid, signal.SIGCONT)
    wait_until(lambda: verdicts.lookup(0, None, None)[1] is not None, timeout=10, interval=0.01)
    assert kept(verdicts) == SUMMARY  # the PING's answer: nothing was missed before it


def test_each_thread_keeps_its_own_and_every_one_hears_a_revocation():
    found: dict[str, local.LocalVerdicts] = {}

    def serve(name: str) -> None:
        verdicts = local.local_verdicts()
        listening(verdicts)
        keep(verdicts, mark=verdicts.lookup(7, "s", 1)[1])
        found[name] = verdicts

    threads = [threading.Thread(target=serve, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert found["a"] is not found["b"]
    assert local.local_verdicts() not in found.values()
    assert [kept(found[name]) for name in ("a", "b")] == [SUMMARY, SUMMARY]
    revoke(7)
    assert [kept(found[name]) for name in ("a", "b")] == [None, None]
