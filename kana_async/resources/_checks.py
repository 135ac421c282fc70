"""Argument checks of every trading action, in one place.

Two stages: the checks that need nothing but the arguments (types, signs, list shapes) run when
an action is called, before any I/O; :class:`Grid` then checks against the market's parameters
(a price on the tick, a size on the lot and within the size limits, leverage within the
market's maximum), rounding when the caller asks for it. The grid checks are never stricter
than the exchange: a *closing* size below the market's minimum lot count is allowed, as the
exchange allows it (so any remainder of a position can be closed).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext
from typing import Any, Final

from kana_async._exceptions import ArgumentTypeError, InvalidArgumentError, PrecisionError
from kana_async._validation import MAX_U64, check_decimal, check_order_id, check_side
from kana_async.models.enums import OrderType, Side
from kana_async.models.markets import MarketInfo
from kana_async.models.requests import OrderRequest

__all__ = [
    "MAX_CANCELS_PER_CALL",
    "MAX_ORDERS_PER_CALL",
    "CancelSpec",
    "CancelTarget",
    "Grid",
    "cancel_targets",
    "optional_price",
    "order_requests",
    "quote_amount",
    "snap",
]

CancelSpec = tuple[int | str, Side | bool]
"""``(order_id, side)`` of an order to cancel."""
CancelTarget = int | str | CancelSpec
"""An order to cancel: its id alone (the client finds the side) or ``(order_id, side)``."""


#: The most orders one multi-order call places, and the most ids it cancels. Kana documents no
#: limit; this one keeps the fullest call (both at once) far inside what one Aptos transaction
#: carries: about 12 KB of the 64 KiB transaction size, and 9,018 gas units on the simulator's
#: schedule (25 per order, 20 per cancel, as a mainnet eight-order cancel used 175), under the
#: default ``max_gas_amount`` of 20,000.
MAX_ORDERS_PER_CALL: Final = 200
MAX_CANCELS_PER_CALL: Final = 200

QUOTE_PLACES: Final = 6
"""Decimal places of the quote currency (USDT, USDC): collateral moves in units of 10**-6."""
_MAX_QUOTE: Final = Decimal(MAX_U64).scaleb(-QUOTE_PLACES)
# Enough precision for exact grid arithmetic on any amount check_decimal lets through.
_GRID_PRECISION: Final = 100


def quote_amount(value: object, name: str = "amount") -> Decimal:
    """A collateral amount in quote currency: > 0, at most 6 decimal places, and small enough
    for the on-chain u64 of collateral units.

    Args:
        value: the amount in human units (``Decimal``, ``int`` or decimal ``str``; never
            ``float``).
        name: the parameter's name, for the error message.

    Returns:
        The amount as a ``Decimal``.

    Raises:
        ArgumentTypeError: ``value`` is not a ``Decimal``, ``int`` or ``str`` (e.g. a ``float``).
        InvalidArgumentError: it is not a finite positive number, has more than 6 decimal
            places, or is more than the on-chain u64 of collateral units can hold.
    """
    return check_decimal(value, name, places=QUOTE_PLACES, maximum=_MAX_QUOTE)


def _is_list(value: object) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def order_requests(orders: object, *, allow_empty: bool) -> list[OrderRequest]:
    """``orders`` as a list of :class:`OrderRequest` (each already checked when built).

    Args:
        orders: what the caller passed: a list (or other sequence) of order requests.
        allow_empty: whether an empty list is accepted.

    Returns:
        The orders, as a new list.

    Raises:
        ArgumentTypeError: ``orders`` is not a list, or an item is not an
            :class:`OrderRequest`.
        InvalidArgumentError: the list is empty and ``allow_empty`` is false, or it has more
            than :data:`MAX_ORDERS_PER_CALL` orders.
    """
    if not _is_list(orders):
        raise ArgumentTypeError("orders must be a list of OrderRequest")
    assert isinstance(orders, Sequence)
    if not orders and not allow_empty:
        raise InvalidArgumentError("pass at least one OrderRequest")
    if len(orders) > MAX_ORDERS_PER_CALL:
        raise InvalidArgumentError(
            f"{len(orders)} orders in one call; one transaction places at most "
            f"{MAX_ORDERS_PER_CALL}: split them over several calls"
        )
    for i, order in enumerate(orders):
        if not isinstance(order, OrderRequest):
            raise ArgumentTypeError(
                f"orders[{i}] must be an OrderRequest (e.g. OrderRequest.limit(...)), "
                f"not {type(order).__name__}"
            )
    return list(orders)


def cancel_targets(
    orders: object, sides: object = None, *, allow_empty: bool
) -> list[tuple[str, bool | None]]:
    """``(exact order id, wire side or None)`` per order to cancel.

    A side left ``None`` is found later (the client's registry of its orders, else a lookup).

    Args:
        orders: bare u128 ids (``int`` / decimal ``str``) or ``(order_id, side)`` pairs.
        sides: when given, a parallel list of sides for bare ids (:class:`Side` or ``bool``,
            ``True`` = long).
        allow_empty: whether an empty list is accepted.

    Returns:
        ``(exact decimal order id, True for long / False for short / None)`` per order.

    Raises:
        ArgumentTypeError: ``orders`` or ``sides`` is not a list, an item is neither an id
            nor a pair, or an id or side has the wrong type.
        InvalidArgumentError: the list is empty and ``allow_empty`` is false, it has more than
            :data:`MAX_CANCELS_PER_CALL` orders, ``sides`` has another length than ``orders``,
            or an id is not a u128.
    """
    if not _is_list(orders):
        raise ArgumentTypeError("orders to cancel must be a list of order ids or (id, side) pairs")
    assert isinstance(orders, Sequence)
    if not orders and not allow_empty:
        raise InvalidArgumentError("pass at least one order id to cancel")
    if len(orders) > MAX_CANCELS_PER_CALL:
        raise InvalidArgumentError(
            f"{len(orders)} orders to cancel in one call; one transaction cancels at most "
            f"{MAX_CANCELS_PER_CALL}: split them over several calls"
        )
    given: list[object] | None = None
    if sides is not None:
        if not _is_list(sides):
            raise ArgumentTypeError("sides must be a list of sides, one per order id")
        assert isinstance(sides, Sequence)
        if len(sides) != len(orders):
            raise InvalidArgumentError(
                f"{len(sides)} sides for {len(orders)} order ids: pass one side per id"
            )
        given = list(sides)
    targets: list[tuple[str, bool | None]] = []
    for i, item in enumerate(orders):
        if isinstance(item, tuple | list):
            if len(item) != 2:
                raise ArgumentTypeError(f"orders[{i}] must be an id or an (id, side) pair")
            targets.append((check_order_id(item[0]), check_side(item[1], f"orders[{i}] side")))
            continue
        side = None if given is None else check_side(given[i], f"sides[{i}]")
        targets.append((check_order_id(item), side))
    return targets


def optional_price(value: Decimal | str | None, name: str) -> Decimal | None:
    """A take-profit / stop-loss price (0 allowed: "none"), or ``None`` when not given.

    Args:
        value: the price in quote currency, human units, or ``None``.
        name: the argument's name, for error messages.

    Returns:
        The price as a ``Decimal``, or ``None``.

    Raises:
        ArgumentTypeError: ``value`` is a ``float`` or another non-decimal type.
        InvalidArgumentError: it is not a finite number, or it is negative.
    """
    return None if value is None else check_decimal(value, name, allow_zero=True)


# -- the market grid -----------------------------------------------------------------------------


def snap(value: Decimal, step: Decimal, what: str, rounding: str | None, where: str) -> Decimal:
    """``value`` on a grid of ``step``: as is when on it, else rounded, else refused.

    Args:
        value: the price or size, human units.
        step: the grid (a tick or lot size); a step of 0 or below accepts every value.
        what: names the value in the error message (``"price"``).
        rounding: a :mod:`decimal` rounding mode to round an off-grid value with, or ``None``.
        where: names the grid in the error message.

    Returns:
        ``value``, or the rounded multiple of ``step``.

    Raises:
        PrecisionError: ``value`` is off the grid and ``rounding`` is ``None``; ``nearest``
            holds the valid values below and above it.
    """
    if step <= 0:
        return value
    with localcontext() as ctx:
        ctx.prec = _GRID_PRECISION
        units = value / step
        if units == units.to_integral_value():
            _check_units(units, what, where)
            return value
        if rounding is not None:
            snapped = units.quantize(Decimal(1), rounding=rounding)
            _check_units(snapped, what, where)
            return (snapped * step).normalize()
        lower = (units.quantize(Decimal(1), rounding=ROUND_FLOOR) * step).normalize()
        upper = (units.quantize(Decimal(1), rounding=ROUND_CEILING) * step).normalize()
    raise PrecisionError(
        f"{what} {value} is not a multiple of {_fmt(step)} ({where}); nearest valid values: "
        f"{_fmt(lower)} and {_fmt(upper)} (or pass rounding=decimal.ROUND_DOWN etc. to round)",
        nearest=(lower, upper),
    )


def _check_units(units: Decimal, what: str, where: str) -> None:
    """Refuse a value whose count of grid steps does not fit the on-chain u64."""
    if units > MAX_U64:
        raise InvalidArgumentError(
            f"{what} is {units:f} steps of {where}, more than an on-chain u64 holds ({MAX_U64})"
        )


def _fmt(value: Decimal) -> str:
    return f"{value.normalize():f}"


class Grid:
    """Checks against one market's parameters, rounding with ``rounding`` when it is given.

    Args:
        info: the market's parameters.
        rounding: a :mod:`decimal` rounding mode (``decimal.ROUND_DOWN``...) to put an off-grid
            value on the grid, or ``None`` to refuse it with :class:`PrecisionError`.
    """

    def __init__(self, info: MarketInfo, rounding: str | None) -> None:
        self.info = info
        self.rounding = rounding

    def _where(self, grid: str) -> str:
        return f"the {grid} of market {self.info.market_id} {self.info.symbol}"

    def price(self, price: Decimal, what: str = "price") -> Decimal:
        """``price`` on the market's tick (rounded if asked).

        Args:
            price: quote currency per base unit, human units.
            what: names the price in error messages.

        Returns:
            The price on the tick.

        Raises:
            PrecisionError: it is off the tick and no rounding was asked for.
            InvalidArgumentError: a nonzero price rounds to 0.
        """
        info = self.info
        snapped = snap(price, info.tick, what, self.rounding, self._where("tick"))
        if snapped == 0 and price != 0:
            raise InvalidArgumentError(f"{what} {price} rounds to 0 on a tick of {_fmt(info.tick)}")
        return snapped

    def size(self, size: Decimal, *, closing: bool, what: str = "size") -> Decimal:
        """``size`` on the market's lot (rounded if asked) and within its limits.

        At least one lot, at most the maximum, and at least the minimum lot count unless it
        closes (the exchange allows small closes).

        Args:
            size: base asset, human units.
            closing: whether the order closes (reduces) a position.
            what: names the size in error messages.

        Returns:
            The size on the lot.

        Raises:
            PrecisionError: it is off the lot and no rounding was asked for.
            InvalidArgumentError: it is outside the market's size limits.
        """
        info = self.info
        snapped = snap(size, info.lot, what, self.rounding, self._where("lot size"))
        lots = snapped / info.lot if info.lot > 0 else Decimal(0)
        least = 1 if closing else max(info.min_lots, 1)
        too_small = lots < least
        too_big = info.max_lots is not None and lots > info.max_lots
        if too_small or too_big:
            most = _fmt(info.max_size) if info.max_size is not None else "no limit"
            smallest = info.lot if closing else max(info.min_size, info.lot)
            raise InvalidArgumentError(
                f"{what} {_fmt(snapped)} is outside market {info.market_id} {info.symbol}'s "
                f"limits{' for a closing order' if closing else ''}: at least {_fmt(smallest)}, "
                f"at most {most} (lot {_fmt(info.lot)})"
            )
        return snapped

    def leverage(self, leverage: int, what: str = "leverage") -> int:
        """``leverage`` within the market's maximum.

        Args:
            leverage: the leverage, e.g. ``5`` for 5x.
            what: names it in error messages.

        Returns:
            ``leverage`` unchanged.

        Raises:
            InvalidArgumentError: it is above the market's ``max_leverage``.
        """
        if leverage > self.info.max_leverage:
            raise InvalidArgumentError(
                f"{what} {leverage} is above market {self.info.market_id} {self.info.symbol}'s "
                f"maximum of {self.info.max_leverage}"
            )
        return leverage

    def exits(
        self, take_profit: Decimal | None, stop_loss: Decimal | None
    ) -> tuple[Decimal | None, Decimal | None]:
        """Take-profit and stop-loss on the tick; ``None`` (none) stays ``None``.

        Args:
            take_profit: the take-profit trigger price, human units, or ``None``.
            stop_loss: the stop-loss trigger price, human units, or ``None``.

        Returns:
            ``(take_profit, stop_loss)`` on the tick.

        Raises:
            PrecisionError: a price is off the tick and no rounding was asked for.
            InvalidArgumentError: a nonzero price rounds to 0.
        """
        return (
            None if take_profit is None else self.price(take_profit, "take_profit"),
            None if stop_loss is None else self.price(stop_loss, "stop_loss"),
        )

    def orders(self, orders: Sequence[OrderRequest]) -> list[OrderRequest]:
        """Each order with size, limit price, leverage and exits checked on the grid.

        Args:
            orders: the order requests.

        Returns:
            New requests with the values put on the grid (rounded if asked).

        Raises:
            PrecisionError: a value is off the grid and no rounding was asked for.
            InvalidArgumentError: a size is outside the limits, a leverage above the maximum,
                or a nonzero price rounds to 0; the message names the order's index.
        """
        checked: list[OrderRequest] = []
        for index, order in enumerate(orders):
            closing = order.direction.value
            changes: dict[str, Any] = {
                "size": self.size(order.size, closing=closing, what=f"orders[{index}] size"),
                "leverage": self.leverage(order.leverage, f"orders[{index}] leverage"),
            }
            if order.order_type is OrderType.LIMIT and order.price is not None:
                changes["price"] = self.price(order.price, f"orders[{index}] price")
            changes["take_profit"], changes["stop_loss"] = self.exits(
                order.take_profit, order.stop_loss
            )
            checked.append(dataclasses.replace(order, **changes))
        return checked
