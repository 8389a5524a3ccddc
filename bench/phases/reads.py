"""Phases 1 and 2: the baseline and the feed reads."""

import asyncio
import time

from bench import loadgen
from bench.phases.common import FEED, Bench, ratio
from bench.urls import HELLO

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
    out = {"status": "ok", "endpoint": "GET /api/v1/ping", **b.keep(run)}

    async def hello(session, worker, i):
        async with session.get(b.url(HELLO)) as r:
            await r.read()
            return r.status

    print(f"phase 1/7 baseline: GET {HELLO} (unauthenticated DRF view, same server)")
    run = await loadgen.closed_loop(
        b.session,
        b.clock,
        hello,
        name="hello",
        concurrency=b.scale.concurrency,
        warmup=b.scale.warmup,
        duration=b.scale.steady,
    )
    out["hello"] = {"endpoint": f"GET {HELLO}", **b.keep(run)}
    out["ping_vs_hello"] = ratio(out.get("rps"), out["hello"].get("rps"))
    return out


# --- phase 2: feed reads -----------------------------------------------------


async def prime_feeds(b: Bench) -> dict:
    """Read every seed user's feed once, and the readers': the people who post are
    active users with a timeline, which is whom a fan-out on write serves (it
    may skip users who never read). `primed` is the sample the later phases poll."""
    following = b.graph.following()
    b.following = following
    candidates = [u for u in b.graph.seed_users if following.get(u)]
    b.primed = b.rng.sample(candidates, min(b.scale.primed_followers, len(candidates)))
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
    primed = await prime_feeds(b)
    if set(primed["statuses"]) != {"200"}:
        print(f"phase 2/7 feed: first reads answered {primed['statuses']}")
        return {"status": f"error: first feed reads answered {primed['statuses']}"}
    out: dict = {
        "status": "ok",
        "endpoint": f"GET {FEED}?limit=20",
        "first_reads": primed,
    }
    return out | await _reader_runs(b, base, base_url=b.stack.base_url, name="feed")


async def feed_reads_sql(b: Bench, base: dict) -> dict:
    """Phase 2b: the same readers against the same server run with FEED_BACKEND=sql
    (`web-sql`, bench/stack.py): the pull feed embedded mode, `?q=`, deep pages and
    readers merging too many author lists get."""
    out: dict = {"status": "ok", "endpoint": f"GET {FEED}?limit=20", "backend": "sql"}
    return out | await _reader_runs(b, base, base_url=b.stack.sql_base_url, name="feed-sql")


async def _reader_runs(b: Bench, base: dict, *, base_url: str, name: str) -> dict:
    out: dict = {"readers": {}}
    url = f"{base_url}{FEED}?limit=20"
    for count, reader in sorted(b.graph.readers.items()):
        first = time.perf_counter()
        async with b.session.get(url, headers=b.headers(reader)) as r:
            await r.read()
            if r.status != 200:
                return {"status": f"error: {name} first read answered {r.status}"}
        first_ms = round((time.perf_counter() - first) * 1000, 1)

        async def read(session, worker, i, reader=reader):
            async with session.get(url, headers=b.headers(reader)) as r:
                await r.read()
                return r.status

        print(f"phase 2/7 {name}: reader following {count:,}")
        run = await loadgen.closed_loop(
            b.session,
            b.clock,
            read,
            name=f"{name}-{count}",
            concurrency=b.scale.concurrency,
            warmup=b.scale.warmup,
            duration=b.scale.steady,
        )
        summary = b.keep(run)
        summary["first_read_ms"] = first_ms
        summary["rps_vs_baseline"] = ratio(summary["rps"], base.get("rps"))
        summary["p99_vs_baseline"] = ratio(summary["p99_ms"], base.get("p99_ms"))
        out["readers"][str(count)] = summary
    lo, hi = str(min(b.graph.readers)), str(max(b.graph.readers))
    out["p99_ratio_most_vs_fewest_followees"] = ratio(
        out["readers"][hi]["p99_ms"], out["readers"][lo]["p99_ms"]
    )
    return out
