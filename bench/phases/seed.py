"""Phase 5: the whole seed workload and the check that nothing was lost."""

import asyncio
import time

from bench import loadgen
from bench.dataset import expected_timeline
from bench.phases.common import SEED_SECONDS, Bench
from bench.phases.writes import poster

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
                b.clock, samples, poster(b, created, [author]), b.session, 0, len(jobs)
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
    if drained_at is None:
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
