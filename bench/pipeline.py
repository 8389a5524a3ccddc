"""CPU per request across the whole stack, by process.

    python -m bench.pipeline --database-url postgres://.../warble_bench

`bench.inprocess` measures the web request alone; a write also costs the workers
that dispatch and handle its events, PostgreSQL, Redis and RabbitMQ, on the same
cores. This starts the bench's stack (bench/stack.py) on a database the bench
loaded (`python -m bench`, which leaves it there), sends each path's requests
one at a time (or `--concurrency` at a time: the cost per request at load,
where the dispatcher's window batches events), waits for the workers to settle,
and divides the CPU time each process group used (from /proc) by the number of
requests, after subtracting what the group uses idle. Each line: the path, its
wall time per request, and CPU ms per request by group (web, worker-fanout,
worker-default, beat, ws, postgres, redis, rabbitmq, client: this process).
"""

import argparse
import json
import os
import time
import urllib.request
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.broker import DEFAULT_BROKER_URL
from bench.cli import DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, add_stack_env, stack_env_overrides

SERVICES = {"postgres": "postgres", "redis-server": "redis", "beam.smp": "rabbitmq"}
PATHS = ["GET /api/v1/ping", "POST /api/v1/posts", "GET /api/v1/feed"]


def cpu_by_group(groups: dict[int, str]) -> dict[str, float]:
    """CPU seconds used so far by each group: processes in a stack process group
    (`groups`: process group id -> name), the services by command, this process."""
    ticks = os.sysconf("SC_CLK_TCK")
    used: dict[str, float] = defaultdict(float)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/comm") as f:
                command = f.read().strip()
        except OSError:  # gone meanwhile
            continue
        # utime, stime, and cutime, cstime: exited children the process waited for
        # (a PostgreSQL backend that served one connection, a replaced pool worker).
        pgid, cpu = int(fields[2]), sum(int(t) for t in fields[11:15]) / ticks
        if int(entry) == os.getpid():
            used["client"] += cpu
        elif pgid in groups:
            used[groups[pgid]] += cpu
        elif command in SERVICES:
            used[SERVICES[command]] += cpu
    return dict(used)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pipeline", description=__doc__)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--broker-url", default=DEFAULT_BROKER_URL)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--followers", type=int, default=50, help="posting authors' most")
    parser.add_argument(
        "--settle", type=float, default=60, help="the most seconds to wait for the workers"
    )
    parser.add_argument(
        "--concurrency", type=int, default=1, help="requests in flight (1: one at a time)"
    )
    add_stack_env(parser)
    parser.add_argument("--warmup", type=float, default=15, help="seconds before idle is measured")
    parser.add_argument("paths", nargs="*", default=PATHS, help='e.g. "POST /api/v1/posts"')
    args = parser.parse_args(argv)

    from bench.stack import stack_env

    env = stack_env(
        database_url=args.database_url,
        redis_url=args.redis_url,
        broker_url=args.broker_url,
        channels_prefix="warble-bench",
    ) | stack_env_overrides(args.stack_env)
    os.environ.update(env)  # this process mints the tokens with the stack's key
    os.environ.pop("DJANGO_ENV", None)
    import django

    django.setup()
    from django.conf import settings

    from accounts.models import User
    from bench.dataset import mint_tokens
    from bench.stack import Stack

    # Authors whose posts fan out, with about as many followers as the seed
    # workload's posters (--followers).
    users = list(
        User.objects.filter(
            followers_count__gt=0,
            followers_count__lte=min(args.followers, settings.FEED_FANOUT_MAX_FOLLOWERS),
        )
        .order_by("-followers_count", "id")
        .values_list("id", flat=True)[:50]
    )
    if not users:
        raise SystemExit("no users with followers: load the database with `python -m bench`")
    tokens = mint_tokens(users)
    stack = Stack(env=env, log_dir=Path("var/bench/pipeline"))
    stack.start()
    try:
        groups = {proc.pid: name for name, proc in stack.procs.items()}
        # The workers are still warming up (imports, connections, the first beat
        # ticks) for a few seconds after they answer: idle is measured after that.
        time.sleep(args.warmup)
        idle_from, idle_at = cpu_by_group(groups), time.perf_counter()
        time.sleep(5)
        idle = _rates(idle_from, cpu_by_group(groups), time.perf_counter() - idle_at)
        for spec in args.paths:
            method, path = spec.split()
            before, started = cpu_by_group(groups), time.perf_counter()
            with ThreadPoolExecutor(args.concurrency) as pool:
                calls = [
                    pool.submit(
                        _call, stack.base_url + path, method, tokens[users[n % len(users)]], n
                    )
                    for n in range(args.requests)
                ]
                for call in calls:
                    call.result()
            wall = (time.perf_counter() - started) / args.requests
            _settle(groups, idle, deadline=time.perf_counter() + args.settle)
            elapsed = time.perf_counter() - started
            spent = _rates(before, cpu_by_group(groups), 1)
            per_request = {
                group: round(
                    1000 * (spent[group] - idle.get(group, 0) * elapsed) / args.requests, 2
                )
                for group in spent
            }
            shown = {g: ms for g, ms in sorted(per_request.items(), key=lambda kv: -kv[1]) if ms}
            print(
                f"{spec}: wall {1000 * wall:.2f} ms per request; CPU ms per request "
                f"{json.dumps(shown)}, total {sum(shown.values()):.2f}",
                flush=True,
            )
    finally:
        stack.stop()


def _settle(groups: dict[int, str], idle: dict[str, float], *, deadline: float) -> None:
    """Until the workers and services are back to idle (within 20 ms of CPU a second):
    the work a request queued is part of its cost."""
    while time.perf_counter() < deadline:
        before = cpu_by_group(groups)
        time.sleep(1)
        rates = _rates(before, cpu_by_group(groups), 1)
        if all(rate - idle.get(g, 0) < 0.02 for g, rate in rates.items() if g != "client"):
            return


def _rates(before: dict[str, float], after: dict[str, float], seconds: float) -> dict[str, float]:
    return {g: (after[g] - before.get(g, 0)) / seconds for g in after}


def _call(url: str, method: str, token: str, n: int) -> None:
    body = json.dumps({"text": f"pipeline post {n} #{n % 997}"}).encode()
    request = urllib.request.Request(  # noqa: S310 - the stack's own http:// URL
        url,
        data=body if method == "POST" else None,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our stack
        response.read()


if __name__ == "__main__":
    main()
