"""Applying fills: one side of a trade to its order, position and balances; public trades.

* an opening fill moves exactly the initial margin *at the fill price* (``ceil(notional /
  leverage)``, counted over the order's cumulative filled notional so rounding never adds up)
  from the order's reservation into the position and pays the fee; a limit order then releases
  what its remaining lots no longer need; a fill that needs more than is reserved (a sell filled
  above its limit) takes it from the trading balance (1109 if short);
* a closing fill releases its share of the position's margin and pays out margin + PnL − fee
  (:func:`pay_out`).
"""

from __future__ import annotations

from ..markets import INSURANCE_FUND_ADDRESS, MarketSpec
from .book import LiveOrder
from .positions import LivePosition, close_portion, entry_price
from .records import FillRecord, PublicTrade, TradeEvent
from .rules import initial_margin
from .state import EngineState

__all__ = ["fill", "pay_out", "record_trade", "reserve_for"]


def reserve_for(s: EngineState, wallet: str, notional: int, leverage: int) -> int:
    """Collateral an opening order worth ``notional`` holds: initial margin + worst-case fee."""
    return initial_margin(notional, leverage) + s.fees.fee_reserve(wallet, notional)


def record_trade(
    s: EngineState,
    spec: MarketSpec,
    taker: LiveOrder,
    maker: LiveOrder,
    taker_fill: FillRecord,
    maker_fill: FillRecord,
) -> None:
    """Book the public trade of two fills (same trade id, size and price) and queue its event."""
    s.book_changed(spec.market_id)
    s.journal.key(s.last_price, spec.market_id)
    s.last_price[spec.market_id] = taker_fill.price
    trade = PublicTrade(
        market_id=spec.market_id,
        trade_id=taker_fill.trade_id,
        price=taker_fill.price,
        size=taker_fill.size,
        order_value=taker_fill.order_value,
        taker_is_buy=taker.is_buy,
        taker_order_id=taker.order_id,
        maker_order_id=maker.order_id,
        taker_address=s.profile(taker.wallet),
        maker_address=s.profile(maker.wallet),
        **s.stamp(),
    )
    s.append(s.market_trades, spec.market_id, trade)
    s.events.append(TradeEvent(trade=trade, maker=maker_fill, taker=taker_fill))


def fill(
    s: EngineState,
    spec: MarketSpec,
    order: LiveOrder,
    lots: int,
    price: int,
    is_maker: bool,
    trade_id: int,
    *,
    free: bool = False,
) -> FillRecord:
    """Apply one side of a fill to the order, the position and the balances.

    ``free`` waives the fee (liquidation and auto-deleveraging fills).
    """
    s.journal.obj(order)
    value = spec.notional_units(lots, price)
    fee = 0 if free else s.fees.fee(order.wallet, value, is_maker)
    key = (order.wallet, order.market_id, order.trade_side)
    pos = s.positions.get(key)
    pnl = 0
    if not order.direction:
        margin = initial_margin(order.filled_value + value, order.leverage) - initial_margin(
            order.filled_value, order.leverage
        )
        _take_reserved(s, order, margin + fee)
        if pos is None:
            pos = LivePosition(
                wallet=order.wallet,
                market_id=order.market_id,
                trade_side=order.trade_side,
                leverage=order.leverage,
                size=0,
                basis=0,
                margin=0,
                pending_close=0,
                take_profit=0,
                stop_loss=0,
                trade_id=trade_id,
                **s.live_stamp(),
            )
            s.journal.key(s.positions, key)
            s.positions[key] = pos
        else:
            s.journal.obj(pos)
        pos.size += lots
        pos.basis += value
        pos.margin += margin
        if order.take_profit:
            pos.take_profit = order.take_profit
        if order.stop_loss:
            pos.stop_loss = order.stop_loss
        if fee:
            s.accounts.credit_trading(spec.fee_address, fee)
            s.balance_changed(spec.fee_address)
        entry = entry_price(spec, pos)
    else:
        if pos is None or pos.size < lots:  # pragma: no cover - guarded by pending_close
            raise RuntimeError("closing fill without a position to close")
        s.journal.obj(pos)
        entry = entry_price(spec, pos)
        basis_part, margin_part = close_portion(pos, lots)
        pnl = value - basis_part if pos.trade_side else basis_part - value
        pos.size -= lots
        pos.basis -= basis_part
        pos.margin -= margin_part
        pos.pending_close -= lots
        fee = pay_out(s, spec, order.wallet, margin_part, pnl, fee)
    pos.trade_id = trade_id
    s.touch(pos)
    if not pos.size:
        s.journal.key(s.positions, key)
        del s.positions[key]
    s.position_changed(pos)
    order.remaining -= lots
    order.filled += lots
    order.filled_value += value
    order.trade_id = trade_id
    s.touch(order)
    order.status = "Filled" if not order.remaining else "Partially Filled"
    if not order.direction and not order.is_market:
        _trim_reserve(s, spec, order)
    record = FillRecord(
        address=s.profile(order.wallet),
        wallet=order.wallet,
        market_id=order.market_id,
        trade_id=trade_id,
        order_id=order.order_id,
        order_type=order.order_type,
        trade_side=order.trade_side,
        direction=order.direction,
        is_buy=order.is_buy,
        is_maker=is_maker,
        size=lots,
        price=price,
        order_value=value,
        pnl=pnl,
        fee=fee,
        entry_price=entry,
        leverage=order.leverage,
        **s.stamp(),
    )
    s.append(s.fills, order.wallet, record)
    s.balance_changed(order.wallet)
    return record


def _take_reserved(s: EngineState, order: LiveOrder, units: int) -> None:
    """Pay ``units`` (a fill's margin + fee) from the order's reservation, the rest (a sell filled
    above its limit) from the trading balance (1109 if short)."""
    take = min(units, order.reserved)
    order.reserved -= take
    if units > take:
        s.accounts.debit_trading(order.wallet, units - take, 1109, "initial margin at fill price")


def _trim_reserve(s: EngineState, spec: MarketSpec, order: LiveOrder) -> None:
    """Release what a limit order holds beyond what its remaining lots need at its price."""
    notional = spec.notional_units(order.remaining, order.price)
    need = reserve_for(s, order.wallet, notional, order.leverage) if order.remaining else 0
    if order.reserved > need:
        s.accounts.credit_trading(order.wallet, order.reserved - need)
        order.reserved = need


def pay_out(s: EngineState, spec: MarketSpec, wallet: str, margin: int, pnl: int, fee: int) -> int:
    """Settle a close: released ``margin`` + ``pnl`` − ``fee`` back to the trader; returns the fee
    actually charged.

    Losses come off at once; profit above the released margin is booked as unsettled PnL. The
    fee is capped at what the close leaves; a loss beyond the released margin is paid by the
    insurance fund (1109, nothing changes, when the fund cannot pay it).
    """
    left = margin + pnl
    fee = max(0, min(fee, left))
    if fee:
        s.accounts.credit_trading(spec.fee_address, fee)
        s.balance_changed(spec.fee_address)
    if left < 0:
        s.accounts.debit_trading(
            INSURANCE_FUND_ADDRESS, -left, 1109, "insurance fund covering a loss beyond margin"
        )
        s.balance_changed(INSURANCE_FUND_ADDRESS)
        left = 0
    payout = left - fee
    if payout <= margin:
        s.accounts.credit_trading(wallet, payout)
    else:
        s.accounts.credit_trading(wallet, margin)
        s.accounts.add_unsettled(wallet, spec.market_id, payout - margin)
    s.balance_changed(wallet)
    return fee
