"""Recorded order-book rows onto the simulator's grid, and the orders that rest them.

Bid prices are rounded down and ask prices up to the market's tick, sizes down to its lot; a
crossed recording keeps its asks and drops the bids that cross them. Each level first closes what
the replay wallet holds on the other side, then opens the rest, cut to the market's
``max_position_value`` (one opening order may not take a position past it) and left out when the
opening part is below the market's minimum size.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any, Final

from kana_async.sim.engine import OrderRecord, OrderRequest, PositionRecord
from kana_async.sim.markets import MarketSpec

__all__ = ["LEVERAGE", "Levels", "decimal_of", "level_orders", "levels", "recorded_mid", "to_grid"]

#: Leverage of every replay order.
LEVERAGE: Final = 1

#: ``ticks → lots`` of one side of a book.
Levels = dict[int, int]


def decimal_of(raw: object) -> Decimal | None:
    """A finite ``Decimal`` from a JSON number or string; ``None`` for anything else."""
    if isinstance(raw, bool) or raw is None:
        return None
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def to_grid(raw_ticks: Decimal, tick_size: int, *, up: bool) -> int:
    """``raw_ticks`` (fractional) onto a multiple of ``tick_size``, rounded up or down."""
    steps = (raw_ticks / tick_size).to_integral_value(ROUND_CEILING if up else ROUND_FLOOR)
    return int(steps) * tick_size


def _prices(rows: Iterable[Any]) -> Iterable[tuple[bool, Decimal, Decimal]]:
    """``(is_ask, price, size)`` of every usable row (positive price and size)."""
    for row in rows:
        if not isinstance(row, dict):
            continue
        price, size = decimal_of(row.get("price")), decimal_of(row.get("size"))
        if price is None or size is None or price <= 0 or size <= 0:
            continue
        yield row.get("is_ask") is True, price, size


def levels(spec: MarketSpec, rows: Iterable[Any]) -> tuple[Levels, Levels]:
    """Recorded ``orderbook`` rows → ``(bids, asks)`` on ``spec``'s grid (see module docs)."""
    bids: Levels = {}
    asks: Levels = {}
    for is_ask, price, size in _prices(rows):
        ticks = to_grid(price.scaleb(spec.quote_precision), spec.tick_size, up=is_ask)
        lots = int(size.scaleb(spec.base_decimals) // spec.lot_size)
        if ticks <= 0 or lots <= 0:
            continue
        side = asks if is_ask else bids
        side[ticks] = side.get(ticks, 0) + lots
    if bids and asks:
        best_ask = min(asks)
        bids = {t: lots for t, lots in bids.items() if t < best_ask}
    return bids, asks


def recorded_mid(rows: Iterable[Any]) -> Decimal | None:
    """(best bid + best ask) / 2 of recorded rows, before any rounding; ``None`` if one-sided."""
    bids: list[Decimal] = []
    asks: list[Decimal] = []
    for is_ask, price, _ in _prices(rows):
        (asks if is_ask else bids).append(price)
    if not bids or not asks:
        return None
    return (max(bids) + min(asks)) / 2


def level_orders(
    spec: MarketSpec,
    bids: Levels,
    asks: Levels,
    positions: Sequence[PositionRecord],
    cancelled: Sequence[OrderRecord],
    *,
    shared_room: bool = False,
) -> tuple[list[OrderRequest], int]:
    """The limit orders resting ``bids`` and ``asks`` for a wallet whose ``cancelled`` go first.

    Args:
        spec: the market.
        bids: ticks → lots to rest on the buy side.
        asks: ticks → lots to rest on the sell side.
        positions: the wallet's positions in the market.
        cancelled: the wallet's open orders that the same transaction cancels.
        shared_room: cut the opening orders of a side so that together (not each) they stay
            within ``max_position_value``: safe even when some of them fill at once (they cross
            someone's resting orders) and grow the position before the next one is checked.

    Returns:
        The orders (bids best first, then asks best first) and how many levels were cut or
        left out.
    """
    closable = {p.trade_side: p.available_order_size for p in positions}
    for order in cancelled:
        if order.direction:
            closable[order.trade_side] = closable.get(order.trade_side, 0) + order.remaining_size
    value = {p.trade_side: p.value for p in positions}
    cap = spec.max_position_value
    orders: list[OrderRequest] = []
    cut = 0
    sides = ((True, sorted(bids.items(), reverse=True)), (False, sorted(asks.items())))
    for is_buy, side_levels in sides:
        close_side = not is_buy  # a buy closes a short, a sell closes a long
        for ticks, lots in side_levels:
            closing = min(lots, closable.get(close_side, 0))
            if closing:
                closable[close_side] -= closing
                orders.append(OrderRequest(True, close_side, True, closing, ticks, LEVERAGE))
            opening = lots - closing
            if cap and opening:
                room = max(0, cap - value.get(is_buy, 0))
                notional = spec.notional_units(opening, ticks)
                if notional > room:
                    opening = opening * room // notional
                if shared_room:
                    value[is_buy] = value.get(is_buy, 0) + spec.notional_units(opening, ticks)
            if opening < spec.min_lots:
                opening = 0
            if opening < lots - closing:
                cut += 1
            if opening:
                orders.append(OrderRequest(True, is_buy, False, opening, ticks, LEVERAGE))
    return orders, cut
