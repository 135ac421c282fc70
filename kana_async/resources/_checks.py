"""Argument checks shared by ``kana.payloads`` and ``kana.trading``, run before any I/O.

The list checks for multi-order requests, optional take-profit / stop-loss prices, and the
market grid: a price must sit on the market's tick and a size on its lot (and within its size
limits), or be rounded when the caller asks for it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from kana_async._exceptions import ArgumentTypeError, InvalidArgumentError, PrecisionError
from kana_async._validation import check_decimal, check_order_id, check_side
from kana_async.models.enums import OrderType, Side
from kana_async.models.markets import MarketInfo
from kana_async.models.requests import OrderRequest

__all__ = [
    "CancelSpec",
    "cancel_pairs",
    "exit_prices",
    "on_grid",
    "optional_price",
    "order_requests",
    "price_on_tick",
    "size_on_lot",
    "snap",
]

CancelSpec = tuple[int | str, Side | bool]
"""``(order_id, side)`` of an order to cancel."""


def _is_list(value: object) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def order_requests(orders: object, *, allow_empty: bool) -> list[OrderRequest]:
    """``orders`` as a list of :class:`OrderRequest` (each already checked when built)."""
    if not _is_list(orders):
        raise ArgumentTypeError("orders must be a list of OrderRequest")
    assert isinstance(orders, Sequence)
    if not orders and not allow_empty:
        raise InvalidArgumentError("pass at least one OrderRequest")
    for i, order in enumerate(orders):
        if not isinstance(order, OrderRequest):
            raise ArgumentTypeError(
                f"orders[{i}] must be an OrderRequest (e.g. OrderRequest.limit(...)), "
                f"not {type(order).__name__}"
            )
    return list(orders)


def cancel_pairs(orders: object, *, allow_empty: bool) -> tuple[list[str], list[bool]]:
    """``(order ids as exact strings, sides as wire booleans)`` of ``(order_id, side)`` pairs."""
    if not _is_list(orders):
        raise ArgumentTypeError("orders to cancel must be a list of (order_id, side) pairs")
    assert isinstance(orders, Sequence)
    if not orders and not allow_empty:
        raise InvalidArgumentError("pass at least one (order_id, side) pair to cancel")
    ids: list[str] = []
    sides: list[bool] = []
    for i, pair in enumerate(orders):
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise ArgumentTypeError(f"orders[{i}] must be an (order_id, side) pair, got {pair!r}")
        ids.append(check_order_id(pair[0]))
        sides.append(check_side(pair[1], f"orders[{i}] side"))
    return ids, sides


def optional_price(value: Decimal | str | None, name: str) -> Decimal | None:
    """A take-profit / stop-loss price (0 allowed: "none"), or ``None`` when not given."""
    return None if value is None else check_decimal(value, name, allow_zero=True)


# -- the market grid -----------------------------------------------------------------------------


def snap(value: Decimal, step: Decimal, what: str, rounding: str | None, where: str) -> Decimal:
    """``value`` if it is a multiple of ``step``; rounded with ``rounding``; else PrecisionError."""
    if step <= 0:
        return value
    units = value / step
    if units == units.to_integral_value():
        return value
    if rounding is not None:
        return (units.quantize(Decimal(1), rounding=rounding) * step).normalize()
    lower = (units.quantize(Decimal(1), rounding=ROUND_FLOOR) * step).normalize()
    upper = (units.quantize(Decimal(1), rounding=ROUND_CEILING) * step).normalize()
    raise PrecisionError(
        f"{what} {value} is not a multiple of {_fmt(step)} ({where}); nearest valid values: "
        f"{_fmt(lower)} and {_fmt(upper)} (or pass rounding=decimal.ROUND_DOWN etc. to round)",
        nearest=(lower, upper),
    )


def _fmt(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _where(info: MarketInfo, grid: str) -> str:
    return f"the {grid} of market {info.market_id} {info.symbol}"


def price_on_tick(info: MarketInfo, price: Decimal, what: str, rounding: str | None) -> Decimal:
    """``price`` on the market's tick (rounded if asked); a nonzero price may not round to 0."""
    snapped = snap(price, info.tick, what, rounding, _where(info, "tick"))
    if snapped == 0 and price != 0:
        raise InvalidArgumentError(f"{what} {price} rounds to 0 on a tick of {_fmt(info.tick)}")
    return snapped


def size_on_lot(info: MarketInfo, size: Decimal, rounding: str | None) -> Decimal:
    """``size`` on the market's lot (rounded if asked) and within its minimum and maximum."""
    snapped = snap(size, info.lot, "size", rounding, _where(info, "lot size"))
    lots = snapped / info.lot if info.lot > 0 else Decimal(0)
    too_small = lots < max(info.min_lots, 1)
    too_big = info.max_lots is not None and lots > info.max_lots
    if too_small or too_big:
        most = _fmt(info.max_size) if info.max_size is not None else "no limit"
        raise InvalidArgumentError(
            f"size {_fmt(snapped)} is outside market {info.market_id} {info.symbol}'s limits: "
            f"at least {_fmt(max(info.min_size, info.lot))}, at most {most} "
            f"(lot {_fmt(info.lot)})"
        )
    return snapped


def exit_prices(
    info: MarketInfo,
    take_profit: Decimal | str | None,
    stop_loss: Decimal | str | None,
    rounding: str | None,
) -> tuple[Decimal | None, Decimal | None]:
    """Take-profit and stop-loss checked and put on the tick; ``None`` stays ``None``."""
    tp = optional_price(take_profit, "take_profit")
    sl = optional_price(stop_loss, "stop_loss")
    return (
        None if tp is None else price_on_tick(info, tp, "take_profit", rounding),
        None if sl is None else price_on_tick(info, sl, "stop_loss", rounding),
    )


def on_grid(
    info: MarketInfo, orders: Sequence[OrderRequest], rounding: str | None
) -> list[OrderRequest]:
    """Each order with its size, limit price, take-profit and stop-loss on the market's grid."""
    checked: list[OrderRequest] = []
    for index, order in enumerate(order_requests(orders, allow_empty=True)):
        changes: dict[str, Any] = {"size": size_on_lot(info, order.size, rounding)}
        if order.order_type is OrderType.LIMIT and order.price is not None:
            changes["price"] = price_on_tick(info, order.price, f"orders[{index}] price", rounding)
        changes["take_profit"], changes["stop_loss"] = exit_prices(
            info, order.take_profit, order.stop_loss, rounding
        )
        checked.append(dataclasses.replace(order, **changes))
    return checked
