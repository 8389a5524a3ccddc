"""Issue 14, fault 2: ids stay unique whatever happens to Redis.

Worker ids used to be leased with an INCR on a Redis key: after a FLUSHALL
the next servers leased the ids live servers already held, and 45 of 2,379
POST /posts failed on duplicate primary keys. Here four WSGI processes post
through the real API while their Redis (a private redis-server) is flushed,
then killed and restarted empty.
"""

import threading
import time
from collections import Counter

import httpx
import pytest

from accounts.api.serializers import TokenObtainSerializer
from core.ids import worker_of
from tests.factories import UserFactory
from tests.faults.injectors import PrivateRedis
from tests.integration.celery_workers import broker
from tests.integration.procs import Procs
from tests.integration.servers import start_wsgi
from tweets.models import Post

pytestmark = pytest.mark.integration

SERVERS = 4
CLIENTS_PER_SERVER = 3
POSTS_PER_CLIENT = 40


def token(user) -> str:
    return str(TokenObtainSerializer.get_token(user).access_token)


class Poster:
    """Posts as one user to one server; records every status and created id."""

    def __init__(self, url: str, user) -> None:
        self.client = httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {token(user)}"}, timeout=30
        )
        self.statuses: Counter[int] = Counter()
        self.ids: list[int] = []
        self.errors: list[str] = []

    def post(self, text: str) -> None:
        response = self.client.post("/api/v1/posts", json={"text": text})
        self.statuses[response.status_code] += 1
        if response.status_code == 201:
            self.ids.append(int(response.json()["id"]))
        else:
            self.errors.append(f"{response.status_code} {response.text[:300]}")

    def run(self, count: int, started: threading.Barrier) -> None:
        started.wait()
        for n in range(count):
            self.post(f"post {n}")


@pytest.fixture
def procs(transactional_db):
    with Procs() as started:
        yield started
    broker().purge()  # the dispatchers the posts queued (no worker runs here)


def test_no_id_is_made_twice_while_redis_is_flushed_killed_and_restarted(procs):
    redis = PrivateRedis(procs).start()
    env = {
        "REDIS_URL": redis.url,
        "THROTTLE_ENABLED": "0",  # throttles count in Redis; these are about ids
        "AXES_ENABLED": "0",
        "CHANNELS_PREFIX": f"faults-ids-{redis.port}",
    }
    urls = [start_wsgi(procs, f"web{n}", **env) for n in range(SERVERS)]
    posters = [[Poster(url, UserFactory()) for _ in range(CLIENTS_PER_SERVER)] for url in urls]

    # Two servers make their first ids, Redis is flushed, then the other two make
    # theirs: with worker ids from a Redis counter, the second pair got the ids
    # of the first.
    posters[0][0].post("first")
    posters[1][0].post("first")
    redis.client().flushall()
    posters[2][0].post("first")
    posters[3][0].post("first")

    # All twelve clients at once, while Redis dies and comes back empty.
    everyone = [poster for group in posters for poster in group]
    started = threading.Barrier(len(everyone) + 1)
    threads = [
        threading.Thread(target=poster.run, args=(POSTS_PER_CLIENT, started)) for poster in everyone
    ]
    for thread in threads:
        thread.start()
    started.wait()
    time.sleep(1)
    redis.kill()
    time.sleep(1)
    redis.start()
    for thread in threads:
        thread.join(timeout=300)

    made = [post_id for poster in everyone for post_id in poster.ids]
    statuses = sum((poster.statuses for poster in everyone), Counter())
    errors = [error for poster in everyone for error in poster.errors]
    expected = SERVERS + len(everyone) * POSTS_PER_CLIENT
    assert statuses == {201: expected}, errors[:5]
    assert len(set(made)) == len(made) == expected  # no id twice
    assert Post.objects.filter(id__in=made).count() == expected

    # Each server process made its ids with a worker id no other one used.
    workers = [{worker_of(i) for poster in group for i in poster.ids} for group in posters]
    assert all(len(mine) == 1 for mine in workers), workers
    assert len(set().union(*workers)) == SERVERS
    assert redis.starts == 2
