"""CPU per request of one API path, in this process, through Django's WSGI handler.

    python -m bench.inprocess --database-url postgres://.../warble_bench GET /api/v1/ping
    python -m bench.inprocess ... --reader 300 POST /api/v1/posts

Against a database the bench loaded (`python -m bench`, which leaves it there):
no server, no load generator, no network between client and server, so the
figure is the request's own CPU in the web process; a line before it gives the
CPU the PostgreSQL backend serving the requests used per request (read from
/proc: the server runs on this machine). Redis' CPU is not counted. Settings
as the bench's stack has them (bench/stack.py: services mode, DEBUG off, no
throttles). `--reader N`: the token is minted for the account whose followee
count is nearest N. Each round calls the path
`--requests` times; the minimum and the median over `--rounds` are printed
(this machine's CPU speed wanders by 20 % or more: compare two versions by
alternating them and taking the minima). `--profile` adds a cProfile table.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/warble_bench"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.inprocess", description=__doc__)
    parser.add_argument("method", choices=["GET", "POST"])
    parser.add_argument("path")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/8")
    parser.add_argument("--reader", type=int, default=300)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="cumulative", help="the profile's order (pstats key)")
    args = parser.parse_args(argv)

    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=args.database_url,
        REDIS_URL=args.redis_url,
        DJANGO_DEBUG="0",
        THROTTLE_ENABLED="0",
        AXES_ENABLED="0",
        LOG_LEVEL="WARNING",
        JWT_ACCESS_MINUTES="1440",
    )
    os.environ.setdefault("SECRET_KEY", "bench-inprocess-" + "k" * 50)
    import django

    django.setup()
    from django.core.wsgi import get_wsgi_application
    from django.db import connection

    from bench.dataset import mint_tokens

    app = get_wsgi_application()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT follower_id, count(*) FROM relationships_follow GROUP BY follower_id"
        )
        reader = min(cursor.fetchall(), key=lambda row: abs(row[1] - args.reader))[0]
    token = mint_tokens([reader])[reader]
    path, _, query = args.path.partition("?")

    def call(n: int) -> None:
        post = {"text": f"in-process post {n}"}
        body = json.dumps(post).encode() if args.method == "POST" else b""
        environ = {
            "REQUEST_METHOD": args.method,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "HTTP_HOST": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": "application/json",
            "HTTP_AUTHORIZATION": f"Bearer {token}",
        }
        status: list[str] = []
        b"".join(app(environ, lambda s, h, *rest: status.append(s)))
        if not status[0].startswith("2"):
            raise SystemExit(f"{args.method} {args.path}: {status[0]}")

    for n in range(50):  # warm: caches, prepared statements, the token memo
        call(n)
    per_request, backend = [], []
    for _ in range(args.rounds):
        pid = backend_pid(connection)
        backend_started = backend_cpu(pid)
        started = time.process_time()
        for n in range(args.requests):
            call(n)
        per_request.append(1000 * (time.process_time() - started) / args.requests)
        if backend_started is not None and backend_pid(connection) == pid:
            # Only a round served by one connection (CONN_MAX_AGE can end one).
            backend.append(1000 * (backend_cpu(pid) - backend_started) / args.requests)
    print(
        "PostgreSQL backend CPU per request "
        + (f"min {_min_median(backend)}" if backend else "unknown (not a local server)")
    )
    print(
        f"{args.method} {args.path} (reader following ~{args.reader}): CPU per request "
        f"min {_min_median(per_request)}"
    )
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for n in range(args.requests):
            call(n)
        profile.disable()
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(args.sort).print_stats(40)
        print(out.getvalue())


def _min_median(values: list[float]) -> str:
    values = sorted(values)
    return f"{values[0]:.3f} ms, median {values[len(values) // 2]:.3f} ms"


def backend_pid(connection) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid: int = cursor.fetchone()[0]
    return pid


def backend_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) the PostgreSQL backend `pid` has used, read from
    /proc (the server runs here: only 127.0.0.1 is accepted); None elsewhere.
    Clock ticks of 10 ms: a round should take a second or more of it."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
