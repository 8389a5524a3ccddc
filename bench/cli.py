"""`python -m bench --scale tiny|small|seed`: from an empty database to a report."""

import argparse
import asyncio
import dataclasses
import datetime as dt
import os
import random
import resource
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench.broker import DEFAULT_BROKER_URL
from bench.scales import SCALES

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/warble_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/8"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="dropped and re-created for every run (default: %(default)s)",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL),
        help="its database is FLUSHDB'd at the start (never FLUSHALL) (default: %(default)s)",
    )
    parser.add_argument(
        "--broker-url",
        default=os.environ.get("BENCH_BROKER_URL", DEFAULT_BROKER_URL),
        help="RabbitMQ virtual host of the stack's Celery: created with rabbitmqctl if missing, "
        "its queues purged at the start; nothing else may consume from it "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "var" / "bench",
        help="folder of the report and the stack's logs (default: %(default)s)",
    )
    parser.add_argument(
        "--seed-minutes",
        type=float,
        help="bound on phase 5 (the seed workload: posting and drain), default per scale",
    )
    parser.add_argument("--tag", default="", help="suffix of the report's file names")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the graph")
    add_stack_env(parser)
    parser.add_argument("--fanout-workers", type=int, default=2, help="fanout worker processes")
    parser.add_argument("--web-workers", type=int, default=2, help="WSGI server processes")
    parser.add_argument("--web-threads", type=int, default=4, help="threads per WSGI process")
    return parser.parse_args(argv)


def _check_local(url: str) -> None:
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"the benchmark only talks to this machine, not {host}")


def _raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < min(hard, 65536):  # 1,000 sockets on each side; children inherit the limit
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))


def main(argv=None) -> int:
    args = parse_args(argv)
    scale = SCALES[args.scale]
    if args.seed_minutes:
        scale = dataclasses.replace(scale, seed_deadline=args.seed_minutes * 60)
    for url in (args.database_url, args.redis_url, args.broker_url):
        _check_local(url)
    _raise_fd_limit()
    started = time.perf_counter()
    # SIGTERM behaves like Ctrl-C: the finally below stops the stack.
    signal.signal(signal.SIGTERM, _interrupt)

    from bench.stack import stack_env

    env = stack_env(
        database_url=args.database_url,
        redis_url=args.redis_url,
        broker_url=args.broker_url,
        channels_prefix="warble-bench",
    )
    overrides = stack_env_overrides(args.stack_env)
    env.update(overrides)
    os.environ.update(env)  # this process mints tokens and reads Celery with the same settings
    os.environ.pop("DJANGO_ENV", None)
    import django

    django.setup()

    import redis

    from bench import broker, dataset, phases, report
    from bench.loadgen import Clock
    from bench.stack import Stack

    date = dt.datetime.now(dt.UTC)
    meta = {
        "scale": scale.name,
        "date": date.strftime("%Y-%m-%d %H:%M UTC"),
        "command": shlex.join(["python", "-m", "bench", *(sys.argv[1:] if argv is None else argv)]),
        "cpus": os.cpu_count(),
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
        "python": sys.version.split()[0],
        "commit": _git_commit(),
        "database": args.database_url.rsplit("/", 1)[-1],
        "redis_db": args.redis_url.rsplit("/", 1)[-1],
        "broker_vhost": broker.vhost_of(args.broker_url),
        "stack_env_overrides": overrides,
        "scale_config": {k: v for k, v in vars(scale).items() if k != "notes"},
        "notes": [],
    }
    print(f"warble bench: scale {scale.name}, load average {meta['loadavg_start']}")

    rng = random.Random(args.seed)
    print(
        f"fresh database {meta['database']}; FLUSHDB on Redis db {meta['redis_db']}; "
        f"purging the queues of RabbitMQ virtual host {meta['broker_vhost']!r}"
    )
    dataset.fresh_database(args.database_url)
    client = redis.Redis.from_url(args.redis_url)
    client.flushdb()
    client.close()
    meta["broker"] = vhost = broker.prepare(args.broker_url)
    if vhost["created"]:
        print(vhost["created"])
    t = time.perf_counter()
    dataset.migrate({**os.environ, **env})
    print(f"migrated in {time.perf_counter() - t:.1f}s; building the graph")
    t = time.perf_counter()
    graph = dataset.build_graph(scale, rng)
    dataset.load(args.database_url, graph, dataset.one_password_hash())
    load_seconds = round(time.perf_counter() - t, 2)
    tokens = dataset.mint_tokens(
        [*graph.seed_users, *graph.fillers, *graph.readers.values(), *graph.authors.values()]
    )
    data = {
        **graph.counts,
        "seed_users": len(graph.seed_users),
        "load_seconds": load_seconds,
        "posts_in_workload": sum(graph.posts_per_user.values()),
    }
    print(f"loaded {data} in {load_seconds}s")

    log_dir = args.out.resolve() / f"{date:%Y%m%d-%H%M%S}-{scale.name}"
    stack = Stack(
        env=env,
        log_dir=log_dir,
        fanout_concurrency=args.fanout_workers,
        web_workers=args.web_workers,
        web_threads=args.web_threads,
    )
    meta["server"] = stack.server
    meta["stack"] = {
        "web": f"{stack.server}, {args.web_workers} workers x {args.web_threads} threads",
        "ws": "daphne",
        "worker-fanout": f"celery -Q fanout, prefork -c {args.fanout_workers}",
        "worker-default": "celery -Q default,media, prefork -c 2",
        "beat": "celery beat (outbox sweeper)",
    }
    body = {"meta": meta, "dataset": data}
    bench = None
    try:
        print("starting the stack: web, web-sql, ws, worker-fanout, worker-default, beat")
        t = time.perf_counter()
        stack.start()
        meta["stack_start_seconds"] = round(time.perf_counter() - t, 2)
        print(f"stack up in {meta['stack_start_seconds']}s on {stack.base_url}")
        clock = Clock()
        clock.zero = stack.monitor.t0
        bench = phases.Bench(
            scale=scale,
            stack=stack,
            graph=graph,
            tokens=tokens,
            database_url=args.database_url,
            redis_url=args.redis_url,
            broker_url=args.broker_url,
            rng=rng,
            clock=clock,
            report=body,
        )
        asyncio.run(phases.run_all(bench))
    except KeyboardInterrupt:
        print("interrupted: stopping the stack", file=sys.stderr)
        meta["notes"].append("interrupted before the end")
        return_code = 130
    except Exception as exc:
        print(f"bench failed: {exc!r}\n{stack.logs_tail()}", file=sys.stderr)
        meta["notes"].append(f"failed: {exc!r}")
        return_code = 1
    else:
        return_code = 0
    finally:
        stack.stop()
    meta["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    meta["total_seconds"] = round(time.perf_counter() - started, 1)
    meta["logs"] = str(log_dir.relative_to(ROOT) if log_dir.is_relative_to(ROOT) else log_dir)
    meta["notes"].append(
        "Load generator: one asyncio process on aiohttp, on the same 2 cores as the stack; "
        "'harness CPU' is its share of a core during each measured window."
    )
    path = report.write(
        body,
        bench.runs if bench else [],
        stack.monitor.samples,
        args.out,
        f"{date:%Y-%m-%d}-{scale.name}" + (f"-{args.tag}" if args.tag else ""),
    )
    print(f"report: {path} (+ .md, plots); logs in {meta['logs']}")
    _print_targets(body)
    return return_code


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _print_targets(body: dict) -> None:
    for row in body.get("targets", []):
        print(
            f"  {row['status']:>10}  {row['target']}: {row['value']} {row['unit']} "
            f"(target {row['op']} {row['limit']})"
        )


def _git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


def add_stack_env(parser: argparse.ArgumentParser) -> None:
    """`--stack-env NAME=VALUE` (repeatable); `stack_env_overrides` reads it."""
    parser.add_argument(
        "--stack-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for the stack (repeatable), e.g. EVENTS_DISPATCH_WINDOW_MS=50",
    )


def stack_env_overrides(items: list[str]) -> dict[str, str]:
    return dict(item.split("=", 1) for item in items)
