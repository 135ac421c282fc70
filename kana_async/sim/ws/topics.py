"""The hub's topics: names, subscribe-frame keys and the rows a subscription starts with."""

from __future__ import annotations

import collections
import time
from collections.abc import Callable, Container, Iterable
from typing import Any, Final

from kana_async.sim import wire
from kana_async.sim.accounts import ProfileDirectory
from kana_async.sim.engine import Exchange, normalize_address

__all__ = [
    "ACCOUNT_TOPICS",
    "ALIASES",
    "GLOBAL_TOPICS",
    "MARKET_TOPICS",
    "TopicRows",
    "canonical",
    "norm_key",
    "subscription_key",
]

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
ALIASES: Final = {"bestPrice": "best_price"}

Rows = list[dict[str, Any]]


def canonical(topic: str) -> str:
    """The canonical name of a (possibly aliased) topic."""
    return ALIASES.get(topic, topic)


def subscription_key(topic: str, msg: dict[str, Any], markets: Container[int]) -> str:
    """The key of a subscribe frame for canonical ``topic``; ``ValueError`` explains a bad one."""
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
        if market_id not in markets:
            raise ValueError(f"unknown market_id {raw!r}")
        return str(market_id)
    if topic in GLOBAL_TOPICS:
        return ""
    raise ValueError(f"unknown topic {topic!r}")


def norm_key(topic: str, key: str) -> str:
    """``key`` as the hub stores it for ``topic`` (account topics: normalised address)."""
    if canonical(topic) in ACCOUNT_TOPICS:
        return normalize_address(key)
    return key


def _int_or_none(raw: object) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    text = raw.strip() if isinstance(raw, str) else ""
    if text.isascii() and text.isdigit() and len(text) <= 20:  # "²" is a digit, "９" too
        return int(text)
    return None


class TopicRows:
    """The rows of each topic, read from the exchange (snapshots and per-change pushes)."""

    def __init__(
        self,
        exchange: Exchange,
        directory: ProfileDirectory,
        *,
        recent_trades: int = 50,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.exchange = exchange
        self.directory = directory
        self.recent_trades = recent_trades
        self._clock = clock
        self._external: dict[int, collections.deque[dict[str, Any]]] = {}

    def add_external_trades(self, market_id: int, rows: Iterable[dict[str, Any]]) -> None:
        """Remember trade rows that did not happen on this exchange (e.g. replayed ones).

        The latest ``recent_trades`` of them join the ``recent_trades`` snapshot.
        """
        kept = self._external.get(market_id)
        if kept is None:
            kept = self._external[market_id] = collections.deque(maxlen=self.recent_trades)
        kept.extend(rows)

    def snapshot(self, topic: str, key: str) -> Rows:
        """What a new ``(topic, key)`` subscription receives first."""
        ex = self.exchange
        if topic in MARKET_TOPICS:
            market_id = int(key)
            if topic == "orderbook":
                return self.book(market_id)
            if topic == "best_price":
                return self.best_price(market_id)
            spec = ex.markets[market_id]
            trades = ex.market_trades(market_id, self.recent_trades)
            rows = [wire.public_trade_row(spec, t) for t in trades]
            external = self._external.get(market_id)
            if external:  # oldest first by timestamp; on a tie this exchange's trades first
                rows = sorted([*rows, *external], key=_timestamp)[-self.recent_trades :]
            return rows
        if topic == "live_funding_rate":
            return self.funding_rates()
        wallet = self.directory.wallet_of(key)
        if wallet is None:
            return []
        if topic == "positions":
            return self.positions(wallet)
        if topic == "open_orders":
            return self.open_orders(wallet)
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

    def positions(self, wallet: str) -> Rows:
        """Every open position of the wallet."""
        ex = self.exchange
        return [wire.position_row(ex.markets[p.market_id], p) for p in ex.positions(wallet)]

    def open_orders(self, wallet: str) -> Rows:
        """Every open order of the wallet."""
        ex = self.exchange
        return [wire.open_order_row(ex.markets[o.market_id], o) for o in ex.open_orders(wallet)]

    def book(self, market_id: int) -> Rows:
        """The whole book of a market as a flat list of levels."""
        ex = self.exchange
        bids, asks = ex.book(market_id)
        now = int(self._clock())
        return wire.book_rows(ex.markets[market_id], bids, asks, now, ex.current_version)

    def best_price(self, market_id: int) -> Rows:
        """The market's ``best_price`` row."""
        spec = self.exchange.markets[market_id]
        return [wire.best_price_row(spec, *self.exchange.best_bid_ask(market_id))]

    def funding_rates(self) -> Rows:
        """Every market's current funding rate."""
        return [wire.funding_rate_row(r) for r in self.exchange.funding_rates()]


def _timestamp(row: dict[str, Any]) -> int:
    stamp = row.get("timestamp")
    return stamp if isinstance(stamp, int) else 0
