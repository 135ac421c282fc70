"""The simulator's websocket hub at ``/ws/``: topic subscriptions and pushes (spec §5).

A client sends subscribe frames exactly as ``examples/ws/subscribe_messages.json``::

    {"topic": "positions", "address": "<profile address>"}      # account topics
    {"topic": "orderbook", "market_id": "1338"}                  # market topics (+ best_price)
    {"topic": "live_funding_rate"}

and receives ``{"message": topic, "data": [...]}`` frames. One connection may hold any number of
subscriptions. What is pushed, and when (rows come from :mod:`kana_async.sim.wire`):

=========================== ============================================================
topic                       frames
=========================== ============================================================
``positions``               on subscribe and on every change: all open positions of the
                            profile (a closed position is sent once with ``size "0"``)
``open_orders``             on subscribe and on every order change: all open orders
``order_history``           on subscribe: every order; then each changed order's row
``trade_history``           on subscribe: every fill; then each new fill
``deposit_withdraw_history`` on subscribe: every transfer; then each new transfer
``live_order_history``      on subscribe: the latest order (if any); then each change
``live_trade_history``      on subscribe: the latest fill (if any); then each new fill
``orderbook``               on subscribe and on change: the whole book as a flat list of
                            levels (bursts coalesced: one frame per market per loop turn)
``best_price``              like ``orderbook``: ``[{market_id, symbol, bid, ask, mid_price}]``
``recent_trades``           on subscribe: the latest trades; then each new trade
``live_funding_rate``       on subscribe and periodically: every market's current rate
=========================== ============================================================

Faults: ``faults.ws_malformed`` replaces the next N frames by garbage (not JSON, or JSON of the
wrong shape); ``faults.ws_stall`` stops all sending and pauses reading on every connection (so
pings go unanswered) until it is switched off. :meth:`WsHub.drop_connections` closes every
connection cleanly (close frame 1012) or abruptly (TCP abort).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final

from aiohttp import WSMsgType, web

from kana_async.sim import wire
from kana_async.sim.accounts import ProfileDirectory
from kana_async.sim.engine import (
    BookEvent,
    Event,
    Exchange,
    FundingEvent,
    OrderEvent,
    PositionEvent,
    TradeEvent,
    TransferEvent,
    normalize_address,
)
from kana_async.sim.faults import Faults

__all__ = ["ACCOUNT_TOPICS", "MARKET_TOPICS", "WsHub"]

log = logging.getLogger("kana_async.sim")

#: Topics keyed by a profile ``address``.
ACCOUNT_TOPICS: Final = frozenset(
    {
        "positions",
        "open_orders",
        "order_history",
        "trade_history",
        "deposit_withdraw_history",
        "live_order_history",
        "live_trade_history",
    }
)
#: Topics keyed by ``market_id``.
MARKET_TOPICS: Final = frozenset({"orderbook", "recent_trades", "best_price"})
#: Topics without a key.
GLOBAL_TOPICS: Final = frozenset({"live_funding_rate"})
#: Alternative spellings seen in third-party clients → canonical topic.
_ALIASES: Final = {"bestPrice": "best_price"}

#: Frames a connection may have queued before it is considered dead and aborted.
MAX_BACKLOG: Final = 50_000
#: How often the stall fault is checked, seconds.
_FAULT_POLL: Final = 0.02

_GARBAGE: Final = (
    "{not json at all",
    '{"message": 42, "data": "nope"}',
    '["unexpected", "array"]',
)

SubKey = tuple[str, str]


class _Conn:
    """One websocket connection: its subscriptions and its outgoing frame queue."""

    __slots__ = ("frames", "subs", "transport", "wake", "writer", "ws")

    def __init__(self, ws: web.WebSocketResponse, transport: asyncio.Transport | None) -> None:
        self.ws = ws
        self.transport = transport
        self.subs: set[SubKey] = set()
        self.frames: collections.deque[str] = collections.deque()
        self.wake = asyncio.Event()
        self.writer: asyncio.Task[None] | None = None


class WsHub:
    """Websocket endpoint plus the translation of exchange events into topic frames.

    Args:
        exchange: the engine; the hub subscribes to its events in :meth:`start`.
        faults: the shared fault switches (``ws_malformed``, ``ws_stall``).
        recent_trades: how many trades a ``recent_trades`` subscription receives first.
        directory: profile → wallet lookup shared with the REST app.
        clock: unix seconds, for the ``last_updated`` of order-book levels.
    """

    def __init__(
        self,
        exchange: Exchange,
        faults: Faults,
        *,
        directory: ProfileDirectory | None = None,
        recent_trades: int = 50,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.exchange = exchange
        self.directory = directory or ProfileDirectory()
        self._clock = clock
        self.faults = faults
        self.recent_trades = recent_trades
        self._conns: set[_Conn] = set()
        self._subs: dict[SubKey, set[_Conn]] = {}
        self._dirty_books: set[int] = set()
        self._flush_scheduled = False
        self._stalled = False
        self._unsubscribe: Callable[[], None] | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._malformed_counter = 0
        self.frames_sent = 0

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen to the exchange and start watching the stall fault."""
        self._unsubscribe = self.exchange.subscribe(self._on_event)
        self._watcher = asyncio.create_task(self._watch_faults(), name="kana-sim-ws-faults")

    async def close(self) -> None:
        """Stop listening and close every connection (abruptly when stalled)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None
        await self.drop_connections(abrupt=self._stalled)

    async def drop_connections(self, abrupt: bool = False) -> int:
        """Close every connection: a clean close frame (1012), or ``abrupt`` TCP abort.

        Returns how many connections were dropped.
        """
        conns = list(self._conns)
        if abrupt or self._stalled:
            for conn in conns:
                if conn.transport is not None:
                    conn.transport.abort()
        else:
            await asyncio.gather(*(_close(conn) for conn in conns))
        return len(conns)

    @property
    def stalled(self) -> bool:
        """True while the ``ws_stall`` fault is in effect on the connections."""
        return self._stalled

    @property
    def connection_count(self) -> int:
        """Open websocket connections."""
        return len(self._conns)

    def subscriber_count(self, topic: str, key: str = "") -> int:
        """Connections subscribed to ``topic`` (for ``key``: profile address or market id)."""
        return len(self._subs.get((topic, _norm_key(topic, key)), ()))

    # -- connection handling ----------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """aiohttp handler of ``GET /ws/``."""
        ws = web.WebSocketResponse(compress=False, max_msg_size=1 << 20)
        await ws.prepare(request)
        conn = _Conn(ws, request.transport)
        self._conns.add(conn)
        if self._stalled and conn.transport is not None:
            conn.transport.pause_reading()
        conn.writer = asyncio.create_task(self._write(conn), name="kana-sim-ws-writer")
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._on_text(conn, msg.data)
                elif msg.type == WSMsgType.BINARY:
                    self._on_text(conn, msg.data.decode("utf-8", "replace"))
        finally:
            self._forget(conn)
            conn.writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await conn.writer
        return ws

    def _forget(self, conn: _Conn) -> None:
        self._conns.discard(conn)
        for key in conn.subs:
            subs = self._subs.get(key)
            if subs is not None:
                subs.discard(conn)
                if not subs:
                    del self._subs[key]
        conn.subs.clear()
        conn.frames.clear()

    async def _write(self, conn: _Conn) -> None:
        try:
            while True:
                await conn.wake.wait()
                conn.wake.clear()
                while conn.frames and not self._stalled:
                    frame = conn.frames.popleft()
                    await conn.ws.send_str(frame)
                    self.frames_sent += 1
        except (ConnectionError, RuntimeError) as exc:  # peer went away mid-send
            log.debug("websocket writer stopped: %s", exc)

    async def _watch_faults(self) -> None:
        while True:
            stalled = self.faults.ws_stall
            if stalled != self._stalled:
                self._set_stalled(stalled)
            await asyncio.sleep(_FAULT_POLL)

    def _set_stalled(self, stalled: bool) -> None:
        self._stalled = stalled
        for conn in self._conns:
            if conn.transport is None or conn.transport.is_closing():
                continue
            if stalled:
                conn.transport.pause_reading()
                conn.frames.clear()
            else:
                conn.transport.resume_reading()
                conn.wake.set()

    # -- subscribe --------------------------------------------------------------------------

    def _on_text(self, conn: _Conn, text: str) -> None:
        try:
            self._subscribe(conn, text)
        except Exception:  # a bug must not kill the connection; say so and carry on
            log.exception("websocket subscribe failed")
            self._send_error(conn, "internal error while subscribing")

    def _subscribe(self, conn: _Conn, text: str) -> None:
        try:
            msg = json.loads(text)
        except ValueError:
            self._send_error(conn, "subscribe frames must be JSON objects")
            return
        if not isinstance(msg, dict) or not isinstance(msg.get("topic"), str):
            self._send_error(conn, 'expected {"topic": ..., ...}')
            return
        wire_topic: str = msg["topic"]
        topic = _ALIASES.get(wire_topic, wire_topic)
        try:
            key = self._key_of(topic, msg)
        except ValueError as exc:
            self._send_error(conn, str(exc))
            return
        sub = (topic, key)
        conn.subs.add(sub)
        self._subs.setdefault(sub, set()).add(conn)
        self._enqueue(conn, _frame(wire_topic, self._snapshot(topic, key)))

    def _key_of(self, topic: str, msg: dict[str, Any]) -> str:
        if topic in ACCOUNT_TOPICS:
            address = msg.get("address")
            if not isinstance(address, str):
                raise ValueError(f'topic {topic!r} needs an "address" (profile address)')
            return normalize_address(address)
        if topic in MARKET_TOPICS:
            raw = msg.get("market_id")
            market_id = _int_or_none(raw)
            if market_id is None:
                raise ValueError(f'topic {topic!r} needs a "market_id"')
            if market_id not in self.exchange.markets:
                raise ValueError(f"unknown market_id {raw!r}")
            return str(market_id)
        if topic in GLOBAL_TOPICS:
            return ""
        raise ValueError(f"unknown topic {topic!r}")

    def _send_error(self, conn: _Conn, message: str) -> None:
        self._enqueue(conn, json.dumps({"message": "error", "data": [{"error": message}]}))

    # -- rows -------------------------------------------------------------------------------

    def _snapshot(self, topic: str, key: str) -> list[dict[str, Any]]:
        ex = self.exchange
        if topic in MARKET_TOPICS:
            spec = ex.markets[int(key)]
            if topic == "orderbook":
                return self._book_rows(spec.market_id)
            if topic == "best_price":
                return [wire.best_price_row(spec, *ex.best_bid_ask(spec.market_id))]
            trades = ex.market_trades(spec.market_id, self.recent_trades)
            return [wire.public_trade_row(spec, t) for t in trades]
        if topic == "live_funding_rate":
            return [wire.funding_rate_row(r) for r in ex.funding_rates()]
        wallet = self.directory.wallet_of(key)
        if wallet is None:
            return []
        if topic == "positions":
            return self._position_rows(wallet)
        if topic == "open_orders":
            return self._open_order_rows(wallet)
        if topic in ("order_history", "live_order_history"):
            orders = ex.order_history(wallet)
            if topic == "live_order_history":
                orders = orders[-1:]
            return [wire.order_history_row(ex.markets[o.market_id], o) for o in orders]
        if topic in ("trade_history", "live_trade_history"):
            fills = ex.trades(wallet)
            if topic == "live_trade_history":
                fills = fills[-1:]
            return [wire.fill_row(ex.markets[f.market_id], f) for f in fills]
        return [wire.transfer_row(t) for t in ex.transfers(wallet)]

    def _position_rows(self, wallet: str) -> list[dict[str, Any]]:
        ex = self.exchange
        return [wire.position_row(ex.markets[p.market_id], p) for p in ex.positions(wallet)]

    def _open_order_rows(self, wallet: str) -> list[dict[str, Any]]:
        ex = self.exchange
        return [wire.open_order_row(ex.markets[o.market_id], o) for o in ex.open_orders(wallet)]

    def _book_rows(self, market_id: int) -> list[dict[str, Any]]:
        ex = self.exchange
        bids, asks = ex.book(market_id)
        now = int(self._clock())
        return wire.book_rows(ex.markets[market_id], bids, asks, now, ex.current_version)

    # -- events -----------------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        ex = self.exchange
        if isinstance(event, BookEvent):
            self._dirty_books.add(event.market_id)
            if not self._flush_scheduled:
                self._flush_scheduled = True
                asyncio.get_running_loop().call_soon(self._flush_books)
        elif isinstance(event, OrderEvent):
            order = event.order
            self.directory.add(order.address, order.wallet)
            if not self._has_account_subs(order.address):
                return
            row = wire.order_history_row(ex.markets[order.market_id], order)
            self.publish("order_history", order.address, [row])
            self.publish("live_order_history", order.address, [row])
            if self._subs.get(("open_orders", order.address)):
                self.publish("open_orders", order.address, self._open_order_rows(order.wallet))
        elif isinstance(event, TradeEvent):
            spec = ex.markets[event.trade.market_id]
            if self._subs.get(("recent_trades", str(spec.market_id))):
                row = wire.public_trade_row(spec, event.trade)
                self.publish("recent_trades", str(spec.market_id), [row])
            for fill in (event.maker, event.taker):
                self.directory.add(fill.address, fill.wallet)
                row = wire.fill_row(spec, fill)
                self.publish("trade_history", fill.address, [row])
                self.publish("live_trade_history", fill.address, [row])
        elif isinstance(event, PositionEvent):
            pos = event.position
            self.directory.add(pos.address, pos.wallet)
            if self._subs.get(("positions", pos.address)):
                rows = self._position_rows(pos.wallet)
                if pos.size == 0:
                    rows.append(wire.position_row(ex.markets[pos.market_id], pos))
                self.publish("positions", pos.address, rows)
        elif isinstance(event, TransferEvent):
            transfer = event.transfer
            self.directory.add(transfer.address, transfer.wallet)
            self.publish(
                "deposit_withdraw_history", transfer.address, [wire.transfer_row(transfer)]
            )
        elif isinstance(event, FundingEvent):
            self.publish_funding()

    def _has_account_subs(self, address: str) -> bool:
        return any((topic, address) in self._subs for topic in ACCOUNT_TOPICS)

    def _flush_books(self) -> None:
        self._flush_scheduled = False
        dirty, self._dirty_books = self._dirty_books, set()
        for market_id in sorted(dirty):
            key = str(market_id)
            if self._subs.get(("orderbook", key)):
                self.publish("orderbook", key, self._book_rows(market_id))
            if self._subs.get(("best_price", key)):
                spec = self.exchange.markets[market_id]
                row = wire.best_price_row(spec, *self.exchange.best_bid_ask(market_id))
                self.publish("best_price", key, [row])

    def publish_funding(self) -> None:
        """Push every market's current funding rate to ``live_funding_rate`` subscribers."""
        if self._subs.get(("live_funding_rate", "")):
            rows = [wire.funding_rate_row(r) for r in self.exchange.funding_rates()]
            self.publish("live_funding_rate", "", rows)

    # -- sending ----------------------------------------------------------------------------

    def publish(self, topic: str, key: str, rows: Sequence[dict[str, Any]]) -> None:
        """Send ``{"message": topic, "data": rows}`` to every subscriber of ``(topic, key)``."""
        conns = self._subs.get((topic, key))
        if not conns:
            return
        frame = _frame(topic, rows)
        for conn in conns:
            self._enqueue(conn, frame)

    def publish_raw(self, topic: str, key: str, frames: Iterable[str]) -> int:
        """Queue pre-encoded frames for every subscriber of ``(topic, key)``; returns the count."""
        conns = self._subs.get((topic, key))
        if not conns:
            return 0
        count = 0
        for frame in frames:
            for conn in conns:
                self._enqueue(conn, frame)
            count += 1
        return count

    def _enqueue(self, conn: _Conn, frame: str) -> None:
        if self._stalled:
            return
        if self.faults.ws_malformed > 0 and self.faults.take("ws_malformed"):
            frame = _GARBAGE[self._malformed_counter % len(_GARBAGE)]
            self._malformed_counter += 1
        if len(conn.frames) >= MAX_BACKLOG:
            log.warning("websocket client too slow (%d frames queued); dropping it", MAX_BACKLOG)
            conn.frames.clear()
            if conn.transport is not None:
                conn.transport.abort()
            return
        conn.frames.append(frame)
        conn.wake.set()


async def _close(conn: _Conn) -> None:
    """Close one connection cleanly (1012), aborting it if the peer does not answer in time."""
    try:
        await asyncio.wait_for(conn.ws.close(code=1012, message=b"simulator restart"), 2.0)
    except Exception:
        if conn.transport is not None:
            conn.transport.abort()


def _frame(topic: str, rows: Sequence[dict[str, Any]]) -> str:
    return wire.ENCODER.encode({"message": topic, "data": rows}).decode()


def _norm_key(topic: str, key: str) -> str:
    topic = _ALIASES.get(topic, topic)
    if topic in ACCOUNT_TOPICS:
        return normalize_address(key)
    return key


def _int_or_none(raw: object) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.strip().isdigit():
        return int(raw.strip())
    return None
