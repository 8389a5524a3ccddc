"""Real processes for integration tests: start with an environment, wait until ready, stop.

General on purpose (Celery workers here; WSGI/ASGI servers elsewhere)::

    with Proc("worker", ["celery", "-A", "config", "worker"], env=..., ready=r"ready\\.") as w:
        ...
        w.kill()  # SIGKILL the whole process group (prefork children included)

Output goes to a log file; `Proc.log()` reads it. `Procs` (a group, used as
a fixture's context) stops them all and prints their logs at teardown, which
pytest shows only when the test failed.
"""

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def free_port() -> int:
    """A TCP port on 127.0.0.1 where nothing listens (now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(
    predicate: Callable[[], object], *, timeout: float, interval: float = 0.1, what: str = ""
):
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        time.sleep(interval)


class Proc:
    def __init__(
        self,
        name: str,
        argv: list[str],
        *,
        env: dict[str, str] | None = None,
        cwd: Path = ROOT,
        ready: str | Callable[["Proc"], bool] | None = None,
        ready_timeout: float = 30,
    ) -> None:
        self.name = name
        self.argv = argv
        self.env = {**os.environ, **(env or {})}
        self.cwd = cwd
        self.ready = ready
        self.ready_timeout = ready_timeout
        self.process: subprocess.Popen | None = None
        self._log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - lives as long as the Proc
            prefix=f"{name}-", suffix=".log", delete=False
        )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> "Proc":
        self.process = subprocess.Popen(
            self.argv,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop/kill reach the children
        )
        if self.ready is not None:
            self.wait_ready()
        return self

    def wait_ready(self) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"{self.name} exited with {self.process.returncode} before it was ready:\n"
                    + self.log()[-5000:]
                )
            if callable(self.ready):
                return self.ready(self)
            return re.search(self.ready, self.log()) is not None

        try:
            wait_until(ready, timeout=self.ready_timeout, what=f"{self.name} to be ready")
        except AssertionError:
            self.stop()
            raise

    def log(self) -> str:
        return Path(self._log.name).read_text(errors="replace")

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, sig)

    def freeze(self) -> None:
        """SIGSTOP the process and its children: they stop where they are (then kill)."""
        self._signal_group(signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT what `freeze` stopped."""
        self._signal_group(signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL the process and its children: no cleanup, no acknowledgements."""
        if self.process is None:
            return
        self._signal_group(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM (graceful), then SIGKILL whatever is left of the group."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self._signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout)
        self._signal_group(signal.SIGKILL)  # stragglers (children) of an exited parent
        if self.process.poll() is None:
            self.process.wait(timeout=10)

    def close(self) -> None:
        self.stop()
        self._log.close()
        Path(self._log.name).unlink(missing_ok=True)

    def __enter__(self) -> "Proc":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()


class Procs:
    """The processes one test started; all are stopped, and their logs printed, at teardown."""

    def __init__(self) -> None:
        self.started: list[Proc] = []

    def start(self, *args, **kwargs) -> Proc:
        proc = Proc(*args, **kwargs)
        self.started.append(proc)
        return proc.start()

    def close(self) -> None:
        for proc in self.started:  # all at once: graceful shutdowns overlap
            if proc.running():
                proc._signal_group(signal.SIGTERM)
        for proc in self.started:
            proc.stop()
        for proc in self.started:
            print(f"----- {proc.name} (pid {proc.process.pid if proc.process else '-'}) -----")
            print(proc.log()[-20000:])
            proc.close()

    def __enter__(self) -> "Procs":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
