"""An asyncio load generator on aiohttp.

Why aiohttp and not Locust or httpx: on a 2-core machine the client takes CPU
from the server it measures. aiohttp's C-accelerated HTTP parser costs a
fraction of httpx's per request, and a single event loop with a fixed number
of workers gives exactly the "fixed concurrency" the phases ask for; Locust
adds gevent, a master process and its own stats on top. The harness reports
its own CPU use per phase so the reader can see what the client cost.

Closed loop: `concurrency` workers each send one request, wait for the answer,
send the next. Open loop: requests start on a fixed schedule (a rate), however
slowly the server answers (bounded in-flight, late starts counted).
Samples whose request started in the warm-up are excluded; the steady window
is what the figures describe.
"""

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp

Request = Callable[[aiohttp.ClientSession, int, int], Awaitable[int]]


@dataclass
class Sample:
    start: float  # seconds since the bench clock's zero
    latency: float  # seconds
    status: int  # HTTP status, or 0 for a client-side error


@dataclass
class Run:
    name: str
    concurrency: int
    t_start: float
    warmup: float
    duration: float
    samples: list[Sample] = field(default_factory=list)
    client_cpu: float = 0.0  # cores used by the harness process during the run
    notes: list[str] = field(default_factory=list)

    def steady(self) -> list[Sample]:
        lo, hi = self.t_start + self.warmup, self.t_start + self.warmup + self.duration
        return [s for s in self.samples if lo <= s.start and s.start + s.latency <= hi]

    def summary(self) -> dict:
        steady = self.steady()
        ok = [s for s in steady if 200 <= s.status < 300]
        errors = {}
        for s in steady:
            if not 200 <= s.status < 300:
                errors[str(s.status)] = errors.get(str(s.status), 0) + 1
        lat = sorted(s.latency for s in ok)
        return {
            "concurrency": self.concurrency,
            "steady_seconds": self.duration,
            "requests": len(steady),
            "ok": len(ok),
            "errors": errors,
            "rps": round(len(ok) / self.duration, 1) if self.duration else 0.0,
            **latency_summary(lat),
            "client_cpu_cores": round(self.client_cpu, 3),
        }


def percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    k = max(0, min(len(sorted_values) - 1, math.ceil(q / 100 * len(sorted_values)) - 1))
    return sorted_values[k]


def latency_summary(sorted_seconds: list[float]) -> dict:
    def ms(value):
        return None if value is None else round(value * 1000, 2)

    return {
        "p50_ms": ms(percentile(sorted_seconds, 50)),
        "p90_ms": ms(percentile(sorted_seconds, 90)),
        "p99_ms": ms(percentile(sorted_seconds, 99)),
        "max_ms": ms(sorted_seconds[-1] if sorted_seconds else None),
    }


class Clock:
    """One time origin for the whole run, so phases line up on the throughput plot."""

    def __init__(self) -> None:
        self.zero = time.perf_counter()

    def now(self) -> float:
        return time.perf_counter() - self.zero


async def timed(
    clock: Clock, samples: list[Sample], request: Request, session, worker: int, i: int
) -> int:
    start = clock.now()
    try:
        status = await request(session, worker, i)
    except (TimeoutError, aiohttp.ClientError, OSError):
        status = 0
    samples.append(Sample(start, clock.now() - start, status))
    return status


async def closed_loop(
    session: aiohttp.ClientSession,
    clock: Clock,
    request: Request,
    *,
    name: str,
    concurrency: int,
    warmup: float,
    duration: float,
) -> Run:
    run = Run(name, concurrency, clock.now(), warmup, duration)
    end = run.t_start + warmup + duration
    cpu0 = time.process_time()

    async def worker(index: int) -> None:
        i = 0
        while clock.now() < end:
            await timed(clock, run.samples, request, session, index, i)
            i += 1

    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    run.client_cpu = (time.process_time() - cpu0) / max(1e-9, clock.now() - run.t_start)
    return run


async def open_loop(
    session: aiohttp.ClientSession,
    clock: Clock,
    request: Request,
    *,
    name: str,
    rate: float,
    warmup: float,
    duration: float,
    max_in_flight: int = 256,
) -> Run:
    """Start requests at `rate` per second; never more than `max_in_flight` at once."""
    run = Run(name, max_in_flight, clock.now(), warmup, duration)
    total = int(rate * (warmup + duration))
    gate = asyncio.Semaphore(max_in_flight)
    cpu0 = time.process_time()
    late = 0
    tasks = []

    async def one(i: int) -> None:
        try:
            await timed(clock, run.samples, request, session, i, i)
        finally:
            gate.release()

    for i in range(total):
        due = run.t_start + i / rate
        delay = due - clock.now()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -0.05:
            late += 1
        await gate.acquire()
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    run.client_cpu = (time.process_time() - cpu0) / max(1e-9, clock.now() - run.t_start)
    if late:
        run.notes.append(f"{late} of {total} requests started over 50 ms late (client or server)")
    return run
