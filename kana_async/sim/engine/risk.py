"""Liquidation, take-profit / stop-loss triggers and funding."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from ..markets import MarketSpec
from .book import LiveOrder
from .matching import cancel_order, place_order
from .positions import LivePosition, entry_price, is_liquidatable
from .records import (
    ORDER_TYPE_LIQUIDATION,
    ORDER_TYPE_STOP_LOSS,
    ORDER_TYPE_TAKE_PROFIT,
    FillRecord,
    FundingEvent,
    FundingPaymentRecord,
    FundingRateRecord,
    OrderRequest,
)
from .state import EngineState

__all__ = [
    "apply_funding",
    "close_at_market",
    "current_funding_rate",
    "due_liquidations",
    "due_triggers",
    "liquidate",
    "premium_ticks",
]

_RATE_QUANTUM = Decimal("1e-8")


def due_liquidations(s: EngineState) -> list[LivePosition]:
    """Positions whose margin + unrealised PnL at the mark is below maintenance."""
    return [
        p
        for p in s.positions.values()
        if is_liquidatable(s.markets[p.market_id], p, s.mark(p.market_id))
    ]


def liquidate(s: EngineState, pos: LivePosition) -> None:
    """Close ``pos`` at the mark price against the clearing pot (no order book, no fee).

    Resting closing orders of that side are cancelled first. The trader keeps whatever margin +
    PnL is left (never less than zero: a deficit is absorbed by the clearing pot).
    """
    spec = s.markets[pos.market_id]
    mark = s.mark(pos.market_id)
    _cancel_closing_orders(s, pos)
    s.journal.obj(pos)
    value = spec.notional_units(pos.size, mark)
    pnl = value - pos.basis if pos.trade_side else pos.basis - value
    entry = entry_price(spec, pos)
    size, margin = pos.size, pos.margin
    trade_id = s.next_id("trade", spec.market_id)
    pos.size = pos.basis = pos.margin = 0
    pos.trade_id = trade_id
    s.touch(pos)
    s.journal.key(s.positions, (pos.wallet, pos.market_id, pos.trade_side))
    del s.positions[(pos.wallet, pos.market_id, pos.trade_side)]
    s.accounts.clearing_pay(pnl)
    payout = margin + pnl
    if payout < 0:
        s.accounts.clearing_pay(-payout)
        payout = 0
    s.accounts.credit_trading(pos.wallet, payout)
    s.balance_changed(pos.wallet)
    s.position_changed(pos)
    s.append(
        s.fills,
        pos.wallet,
        FillRecord(
            address=s.profile(pos.wallet),
            wallet=pos.wallet,
            market_id=pos.market_id,
            trade_id=trade_id,
            order_id=None,
            order_type=ORDER_TYPE_LIQUIDATION,
            trade_side=pos.trade_side,
            direction=True,
            is_buy=not pos.trade_side,
            is_maker=False,
            size=size,
            price=mark,
            order_value=value,
            pnl=pnl,
            fee=0,
            entry_price=entry,
            leverage=pos.leverage,
            **s.stamp(),
        ),
    )


def _cancel_closing_orders(s: EngineState, pos: LivePosition) -> None:
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
    _cancel_closing_orders(s, pos)
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
    """Positions whose take-profit / stop-loss the last trade price crossed, with order type."""
    out: list[tuple[LivePosition, int]] = []
    for pos in s.positions.values():
        last = s.last_price.get(pos.market_id)
        if last is None:
            continue
        tp, sl = pos.take_profit, pos.stop_loss
        if pos.trade_side:
            hit_tp, hit_sl = tp and last >= tp, sl and last <= sl
        else:
            hit_tp, hit_sl = tp and last <= tp, sl and last >= sl
        if hit_tp:
            out.append((pos, ORDER_TYPE_TAKE_PROFIT))
        elif hit_sl:
            out.append((pos, ORDER_TYPE_STOP_LOSS))
    return out


def premium_ticks(s: EngineState, spec: MarketSpec) -> int:
    """How far (in ticks) the market trades away from the index price.

    With a book, the premium is how far the best bid sits above the index or the best ask below
    it (0 while the index lies inside the spread, like an impact-price premium index); a
    one-sided book uses its one side; an empty book falls back to ``mark - index``.
    """
    index = s.index_price[spec.market_id]
    book = s.books[spec.market_id]
    bid, ask = book.best_bid(), book.best_ask()
    if bid is None and ask is None:
        return s.mark(spec.market_id) - index
    above = max(0, bid - index) if bid is not None else 0
    below = max(0, index - ask) if ask is not None else 0
    return above - below


def current_funding_rate(s: EngineState, spec: MarketSpec) -> Decimal:
    """``clamp(premium / index, ±max_funding_rate)`` (see :func:`premium_ticks`), to 1e-8."""
    index = s.index_price[spec.market_id]
    if index <= 0:
        return Decimal(0)
    premium = Decimal(premium_ticks(s, spec)) / Decimal(index)
    bound = s.max_funding_rate
    return max(-bound, min(bound, premium)).quantize(_RATE_QUANTUM, rounding=ROUND_DOWN)


def funding_rate_record(s: EngineState, spec: MarketSpec, next_time: int) -> FundingRateRecord:
    """The market's current funding-rate record."""
    return FundingRateRecord(
        market_id=spec.market_id,
        rate=current_funding_rate(s, spec),
        mark_price=s.mark(spec.market_id),
        index_price=s.index_price[spec.market_id],
        next_funding_time=next_time,
        **s.stamp(),
    )


def apply_funding(s: EngineState, spec: MarketSpec, next_time: int) -> FundingRateRecord:
    """Charge / pay every open position of a market one funding interval.

    With ``rate > 0`` longs pay ``notional × rate`` (at the mark, rounded down) and shorts receive
    it; the flows go through the clearing pot and the positions' margin (a payer never pays more
    than its margin).
    """
    record = funding_rate_record(s, spec, next_time)
    mark, rate = record.mark_price, record.rate
    payments: list[FundingPaymentRecord] = []
    for pos in [p for p in s.positions.values() if p.market_id == spec.market_id]:
        value = spec.notional_units(pos.size, mark)
        amount = int((Decimal(value) * abs(rate)).to_integral_value(rounding=ROUND_DOWN))
        pays = (rate > 0) == pos.trade_side
        if not amount:
            continue
        s.journal.obj(pos)
        if pays:
            amount = min(amount, pos.margin)
            pos.margin -= amount
            s.accounts.clearing_pay(-amount)
            signed = -amount
        else:
            pos.margin += amount
            s.accounts.clearing_pay(amount)
            signed = amount
        s.touch(pos)
        payment = FundingPaymentRecord(
            address=s.profile(pos.wallet),
            wallet=pos.wallet,
            market_id=spec.market_id,
            trade_side=pos.trade_side,
            size=pos.size,
            rate=rate,
            amount=signed,
            mark_price=mark,
            **s.stamp(),
        )
        s.append(s.funding_payments, pos.wallet, payment)
        payments.append(payment)
        s.position_changed(pos)
    s.journal.tail(s.funding_applied)
    s.funding_applied.append(record)
    s.events.append(FundingEvent(rate=record, payments=tuple(payments)))
    return record
