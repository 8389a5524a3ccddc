"""Shared state of a run: the Bench object, constants, small helpers."""

import asyncio
import json
import random
import time
from dataclasses import dataclass, field

import aiohttp
import psycopg
import redis

from bench import loadgen
from bench.backlog import Backlog, is_drained
from bench.dataset import Graph
from bench.scales import Scale
from bench.stack import Stack

FEED = "/api/v1/feed"
FEED_PAGE_MAX = 100  # the largest ?limit= a list accepts
SEED_SECONDS = 30.0  # the seed's "within 30 seconds"


@dataclass
class Bench:
    scale: Scale
    stack: Stack
    graph: Graph
    tokens: dict[int, str]
    database_url: str
    redis_url: str
    broker_url: str
    rng: random.Random
    clock: loadgen.Clock = field(default_factory=loadgen.Clock)
    runs: list[loadgen.Run] = field(default_factory=list)
    report: dict = field(default_factory=dict)
    feed_limit: int = FEED_PAGE_MAX
    primed: list[int] = field(default_factory=list)
    following: dict[int, set[int]] = field(default_factory=dict)
    session: aiohttp.ClientSession | None = None
    _backlog: Backlog | None = field(default=None, repr=False)

    # --- plumbing -------------------------------------------------------------

    def headers(self, user_id: int) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user_id]}"}

    def url(self, path: str) -> str:
        return self.stack.base_url + path

    async def get(self, path: str, user_id: int) -> tuple[int, object]:
        async with self.session.get(self.url(path), headers=self.headers(user_id)) as response:
            body = await response.read()
            try:
                return response.status, json.loads(body) if body else None
            except ValueError:
                return response.status, None

    async def post(self, path: str, user_id: int, data: dict | None = None):
        async with self.session.post(
            self.url(path), headers=self.headers(user_id), json=data or {}
        ) as response:
            body = await response.read()
            return response.status, (json.loads(body) if body else None)

    def keep(self, run: loadgen.Run) -> dict:
        self.runs.append(run)
        summary = run.summary()
        mon = self.stack.monitor
        t0 = run.t_start + run.warmup  # the monitor shares the bench clock's zero
        summary["server_cpu_cores"] = mon.cpu_between(t0, t0 + run.duration)
        if run.notes:
            summary["notes"] = run.notes
        return summary

    def db(self) -> psycopg.Connection:
        return psycopg.connect(self.database_url, autocommit=True)

    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.redis_url)

    def backlog(self) -> dict:
        """Work not done yet (bench/backlog.py): messages ready per queue, tasks the
        workers hold or started while the rest was read, outbox rows not dispatched,
        handler retries waiting; dead letters are counted, not waited for."""
        if self._backlog is None:
            self._backlog = Backlog(
                broker_url=self.broker_url,
                database_url=self.database_url,
                workers=self.stack.worker_names,
            )
        return self._backlog.read()

    async def drain(self, *, timeout: float) -> tuple[float | None, dict]:
        """Wait until the backlog is empty; (bench time it was seen empty, last backlog)."""
        deadline = time.monotonic() + timeout
        while True:
            backlog = await asyncio.to_thread(self.backlog)
            if is_drained(backlog):
                return self.clock.now(), backlog
            if time.monotonic() > deadline:
                return None, backlog
            await asyncio.sleep(0.1)

    async def feed_ids(self, user_id: int, *, limit: int | None = None) -> tuple[int, list, list]:
        """(status, entry ids, post ids) of the first page of a user's feed."""
        status, body = await self.get(f"{FEED}?limit={limit or self.feed_limit}", user_id)
        if status != 200 or not isinstance(body, dict):
            return status, [], []
        results = body.get("results", [])
        return status, [int(e["id"]) for e in results], [_post_id(e) for e in results]

    async def read_timeline(self, user_id: int, *, want: int = 800) -> tuple[list[int], set]:
        """Up to `want` entry ids through the API's cursor pages; and the authors seen."""
        ids, authors = [], set()
        url = self.url(f"{FEED}?limit={self.feed_limit}")
        for _ in range(want // max(1, self.feed_limit) + 5):
            async with self.session.get(url, headers=self.headers(user_id)) as response:
                if response.status != 200:
                    break
                body = await response.json()
            for entry in body.get("results", []):
                ids.append(int(entry["id"]))
                author = (entry.get("post") or {}).get("author") or {}
                if author.get("id") is not None:
                    authors.add(int(author["id"]))
            url = body.get("next")
            if not url or len(ids) >= want:
                break
        return ids[:want], authors

    def post_text(self, author: int, i: int) -> dict:
        return {"text": f"bench post {i} by {author} #{self.rng.randrange(10**6)}"}


def _post_id(entry: dict) -> int | None:
    post = entry.get("post") or {}
    return int(post["id"]) if post.get("id") is not None else None


def ratio(a, b):
    return round(a / b, 3) if a is not None and b else None
