"""The seven phases, each a coroutine that fills one section of the report.

Every phase runs at a fixed concurrency (or a fixed rate), excludes a warm-up
and measures a steady window. A phase whose endpoint is not there yet (the
feed, notifications) says so in the report: "skipped: endpoint missing".
"""

import asyncio
import contextlib
import json
import random
import re
import subprocess
import time
from dataclasses import dataclass, field

import aiohttp
import psycopg
import redis

from bench import loadgen
from bench.dataset import Graph, expected_timeline
from bench.scales import Scale
from bench.stack import QUEUES, Stack

FEED = "/api/v1/feed"
NOTIFICATIONS = "/api/v1/notifications"
SEED_SECONDS = 30.0  # the seed's "within 30 seconds"


def skipped(path: str, status: int) -> dict:
    return {"status": f"skipped: endpoint missing ({path} answered {status})"}


@dataclass
class Bench:
    scale: Scale
    stack: Stack
    graph: Graph
    tokens: dict[int, str]
    database_url: str
    redis_url: str
    rng: random.Random
    clock: loadgen.Clock = field(default_factory=loadgen.Clock)
    runs: list[loadgen.Run] = field(default_factory=list)
    report: dict = field(default_factory=dict)
    feed_limit: int = 20
    feed_ready: bool = False
    primed: list[int] = field(default_factory=list)
    following: dict[int, set[int]] = field(default_factory=dict)
    session: aiohttp.ClientSession | None = None

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

    async def exists(self, path: str) -> int:
        status, _ = await self.get(path, self.graph.readers[min(self.graph.readers)])
        return status

    def db(self) -> psycopg.Connection:
        return psycopg.connect(self.database_url, autocommit=True)

    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.redis_url)

    def backlog(self) -> dict[str, int]:
        """Work not done yet: outbox rows not dispatched, queued and unacknowledged
        tasks, handler retries waiting. Dead letters are counted, not waited for."""
        r = self.redis()
        pipe = r.pipeline(transaction=False)
        for queue in QUEUES:
            pipe.llen(queue)
        pipe.hlen("unacked")
        *lengths, unacked = pipe.execute()
        r.close()
        with self.db() as conn:
            pending = conn.execute(
                "SELECT count(*) FROM core_outboxevent WHERE dispatched_at IS NULL"
            ).fetchone()[0]
            states = dict(
                conn.execute("SELECT state, count(*) FROM core_eventdelivery GROUP BY state")
            )
        return {
            **dict(zip(QUEUES, lengths, strict=True)),
            "unacked": unacked,
            "outbox_pending": pending,
            "retrying": states.get("retrying", 0),
            "dead": states.get("dead", 0),
        }

    async def drain(self, *, timeout: float) -> tuple[float | None, dict]:
        """Wait until the backlog is empty; (bench time it was seen empty, last backlog)."""
        deadline = time.monotonic() + timeout
        while True:
            backlog = await asyncio.to_thread(self.backlog)
            if not any(v for k, v in backlog.items() if k != "dead"):
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


# --- phase 1: baseline -------------------------------------------------------


async def baseline(b: Bench) -> dict:
    users = b.graph.seed_users

    async def ping(session, worker, i):
        async with session.get(b.url("/api/v1/ping"), headers=b.headers(users[worker])) as r:
            await r.read()
            return r.status

    print("phase 1/7 baseline: GET /api/v1/ping")
    run = await loadgen.closed_loop(
        b.session,
        b.clock,
        ping,
        name="baseline",
        concurrency=b.scale.concurrency,
        warmup=b.scale.warmup,
        duration=b.scale.steady,
    )
    return {"status": "ok", "endpoint": "GET /api/v1/ping", **b.keep(run)}


# --- phase 2: feed reads -----------------------------------------------------


async def detect_feed(b: Bench) -> int:
    status = await b.exists(f"{FEED}?limit=100")
    if status == 400:  # a smaller page limit: fall back to the default page
        status = await b.exists(f"{FEED}?limit=20")
    else:
        b.feed_limit = 100
    b.feed_ready = status == 200
    return status


async def prime_feeds(b: Bench) -> dict:
    """Read every seed user's feed once, and the readers': the people who post are
    active users with a timeline, which is whom a fan-out on write serves (it
    may skip users who never read). `primed` is the sample the later phases poll."""
    following = b.graph.following()
    b.following = following
    candidates = [u for u in b.graph.seed_users if following.get(u)]
    b.primed = b.rng.sample(candidates, min(b.scale.primed_followers, len(candidates)))
    if not b.feed_ready:
        return {}
    sem = asyncio.Semaphore(8)
    users = [*b.graph.seed_users, *b.graph.readers.values()]
    statuses: dict[str, int] = {}

    async def one(user_id):
        async with sem:
            status, _, _ = await b.feed_ids(user_id, limit=20)
            statuses[str(status)] = statuses.get(str(status), 0) + 1

    print(f"phase 2/7 feed: first read of {len(users):,} feeds (active users)")
    t0 = time.perf_counter()
    await asyncio.gather(*(one(u) for u in users))
    return {
        "users": len(users),
        "seconds": round(time.perf_counter() - t0, 2),
        "statuses": statuses,
    }


async def feed_reads(b: Bench, base: dict) -> dict:
    status = await detect_feed(b)
    primed = await prime_feeds(b)
    if not b.feed_ready:
        print(f"phase 2/7 feed: skipped, GET {FEED} answered {status}")
        return skipped(FEED, status)
    out: dict = {
        "status": "ok",
        "endpoint": f"GET {FEED}?limit=20",
        "first_reads": primed,
        "readers": {},
    }
    for count, reader in sorted(b.graph.readers.items()):
        first = time.perf_counter()
        await b.feed_ids(reader, limit=20)
        first_ms = round((time.perf_counter() - first) * 1000, 1)

        async def read(session, worker, i, reader=reader):
            async with session.get(b.url(f"{FEED}?limit=20"), headers=b.headers(reader)) as r:
                await r.read()
                return r.status

        print(f"phase 2/7 feed: reader following {count:,}")
        run = await loadgen.closed_loop(
            b.session,
            b.clock,
            read,
            name=f"feed-{count}",
            concurrency=b.scale.concurrency,
            warmup=b.scale.warmup,
            duration=b.scale.steady,
        )
        summary = b.keep(run)
        summary["first_read_ms"] = first_ms
        summary["rps_vs_baseline"] = _ratio(summary["rps"], base.get("rps"))
        summary["p99_vs_baseline"] = _ratio(summary["p99_ms"], base.get("p99_ms"))
        out["readers"][str(count)] = summary
    lo, hi = str(min(b.graph.readers)), str(max(b.graph.readers))
    out["p99_ratio_most_vs_fewest_followees"] = _ratio(
        out["readers"][hi]["p99_ms"], out["readers"][lo]["p99_ms"]
    )
    return out


def _ratio(a, b):
    return round(a / b, 3) if a is not None and b else None


# --- Redis ceiling -----------------------------------------------------------


def redis_ceiling(redis_url: str, *, requests: int) -> dict:
    """redis-benchmark -P 16: ZADD into 800 sorted sets of 800 entries (pre-filled)."""
    r = redis.Redis.from_url(redis_url)
    db = r.connection_pool.connection_kwargs.get("db", 0)
    pipe = r.pipeline(transaction=False)
    for key in range(800):
        pipe.zadd(f"bench:ceiling:{key:012d}", {f"{m:012d}": m for m in range(800)})
    pipe.execute()
    argv = [
        "redis-benchmark",
        "-h",
        "127.0.0.1",
        "-p",
        "6379",
        "--dbnum",
        str(db),
        "-n",
        str(requests),
        "-P",
        "16",
        "-r",
        "800",
        "--csv",
        "ZADD",
        "bench:ceiling:__rand_int__",
        "__rand_int__",
        "__rand_int__",
    ]
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=True)
        row = [line for line in out.stdout.splitlines() if line.startswith('"ZADD')][-1]
        rps = float(row.split('","')[1])
    except (OSError, subprocess.SubprocessError, IndexError, ValueError) as exc:
        return {"status": f"error: {exc}"}
    finally:
        keys = list(r.scan_iter("bench:ceiling:*", count=1000))
        for i in range(0, len(keys), 500):
            r.delete(*keys[i : i + 500])
        r.close()
    return {"status": "ok", "zadd_per_second": rps, "command": " ".join(argv)}


# --- phase 3: posting --------------------------------------------------------


def _poster(b: Bench, created: list, authors: list[int]):
    async def post(session, worker, i):
        author = authors[(worker * 7919 + i) % len(authors)]
        async with session.post(
            b.url("/api/v1/posts"), headers=b.headers(author), json=b.post_text(author, i)
        ) as r:
            body = await r.read()
            if r.status == 201:
                created.append((b.clock.now(), author, int(json.loads(body)["id"])))
            return r.status

    return post


async def posting(b: Bench, base: dict, ceiling: dict) -> tuple[dict, dict]:
    scale, seeds = b.scale, list(b.graph.seed_users)
    b.rng.shuffle(seeds)
    ramp = []
    best, flat = None, 0
    step = max(0.8, scale.steady / 2)
    for concurrency in scale.post_ramp:
        print(f"phase 3/7 posting: ramp, concurrency {concurrency}")
        created: list = []
        run = await loadgen.closed_loop(
            b.session,
            b.clock,
            _poster(b, created, seeds),
            name=f"post-ramp-{concurrency}",
            concurrency=concurrency,
            warmup=scale.warmup / 2,
            duration=step,
        )
        summary = b.keep(run)
        ramp.append(summary)
        clean = not summary["errors"]
        if clean and (best is None or summary["rps"] > 1.05 * best["rps"]):
            best, flat = summary, 0
        else:
            flat += 1
        await b.drain(timeout=max(30, step * 20))
        if not clean or flat >= 2:
            break  # errors, or past the knee: more concurrency only queues
    if best is None:
        return {"status": "error: every posting step had errors", "ramp": ramp}, {}
    concurrency = best["concurrency"]

    # The measured run at the best concurrency: posts/s, and the fan-out behind it.
    print(f"phase 3/7 posting: measured run at concurrency {concurrency}")
    zadd0 = _zadd_calls(b)
    created = []
    run = await loadgen.closed_loop(
        b.session,
        b.clock,
        _poster(b, created, seeds),
        name="post-max",
        concurrency=concurrency,
        warmup=scale.warmup,
        duration=scale.steady,
    )
    measured = b.keep(run)
    t_first = run.t_start
    t_last = max((t for t, _, _ in created), default=b.clock.now())
    backlog_at_end = await asyncio.to_thread(b.backlog)
    drained_at, backlog = await b.drain(timeout=max(60, scale.steady * 60))
    deliveries = sum(len(b.graph.followers.get(author, ())) for _, author, _ in created)
    fanout = {
        "status": "ok" if b.feed_ready else "skipped: endpoint missing (no feed, no fan-out)",
        "posts": len(created),
        "deliveries": deliveries,
        "deliveries_note": "followers of each post's author (all seed users are below any "
        "celebrity threshold); users a fan-out skips as inactive still count",
        "backlog_when_posting_stopped": backlog_at_end,
        "drain_seconds_after_last_post": None
        if drained_at is None
        else round(drained_at - t_last, 3),
        "backlog_left": backlog if drained_at is None else None,
        "zadd_calls": _zadd_calls(b) - zadd0,
    }
    if drained_at is not None and drained_at > t_first:
        rate = deliveries / (drained_at - t_first)
        fanout["deliveries_per_second_during_posting"] = round(rate, 1)
    fanout["redis_zadd_ceiling"] = ceiling.get("zadd_per_second")
    if b.feed_ready:
        fanout["capacity"] = capacity = await fanout_capacity(b, concurrency, seeds)
        best = max(
            capacity.get("deliveries_per_second") or 0,
            fanout.get("deliveries_per_second_during_posting") or 0,
        )
        fanout["deliveries_per_second"] = best or None
        fanout["deliveries_vs_ceiling"] = _ratio(best, ceiling.get("zadd_per_second"))

    # POST latency by the author's follower count: both authors at once, same load.
    lo, hi = min(b.graph.authors), max(b.graph.authors)
    half = max(1, concurrency // 2)
    print(f"phase 3/7 posting: authors with {lo:,} and {hi:,} followers side by side")
    runs = await asyncio.gather(
        *(
            loadgen.closed_loop(
                b.session,
                b.clock,
                _poster(b, [], [b.graph.authors[n]]),
                name=f"post-author-{n}",
                concurrency=half,
                warmup=scale.warmup,
                duration=scale.steady,
            )
            for n in (lo, hi)
        )
    )
    by_author = {str(n): b.keep(r) for n, r in zip((lo, hi), runs, strict=True)}
    await b.drain(timeout=max(60, scale.steady * 60))
    out = {
        "status": "ok",
        "endpoint": "POST /api/v1/posts",
        "ramp": ramp,
        "max_rate": measured,
        "rps_vs_baseline": _ratio(measured["rps"], base.get("rps")),
        "p99_vs_baseline": _ratio(measured["p99_ms"], base.get("p99_ms")),
        "by_author_followers": by_author,
        "p99_ratio_most_vs_fewest_followers": _ratio(
            by_author[str(hi)]["p99_ms"], by_author[str(lo)]["p99_ms"]
        ),
    }
    return out, fanout


async def fanout_capacity(b: Bench, concurrency: int, authors: list[int]) -> dict:
    """Deliveries/s of the fan-out when it is the bottleneck, not the posting rate.

    The fan-out worker is paused (SIGSTOP of its process group) while posts
    pile up for a steady window, then resumed (SIGCONT): the backlog it then
    drains is the fan-out's own throughput, whatever the web tier can post.
    """
    print("phase 4/7 fan-out: capacity (fan-out worker paused while posts pile up)")
    created: list = []
    b.stack.pause("worker-fanout")
    try:
        run = await loadgen.closed_loop(
            b.session,
            b.clock,
            _poster(b, created, authors),
            name="post-fanout-paused",
            concurrency=concurrency,
            warmup=0.0,
            duration=b.scale.steady,
        )
        b.keep(run)
        await asyncio.sleep(0.5)  # the last dispatches reach the broker
        queued = await asyncio.to_thread(b.backlog)
    finally:
        b.stack.resume("worker-fanout")
    t0 = b.clock.now()
    zadd0 = _zadd_calls(b)
    drained_at, backlog = await b.drain(timeout=max(60, b.scale.steady * 60))
    deliveries = sum(len(b.graph.followers.get(author, ())) for _, author, _ in created)
    out = {
        "posts": len(created),
        "deliveries": deliveries,
        "backlog_at_resume": queued,
        "zadd_calls": _zadd_calls(b) - zadd0,
    }
    if drained_at is None:
        return out | {"status": "error: the fan-out backlog did not drain", "backlog": backlog}
    seconds = drained_at - t0
    return out | {
        "status": "ok",
        "drain_seconds": round(seconds, 3),
        "deliveries_per_second": round(deliveries / seconds, 1) if seconds > 0 else None,
        "fanout_worker_cpu_cores": b.stack.monitor.cpu_between(t0, drained_at).get("worker-fanout"),
    }


def _zadd_calls(b: Bench) -> int:
    r = b.redis()
    try:
        return r.info("commandstats").get("cmdstat_zadd", {}).get("calls", 0)
    finally:
        r.close()


# --- phase 4: post-to-timeline latency at half the maximum rate ---------------


async def fanout_latency(b: Bench, posting_report: dict, fanout: dict) -> dict:
    if not b.feed_ready:
        return fanout
    rate = posting_report["max_rate"]["rps"] / 2
    if rate <= 0:
        return fanout | {"latency": {"status": "error: no posting rate to halve"}}
    scale = b.scale
    primed = set(b.primed)
    followers_primed = {
        author: [f for f in b.graph.followers.get(author, ()) if f in primed]
        for author in b.graph.seed_users
    }
    authors = [a for a, fs in followers_primed.items() if fs] or list(b.graph.seed_users)
    latencies: list[float] = []
    missed = 0
    trackers: set[asyncio.Task] = set()
    max_trackers = 4
    poll = 0.05

    async def track(post_id: int, follower: int, t_created: float) -> None:
        nonlocal missed
        deadline = t_created + 30
        while b.clock.now() < deadline:
            _, entry_ids, post_ids = await b.feed_ids(follower, limit=20)
            if post_id in entry_ids or post_id in post_ids:
                latencies.append(b.clock.now() - t_created)
                return
            await asyncio.sleep(poll)
        missed += 1

    async def post(session, worker, i):
        author = authors[i % len(authors)]
        async with session.post(
            b.url("/api/v1/posts"), headers=b.headers(author), json=b.post_text(author, i)
        ) as r:
            body = await r.read()
            t_created = b.clock.now()
            if r.status == 201 and followers_primed.get(author) and len(trackers) < max_trackers:
                start = b.rng.choice(followers_primed[author])
                pid = int(json.loads(body)["id"])
                task = asyncio.create_task(track(pid, start, t_created))
                trackers.add(task)
                task.add_done_callback(trackers.discard)
            return r.status

    b.rng.shuffle(authors)
    print(f"phase 4/7 fan-out: post-to-timeline latency at {rate:.1f} posts/s")
    run = await loadgen.open_loop(
        b.session,
        b.clock,
        post,
        name="post-half-rate",
        rate=rate,
        warmup=scale.warmup,
        duration=scale.steady,
    )
    if trackers:
        await asyncio.gather(*list(trackers))
    summary = b.keep(run)
    await b.drain(timeout=max(60, scale.steady * 30))
    lat = sorted(latencies)
    return fanout | {
        "latency": {
            "status": "ok",
            "posting_rate": round(rate, 1),
            "posting": summary,
            "sampled": len(lat),
            "not_seen_within_30s": missed,
            "poll_interval_ms": poll * 1000,
            **loadgen.latency_summary(lat),
        }
    }


# --- phase 5: the seed workload ------------------------------------------------


async def seed_workload(b: Bench, concurrency: int) -> dict:
    jobs = [u for u in b.graph.seed_users for _ in range(b.graph.posts_per_user[u])]
    planned_deliveries = sum(len(b.graph.followers.get(u, ())) for u in jobs)
    b.rng.shuffle(jobs)
    total = len(jobs)
    deadline = time.monotonic() + b.scale.seed_deadline
    samples: list[loadgen.Sample] = []
    created: list = []
    t_first = b.clock.now()
    cpu0 = time.process_time()

    async def worker(index: int) -> None:
        while jobs and time.monotonic() < deadline:
            author = jobs.pop()
            status = await loadgen.timed(
                b.clock, samples, _poster(b, created, [author]), b.session, 0, len(jobs)
            )
            if status != 201:
                jobs.insert(0, author)  # retried at the end: the workload is every post

    async def report_progress() -> None:
        while True:
            await asyncio.sleep(5)
            elapsed = b.clock.now() - t_first
            print(
                f"  seed workload: {len(created):,}/{total:,} posts in {elapsed:.0f}s "
                f"({len(created) / max(elapsed, 1e-9):.0f}/s)"
            )

    print(
        f"phase 5/7 seed workload: {total:,} posts by {len(b.graph.seed_users):,} users, "
        f"concurrency {concurrency}"
    )
    reporter = asyncio.create_task(report_progress())
    try:
        await asyncio.gather(*(worker(w) for w in range(concurrency)))
    finally:
        reporter.cancel()
    t_last_post = max((t for t, _, _ in created), default=b.clock.now())
    posting_seconds = t_last_post - t_first
    client_cpu = (time.process_time() - cpu0) / max(1e-9, b.clock.now() - t_first)
    # The drain gets its own budget: a fan-out that lags behind the posting rate
    # must be allowed to finish before the timelines are compared.
    drain_budget = max(120.0, 2 * posting_seconds)
    print(f"phase 5/7 seed workload: posted; waiting up to {drain_budget:.0f}s for the backlog")
    drained_at, backlog = await b.drain(timeout=drain_budget)
    run = loadgen.Run("seed-workload", concurrency, t_first, 0.0, posting_seconds, samples)
    run.client_cpu = client_cpu
    b.runs.append(run)
    ok = sorted(s.latency for s in samples if s.status == 201)
    errors = {}
    for s in samples:
        if s.status != 201:
            errors[str(s.status)] = errors.get(str(s.status), 0) + 1
    out = {
        "status": "ok",
        "posts_planned": total,
        "posts_created": len(created),
        "errors_retried": errors,
        "concurrency": concurrency,
        "posting_seconds": round(posting_seconds, 2),
        "posts_per_second": round(len(created) / max(posting_seconds, 1e-9), 1),
        "deliveries": sum(len(b.graph.followers.get(a, ())) for _, a, _ in created),
        "deliveries_planned": planned_deliveries,
        **loadgen.latency_summary(ok),
        "client_cpu_cores": round(client_cpu, 3),
        "dead_letters": backlog.get("dead", 0),
    }
    if drained_at is None:
        out["status"] = "error: the backlog did not drain before the deadline"
        out["backlog_left"] = backlog
    else:
        wall = drained_at - t_first
        out["wall_seconds_first_post_to_last_delivery"] = round(wall, 2)
        out["vs_seed_30s"] = round(wall / SEED_SECONDS, 3)
        out["drain_seconds_after_last_post"] = round(drained_at - t_last_post, 2)
    if len(created) < total:
        rate = len(created) / max(posting_seconds, 1e-9)
        out["status"] = (
            f"incomplete: {len(created):,} of {total:,} posts were created before the "
            f"phase's deadline ({b.scale.seed_deadline:.0f} s)"
        )
        out["projected_posting_seconds_for_all"] = round(total / rate, 1) if rate else None
        if drained_at is not None and out["deliveries"]:
            # Linear: the whole workload at the posting rate and the delivery rate seen here.
            delivery_rate = out["deliveries"] / (drained_at - t_first)
            out["projected_wall_seconds_for_all"] = round(
                max(total / rate, planned_deliveries / delivery_rate), 1
            )
            out["projected_vs_seed_30s"] = round(
                out["projected_wall_seconds_for_all"] / SEED_SECONDS, 1
            )
    if not b.feed_ready:
        out["check"] = skipped(FEED, 404)
    elif drained_at is None:
        out["check"] = {"status": "error: not checked, the backlog did not drain", **backlog}
    else:
        out["check"] = await check_timelines(b)
    return out


async def check_timelines(b: Bench) -> dict:
    """Every sampled follower's timeline (newest 800, through the API) equals SQL's."""
    users = [
        *b.rng.sample(b.primed, min(b.scale.checked_followers, len(b.primed))),
        *b.graph.readers.values(),
    ]
    print(f"phase 5/7 seed workload: checking {len(users)} timelines against SQL")
    read = {}
    own_seen = False
    for user in users:
        ids, authors = await b.read_timeline(user)
        read[user] = ids
        own_seen |= user in authors
    mismatches, lost, extra = [], 0, 0
    with b.db() as conn:
        for user in users:
            want = expected_timeline(conn, user_id=user, include_own=own_seen)
            got = read[user]
            if got != want:
                missing = set(want) - set(got)
                surplus = set(got) - set(want)
                lost += len(missing)
                extra += len(surplus)
                mismatches.append(
                    {
                        "user": user,
                        "expected": len(want),
                        "got": len(got),
                        "missing": len(missing),
                        "unexpected": len(surplus),
                        "order_differs": not missing and not surplus,
                    }
                )
    return {
        "status": "ok",
        "followers_checked": len(users),
        "timelines_equal": len(users) - len(mismatches),
        "entries_lost": lost,
        "entries_unexpected": extra,
        "nothing_lost": not mismatches,
        "expectation": "newest 800 posts of followees" + (" and own posts" if own_seen else ""),
        "mismatches": mismatches[:20],
    }


# --- phase 6: WebSockets ------------------------------------------------------


async def websockets_phase(b: Bench) -> dict:
    scale = b.scale
    out: dict = {"status": "ok", "sockets_wanted": scale.sockets}
    path = f"{FEED}?limit=20" if b.feed_ready else "/api/v1/ping"
    reader = b.graph.readers[sorted(b.graph.readers)[len(b.graph.readers) // 2]]
    if not b.feed_ready:
        out["feed_note"] = "skipped: endpoint missing (feed); GET /api/v1/ping measured instead"

    async def read(session, worker, i):
        async with session.get(b.url(path), headers=b.headers(reader)) as r:
            await r.read()
            return r.status

    async def measure(name: str) -> dict:
        run = await loadgen.closed_loop(
            b.session,
            b.clock,
            read,
            name=name,
            concurrency=scale.concurrency,
            warmup=scale.warmup,
            duration=scale.steady,
        )
        return b.keep(run)

    print("phase 6/7 websockets: reads without sockets")
    out["reads_without_sockets"] = await measure("ws-reads-without")

    holders = [*b.graph.seed_users, *b.graph.fillers][: scale.sockets]
    sockets: dict[int, aiohttp.ClientWebSocketResponse] = {}
    inbox: dict[int, asyncio.Queue] = {}
    readers: list[asyncio.Task] = []
    failures: dict[str, int] = {}
    sem = asyncio.Semaphore(50)

    async def pump(user: int, ws) -> None:
        async for message in ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                inbox[user].put_nowait((b.clock.now(), json.loads(message.data)))

    async def connect(user: int) -> None:
        async with sem:
            try:
                ws = await b.session.ws_connect(
                    b.stack.ws_url,
                    headers=b.headers(user),
                    heartbeat=None,
                    autoping=True,
                    timeout=aiohttp.ClientWSTimeout(ws_close=5),
                )
                first = await asyncio.wait_for(ws.receive_json(), timeout=15)
            except (TimeoutError, aiohttp.ClientError, ValueError, TypeError) as exc:
                failures[type(exc).__name__] = failures.get(type(exc).__name__, 0) + 1
                return
            if first.get("type") != "hello":
                failures["no hello"] = failures.get("no hello", 0) + 1
                await ws.close()
                return
            sockets[user] = ws
            inbox[user] = asyncio.Queue()
            readers.append(asyncio.create_task(pump(user, ws)))

    print(f"phase 6/7 websockets: opening {len(holders):,} authenticated sockets")
    t0 = time.perf_counter()
    try:
        await asyncio.gather(*(connect(u) for u in holders))
        out["sockets_open"] = len(sockets)
        out["open_seconds"] = round(time.perf_counter() - t0, 2)
        out["open_failures"] = failures
        print(f"phase 6/7 websockets: {len(sockets):,} open; reads with them held")
        out["reads_with_sockets"] = await measure("ws-reads-with")
        out["rps_with_vs_without"] = _ratio(
            out["reads_with_sockets"]["rps"], out["reads_without_sockets"]["rps"]
        )
        out["like_to_frame"] = await like_to_frame(b, sockets, inbox)
    finally:
        for task in readers:
            task.cancel()
        await asyncio.gather(*(ws.close() for ws in sockets.values()), return_exceptions=True)
    return out


async def like_to_frame(b: Bench, sockets: dict, inbox: dict) -> dict:
    status = await b.exists(NOTIFICATIONS)
    if status != 200:
        return skipped(NOTIFICATIONS, status)
    authors = [u for u in sockets if b.graph.history.get(u)]
    likers = [u for u in b.graph.seed_users if u not in sockets] or list(b.graph.seed_users)
    pairs, used = [], set()
    for i in range(b.scale.likes * 3):
        author = authors[i % len(authors)]
        liker = b.rng.choice(likers)
        post_id = b.rng.choice(b.graph.history[author])
        if liker != author and (liker, post_id) not in used:
            used.add((liker, post_id))
            pairs.append((author, liker, post_id))
        if len(pairs) >= b.scale.likes:
            break
    latencies, timeouts, errors = [], 0, {}
    chains = 4

    async def chain(mine: list) -> None:
        nonlocal timeouts
        for author, liker, post_id in mine:
            queue = inbox[author]
            while not queue.empty():
                queue.get_nowait()
            status, _ = await b.post(f"/api/v1/posts/{post_id}/like", liker)
            t_liked = b.clock.now()
            if status not in (200, 201):
                errors[str(status)] = errors.get(str(status), 0) + 1
                continue
            deadline = t_liked + 10
            while True:
                left = deadline - b.clock.now()
                if left <= 0:
                    timeouts += 1
                    break
                try:
                    t_frame, frame = await asyncio.wait_for(queue.get(), timeout=left)
                except TimeoutError:
                    timeouts += 1
                    break
                if frame.get("type") == "notification.created":
                    latencies.append(max(0.0, t_frame - t_liked))
                    break

    # Chains own disjoint authors, so a frame is never taken by the wrong waiter.
    by_author: dict[int, list] = {}
    for pair in pairs:
        by_author.setdefault(pair[0], []).append(pair)
    groups = [[] for _ in range(chains)]
    for i, items in enumerate(by_author.values()):
        groups[i % chains].extend(items)
    print(f"phase 6/7 websockets: {len(pairs)} likes timed to their notification frame")
    await asyncio.gather(*(chain(g) for g in groups if g))
    lat = sorted(latencies)
    return {
        "status": "ok" if lat else "error: no notification.created frame arrived",
        "likes": len(pairs),
        "frames": len(lat),
        "timeouts_10s": timeouts,
        "like_errors": errors,
        "measured_from": "the like's 2xx response",
        **loadgen.latency_summary(lat),
    }


# --- phase 7: memory ------------------------------------------------------------


def memory(b: Bench) -> dict:
    r = b.redis()
    try:
        patterns: dict[str, list[bytes]] = {}
        for key in r.scan_iter(count=2000, _type="zset"):
            name = key.decode(errors="replace")
            if ":group:" in name or "unacked" in name or name.startswith("bench:"):
                continue  # channels-redis groups, kombu's index, the ceiling's sets
            if not re.search(r"\d+$", name):
                continue
            patterns.setdefault(re.sub(r"\d+", "{n}", name), []).append(key)
        out: dict = {"status": "ok"}
        if patterns:
            pattern, keys = max(patterns.items(), key=lambda kv: len(kv[1]))
            sample = keys[:: max(1, len(keys) // 300)][:300]
            pipe = r.pipeline(transaction=False)
            for key in sample:
                pipe.memory_usage(key, samples=0)
                pipe.zcard(key)
            values = pipe.execute()
            used, entries = sum(v or 0 for v in values[0::2]), sum(values[1::2])
            out["redis"] = {
                "timeline_key_pattern": pattern,
                "timelines": len(keys),
                "sampled_keys": len(sample),
                "sampled_entries": entries,
                "bytes_per_entry": round(used / entries, 1) if entries else None,
                "used_memory": r.info("memory").get("used_memory"),
            }
        else:
            out["redis"] = {"status": "skipped: no timeline sorted sets in Redis (no fan-out)"}
    finally:
        r.close()
    peak = b.stack.monitor.peak
    out["peak_rss_mb"] = {
        role: {
            "group": round(v["rss"] / 2**20, 1),
            "largest_process": round(v["rss_max_proc"] / 2**20, 1),
        }
        for role, v in sorted(peak.items())
    }
    return out


# --- the run ------------------------------------------------------------------


async def run_all(b: Bench) -> dict:
    report = b.report
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        b.session = session
        phases = report.setdefault("phases", {})
        phases["baseline"] = base = await baseline(b)
        phases["feed"] = await feed_reads(b, base)
        print("Redis ceiling: redis-benchmark -P 16, ZADD into 800-entry sorted sets")
        ceiling = await asyncio.to_thread(
            redis_ceiling, b.redis_url, requests=200_000 if b.scale.name == "tiny" else 2_000_000
        )
        report["redis_ceiling"] = ceiling
        posting_report, fanout = await posting(b, base, ceiling)
        phases["posting"] = posting_report
        if posting_report["status"] == "ok":
            phases["fanout"] = await fanout_latency(b, posting_report, fanout)
            concurrency = posting_report["max_rate"]["concurrency"]
        else:
            phases["fanout"] = {"status": "error: posting failed"}
            concurrency = b.scale.concurrency
        phases["seed"] = await seed_workload(b, concurrency)
        phases["websockets"] = await websockets_phase(b)
        print("phase 7/7 memory")
        phases["memory"] = await asyncio.to_thread(memory, b)
    with contextlib.suppress(Exception):
        report["backlog_at_end"] = b.backlog()
    return report
