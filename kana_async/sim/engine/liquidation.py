"""Liquidation: a trade against a visible counterparty, the remaining collateral shared out, losses
beyond margin paid by the insurance fund or, when it cannot pay them, by auto-deleveraging.

A position whose margin + unrealised PnL at the mark is below maintenance is closed *as a trade*
(both sides get an order, a fill and an event; the public trade shows in the market's trades):

1. its resting closing orders are cancelled;
2. **remaining collateral** = margin + PnL at the mark. When it is >= 0, or the insurance fund
   holds at least the deficit, the house liquidator (:data:`~kana_async.sim.markets.
   LIQUIDATOR_ADDRESS`) takes the whole position over at the mark: it opens the same side at the
   same size and price, posting ``notional / leverage`` margin from its trading balance (leverage
   1, or the lowest leverage its balance allows, or the leverage of the position it already holds
   on that side). A deficit (remaining < 0) is paid by the insurance fund;
3. otherwise (the fund holds less than the deficit, or the liquidator cannot post the margin) the
   position is **auto-deleveraged**: it is closed at its *bankruptcy price* (where its remaining
   collateral is zero, rounded onto the tick grid in the trader's favour) against the opposite
   side's open positions, most unrealised PnL at the mark first (ties: wallet address), each of
   which closes the matching lots at that price (their resting closing orders on that side are
   cancelled). The fund pays nothing in that case;
4. a remaining collateral > 0 is split by :func:`~.rules.split_remaining`: 20 % to the insurance
   fund (below its cap), 30 % to the liquidator, the rest to the trader's trading balance.

No fee is charged on either side of a liquidation or deleveraging fill. On every tick the
liquidator unwinds what it took over into the book (:func:`unwind_lots`): it closes, with a
market order paying the usual taker fee, as many lots as the book offers within
:data:`UNWIND_BAND` of the mark. When even
auto-deleveraging cannot settle (a deleveraged close that would itself leave a loss the fund
cannot pay), the liquidation aborts with nothing changed and is retried on the next tick.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Final

from ..contract import MoveAbort
from ..markets import INSURANCE_FUND_ADDRESS, LIQUIDATOR_ADDRESS, MarketSpec
from .book import LiveOrder
from .fills import fill, record_trade
from .matching import place_order
from .positions import LivePosition, close_portion, entry_price, unrealized_pnl
from .records import (
    ORDER_TYPE_AUTO_DELEVERAGE,
    ORDER_TYPE_LIQUIDATION,
    FillRecord,
    OrderRequest,
)
from .risk import cancel_closing_orders
from .rules import initial_margin, split_remaining
from .state import EngineState

__all__ = ["UNWIND_BAND", "bankruptcy_price", "liquidate", "unwind", "unwind_lots"]

#: How far from the mark (a fraction of it) the liquidator accepts to close what it took over.
UNWIND_BAND: Final = Fraction(1, 100)


def liquidate(s: EngineState, pos: LivePosition) -> None:
    """Liquidate ``pos`` (see the module docstring); aborts when it cannot be settled."""
    spec = s.markets[pos.market_id]
    mark = s.mark(spec.market_id)
    cancel_closing_orders(s, pos)
    remaining = pos.margin + unrealized_pnl(spec, pos, mark)
    fund = s.accounts.trading.get(INSURANCE_FUND_ADDRESS, 0)
    leverage = _liquidator_leverage(s, spec, pos, mark)
    if (remaining >= 0 or fund >= -remaining) and leverage is not None:
        _take_over(s, spec, pos, mark, leverage)
    else:
        _deleverage(s, spec, pos, bankruptcy_price(spec, pos) if remaining < 0 else mark)


def bankruptcy_price(spec: MarketSpec, pos: LivePosition) -> int:
    """Price in ticks (on the tick grid) at which the position's margin + PnL is zero, rounded so
    the trader is never left with less than zero (up for a long, down for a short; >= 1 tick)."""
    per_tick = spec.notional_exact(pos.size, 1)
    tick = spec.tick_size
    if pos.trade_side:
        raw = math.ceil((pos.basis - pos.margin) / per_tick)
        return max(tick, -(-raw // tick) * tick)
    raw = math.floor((pos.basis + pos.margin) / per_tick)
    return max(tick, raw // tick * tick)


def _liquidator_leverage(
    s: EngineState, spec: MarketSpec, pos: LivePosition, price: int
) -> int | None:
    """The leverage the liquidator can take ``pos`` over at, or None when it cannot."""
    notional = spec.notional_units(pos.size, price)
    held = s.positions.get((LIQUIDATOR_ADDRESS, spec.market_id, pos.trade_side))
    balance = s.accounts.trading.get(LIQUIDATOR_ADDRESS, 0)
    if held is not None:
        candidates = [held.leverage]
    else:
        lowest = max(1, -(-notional // balance)) if balance > 0 else spec.max_leverage + 1
        candidates = [lowest] if lowest <= spec.max_leverage else []
    for leverage in candidates:
        if initial_margin(notional, leverage) <= balance:
            return leverage
    return None


def _synthetic_order(
    s: EngineState,
    spec: MarketSpec,
    wallet: str,
    trade_side: bool,
    direction: bool,
    size: int,
    price: int,
    leverage: int,
    order_type: int,
) -> LiveOrder:
    """An order the engine places on a trader's behalf (already matched, never resting)."""
    order = LiveOrder(
        order_id=s.next_order_id(spec.market_id, price),
        seq=s.next_seq(),
        wallet=wallet,
        market_id=spec.market_id,
        order_type=order_type,
        is_market=True,
        trade_side=trade_side,
        direction=direction,
        is_buy=trade_side != direction,
        price=0,
        size=size,
        remaining=size,
        filled=0,
        filled_value=0,
        leverage=leverage,
        restriction=0,
        take_profit=0,
        stop_loss=0,
        reserved=0,
        status="Open",
        trade_id=None,
        **s.live_stamp(),
    )
    s.journal.key(s.orders, order.order_id)
    s.orders[order.order_id] = order
    s.append(s.order_ids, wallet, order.order_id)
    return order


def _take_over(
    s: EngineState, spec: MarketSpec, pos: LivePosition, price: int, leverage: int
) -> None:
    """The liquidator opens ``pos`` (same side and size) at ``price``; ``pos`` closes."""
    size = pos.size
    taker = _synthetic_order(
        s, spec, pos.wallet, pos.trade_side, True, size, price, pos.leverage, ORDER_TYPE_LIQUIDATION
    )
    maker = _synthetic_order(
        s,
        spec,
        LIQUIDATOR_ADDRESS,
        pos.trade_side,
        False,
        size,
        price,
        leverage,
        ORDER_TYPE_LIQUIDATION,
    )
    margin = initial_margin(spec.notional_units(size, price), leverage)
    s.accounts.debit_trading(LIQUIDATOR_ADDRESS, margin, 1109, "liquidator takeover margin")
    maker.reserved = margin
    trade_id = s.next_trade_id(spec.market_id)
    maker_fill = fill(s, spec, maker, size, price, True, trade_id, free=True)
    remaining, taker_fill = _close_piece(s, spec, pos, taker, size, price, trade_id)
    _settle(s, spec, pos.wallet, remaining)
    s.order_changed(maker)
    s.order_changed(taker)
    record_trade(s, spec, taker, maker, taker_fill, maker_fill)


def _deleverage(s: EngineState, spec: MarketSpec, pos: LivePosition, price: int) -> None:
    """Close ``pos`` at ``price`` against the opposite side's most profitable positions."""
    mark = s.mark(spec.market_id)
    opposite = sorted(
        (
            p
            for p in s.positions.values()
            if p.market_id == spec.market_id and p.trade_side != pos.trade_side
        ),
        key=lambda p: (-unrealized_pnl(spec, p, mark), p.wallet),
    )
    taker = _synthetic_order(
        s,
        spec,
        pos.wallet,
        pos.trade_side,
        True,
        pos.size,
        price,
        pos.leverage,
        ORDER_TYPE_LIQUIDATION,
    )
    remaining = 0
    for other in opposite:
        if not pos.size:
            break
        lots = min(pos.size, other.size)
        cancel_closing_orders(s, other)
        maker = _synthetic_order(
            s,
            spec,
            other.wallet,
            other.trade_side,
            True,
            lots,
            price,
            other.leverage,
            ORDER_TYPE_AUTO_DELEVERAGE,
        )
        s.journal.obj(other)
        other.pending_close += lots
        trade_id = s.next_trade_id(spec.market_id)
        maker_fill = fill(s, spec, maker, lots, price, True, trade_id, free=True)
        piece, taker_fill = _close_piece(s, spec, pos, taker, lots, price, trade_id)
        remaining += piece
        s.order_changed(maker)
        record_trade(s, spec, taker, maker, taker_fill, maker_fill)
    if pos.size:  # pragma: no cover - long size equals short size in every market
        raise MoveAbort(1007, "not enough opposite positions to deleverage against")
    _settle(s, spec, pos.wallet, remaining)
    s.order_changed(taker)


def _close_piece(
    s: EngineState,
    spec: MarketSpec,
    pos: LivePosition,
    order: LiveOrder,
    lots: int,
    price: int,
    trade_id: int,
) -> tuple[int, FillRecord]:
    """Close ``lots`` of the liquidated ``pos`` at ``price``; returns (collateral left, fill)."""
    s.journal.obj(pos)
    s.journal.obj(order)
    value = spec.notional_units(lots, price)
    entry = entry_price(spec, pos)
    basis_part, margin_part = close_portion(pos, lots)
    pnl = value - basis_part if pos.trade_side else basis_part - value
    pos.size -= lots
    pos.basis -= basis_part
    pos.margin -= margin_part
    pos.trade_id = trade_id
    s.touch(pos)
    key = (pos.wallet, pos.market_id, pos.trade_side)
    if not pos.size:
        s.journal.key(s.positions, key)
        del s.positions[key]
    s.position_changed(pos)
    order.remaining -= lots
    order.filled += lots
    order.filled_value += value
    order.trade_id = trade_id
    order.status = "Filled" if not order.remaining else "Partially Filled"
    s.touch(order)
    record = FillRecord(
        address=s.profile(pos.wallet),
        wallet=pos.wallet,
        market_id=spec.market_id,
        trade_id=trade_id,
        order_id=order.order_id,
        order_type=ORDER_TYPE_LIQUIDATION,
        trade_side=pos.trade_side,
        direction=True,
        is_buy=not pos.trade_side,
        is_maker=False,
        size=lots,
        price=price,
        order_value=value,
        pnl=pnl,
        fee=0,
        entry_price=entry,
        leverage=pos.leverage,
        **s.stamp(),
    )
    s.append(s.fills, pos.wallet, record)
    return margin_part + pnl, record


def _settle(s: EngineState, spec: MarketSpec, wallet: str, remaining: int) -> None:
    """Share out a liquidated position's remaining collateral, or have the fund pay its deficit."""
    accounts = s.accounts
    if remaining < 0:
        accounts.debit_trading(
            INSURANCE_FUND_ADDRESS, -remaining, 1109, "insurance fund covering a liquidation"
        )
    else:
        cap = s.insurance_fund_cap
        held = accounts.trading.get(INSURANCE_FUND_ADDRESS, 0)
        room = None if cap is None else max(0, cap - held)
        to_fund, to_liquidator, to_trader = split_remaining(remaining, room)
        accounts.credit_trading(INSURANCE_FUND_ADDRESS, to_fund)
        accounts.credit_trading(LIQUIDATOR_ADDRESS, to_liquidator)
        accounts.credit_trading(wallet, to_trader)
        s.balance_changed(LIQUIDATOR_ADDRESS)
    s.balance_changed(INSURANCE_FUND_ADDRESS)
    s.balance_changed(wallet)


def unwind_lots(s: EngineState, pos: LivePosition) -> int:
    """Lots of the liquidator's ``pos`` the book absorbs within :data:`UNWIND_BAND` of the mark."""
    spec = s.markets[pos.market_id]
    mark = s.mark(spec.market_id)
    is_buy = not pos.trade_side  # closing a long sells, closing a short buys
    limit = math.ceil(mark * (1 + UNWIND_BAND)) if is_buy else math.floor(mark * (1 - UNWIND_BAND))
    plan = s.books[spec.market_id].plan(is_buy, limit, pos.size - pos.pending_close, pos.wallet)
    return sum(lots for _, lots in plan)


def unwind(s: EngineState, pos: LivePosition, lots: int) -> None:
    """Close ``lots`` of the liquidator's ``pos`` with a market order (see :func:`unwind_lots`)."""
    req = OrderRequest(
        is_limit=False,
        trade_side=pos.trade_side,
        direction=True,
        size=lots,
        price=0,
        leverage=pos.leverage,
    )
    place_order(s, pos.wallet, s.markets[pos.market_id], req)
