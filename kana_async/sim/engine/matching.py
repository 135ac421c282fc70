"""Order placement, matching, fills and cancellation (price-time priority, maker's price).

Rules (documented in :mod:`kana_async.sim.engine`):

* an opening order reserves ``ceil(notional / leverage) + ceil(notional * taker_fee)`` from the
  trading balance when placed (limit: at its limit price; market: at the prices it will fill);
  each fill moves exactly the initial margin *at the fill price* into the position (counted over
  the order's cumulative filled notional, so rounding never adds up) and pays the fee; what the
  remaining lots no longer need is released at once (a buy filled below its limit gets the
  difference back; a sell filled above its limit takes the extra margin from the trading
  balance, 1109 if short);
* a closing order reserves position size (``available_order_size``) instead of collateral;
* an opening order aborts 1101 when the position's value plus the order's notional would exceed
  the market's ``max_position_value`` (quote units; resting orders are not counted);
* a market order fills what the book offers and cancels the rest (immediate-or-cancel); it
  aborts with 1007 only when nothing at all can fill;
* self-trade prevention: a taker never matches a resting order of its own wallet; each such
  order it meets (in price-time order, within its limit) is cancelled and matching goes on with
  the next one. The wallet's own orders never count as liquidity (1007 / 1104 / 1105 checks);
* closing a position pays back the released margin plus PnL minus the fee; a loss is taken at
  once, a profit above the released margin is booked as *unsettled* until ``settle_pnl``; a
  loss beyond the released margin is paid by the insurance fund (the fee is then waived), and
  the whole transaction aborts 1109 when the fund cannot pay it.
"""

from __future__ import annotations

from ..contract import MoveAbort
from ..markets import MarketSpec
from .book import LiveOrder
from .fills import fill, record_trade, reserve_for
from .records import (
    ORDER_TYPE_LIMIT,
    ORDER_TYPE_MARKET,
    OrderRequest,
)
from .state import EngineState

__all__ = ["cancel_order", "place_order"]

NO_RESTRICTION = 0
FILL_OR_ABORT = 1
POST_OR_ABORT = 3
_RESTRICTIONS = (NO_RESTRICTION, FILL_OR_ABORT, POST_OR_ABORT)


def _validate(s: EngineState, wallet: str, spec: MarketSpec, req: OrderRequest) -> None:
    """Abort on anything wrong with ``req`` that does not depend on the book."""
    if not 0 < req.leverage <= spec.max_leverage:
        raise MoveAbort(1006, f"leverage {req.leverage} not in 1..{spec.max_leverage}")
    if req.size <= 0 or req.size > spec.max_lots:
        raise MoveAbort(1101, f"size {req.size} lots not in 1..{spec.max_lots}")
    if not req.direction and req.size < spec.min_lots:
        raise MoveAbort(1101, f"size {req.size} lots below the minimum of {spec.min_lots}")
    if req.is_limit:
        if req.restriction not in _RESTRICTIONS:
            raise MoveAbort(1107, f"restriction {req.restriction} not in {_RESTRICTIONS}")
        if req.price <= 0 or req.price % spec.tick_size:
            raise MoveAbort(
                1102,
                f"price {req.price} ticks is not a positive multiple of tick size {spec.tick_size}",
            )
    for name, value in (("take profit", req.take_profit), ("stop loss", req.stop_loss)):
        if value < 0 or value % spec.tick_size:
            raise MoveAbort(1102, f"{name} {value} ticks is not a multiple of {spec.tick_size}")
    pos = s.positions.get((wallet, spec.market_id, req.trade_side))
    if req.direction:
        available = pos.size - pos.pending_close if pos is not None else 0
        if pos is not None and req.leverage != pos.leverage:
            raise MoveAbort(
                1004, f"leverage {req.leverage} differs from the position's {pos.leverage}"
            )
        if req.size > available:
            raise MoveAbort(1011, f"closing {req.size} lots, only {available} available")
    else:
        leverage = (
            pos.leverage
            if pos is not None
            else _pending_open_leverage(s, wallet, spec, req.trade_side)
        )
        if leverage is not None and req.leverage != leverage:
            raise MoveAbort(1005, f"leverage {req.leverage} differs from the position's {leverage}")


def _pending_open_leverage(s: EngineState, wallet: str, spec: MarketSpec, side: bool) -> int | None:
    found = s.open_leverage.get((wallet, spec.market_id, side))
    return found[0] if found is not None else None


def _check_position_value(
    s: EngineState, spec: MarketSpec, key: tuple[str, int, bool], notional: int
) -> None:
    """Abort 1101 when an opening order would take the position past ``max_position_value``.

    The unit is quote units (like a position's ``value``): the position's current value (its
    entry notional) plus this order's notional must not exceed it. Resting opening orders are
    not counted, so fills of several resting orders may still take a position past the cap.
    """
    cap = spec.max_position_value
    pos = s.positions.get(key)
    value = (pos.basis if pos is not None else 0) + notional
    if cap and value > cap:
        raise MoveAbort(
            1101,
            f"position value {value} would exceed max_position_value {cap} (quote units)",
        )


def _rest(s: EngineState, order: LiveOrder) -> None:
    """Put ``order`` on the book and in the open-order indexes."""
    s.journal.key(s.open, order.order_id)
    s.open[order.order_id] = order
    s.books[order.market_id].add(order, s.journal)
    if not order.direction:
        key = (order.wallet, order.market_id, order.trade_side)
        leverage, count = s.open_leverage.get(key, (order.leverage, 0))
        s.journal.key(s.open_leverage, key)
        s.open_leverage[key] = (leverage, count + 1)
    s.book_changed(order.market_id)


def _unrest(s: EngineState, order: LiveOrder) -> None:
    """Take a resting ``order`` off the book and out of the open-order indexes."""
    s.books[order.market_id].remove(order, s.journal)
    s.journal.key(s.open, order.order_id)
    del s.open[order.order_id]
    if not order.direction:
        key = (order.wallet, order.market_id, order.trade_side)
        leverage, count = s.open_leverage[key]
        s.journal.key(s.open_leverage, key)
        if count > 1:
            s.open_leverage[key] = (leverage, count - 1)
        else:
            del s.open_leverage[key]
    s.book_changed(order.market_id)


def place_order(
    s: EngineState, wallet: str, spec: MarketSpec, req: OrderRequest, order_type: int | None = None
) -> LiveOrder:
    """Validate, reserve, match and (limit, restriction 0) rest one order."""
    _validate(s, wallet, spec, req)
    is_buy = req.trade_side != req.direction
    book = s.books[spec.market_id]
    plan = book.plan(is_buy, req.price if req.is_limit else None, req.size, wallet)
    matchable = sum(lots for _, lots in plan)
    if req.is_limit:
        if req.restriction == POST_OR_ABORT and matchable:
            raise MoveAbort(1105, f"post-only order would take {matchable} lots")
        if req.restriction == FILL_OR_ABORT and matchable < req.size:
            raise MoveAbort(1104, f"fill-or-abort order: only {matchable} of {req.size} lots fill")
    elif not matchable:
        raise MoveAbort(1007, "no liquidity on the other side of the book")
    reserve = 0
    key = (wallet, spec.market_id, req.trade_side)
    if not req.direction:
        if req.is_limit:
            notional = spec.notional_units(req.size, req.price)
        else:
            notional = sum(spec.notional_units(lots, price) for price, lots in plan)
        _check_position_value(s, spec, key, notional)
        reserve = reserve_for(s, wallet, notional, req.leverage)
        s.accounts.debit_trading(wallet, reserve, 1109, "initial margin")
        s.balance_changed(wallet)
    else:
        pos = s.positions[key]
        s.journal.obj(pos)
        pos.pending_close += req.size
    order_id = s.next_order_id(spec.market_id, req.price if req.is_limit else 0)
    order = LiveOrder(
        order_id=order_id,
        seq=s.next_seq(),
        wallet=wallet,
        market_id=spec.market_id,
        order_type=order_type or (ORDER_TYPE_LIMIT if req.is_limit else ORDER_TYPE_MARKET),
        is_market=not req.is_limit,
        trade_side=req.trade_side,
        direction=req.direction,
        is_buy=is_buy,
        price=req.price if req.is_limit else 0,
        size=req.size,
        remaining=req.size,
        filled=0,
        filled_value=0,
        leverage=req.leverage,
        restriction=req.restriction if req.is_limit else 0,
        take_profit=req.take_profit,
        stop_loss=req.stop_loss,
        reserved=reserve,
        status="Open",
        trade_id=None,
        **s.live_stamp(),
    )
    s.journal.key(s.orders, order_id)
    s.orders[order_id] = order
    s.append(s.order_ids, wallet, order_id)
    _match(s, spec, order)
    if order.remaining and req.is_limit:
        _rest(s, order)
    else:
        # Done (or immediate-or-cancel: the part the book could not fill is cancelled): give
        # back what the order still holds (the unused fee reserve, the unfilled lots).
        _release(s, order)
        if order.remaining:
            order.status = "Cancelled"
    s.order_changed(order)
    return order


def _match(s: EngineState, spec: MarketSpec, taker: LiveOrder) -> None:
    book = s.books[spec.market_id]
    while taker.remaining:
        maker = book.best_order(taker.is_buy)
        if maker is None:
            break
        price = maker.price
        if not taker.is_market and (price > taker.price if taker.is_buy else price < taker.price):
            break
        if maker.wallet == taker.wallet:
            # Self-trade prevention: the wallet's own resting order is cancelled, not matched.
            cancel_order(s, maker)
            continue
        lots = min(maker.remaining, taker.remaining)
        trade_id = s.next_trade_id(spec.market_id)
        maker_fill = fill(s, spec, maker, lots, price, True, trade_id)
        taker_fill = fill(s, spec, taker, lots, price, False, trade_id)
        if not maker.remaining:
            _unrest(s, maker)
        s.order_changed(maker)
        record_trade(s, spec, taker, maker, taker_fill, maker_fill)


def _release(s: EngineState, order: LiveOrder) -> None:
    """Give back what an order still holds: collateral (opening) or position size (closing)."""
    s.journal.obj(order)
    if order.reserved:
        s.accounts.credit_trading(order.wallet, order.reserved)
        s.balance_changed(order.wallet)
        order.reserved = 0
    if order.direction and order.remaining:
        pos = s.positions.get((order.wallet, order.market_id, order.trade_side))
        if pos is not None:
            s.journal.obj(pos)
            pos.pending_close -= order.remaining
            s.position_changed(pos)


def cancel_order(s: EngineState, order: LiveOrder) -> None:
    """Cancel a resting order: off the book, release what it holds, status ``Cancelled``."""
    _unrest(s, order)
    _release(s, order)
    order.status = "Cancelled"
    s.touch(order)
    s.order_changed(order)
