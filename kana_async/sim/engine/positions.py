"""Positions: the engine's mutable position and the margin / PnL / liquidation arithmetic.

A position keeps its *cost basis* (sum of the opening fills' notional, quote units) rather than an
average price, so realised PnL over a position's life is exact and the PnL of all traders sums to
zero once everyone is flat.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from ..markets import MarketSpec

__all__ = [
    "LivePosition",
    "close_portion",
    "entry_price",
    "is_liquidatable",
    "liquidation_price",
    "maintenance_requirement",
    "unrealized_pnl",
]


@dataclass(slots=True, eq=False)
class LivePosition:
    """One side (``trade_side`` True long) of a wallet's position in a market.

    ``basis`` is the entry notional in quote units, ``margin`` the collateral held,
    ``pending_close`` the lots reserved by resting closing orders.
    """

    wallet: str
    market_id: int
    trade_side: bool
    leverage: int
    size: int
    basis: int
    margin: int
    pending_close: int
    take_profit: int
    stop_loss: int
    trade_id: int
    timestamp: int
    last_updated: int
    version: int


def unrealized_pnl(spec: MarketSpec, pos: LivePosition, mark: int) -> int:
    """PnL in quote units if the position were closed at ``mark`` ticks."""
    value = spec.notional_units(pos.size, mark)
    return value - pos.basis if pos.trade_side else pos.basis - value


def maintenance_requirement(spec: MarketSpec, pos: LivePosition, mark: int) -> int:
    """Maintenance margin at ``mark``: notional × maintenance_margin / 10000."""
    return spec.notional_units(pos.size, mark) * spec.maintenance_margin // 10_000


def is_liquidatable(spec: MarketSpec, pos: LivePosition, mark: int) -> bool:
    """True when margin + unrealised PnL falls below the maintenance requirement."""
    if pos.size <= 0:
        return False
    equity = pos.margin + unrealized_pnl(spec, pos, mark)
    return equity < maintenance_requirement(spec, pos, mark)


def entry_price(spec: MarketSpec, pos: LivePosition) -> int:
    """Average entry price in ticks, rounded to nearest."""
    return round(spec.ticks_for_notional(pos.basis, pos.size))


def liquidation_price(spec: MarketSpec, pos: LivePosition) -> int:
    """Mark price (ticks) at which the position becomes liquidatable; 0 when never (long)."""
    if pos.size <= 0:
        return 0
    mm = Fraction(spec.maintenance_margin, 10_000)
    per_tick = spec.notional_exact(pos.size, 1)
    if pos.trade_side:
        price = (pos.basis - pos.margin) / (per_tick * (1 - mm))
        return max(0, math.ceil(price))
    price = (pos.basis + pos.margin) / (per_tick * (1 + mm))
    return max(0, math.floor(price))


def close_portion(pos: LivePosition, lots: int) -> tuple[int, int]:
    """``(basis_part, margin_part)`` released by closing ``lots`` (the last close takes all)."""
    if lots >= pos.size:
        return pos.basis, pos.margin
    return pos.basis * lots // pos.size, pos.margin * lots // pos.size
