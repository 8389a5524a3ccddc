"""Verdicts kept in the web processes (accounts.local_verdicts), across real
servers: two gunicorn processes on a private redis-server.

Warm, they authenticate without asking Redis (its own count of MGETs says so).
A sign-out through one is refused by both at the very next request. With Redis
killed, a sign-out (which Redis cannot carry then) is still refused everywhere,
and once Redis is back the servers keep verdicts again.
"""

import httpx
import pytest

from tests.factories import UserFactory
from tests.faults.injectors import PrivateRedis
from tests.integration.procs import wait_until
from tests.integration.servers import sign_in, start_wsgi

pytestmark = pytest.mark.integration

PING = "/api/v1/ping"


def ping(base: str, tokens: dict[str, str]) -> int:
    headers = {"Authorization": f"Bearer {tokens['access']}"}
    return httpx.get(f"{base}{PING}", headers=headers, timeout=30).status_code


def sign_out(base: str, tokens: dict[str, str]) -> None:
    response = httpx.post(
        f"{base}/api/v1/auth/logout", json={"refresh": tokens["refresh"]}, timeout=30
    )
    assert response.status_code == 204, response.text


def mgets(redis: PrivateRedis) -> int:
    return int(redis.client().info("commandstats").get("cmdstat_mget", {}).get("calls", 0))


def warm(base: str, tokens: dict[str, str], redis: PrivateRedis) -> None:
    """Until a burst of pings reads no verdict from Redis. (A thread that served
    nothing for TRUST_SECONDS asks Redis again: bursts, one server at a time.)"""

    def served_from_the_process() -> bool:
        before = mgets(redis)
        for _ in range(16):  # every thread of the process (4), each with its own
            assert ping(base, tokens) == 200
        return mgets(redis) == before

    wait_until(served_from_the_process, timeout=30, interval=0.05, what="kept verdicts")


def test_servers_keep_verdicts_and_refuse_a_signed_out_token_at_the_next_request(workers):
    redis = PrivateRedis(workers).start()
    env = {"REDIS_URL": redis.url, "THROTTLE_ENABLED": "0", "REDIS_RETRY_AFTER_SECONDS": "0"}
    servers = [start_wsgi(workers, "wsgi-a", **env), start_wsgi(workers, "wsgi-b", **env)]
    UserFactory(username="alice")
    this, other = sign_in(servers[0], "alice"), sign_in(servers[1], "alice")
    for base in servers:
        warm(base, this, redis)
        warm(base, other, redis)

    sign_out(servers[0], this)
    assert [ping(base, this) for base in servers * 5] == [401] * 10
    for base in servers:
        warm(base, other, redis)  # the other session: read again, and kept

    redis.kill()
    assert [ping(base, other) for base in servers] == [200, 200]  # from PostgreSQL
    sign_out(servers[1], other)  # no Redis to carry it: recorded in PostgreSQL
    assert [ping(base, other) for base in servers * 5] == [401] * 10

    redis.start()  # empty, as after a crash
    again = sign_in(servers[0], "alice")
    for base in servers:
        warm(base, again, redis)
    sign_out(servers[1], again)
    assert [ping(base, again) for base in servers * 5] == [401] * 10
