"""A minimal Kana-like websocket server on 127.0.0.1 for the stream tests (no tests here).

It records each connection's subscribe messages and lets a test push frames, drop connections
cleanly or abruptly, and stall them (``pause_reading``: TCP open, pings unanswered).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from types import TracebackType
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from kana_async._streams.options import StreamOptions

ADDR = "0x51f531abefc697845eabae4ba20c7cc26b1f849561bb016c4d90707c4ede1912"
# a profile address whose leading zero the wire dropped (63 hex digits, spec §1.6)
SHORT = "0x3C78886A" + "0" * 49 + "6efc1e"
SHORT_FULL = "0x0" + SHORT[2:].lower()


class Conn:
    """One accepted client connection."""

    def __init__(self, ws: ServerConnection) -> None:
        self.ws = ws
        self.subs: list[dict[str, Any]] = []
        self.open = True
        self.paused = False


class FakeKana:
    """``async with FakeKana() as srv: srv.url ...``"""

    def __init__(self) -> None:
        self.conns: list[Conn] = []
        self._server: Server | None = None
        self._changed = asyncio.Event()
        self.url = ""

    async def __aenter__(self) -> FakeKana:
        self._server = await serve(
            self._handler, "127.0.0.1", 0, compression=None, ping_interval=None
        )
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}/ws/"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for conn in self.conns:
            if conn.open:
                conn.ws.transport.abort()
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _handler(self, ws: ServerConnection) -> None:
        conn = Conn(ws)
        self.conns.append(conn)
        self._poke()
        try:
            async for message in ws:
                conn.subs.append(json.loads(message))
                self._poke()
        except ConnectionClosed:
            pass
        finally:
            conn.open = False
            self._poke()

    def _poke(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        """Wait until ``predicate()`` holds (checked on every server-side change)."""
        while not predicate():
            event = self._changed
            await event.wait()

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
        for conn in self.live:
            if not conn.paused:
                with contextlib.suppress(ConnectionClosed):
                    await conn.ws.send(text)

    async def drop(self, *, abrupt: bool) -> None:
        """Close every live connection: a clean close handshake, or a TCP abort."""
        for conn in self.live:
            if abrupt:
                conn.ws.transport.abort()
            else:
                await conn.ws.close()

    def stall(self) -> None:
        """Stop reading (and so answering pings) on every live connection; TCP stays open."""
        for conn in self.live:
            conn.paused = True
            conn.ws.transport.pause_reading()


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


def our_tasks() -> list[asyncio.Task[Any]]:
    """The SDK's websocket tasks still alive (they are all named ``kana-ws …``)."""
    return [t for t in asyncio.all_tasks() if t.get_name().startswith("kana-ws")]


async def until(predicate: Callable[[], bool], interval: float = 0.005) -> None:
    """Wait until ``predicate()`` holds (bounded by the caller's ``fail_after``)."""
    while not predicate():  # noqa: ASYNC110 - polls state owned by another task
        await asyncio.sleep(interval)
