"""Which positions are due for liquidation or a take-profit / stop-loss close, and closing one at
market. Both are judged at the mark price (index plus a bounded book premium)."""

from __future__ import annotations

from ..markets import LIQUIDATOR_ADDRESS
from .book import LiveOrder
from .matching import cancel_order, place_order
from .positions import LivePosition, is_liquidatable
from .records import ORDER_TYPE_STOP_LOSS, ORDER_TYPE_TAKE_PROFIT, OrderRequest
from .state import EngineState

__all__ = [
    "cancel_closing_orders",
    "close_at_market",
    "due_liquidations",
    "due_triggers",
    "is_due",
]


def is_due(s: EngineState, pos: LivePosition) -> bool:
    """True when ``pos``'s margin + unrealised PnL at the mark is below maintenance.

    The house liquidator's own positions (the ones it took over) are never due.
    """
    return pos.wallet != LIQUIDATOR_ADDRESS and is_liquidatable(
        s.markets[pos.market_id], pos, s.mark(pos.market_id)
    )


def due_liquidations(s: EngineState) -> list[LivePosition]:
    """Positions due for liquidation (:func:`is_due`)."""
    return [p for p in s.positions.values() if is_due(s, p)]


def cancel_closing_orders(s: EngineState, pos: LivePosition) -> None:
    """Cancel every resting closing order of ``pos``'s wallet, market and side."""
    for order in list(s.open.values()):
        if (
            order.wallet == pos.wallet
            and order.market_id == pos.market_id
            and order.trade_side == pos.trade_side
            and order.direction
        ):
            cancel_order(s, order)


def close_at_market(s: EngineState, pos: LivePosition, order_type: int | None = None) -> LiveOrder:
    """Cancel the position's closing orders and close all of it with a market order.

    Aborts 1007 (nothing changed) when the book has no liquidity at all.
    """
    spec = s.markets[pos.market_id]
    cancel_closing_orders(s, pos)
    req = OrderRequest(
        is_limit=False,
        trade_side=pos.trade_side,
        direction=True,
        size=pos.size,
        price=0,
        leverage=pos.leverage,
    )
    return place_order(s, pos.wallet, spec, req, order_type)


def due_triggers(s: EngineState) -> list[tuple[LivePosition, int]]:
    """Positions whose take-profit / stop-loss the mark price crossed, with the order type."""
    out: list[tuple[LivePosition, int]] = []
    for pos in s.positions.values():
        tp, sl = pos.take_profit, pos.stop_loss
        if not (tp or sl):
            continue
        mark = s.mark(pos.market_id)
        if pos.trade_side:
            hit_tp, hit_sl = tp and mark >= tp, sl and mark <= sl
        else:
            hit_tp, hit_sl = tp and mark <= tp, sl and mark >= sl
        if hit_tp:
            out.append((pos, ORDER_TYPE_TAKE_PROFIT))
        elif hit_sl:
            out.append((pos, ORDER_TYPE_STOP_LOSS))
    return out
