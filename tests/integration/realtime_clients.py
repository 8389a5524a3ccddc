"""Asyncio clients of `/ws/` and `/api/v1/stream` for multi-process tests.

Each client reads in a background task and records everything it receives
(frames, keep-alives, how it ended), so a test can hold many connections idle
in one event loop and then ask what arrived. Tests run their scenario with
`asyncio.run` (pytest-asyncio is not installed) and do their database setup
before it.
"""

import asyncio
import contextlib
import json
import time
from collections.abc import Callable

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from accounts.api.serializers import TokenObtainSerializer

Frame = dict


def access_token(user) -> str:
    return str(TokenObtainSerializer.get_token(user).access_token)


def bearer(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token(user)}"}


def assert_no_application_errors(daphne) -> None:
    """daphne logged no traceback of a consumer or view (a 1011, a broken stream)."""
    log = daphne.log()
    assert "Exception inside application" not in log
    assert "TimeoutError" not in log


class Connection:
    """What one connection received; `closed_with` is set when it ended."""

    name = "connection"

    def __init__(self, label: str) -> None:
        self.label = label
        self.frames: list[Frame] = []
        self.keepalives: list[float] = []  # monotonic times of heartbeats / comment lines
        self.closed_with: int | str | None = None
        self._arrived = asyncio.Event()
        self._reader: asyncio.Task | None = None

    def _record(self, frame: Frame) -> None:
        self.frames.append(frame)
        self._arrived.set()

    def _end(self, how: int | str) -> None:
        self.closed_with = how
        self._arrived.set()

    def of_type(self, kind: str) -> list[Frame]:
        return [f for f in self.frames if f.get("type") == kind]

    async def wait_for(self, predicate: Callable[[Frame], bool], *, timeout: float) -> Frame:
        """The first frame (already received or to come) that matches."""
        deadline = time.monotonic() + timeout
        while True:
            for frame in self.frames:
                if predicate(frame):
                    return frame
            if self.closed_with is not None:
                raise AssertionError(f"{self.label} ended ({self.closed_with}): {self.frames}")
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{self.label}: nothing matched in {timeout}s: {self.frames}")
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), timeout=left)

    async def wait_closed(self, *, timeout: float) -> int | str:
        deadline = time.monotonic() + timeout
        while self.closed_with is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{self.label} still open after {timeout}s: {self.frames}")
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), timeout=left)
        return self.closed_with

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader


class Socket(Connection):
    """A `/ws/` client. `closed_with` is the close code the server sent."""

    async def open(self, host: str, token: str, *, header: bool = False) -> "Socket":
        if header:  # a non-browser client
            self.ws = await connect(
                f"ws://{host}/ws/",
                additional_headers={"Authorization": f"Bearer {token}"},
                open_timeout=30,
            )
        else:  # a browser-style client: the token in the query string
            self.ws = await connect(f"ws://{host}/ws/?token={token}", open_timeout=30)
        self._reader = asyncio.ensure_future(self._read())
        await self.wait_for(lambda f: f["type"] == "hello", timeout=30)
        return self

    async def open_refused(self, host: str, token: str) -> int | str:
        """Connect, expecting the server to end it at once; returns how it ended."""
        self.ws = await connect(f"ws://{host}/ws/?token={token}", open_timeout=30)
        self._reader = asyncio.ensure_future(self._read())
        return await self.wait_closed(timeout=30)

    async def _read(self) -> None:
        try:
            async for text in self.ws:
                frame = json.loads(text)
                if frame.get("type") == "heartbeat":
                    self.keepalives.append(time.monotonic())
                self._record(frame)
        except ConnectionClosed:
            pass
        finally:
            code = self.ws.close_code  # 1006: closed without a close frame
            self._end(code if code is not None else "no close frame")

    async def send(self, frame: Frame) -> None:
        await self.ws.send(json.dumps(frame))

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close()
        await super().close()


class Stream(Connection):
    """A `/api/v1/stream` client. Frames are the JSON `data` of each event, plus
    its `event` name; `closed_with` is "ended" when the server finished the response."""

    async def open(self, host: str, token: str, *, http: httpx.AsyncClient) -> "Stream":
        started: asyncio.Future = asyncio.get_running_loop().create_future()
        self._reader = asyncio.ensure_future(self._read(http, host, token, started))
        status = await asyncio.wait_for(started, timeout=30)
        assert status == 200, f"{self.label}: the stream answered {status}"
        await self.wait_for(lambda f: f["type"] == "hello", timeout=30)
        return self

    async def _read(self, http, host, token, started) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        how = "ended"
        try:
            async with http.stream("GET", f"http://{host}/api/v1/stream", headers=headers) as r:
                started.set_result(r.status_code)
                event = None
                async for line in r.aiter_lines():
                    if line.startswith(":"):
                        self.keepalives.append(time.monotonic())
                    elif line.startswith("event: "):
                        event = line.removeprefix("event: ")
                    elif line.startswith("data: ") and event is not None:
                        self._record({"event": event, **json.loads(line.removeprefix("data: "))})
                        event = None
        except httpx.HTTPError as error:
            how = f"failed: {error!r}"
        finally:
            if not started.done():
                started.set_result(None)
            self._end(how)


def stream_client() -> httpx.AsyncClient:
    """An HTTP client for streams: a read may wait as long as a keep-alive
    interval, but not forever (a dead stream fails the test instead of hanging)."""
    return httpx.AsyncClient(timeout=httpx.Timeout(30, read=60), limits=httpx.Limits())
