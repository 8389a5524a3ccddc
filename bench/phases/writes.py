"""Phases 3 and 4: the Redis ceiling, posting, fan-out capacity and latency."""

import asyncio
import json
import subprocess

import redis

from bench import loadgen
from bench.phases.common import Bench, ratio

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


def poster(b: Bench, created: list, authors: list[int]):
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
            poster(b, created, seeds),
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
        poster(b, created, seeds),
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
        "status": "ok",
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
    fanout["capacity"] = capacity = await fanout_capacity(b, concurrency, seeds)
    best = max(
        capacity.get("deliveries_per_second") or 0,
        fanout.get("deliveries_per_second_during_posting") or 0,
    )
    fanout["deliveries_per_second"] = best or None
    fanout["deliveries_vs_ceiling"] = ratio(best, ceiling.get("zadd_per_second"))

    # POST latency by the author's follower count: both authors at once, same load.
    lo, hi = min(b.graph.authors), max(b.graph.authors)
    half = max(1, concurrency // 2)
    print(f"phase 3/7 posting: authors with {lo:,} and {hi:,} followers side by side")
    runs = await asyncio.gather(
        *(
            loadgen.closed_loop(
                b.session,
                b.clock,
                poster(b, [], [b.graph.authors[n]]),
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
        "rps_vs_baseline": ratio(measured["rps"], base.get("rps")),
        "p99_vs_baseline": ratio(measured["p99_ms"], base.get("p99_ms")),
        "by_author_followers": by_author,
        "p99_ratio_most_vs_fewest_followers": ratio(
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
            poster(b, created, authors),
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

NOT_SEEN_SECONDS = 30  # a tracked post not in its follower's feed by then counts as missed


async def fanout_latency(b: Bench, posting_report: dict, fanout: dict) -> dict:
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

    async def seen(post_id: int, follower: int) -> bool:
        _, entry_ids, post_ids = await b.feed_ids(follower, limit=20)
        if post_id in entry_ids or post_id in post_ids:
            return True
        if len(entry_ids) < 20 or min(entry_ids) < post_id:
            return False
        # A full first page of newer entries: the post may have arrived and been pushed
        # below it already (a follower of many authors, a delivery slower than 20 posts).
        _, entry_ids, post_ids = await b.feed_ids(follower, limit=b.feed_limit)
        return post_id in entry_ids or post_id in post_ids

    async def track(post_id: int, follower: int, t_created: float) -> None:
        nonlocal missed
        deadline = t_created + NOT_SEEN_SECONDS
        while b.clock.now() < deadline:
            if await seen(post_id, follower):
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
    return fanout | {
        "latency": {
            "status": "ok",
            "posting_rate": round(rate, 1),
            "posting": summary,
            "poll_interval_ms": poll * 1000,
            **post_to_timeline(latencies, missed=missed),
        }
    }


def post_to_timeline(latencies: list[float], *, missed: int) -> dict:
    """Percentiles of the seen posts' latencies, a missed post counting at the deadline.

    The deadline is a lower bound of a missed post's latency: with misses the
    percentiles fail the target instead of leaving it unmeasured or flattering it.
    """
    lat = sorted([*latencies, *[float(NOT_SEEN_SECONDS)] * missed])
    return {
        "sampled": len(latencies),
        "not_seen_within_30s": missed,
        **loadgen.latency_summary(lat),
    }
