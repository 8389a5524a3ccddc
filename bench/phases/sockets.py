"""Phase 6: idle WebSockets and the like-to-frame latency."""

import asyncio
import json
import time

import aiohttp

from bench import loadgen
from bench.phases.common import FEED, Bench, ratio

# --- phase 6: WebSockets ------------------------------------------------------


async def websockets_phase(b: Bench) -> dict:
    scale = b.scale
    out: dict = {"status": "ok", "sockets_wanted": scale.sockets}
    path = f"{FEED}?limit=20"
    reader = b.graph.readers[sorted(b.graph.readers)[len(b.graph.readers) // 2]]

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
        out["rps_with_vs_without"] = ratio(
            out["reads_with_sockets"]["rps"], out["reads_without_sockets"]["rps"]
        )
        out["like_to_frame"] = await like_to_frame(b, sockets, inbox)
    finally:
        for task in readers:
            task.cancel()
        await asyncio.gather(*(ws.close() for ws in sockets.values()), return_exceptions=True)
    return out


async def like_to_frame(b: Bench, sockets: dict, inbox: dict) -> dict:
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
