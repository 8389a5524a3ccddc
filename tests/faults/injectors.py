"""What the fault tests break: a private Redis and a private RabbitMQ they kill
and restart, and a TCP proxy in front of the shared RabbitMQ whose connections
they cut (the shared servers themselves are never stopped)."""

import contextlib
import shutil
import socket
import tempfile
import threading
from pathlib import Path

from tests.integration.procs import Proc, Procs, free_port


class PrivateRedis:
    """A redis-server of the test's own on a spare port, without persistence:
    a restart comes back empty, as after a crash or a FLUSHALL."""

    def __init__(self, procs: Procs) -> None:
        self.procs = procs
        self.port = free_port()
        self.proc: Proc | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "PrivateRedis":
        self.starts += 1
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "no"]
        self.proc = self.procs.start(
            f"redis-{self.starts}", argv, ready=r"Ready to accept connections"
        )
        return self

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()

    def client(self):
        import redis

        return redis.Redis.from_url(self.url, socket_timeout=5)


def _listening(port: int):
    def ready(proc: Proc) -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", port)) == 0

    return ready


class PrivateRabbitMQ:
    """A RabbitMQ node of the test's own (its own name, ports, data and config),
    SIGKILLed and restarted on the same data: a broker crash, for real.

    Needs the RabbitMQ server installed where the shared one runs
    (/usr/lib/rabbitmq/bin/rabbitmq-server).
    """

    SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"

    def __init__(self, procs: Procs) -> None:
        self.procs = procs
        self.port, self.dist_port = free_port(), free_port()
        self.home = Path(tempfile.mkdtemp(prefix="warble-rabbitmq-"))
        (self.home / "rabbitmq.conf").write_text(f"listeners.tcp.local = 127.0.0.1:{self.port}\n")
        (self.home / "enabled_plugins").write_text("[].\n")  # no management port to clash
        (self.home / "rabbitmq-env.conf").write_text("")
        self.proc: Proc | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def env(self) -> dict[str, str]:
        return {
            "HOME": str(self.home),  # its own Erlang cookie
            "RABBITMQ_NODENAME": f"warble-faults-{self.port}@localhost",
            "RABBITMQ_CONF_ENV_FILE": str(self.home / "rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": str(self.home / "rabbitmq"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.home / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(self.home / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.home / "log"),
            "RABBITMQ_PID_FILE": str(self.home / "pid"),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }

    def start(self) -> "PrivateRabbitMQ":
        self.starts += 1
        self.proc = self.procs.start(
            f"rabbitmq-{self.starts}",
            [self.SERVER],
            env=self.env(),
            cwd=self.home,
            ready=_listening(self.port),
            ready_timeout=60,
        )
        return self

    def kill(self) -> None:
        """SIGKILL the node (its whole process group): no clean shutdown, no flush."""
        assert self.proc is not None
        self.proc.kill()

    def remove(self) -> None:
        shutil.rmtree(self.home, ignore_errors=True)


class TcpProxy:
    """Forwards a local port to `upstream`; `cut()` drops every connection through it
    and refuses new ones until `restore()`.

    Processes pointed at the proxy lose their connection the way a network
    failure or a broker restart would take it, while the broker (shared with
    other tests and helpers) keeps running.
    """

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = free_port()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self.connections = 0  # accepted so far

    def __enter__(self) -> "TcpProxy":
        self.restore()
        return self

    def __exit__(self, *exc) -> None:
        self.cut()

    def restore(self) -> None:
        """Listen (again) on the same port."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Stop listening and close every connection, both ways."""
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                if self._listener is not listener:  # cut meanwhile
                    client.close()
                    server.close()
                    return
                self._sockets |= {client, server}
                self.connections += 1
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
