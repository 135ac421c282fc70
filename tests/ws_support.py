"""A minimal Kana-like websocket server on 127.0.0.1 for the stream tests (no tests here).

The server runs in its own thread with its own asyncio loop, so the tests that talk to it run on
any backend (asyncio, trio, uvloop). It records each connection's subscribe messages and lets a
test push frames, drop connections cleanly, reset them (TCP RST), stall them
(``pause_reading``: TCP open, pings unanswered), refuse the handshake with an HTTP status, and
replay a snapshot of rows on every subscribe (as Kana does).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
import threading
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any

import anyio
import pytest
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from kana_async._streams.options import StreamOptions

ADDR = "0x51f531abefc697845eabae4ba20c7cc26b1f849561bb016c4d90707c4ede1912"
# a profile address whose leading zero the wire dropped (63 hex digits)
SHORT = "0x3C78886A" + "0" * 49 + "6efc1e"
SHORT_FULL = "0x0" + SHORT[2:].lower()

#: Run a module's async tests on both backends: ``anyio_backend = BOTH`` at module level is not
#: enough for the anyio plugin, so modules define ``anyio_backend`` with ``params=BOTH``.
BOTH = ["asyncio", "trio"]

#: Builds the frames to send back for one subscribe message (a replayed snapshot).
Replay = Callable[[dict[str, Any]], list[str]]


class Conn:
    """One accepted client connection.

    Attributes:
        ws: the server side of the connection.
        subs: the subscribe messages received, decoded.
        open: whether it is still open.
        paused: whether :meth:`FakeKana.stall` stopped reading it.
    """

    def __init__(self, ws: ServerConnection) -> None:
        self.ws = ws
        self.subs: list[dict[str, Any]] = []
        self.open = True
        self.paused = False


class FakeKana:
    """``async with FakeKana() as srv: srv.url ...`` (the server runs in a thread).

    Args:
        status: answer every handshake with this HTTP status instead of accepting it.
        replay: frames to send back after each subscribe message.

    Attributes:
        conns: every accepted connection, in order.
        url: the server's ``ws://`` URL.
        handshakes: handshake requests received (accepted or refused).
        headers: each handshake request's headers, lower-cased names.
    """

    def __init__(self, *, status: int | None = None, replay: Replay | None = None) -> None:
        self.conns: list[Conn] = []
        self.url = ""
        self.handshakes = 0
        self.headers: list[dict[str, str]] = []
        self._status = status
        self._replay = replay
        self._server: Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None

    # -- lifecycle (runs the server thread) --------------------------------------------------

    async def __aenter__(self) -> FakeKana:
        self._thread = threading.Thread(target=self._serve_thread, name="fake-kana", daemon=True)
        self._thread.start()
        await anyio.to_thread.run_sync(self._ready.wait)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._loop is not None and self._stop is not None and self._thread is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        await anyio.to_thread.run_sync(self._thread.join)

    def _serve_thread(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._server = await serve(
            self._handler,
            "127.0.0.1",
            0,
            compression=None,
            ping_interval=None,
            process_request=self._process_request,
        )
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}/ws/"
        self._ready.set()
        await self._stop.wait()
        for conn in self.conns:
            if conn.open:
                conn.ws.transport.abort()
        self._server.close()
        await self._server.wait_closed()

    def _process_request(self, ws: ServerConnection, request: Request) -> Response | None:
        self.handshakes += 1
        self.headers.append({k.lower(): v for k, v in request.headers.raw_items()})
        if self._status is None:
            return None
        body = b'{"error": "refused"}'
        headers = Headers([("Content-Type", "application/json"), ("Content-Length", "20")])
        return Response(self._status, "Refused", headers, body)

    async def _handler(self, ws: ServerConnection) -> None:
        conn = Conn(ws)
        self.conns.append(conn)
        try:
            async for message in ws:
                sub = json.loads(message)
                conn.subs.append(sub)
                if self._replay is not None:
                    for frame in self._replay(sub):
                        await ws.send(frame)
        except ConnectionClosed:
            pass
        finally:
            conn.open = False

    async def _call(self, make: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
        """Run ``make()`` on the server's loop and wait for it from the test's backend."""
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(make(), self._loop)
        return await anyio.to_thread.run_sync(future.result)

    # -- what tests use ----------------------------------------------------------------------

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        """Wait until ``predicate()`` holds (bounded by the caller's ``fail_after``)."""
        while not predicate():  # noqa: ASYNC110 - state owned by the server thread
            await anyio.sleep(0.002)

    @property
    def live(self) -> list[Conn]:
        """Connections still open."""
        return [c for c in self.conns if c.open]

    def subscribed(self, n: int) -> bool:
        """Exactly one live (not stalled) connection, which has sent ``n`` subscribe messages."""
        live = [c for c in self.live if not c.paused]
        return len(live) == 1 and len(live[0].subs) == n

    async def push(self, topic: str, data: Any) -> None:
        """Send ``{"message": topic, "data": data}`` to every live connection."""
        await self.send_raw(json.dumps({"message": topic, "data": data}))

    async def send_raw(self, text: str | bytes) -> None:
        """Send a text frame as is to every live connection."""
        if isinstance(text, bytes):
            text = text.decode()
        message = text

        async def send() -> None:
            for conn in self.live:
                if not conn.paused:
                    with contextlib.suppress(ConnectionClosed):
                        await conn.ws.send(message)

        await self._call(send)

    async def send_many(self, texts: list[str]) -> None:
        """Send many text frames, in order, to every live connection (one cross-thread call)."""

        async def send() -> None:
            for conn in self.live:
                if not conn.paused:
                    with contextlib.suppress(ConnectionClosed):
                        for text in texts:
                            await conn.ws.send(text)

        await self._call(send)

    async def drop(self, *, abrupt: bool) -> None:
        """Close every live connection: a clean close handshake, or a TCP reset."""

        async def drop() -> None:
            for conn in self.live:
                if conn.paused:  # a stalled one the client gave up on: just forget it
                    conn.ws.transport.abort()
                elif abrupt:
                    sock = conn.ws.transport.get_extra_info("socket")
                    if sock is not None:  # linger 0: the kernel answers with RST
                        with contextlib.suppress(OSError):
                            sock.setsockopt(
                                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                            )
                    conn.ws.transport.abort()
                else:
                    await conn.ws.close()

        await self._call(drop)

    async def stall(self) -> None:
        """Stop reading (and so answering pings) on every live connection; TCP stays open."""

        async def stall() -> None:
            for conn in self.live:
                conn.paused = True
                conn.ws.transport.pause_reading()

        await self._call(stall)


def level(market_id: int, is_ask: bool, price: str, size: str, version: int = 1) -> dict[str, Any]:
    """An orderbook level as the wire sends it (price a JSON number, size a string)."""
    return {
        "market_id": str(market_id),
        "is_ask": is_ask,
        "price": float(price) if "." in price else int(price),
        "size": size,
        "last_updated": 1747075649,
        "transaction_version": version,
    }


def book(market_id: int, version: int) -> list[dict[str, Any]]:
    """A small two-sided book frame whose levels carry ``version``."""
    return [
        level(market_id, False, "5.5", "10", version),
        level(market_id, True, "5.75", "4", version),
    ]


def trade(market_id: int, trade_id: int, address: str = ADDR) -> dict[str, Any]:
    """A trade row (recent_trades / trade_history)."""
    return {
        "address": address,
        "market_id": str(market_id),
        "size": "1.5",
        "price": "5.75",
        "trade_id": str(trade_id),
        "order_id": "11905620858892513160724480",
        "timestamp": 1747075649,
    }


def order(order_id: int, address: str = ADDR, market_id: int = 14) -> dict[str, Any]:
    """An order_history row."""
    return {
        "address": address,
        "order_id": str(order_id),
        "market_id": str(market_id),
        "order_type": 9,
        "is_market_order": True,
        "size": "10",
        "price": "5.75789140",
        "status": "Filled",
        "timestamp": 1747075649,
    }


# -- shared by the stream tests ------------------------------------------------------------------

#: Stream options for tests: no keepalive or watchdog, reconnects within a few milliseconds.
FAST = StreamOptions(
    ping_interval=None,
    ping_timeout=None,
    stale_timeout=None,
    backoff_initial=0.005,
    backoff_max=0.02,
    close_timeout=0.5,
)


def both_backends() -> Any:
    """A module-level ``anyio_backend`` fixture running every test on asyncio and trio."""

    @pytest.fixture(params=BOTH)
    def anyio_backend(request: pytest.FixtureRequest) -> str:
        return str(request.param)

    return anyio_backend


#: The (event loop, websocket library) pairs the connection tests run on: every library on every
#: loop it supports (aiohttp is asyncio only).
SOCKETS = [("asyncio", "websockets"), ("trio", "websockets"), ("asyncio", "aiohttp")]


def every_socket() -> Any:
    """A module-level ``anyio_backend`` fixture running every test on each of :data:`SOCKETS`.

    For aiohttp it makes every connection of the test use aiohttp's websocket client, whatever
    its options say (the tests' options are built once, at import): the connection loop asks
    :func:`~kana_async._streams.connection.socket_library` which library to use.
    """

    @pytest.fixture(params=SOCKETS, ids=["-".join(pair) for pair in SOCKETS])
    def anyio_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
        backend, library = request.param
        if library == "aiohttp":
            from kana_async._streams import connection

            chosen = connection.socket_library(StreamOptions(transport="aiohttp"))
            monkeypatch.setattr(connection, "socket_library", lambda options: chosen)
        return str(backend)

    return anyio_backend


def our_tasks() -> list[Any]:
    """The SDK's websocket tasks still alive on asyncio (named ``kana-ws …``); [] on trio."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return []
    return [t for t in asyncio.all_tasks() if t.get_name().startswith("kana-ws")]


async def until(predicate: Callable[[], bool], interval: float = 0.005) -> None:
    """Wait until ``predicate()`` holds (bounded by the caller's ``fail_after``)."""
    while not predicate():  # noqa: ASYNC110 - polls state owned by another task
        await anyio.sleep(interval)


def take_frames(sub: Any) -> list[Any]:
    """Pop every frame ``sub`` buffered and decode each as its reader would (for sync tests).

    Returns:
        Each frame's items (``None`` for an unusable frame), in buffer order; notices are
        not frames and make the test fail.
    """
    from kana_async._streams.subscription import Batch

    frames: list[Any] = []
    while sub._buffer:
        entry = sub._buffer.popleft()
        sub._frames -= 1
        if isinstance(entry, Batch):
            frames.append(entry.items())
        else:
            assert type(entry) is bytes, f"not a frame: {entry!r}"
            frames.append(sub._decode(entry))
    return frames
