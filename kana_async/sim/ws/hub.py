"""The :class:`WsHub`: subscribe frames in, exchange events out as topic frames."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any

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
)
from kana_async.sim.faults import Faults
from kana_async.sim.latency import LatencyModel

from .connections import Conn, Connections, frame
from .topics import ACCOUNT_TOPICS, TopicRows, canonical, norm_key, subscription_key

__all__ = ["WsHub"]

log = logging.getLogger("kana_async.sim")


class WsHub(Connections):
    """Websocket endpoint plus the translation of exchange events into topic frames.

    Args:
        exchange: the engine; the hub subscribes to its events in :meth:`start`.
        faults: the shared fault switches (``ws_malformed``, ``ws_stall``).
        recent_trades: how many trades a ``recent_trades`` subscription receives first.
        directory: profile → wallet lookup shared with the REST app.
        clock: unix seconds, for the ``last_updated`` of order-book levels.
        latency: when given (and enabled), frames are delayed and batched per connection.
    """

    def __init__(
        self,
        exchange: Exchange,
        faults: Faults,
        *,
        directory: ProfileDirectory | None = None,
        recent_trades: int = 50,
        clock: Callable[[], float] = time.time,
        latency: LatencyModel | None = None,
    ) -> None:
        super().__init__(faults, latency)
        self.exchange = exchange
        self.directory = directory or ProfileDirectory()
        self.rows = TopicRows(exchange, self.directory, recent_trades=recent_trades, clock=clock)
        self._dirty_books: set[int] = set()
        self._flush_scheduled = False
        self._unsubscribe: Callable[[], None] | None = None

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen to the exchange and start watching the stall fault."""
        self._unsubscribe = self.exchange.subscribe(self._on_event)
        self.watch_faults()

    async def close(self) -> None:
        """Stop listening and close every connection (abruptly when stalled)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        await self.close_connections()

    def subscriber_count(self, topic: str, key: str = "") -> int:
        """Connections subscribed to ``topic`` (for ``key``: profile address or market id)."""
        return len(self._subs.get((canonical(topic), norm_key(topic, key)), ()))

    # -- subscribe --------------------------------------------------------------------------

    def on_text(self, conn: Conn, text: str) -> None:
        """Subscribe ``conn`` as its frame asks; errors are answered, never raised."""
        try:
            self._subscribe(conn, text)
        except Exception:  # a bug must not kill the connection; say so and carry on
            log.exception("websocket subscribe failed")
            self._send_error(conn, "internal error while subscribing")

    def _subscribe(self, conn: Conn, text: str) -> None:
        try:
            msg = json.loads(text)
        except (ValueError, RecursionError):  # RecursionError: nested too deep to decode
            self._send_error(conn, "subscribe frames must be JSON objects")
            return
        if not isinstance(msg, dict) or not isinstance(msg.get("topic"), str):
            self._send_error(conn, 'expected {"topic": ..., ...}')
            return
        wire_topic: str = msg["topic"]
        topic = canonical(wire_topic)
        try:
            key = subscription_key(topic, msg, self.exchange.markets)
        except ValueError as exc:
            self._send_error(conn, str(exc))
            return
        self.add_subscription(conn, (topic, key))
        self.enqueue(conn, frame(wire_topic, self._snapshot(topic, key)))

    def _snapshot(self, topic: str, key: str) -> list[dict[str, Any]]:
        return self.rows.snapshot(topic, key)

    def _send_error(self, conn: Conn, message: str) -> None:
        if len(message) > 300:  # never echo a huge subscribe frame back
            message = message[:299] + "…"
        self.enqueue(conn, json.dumps({"message": "error", "data": [{"error": message}]}))

    # -- events -----------------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        if isinstance(event, BookEvent):
            self._dirty_books.add(event.market_id)
            if not self._flush_scheduled:
                self._flush_scheduled = True
                asyncio.get_running_loop().call_soon(self._flush_books)
        elif isinstance(event, OrderEvent):
            self._on_order(event)
        elif isinstance(event, TradeEvent):
            self._on_trade(event)
        elif isinstance(event, PositionEvent):
            pos = event.position
            self.directory.add(pos.address, pos.wallet)
            if self._subs.get(("positions", pos.address)):
                rows = self.rows.positions(pos.wallet)
                if pos.size == 0:
                    rows.append(wire.position_row(self.exchange.markets[pos.market_id], pos))
                self.publish("positions", pos.address, rows)
        elif isinstance(event, TransferEvent):
            transfer = event.transfer
            self.directory.add(transfer.address, transfer.wallet)
            self.publish(
                "deposit_withdraw_history", transfer.address, [wire.transfer_row(transfer)]
            )
        elif isinstance(event, FundingEvent):
            self.publish_funding()

    def _on_order(self, event: OrderEvent) -> None:
        order = event.order
        self.directory.add(order.address, order.wallet)
        if not any((topic, order.address) in self._subs for topic in ACCOUNT_TOPICS):
            return
        row = wire.order_history_row(self.exchange.markets[order.market_id], order)
        self.publish("order_history", order.address, [row])
        self.publish("live_order_history", order.address, [row])
        if self._subs.get(("open_orders", order.address)):
            self.publish("open_orders", order.address, self.rows.open_orders(order.wallet))

    def _on_trade(self, event: TradeEvent) -> None:
        spec = self.exchange.markets[event.trade.market_id]
        if self._subs.get(("recent_trades", str(spec.market_id))):
            row = wire.public_trade_row(spec, event.trade)
            self.publish("recent_trades", str(spec.market_id), [row])
        for fill in (event.maker, event.taker):
            self.directory.add(fill.address, fill.wallet)
            row = wire.fill_row(spec, fill)
            self.publish("trade_history", fill.address, [row])
            self.publish("live_trade_history", fill.address, [row])

    def _flush_books(self) -> None:
        self._flush_scheduled = False
        dirty, self._dirty_books = self._dirty_books, set()
        for market_id in sorted(dirty):
            key = str(market_id)
            if self._subs.get(("orderbook", key)):
                self.publish("orderbook", key, self.rows.book(market_id))
            if self._subs.get(("best_price", key)):
                self.publish("best_price", key, self.rows.best_price(market_id))

    def publish_external_trades(self, market_id: int, rows: list[dict[str, Any]]) -> None:
        """Publish ``rows``, trades that did not happen on this exchange, on ``recent_trades``.

        The latest of them also join the topic's snapshot for new subscribers (recorded market
        data, for example).
        """
        self.rows.add_external_trades(market_id, rows)
        self.publish("recent_trades", str(market_id), rows)

    def publish_funding(self) -> None:
        """Push every market's current funding rate to ``live_funding_rate`` subscribers."""
        if self._subs.get(("live_funding_rate", "")):
            self.publish("live_funding_rate", "", self.rows.funding_rates())
