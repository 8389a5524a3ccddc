"""The production-like stack, as subprocesses of the harness.

WSGI server (granian, as docs/servers.md chose; gunicorn gthread if granian is
not installed), daphne for /ws/, one Celery worker for the "fanout" queue and
one for "default,media", Celery beat (the outbox sweeper), all on the bench's
RabbitMQ virtual host. Each runs in its own process group, so stopping it
reaches its children; `Stack.stop()` runs from a `finally`, from atexit and on
SIGTERM, so nothing outlives the harness.
"""

import atexit
import contextlib
import importlib.util
import os
import secrets
import signal
import socket
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from bench.broker import QUEUES, Broker, holding, node_name
from tests.integration.procs import Proc, free_port, wait_until

ROOT = Path(__file__).resolve().parents[1]
PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")
WORKERS = {"worker-fanout": "bench-fanout", "worker-default": "bench-default"}


def stack_env(
    *, database_url: str, redis_url: str, broker_url: str, channels_prefix: str
) -> dict[str, str]:
    """Services mode, DEBUG off, no throttles or lock-outs: the limits are the stack's own."""
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": broker_url,
        "DJANGO_SETTINGS_MODULE": "bench.settings",  # + the hello route (bench/urls.py)
        # A fresh key per run, shared with the bench process that mints tokens: no
        # server starts with the public development key (config/secret_key.py).
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_DEBUG": "0",
        "THROTTLE_ENABLED": "0",
        "AXES_ENABLED": "0",
        "LOG_LEVEL": "WARNING",
        "JWT_ACCESS_MINUTES": str(24 * 60),  # the seed run outlives the default 15 minutes
        "CHANNELS_PREFIX": channels_prefix,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "PYTHONUNBUFFERED": "1",
    }
    return env


def web_server() -> str:
    return "granian" if importlib.util.find_spec("granian") else "gunicorn"


class Stack:
    def __init__(
        self,
        *,
        env: dict[str, str],
        log_dir: Path,
        fanout_concurrency: int = 2,
        web_workers: int = 2,
        web_threads: int = 4,
    ) -> None:
        self.env = {k: v for k, v in os.environ.items() if k != "DJANGO_ENV"} | env
        self.log_dir = log_dir
        self.web_port = free_port()
        self.sql_web_port = free_port()  # the same web server with FEED_BACKEND=sql
        self.ws_port = free_port()
        self.server = web_server()
        self.fanout_concurrency = fanout_concurrency
        self.web_workers, self.web_threads = web_workers, web_threads
        self.procs: dict[str, Proc] = {}
        self._tmp = tempfile.mkdtemp(prefix="warble-bench-")
        self.monitor = Monitor(self)
        atexit.register(self.stop)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def sql_base_url(self) -> str:
        return f"http://127.0.0.1:{self.sql_web_port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.ws_port}/ws/"

    @property
    def worker_names(self) -> list[str]:
        """The Celery node names of the stack's workers (bench-fanout@host, ...)."""
        return [node_name(name) for name in WORKERS.values()]

    def _web_argv(self, port: int) -> list[str]:
        bin_dir = Path(sys.executable).parent
        if self.server == "granian":
            return [
                str(bin_dir / "granian"),
                "--interface",
                "wsgi",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(self.web_workers),
                "--blocking-threads",
                str(self.web_threads),
                "--no-ws",
                "config.wsgi:application",
            ]
        return [
            str(bin_dir / "gunicorn"),
            "config.wsgi:application",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(self.web_workers),
            "-k",
            "gthread",
            "--threads",
            str(self.web_threads),
            # gunicorn 23+ opens a control socket at one path per user: a second
            # server (web-sql, or anyone else's) would fail to start beside it.
            "--no-control-socket",
        ]

    def _argv(self) -> dict[str, list[str]]:
        py = sys.executable
        bin_dir = Path(py).parent
        worker = [
            py,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-P",
            "prefork",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=WARNING",
            "--include",
            "bench.probe",  # the remote-control command the drain and the monitor ask
        ]
        return {
            "web": self._web_argv(self.web_port),
            # Idle except during the SQL feed phase; its own process group, so its
            # CPU and RSS are counted apart from "web".
            "web-sql": self._web_argv(self.sql_web_port),
            "ws": [
                str(bin_dir / "daphne"),
                "-b",
                "127.0.0.1",
                "-p",
                str(self.ws_port),
                "config.asgi:application",
            ],
            "worker-fanout": [
                *worker,
                "-Q",
                "fanout",
                "-c",
                str(self.fanout_concurrency),
                "-n",
                node_name(WORKERS["worker-fanout"]),
            ],
            "worker-default": [
                *worker,
                "-Q",
                "default,media",
                "-c",
                "2",
                "-n",
                node_name(WORKERS["worker-default"]),
            ],
            "beat": [
                py,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "--loglevel=INFO",
                "-s",
                f"{self._tmp}/celerybeat-schedule",
            ],
        }

    def start(self, *, timeout: float = 60) -> None:
        for name, argv in self._argv().items():  # all at once: their Django boots overlap
            env = self.env | {"FEED_BACKEND": "sql"} if name == "web-sql" else self.env
            self.procs[name] = Proc(name, argv, env=env, cwd=ROOT).start()
        deadline = time.monotonic() + timeout
        for name, ready in (
            ("web", lambda: _http_ok(f"{self.base_url}/healthz")),
            ("web-sql", lambda: _http_ok(f"{self.sql_base_url}/healthz")),
            ("ws", lambda: _tcp_open(self.ws_port)),
            ("beat", lambda: "beat: Starting" in self.procs["beat"].log()),
            ("worker-fanout", lambda: self._worker_answers(WORKERS["worker-fanout"])),
            ("worker-default", lambda: self._worker_answers(WORKERS["worker-default"])),
        ):
            proc = self.procs[name]

            def check(proc=proc, ready=ready):
                if not proc.running():
                    raise RuntimeError(f"{proc.name} exited early:\n{proc.log()[-3000:]}")
                return ready()

            wait_until(check, timeout=max(1, deadline - time.monotonic()), interval=0.2, what=name)
        self.monitor.start()

    def _worker_answers(self, name: str) -> bool:
        """Up, and answering bench/probe.py's command (which the drain relies on)."""
        from config.celery import app

        return node_name(name) in holding(app, [node_name(name)], timeout=0.5)

    def pids(self) -> dict[str, int]:
        return {name: proc.pid for name, proc in self.procs.items() if proc.process}

    def pause(self, name: str) -> None:
        os.killpg(self.procs[name].pid, signal.SIGSTOP)

    def resume(self, name: str) -> None:
        os.killpg(self.procs[name].pid, signal.SIGCONT)

    def stop(self) -> None:
        self.monitor.stop()
        for proc in self.procs.values():  # SIGTERM all first: graceful shutdowns overlap
            if proc.running():
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGCONT)  # a paused group cannot stop
                    os.killpg(proc.pid, signal.SIGTERM)
        for name, proc in list(self.procs.items()):
            proc.stop(timeout=10)
            self.log_dir.mkdir(parents=True, exist_ok=True)
            (self.log_dir / f"{name}.log").write_text(proc.log()[-200_000:])
            proc.close()
        self.procs.clear()

    def logs_tail(self, chars: int = 2000) -> str:
        return "\n".join(f"--- {n} ---\n{p.log()[-chars:]}" for n, p in self.procs.items())


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - 127.0.0.1 only
            return response.status == 200
    except OSError:
        return False


def _tcp_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _group_stats(pgids: dict[int, str]) -> dict[str, dict[str, float]]:
    """RSS (bytes) and CPU seconds of every process, summed per process group."""
    out = {role: {"rss": 0, "rss_max_proc": 0, "cpu": 0.0, "procs": 0} for role in pgids.values()}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        role = pgids.get(int(fields[2]))  # fields[2] is the process group (5th field of stat)
        if role is None:
            continue
        rss = int(fields[21]) * PAGE
        stats = out[role]
        stats["rss"] += rss
        stats["rss_max_proc"] = max(stats["rss_max_proc"], rss)
        stats["cpu"] += (int(fields[11]) + int(fields[12])) / TICK
        stats["procs"] += 1
    return out


class Monitor:
    """Samples, every half second, what the report plots over time: per process
    group RSS and CPU, the harness's own CPU, the messages ready in each RabbitMQ
    queue and the tasks the workers hold, Redis ZADD calls and memory. Peaks are
    kept for phase 7.

    Cheap on purpose: a passive queue declare per queue on a connection kept
    open, and one remote-control round trip to the workers (a paused worker
    makes it wait `ask_timeout` and "held" None). The drain (bench/backlog.py)
    reads more, and twice, to be exact; the monitor only draws.
    """

    interval = 0.5
    ask_timeout = 0.25

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.samples: list[dict] = []
        self.peak: dict[str, dict[str, int]] = {}
        self.t0 = time.perf_counter()  # the bench clock (loadgen.Clock) shares this zero
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        import redis

        self._redis = redis.Redis.from_url(self.stack.env["REDIS_URL"], socket_timeout=5)
        self._broker = Broker(self.stack.env["CELERY_BROKER_URL"])
        self._thread = threading.Thread(target=self._run, name="bench-monitor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
            self._broker.close()

    def sample(self) -> dict:
        pgids = {pid: name for name, pid in self.stack.pids().items()}
        groups = _group_stats(pgids)
        own = os.times()
        row = {
            "t": time.perf_counter() - self.t0,
            "groups": groups,
            "client_cpu": own.user + own.system,
            "load1": os.getloadavg()[0],
        }
        try:
            row["ready"] = self._broker.ready()
        except Exception as exc:
            row["ready"] = dict.fromkeys(QUEUES)
            row["error"] = f"broker: {exc}"
        try:
            from config.celery import app

            names = self.stack.worker_names
            answers = holding(app, names, timeout=self.ask_timeout)
            row["held"] = (
                sum(h for h, _ in answers.values()) if len(answers) == len(names) else None
            )
        except Exception as exc:
            row["held"] = None
            row["error"] = f"workers: {exc}"
        try:
            pipe = self._redis.pipeline(transaction=False)
            pipe.info("commandstats")
            pipe.info("memory")
            commands, memory = pipe.execute()
            row["zadd_calls"] = commands.get("cmdstat_zadd", {}).get("calls", 0)
            row["redis_used_memory"] = memory.get("used_memory", 0)
        except Exception as exc:
            row["error"] = f"redis: {exc}"
        for role, stats in groups.items():
            peak = self.peak.setdefault(role, {"rss": 0, "rss_max_proc": 0})
            peak["rss"] = max(peak["rss"], stats["rss"])
            peak["rss_max_proc"] = max(peak["rss_max_proc"], stats["rss_max_proc"])
        return row

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(self.sample())
            self._stop.wait(self.interval)

    def cpu_between(self, t_start: float, t_end: float) -> dict[str, float]:
        """CPU seconds used per group (and by the harness) between two monitor times."""
        rows = [r for r in self.samples if t_start <= r["t"] <= t_end]
        if len(rows) < 2:
            return {}
        first, last = rows[0], rows[-1]
        span = last["t"] - first["t"] or 1.0
        out = {
            role: round((last["groups"][role]["cpu"] - first["groups"][role]["cpu"]) / span, 3)
            for role in last["groups"]
            if role in first["groups"]
        }
        out["harness"] = round((last["client_cpu"] - first["client_cpu"]) / span, 3)
        return out  # cores busy on average (1.0 = one core)
