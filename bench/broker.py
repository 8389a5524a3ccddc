"""The bench's RabbitMQ virtual host: made ready for a run, and read while it runs.

Read over AMQP itself, without the management plugin: a passive queue declare
answers how many messages are ready in a queue and how many consumers it has.
What RabbitMQ has handed to a worker and not yet seen acknowledged, the workers
tell themselves (`holding`, bench/probe.py). tests/integration/celery_workers.py
reads the test's virtual host the same way.
"""

import contextlib
import shutil
import socket
import subprocess
import threading
from urllib.parse import unquote, urlsplit

from amqp.exceptions import NotAllowed, NotFound
from kombu import Connection

QUEUES = ("default", "fanout", "media")  # config/settings/tasks.py CELERY_TASK_QUEUES
DEFAULT_BROKER_URL = "amqp://guest:guest@127.0.0.1:5672/warble_bench"


def node_name(name: str) -> str:
    """The Celery node name a bench worker runs as (`-n`), e.g. bench-fanout@host."""
    return f"{name}@{socket.gethostname()}"


def vhost_of(url: str) -> str:
    path = urlsplit(url).path
    return unquote(path[1:]) if len(path) > 1 else "/"


class Broker:
    """Ready messages and consumers per queue over one AMQP connection, kept open.

    One per thread of use (the monitor has its own); a lock guards it anyway.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._conn: Connection | None = None
        self._channel = None
        self._lock = threading.Lock()

    def _chan(self):
        if self._conn is None:
            self._conn = Connection(self.url, connect_timeout=5)
            self._conn.connect()
        if self._channel is None:
            self._channel = self._conn.channel()
        return self._channel

    def queues(self) -> dict[str, tuple[int, int]]:
        """(messages ready, consumers) per queue; a queue not declared yet is (0, 0)."""
        with self._lock:
            found = {}
            try:
                for name in QUEUES:
                    try:
                        _, ready, consumers = self._chan().queue_declare(name, passive=True)
                    except NotFound:  # RabbitMQ closed the channel
                        self._channel = None
                        ready, consumers = 0, 0
                    found[name] = (ready, consumers)
            except Exception:
                self._reset()  # the next call reconnects
                raise
            return found

    def ready(self) -> dict[str, int]:
        return {name: ready for name, (ready, _) in self.queues().items()}

    def consumers(self) -> dict[str, int]:
        return {name: consumers for name, (_, consumers) in self.queues().items()}

    def purge(self) -> dict[str, int]:
        """Declare the queues as the app does and drop every message waiting in them.

        Messages a consumer holds unacknowledged are not purged: call it with no
        worker connected (`prepare` checks).
        """
        from config.celery import app

        with self._lock, Connection(self.url, connect_timeout=5) as conn:
            channel = conn.channel()
            dropped = {}
            for name in QUEUES:
                queue = app.amqp.queues[name](channel)
                queue.declare()
                dropped[name] = queue.purge() or 0
            channel.close()
            return dropped

    def _reset(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):  # a broken connection is dropped either way
                self._conn.release()
        self._conn = self._channel = None

    def close(self) -> None:
        with self._lock:
            self._reset()


def ensure_vhost(url: str) -> str | None:
    """Create the URL's virtual host with rabbitmqctl if RabbitMQ says it does not exist.

    Returns what was done (None if nothing was needed); raises SystemExit with
    the commands to run when it cannot create it itself.
    """
    try:
        with Connection(url, connect_timeout=5) as conn:
            conn.connect()
        return None
    except NotAllowed as exc:  # 530 NOT_ALLOWED - vhost ... not found
        if "not found" not in str(exc):
            raise
    vhost = vhost_of(url)
    user = unquote(urlsplit(url).username or "guest")
    commands = [
        ["rabbitmqctl", "add_vhost", vhost],
        ["rabbitmqctl", "set_permissions", "-p", vhost, user, ".*", ".*", ".*"],
    ]
    manual = "; ".join(" ".join(c) for c in commands)
    if shutil.which("rabbitmqctl") is None:
        raise SystemExit(f"RabbitMQ has no virtual host {vhost!r}: run {manual}")
    for command in commands:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            raise SystemExit(
                f"RabbitMQ has no virtual host {vhost!r} and `{' '.join(command)}` failed "
                f"({done.stderr.strip() or done.stdout.strip()}): run {manual}"
            )
    return f"created RabbitMQ virtual host {vhost!r} ({manual})"


def prepare(url: str) -> dict:
    """Make the bench's virtual host ready for a run: it exists, nothing consumes
    from it (another stack would take the bench's tasks and hide them from the
    drain), and its queues are empty."""
    created = ensure_vhost(url)
    broker = Broker(url)
    try:
        busy = {name: n for name, n in broker.consumers().items() if n}
        if busy:
            raise SystemExit(
                f"RabbitMQ virtual host {vhost_of(url)!r} already has consumers {busy}: another "
                "stack (a bench still running, or its workers left behind) uses it; stop it or "
                "pass another --broker-url"
            )
        return {"vhost": vhost_of(url), "created": created, "purged": broker.purge()}
    finally:
        broker.close()


def holding(app, names: list[str], *, timeout: float) -> dict[str, tuple[int, int]]:
    """(tasks held, tasks started since boot) of each named worker that answered in time.

    One remote-control round trip (bench/probe.py's command); a paused or dead
    worker is missing from the answer.
    """
    from bench.probe import COMMAND

    replies = app.control.broadcast(
        COMMAND, reply=True, destination=names, timeout=timeout, limit=len(names)
    )
    found = {}
    for reply in replies or ():
        for name, answer in reply.items():
            if name in names and isinstance(answer, dict) and "held" in answer:
                found[name] = (int(answer["held"]), int(answer["started"]))
    return found
