"""A market's order book: resting orders by price level with price-time priority."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from .journal import Journal
from .records import OrderStatus

__all__ = ["LiveOrder", "OrderBook"]


@dataclass(slots=True, eq=False)
class LiveOrder:
    """The engine's mutable order (the public view is :class:`~.records.OrderRecord`).

    ``reserved`` is the collateral still held for the unfilled part of an opening order (initial
    margin plus the worst-case taker fee at its limit price; a market order: at the prices the
    book will fill it at). ``size`` never changes after placement (cancel and re-place).
    """

    order_id: int
    #: Placement sequence across all markets (orders list oldest first by it).
    seq: int
    wallet: str
    market_id: int
    order_type: int
    is_market: bool
    trade_side: bool
    direction: bool
    is_buy: bool
    price: int
    size: int
    remaining: int
    filled: int
    filled_value: int
    leverage: int
    restriction: int
    take_profit: int
    stop_loss: int
    reserved: int
    status: OrderStatus
    trade_id: int | None
    timestamp: int
    last_updated: int
    version: int


class OrderBook:
    """Bids and asks of one market. Prices are ticks; each level is a FIFO list of orders."""

    __slots__ = ("_ask_prices", "_asks", "_bid_prices", "_bids", "market_id")

    def __init__(self, market_id: int) -> None:
        self.market_id = market_id
        self._bids: dict[int, list[LiveOrder]] = {}
        self._asks: dict[int, list[LiveOrder]] = {}
        # Both ascending: best bid is the last, best ask the first.
        self._bid_prices: list[int] = []
        self._ask_prices: list[int] = []

    def _side(self, is_buy: bool) -> tuple[dict[int, list[LiveOrder]], list[int]]:
        return (self._bids, self._bid_prices) if is_buy else (self._asks, self._ask_prices)

    def add(self, order: LiveOrder, journal: Journal) -> None:
        """Rest ``order`` at the back of its price level."""
        levels, prices = self._side(order.is_buy)
        level = levels.get(order.price)
        if level is None:
            journal.key(levels, order.price)
            journal.seq(prices)
            levels[order.price] = [order]
            bisect.insort(prices, order.price)
        else:
            journal.seq(level)
            level.append(order)

    def remove(self, order: LiveOrder, journal: Journal) -> None:
        """Take ``order`` off the book (it must be resting)."""
        levels, prices = self._side(order.is_buy)
        level = levels[order.price]
        journal.seq(level)
        level.remove(order)
        if not level:
            journal.key(levels, order.price)
            journal.seq(prices)
            del levels[order.price]
            del prices[bisect.bisect_left(prices, order.price)]

    def best_bid(self) -> int | None:
        """Highest bid price, or None."""
        return self._bid_prices[-1] if self._bid_prices else None

    def best_ask(self) -> int | None:
        """Lowest ask price, or None."""
        return self._ask_prices[0] if self._ask_prices else None

    def best_order(self, against_buy: bool) -> LiveOrder | None:
        """The first order a taker on side ``against_buy`` (True: a buyer) would meet."""
        if against_buy:
            return self._asks[self._ask_prices[0]][0] if self._ask_prices else None
        return self._bids[self._bid_prices[-1]][0] if self._bid_prices else None

    def plan(
        self, is_buy: bool, limit: int | None, lots: int, wallet: str | None = None
    ) -> list[tuple[int, int]]:
        """``(price, lots)`` a taker would fill, best first, without changing anything.

        ``limit`` None walks the whole opposite side (market order). Resting orders of
        ``wallet`` (the taker's own) are not counted: self-trade prevention cancels them.
        """
        out: list[tuple[int, int]] = []
        left = lots
        levels, prices = self._side(not is_buy)
        ordered = prices if is_buy else reversed(prices)
        for price in ordered:
            if left <= 0:
                break
            if limit is not None and (price > limit if is_buy else price < limit):
                break
            available = sum(o.remaining for o in levels[price] if o.wallet != wallet)
            if not available:
                continue
            take = min(available, left)
            out.append((price, take))
            left -= take
        return out

    def levels(self, is_buy: bool, depth: int | None = None) -> list[tuple[int, int]]:
        """Aggregated ``(price, lots)`` of one side, best first, at most ``depth`` levels."""
        levels, prices = self._side(is_buy)
        ordered = list(reversed(prices)) if is_buy else list(prices)
        if depth is not None:
            ordered = ordered[:depth]
        return [(p, sum(o.remaining for o in levels[p])) for p in ordered]

    def orders(self) -> list[LiveOrder]:
        """Every resting order (bids then asks), in priority order."""
        out: list[LiveOrder] = []
        for p in reversed(self._bid_prices):
            out.extend(self._bids[p])
        for p in self._ask_prices:
            out.extend(self._asks[p])
        return out
