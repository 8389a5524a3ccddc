"""Running every phase in order into one report."""

import asyncio
import contextlib

import aiohttp

from bench.phases.common import Bench
from bench.phases.memory import memory
from bench.phases.reads import baseline, feed_reads, feed_reads_sql
from bench.phases.seed import seed_workload
from bench.phases.sockets import websockets_phase
from bench.phases.writes import fanout_latency, posting, redis_ceiling

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
        phases["feed_sql"] = await feed_reads_sql(b, base)
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
    if b._backlog is not None:
        b._backlog.close()
    return report
