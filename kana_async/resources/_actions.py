"""Every trading action, written once: arguments, checks, the REST request for its payload.

:class:`Actions` is generic in what a call returns. Each method checks its arguments (before any
I/O), then describes the request for the action's payload as a :class:`Call`, and hands it to
:meth:`Actions._run`, which each view implements:

* ``kana.payloads`` returns the :class:`~kana_async.TransactionPayload` itself;
* ``kana.trading`` signs, submits and waits for the :class:`~kana_async.TransactionResult`;
* ``kana.trading.no_wait`` returns a :class:`~kana_async.PendingTransaction` once accepted;
* ``kana.trading.dry_run`` simulates and returns the result it would have.

A :class:`Call` builds its request from a :class:`~kana_async.resources._checks.Grid` (the
market's parameters, to check prices, sizes and leverage) or from ``None`` (values sent as
given; ``kana.payloads`` without ``rounding``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar

from kana_async._codec import Raw
from kana_async._exceptions import InvalidArgumentError
from kana_async._validation import (
    bool_text,
    check_decimal,
    check_direction,
    check_int,
    check_restriction,
    check_side,
    decimal_text,
)
from kana_async.models.enums import Direction, Restriction, Side
from kana_async.models.payloads import TransactionPayload
from kana_async.models.requests import OrderRequest
from kana_async.resources._base import Resource
from kana_async.resources._checks import (
    CancelTarget,
    Grid,
    cancel_targets,
    optional_price,
    order_requests,
)

__all__ = ["Actions", "Call", "Sides"]

R = TypeVar("R")

Sides = Callable[[int, list[tuple[str, bool | None]]], Awaitable[list[bool]]]
"""Fills in the missing sides of ``(order_id, side or None)`` pairs of one market."""


@dataclass(frozen=True, slots=True)
class Call:
    """One action's payload request, ready to build once the market's grid is known.

    Attributes:
        action: the method name (``"place_limit_order"``), also what the unresolved list shows.
        method: ``"GET"`` or ``"POST"``.
        path: the REST path (``"/placeLimitOrder"``).
        market_id: the market the action is about, or ``None`` (deposit).
        build: the query parameters (GET) or JSON body (POST), given the market's grid (``None``:
            values as given), the order sides found for ``cancel`` and the order requests.
        cancel: orders to cancel as ``(order_id, side or None)``; missing sides are found first.
        rounding: the rounding mode the caller asked for (forces the grid checks).
        open_sides: ``(side, leverage)`` of each order that must match an existing position's
            leverage (checked by the signing views against the account's positions).
    """

    action: str
    method: Literal["GET", "POST"]
    path: str
    market_id: int | None
    build: Callable[[Grid | None, list[bool]], dict[str, Any]]
    cancel: tuple[tuple[str, bool | None], ...] = ()
    rounding: str | None = None
    open_sides: tuple[tuple[bool, int], ...] = ()


class Actions(Resource, Generic[R]):
    """The trading actions; what each returns depends on the view (see the module doc)."""

    async def _run(self, call: Call) -> R:
        raise NotImplementedError

    # -- collateral ----------------------------------------------------------------------------

    async def deposit(self, amount: Decimal | str, *, user_address: str | None = None) -> R:
        """Move collateral from the wallet into the trading account — ``GET /deposit``.

        Args:
            amount: quote currency (e.g. USDT), human units, > 0.
            user_address: whose wallet the payload is for (default: the client's).

        Raises:
            InvalidArgumentError / ArgumentTypeError: a bad amount (nothing sent).
        """
        value = decimal_text(check_decimal(amount, "amount"))
        user = self._user(user_address)
        return await self._run(
            Call(
                "deposit",
                "GET",
                "/deposit",
                None,
                lambda grid, sides: {"amount": value, "userAddress": user},
            )
        )

    async def withdraw(self, market_id: int, amount: Decimal | str) -> R:
        """Withdraw collateral from a market back to the wallet — ``GET /withdrawSpecifiMarket``
        (the path's spelling is Kana's).

        Args:
            market_id: the market.
            amount: quote currency, human units, > 0.
        """
        mid = self._market(market_id)
        value = decimal_text(check_decimal(amount, "amount"))
        user = self._user(None)
        return await self._run(
            Call(
                "withdraw",
                "GET",
                "/withdrawSpecifiMarket",
                mid,
                lambda grid, sides: {"marketId": str(mid), "amount": value, "userAddress": user},
            )
        )

    async def add_margin(self, market_id: int, side: Side | bool, amount: Decimal | str) -> R:
        """Add collateral to the position on ``side`` — ``GET /addMargin``.

        Args:
            market_id: the market.
            side: the position's side (``Side.LONG`` / ``Side.SHORT`` or the wire boolean).
            amount: quote currency, human units, > 0.
        """
        mid = self._market(market_id)
        params = {
            "marketId": str(mid),
            "tradeSide": bool_text(check_side(side)),
            "amount": decimal_text(check_decimal(amount, "amount")),
        }
        return await self._run(
            Call("add_margin", "GET", "/addMargin", mid, lambda grid, sides: params)
        )

    # -- orders --------------------------------------------------------------------------------

    async def place_limit_order(
        self,
        market_id: int,
        *,
        side: Side | bool,
        size: Decimal | str,
        price: Decimal | str,
        leverage: int,
        direction: Direction | bool = Direction.OPEN,
        restriction: Restriction | int = Restriction.NO_RESTRICTION,
        take_profit: Decimal | str | None = None,
        stop_loss: Decimal | str | None = None,
        rounding: str | None = None,
    ) -> R:
        """Place a limit order — ``GET /placeLimitOrder``.

        Args:
            market_id: the market.
            side: ``Side.LONG`` (buy) or ``Side.SHORT`` (sell).
            size: base asset, human units, on the market's lot; at least the market's minimum
                size when opening (a closing order may be smaller).
            price: quote currency per base unit, on the market's tick.
            leverage: 1 to the market's maximum; equal to an existing position's leverage.
            direction: ``Direction.OPEN`` (increase) or ``Direction.CLOSE`` (reduce).
            restriction: ``NO_RESTRICTION``, ``FILL_OR_ABORT`` or ``POST_OR_ABORT``.
            take_profit / stop_loss: prices on the tick, or ``None`` for none.
            rounding: a :mod:`decimal` rounding mode to put an off-grid size or price on the
                grid; ``None`` refuses it with :class:`~kana_async.PrecisionError`.

        Raises:
            PrecisionError / InvalidArgumentError / ArgumentTypeError: bad arguments (nothing
                sent).
        """
        mid = self._market(market_id)
        side_w = check_side(side)
        closing = check_direction(direction)
        size_d = check_decimal(size, "size")
        price_d = check_decimal(price, "price")
        lev = check_int(leverage, "leverage", minimum=1)
        restrict = check_restriction(restriction)
        tp = optional_price(take_profit, "take_profit")
        sl = optional_price(stop_loss, "stop_loss")

        def build(grid: Grid | None, sides: list[bool]) -> dict[str, Any]:
            params = {
                "marketId": str(mid),
                "tradeSide": bool_text(side_w),
                "direction": bool_text(closing),
                "size": decimal_text(grid.size(size_d, closing=closing) if grid else size_d),
                "price": decimal_text(grid.price(price_d) if grid else price_d),
                "leverage": str(grid.leverage(lev) if grid else lev),
                "restriction": str(restrict),
            }
            _add_exits(params, grid, tp, sl)
            return params

        return await self._run(
            Call(
                "place_limit_order",
                "GET",
                "/placeLimitOrder",
                mid,
                build,
                rounding=rounding,
                open_sides=((side_w, lev),),
            )
        )

    async def place_market_order(
        self,
        market_id: int,
        *,
        side: Side | bool,
        size: Decimal | str,
        leverage: int,
        direction: Direction | bool = Direction.OPEN,
        take_profit: Decimal | str | None = None,
        stop_loss: Decimal | str | None = None,
        rounding: str | None = None,
    ) -> R:
        """Place a market order — ``GET /placeMarketOrder``; it aborts on chain (code 1007)
        when the book cannot fill it, and any unfilled rest is cancelled.

        Args:
            market_id: the market.
            side: ``Side.LONG`` (buy) or ``Side.SHORT`` (sell).
            size: base asset, human units, on the lot (a closing order may be below the
                minimum size).
            leverage: 1 to the market's maximum; equal to an existing position's leverage.
            direction: ``Direction.OPEN`` or ``Direction.CLOSE``.
            take_profit / stop_loss: prices on the tick, or ``None``.
            rounding: a :mod:`decimal` rounding mode for an off-grid size; ``None`` refuses it.
        """
        mid = self._market(market_id)
        side_w = check_side(side)
        closing = check_direction(direction)
        size_d = check_decimal(size, "size")
        lev = check_int(leverage, "leverage", minimum=1)
        tp = optional_price(take_profit, "take_profit")
        sl = optional_price(stop_loss, "stop_loss")

        def build(grid: Grid | None, sides: list[bool]) -> dict[str, Any]:
            params = {
                "marketId": str(mid),
                "tradeSide": bool_text(side_w),
                "direction": bool_text(closing),
                "size": decimal_text(grid.size(size_d, closing=closing) if grid else size_d),
                "leverage": str(grid.leverage(lev) if grid else lev),
            }
            _add_exits(params, grid, tp, sl)
            return params

        return await self._run(
            Call(
                "place_market_order",
                "GET",
                "/placeMarketOrder",
                mid,
                build,
                rounding=rounding,
                open_sides=((side_w, lev),),
            )
        )

    async def place_multiple_orders(
        self, market_id: int, orders: Sequence[OrderRequest], *, rounding: str | None = None
    ) -> R:
        """Place several orders in one transaction — ``POST /placeMultipleOrders``.

        Args:
            market_id: the market.
            orders: :class:`~kana_async.OrderRequest` records (checked when built).
            rounding: a :mod:`decimal` rounding mode for off-grid sizes and prices.

        The body carries ``marketId``, the parallel arrays ``orderTypes``, ``tradeSides``,
        ``directions``, ``sizes``, ``prices`` (0 for market orders), ``leverages``,
        ``takeProfits``, ``stopLosses``, and the documented scalar ``restriction`` (the per-order
        array ``restrictions`` is sent in addition). All orders must share one restriction.
        """
        mid = self._market(market_id)
        requests = _one_restriction(order_requests(orders, allow_empty=False))

        def build(grid: Grid | None, sides: list[bool]) -> dict[str, Any]:
            checked = grid.orders(requests) if grid else requests
            return {"marketId": mid, **_order_arrays(checked)}

        return await self._run(
            Call(
                "place_multiple_orders",
                "POST",
                "/placeMultipleOrders",
                mid,
                build,
                rounding=rounding,
                open_sides=tuple((o.side.value, o.leverage) for o in requests),
            )
        )

    async def cancel_order(
        self, market_id: int, order_id: int | str, *, side: Side | bool | None = None
    ) -> R:
        """Cancel one order by id — ``POST /cancelMultipleOrders`` with one id.

        Args:
            market_id: the market.
            order_id: the u128 order id (``int`` or decimal ``str``; exact).
            side: the order's side; ``None`` to use the side the client knows (orders it placed)
                or, failing that, looks up (the order's status and its last on-chain event).

        Raises:
            InvalidArgumentError: the side cannot be found (pass ``side=``).
        """
        sides = None if side is None else [side]
        return await self.cancel_multiple_orders(market_id, [order_id], sides=sides)

    async def cancel_multiple_orders(
        self,
        market_id: int,
        order_ids: Sequence[CancelTarget],
        *,
        sides: Sequence[Side | bool] | None = None,
    ) -> R:
        """Cancel orders of one market in one transaction — ``POST /cancelMultipleOrders``.

        Args:
            market_id: the market.
            order_ids: u128 order ids (``int`` / decimal ``str``), or ``(order_id, side)``
                pairs.
            sides: one side per bare id, or ``None`` to find them: the client knows the side of
                every order it placed, and looks up any other (order status, then the order's
                last on-chain event).

        Body: ``{"marketId", "cancelOrderIds": [str…], "orderSides": [bool…]}``.

        Raises:
            InvalidArgumentError: a side cannot be found (the message names the ids).
        """
        mid = self._market(market_id)
        targets = tuple(cancel_targets(order_ids, sides, allow_empty=False))

        def build(grid: Grid | None, found: list[bool]) -> dict[str, Any]:
            return {"marketId": mid, **_cancel_arrays(targets, found)}

        return await self._run(
            Call(
                "cancel_multiple_orders",
                "POST",
                "/cancelMultipleOrders",
                mid,
                build,
                cancel=targets,
            )
        )

    async def cancel_and_place_multiple_orders(
        self,
        market_id: int,
        cancel: Sequence[CancelTarget],
        place: Sequence[OrderRequest],
        *,
        rounding: str | None = None,
    ) -> R:
        """Cancel some orders and place others atomically — ``POST /cancelAndPlaceMultipleOrders``.

        Args:
            market_id: the market.
            cancel: order ids or ``(order_id, side)`` pairs (sides found as for
                :meth:`cancel_multiple_orders`).
            place: :class:`~kana_async.OrderRequest` records.
            rounding: a :mod:`decimal` rounding mode for off-grid sizes and prices.
        """
        mid = self._market(market_id)
        if not cancel and not place:
            raise InvalidArgumentError("nothing to do: pass orders to cancel and/or to place")
        targets = tuple(cancel_targets(cancel, None, allow_empty=True))
        requests = _one_restriction(order_requests(place, allow_empty=True))

        def build(grid: Grid | None, found: list[bool]) -> dict[str, Any]:
            checked = grid.orders(requests) if grid else requests
            return {"marketId": mid, **_cancel_arrays(targets, found), **_order_arrays(checked)}

        return await self._run(
            Call(
                "cancel_and_place_multiple_orders",
                "POST",
                "/cancelAndPlaceMultipleOrders",
                mid,
                build,
                cancel=targets,
                rounding=rounding,
                open_sides=tuple((o.side.value, o.leverage) for o in requests),
            )
        )

    # -- positions -----------------------------------------------------------------------------

    async def update_take_profit(
        self,
        market_id: int,
        side: Side | bool,
        price: Decimal | str,
        *,
        rounding: str | None = None,
    ) -> R:
        """Set the take-profit price of the position on ``side`` — ``GET /updateTakeProfit``.

        Args:
            market_id: the market.
            side: the position's side.
            price: quote currency, on the tick; 0 clears it.
            rounding: a :mod:`decimal` rounding mode for an off-tick price.
        """
        return await self._exit_price("TakeProfit", market_id, side, price, rounding)

    async def update_stop_loss(
        self,
        market_id: int,
        side: Side | bool,
        price: Decimal | str,
        *,
        rounding: str | None = None,
    ) -> R:
        """Set the stop-loss price of the position on ``side`` — ``GET /updateStopLoss``.

        Args:
            market_id: the market.
            side: the position's side.
            price: quote currency, on the tick; 0 clears it.
            rounding: a :mod:`decimal` rounding mode for an off-tick price.
        """
        return await self._exit_price("StopLoss", market_id, side, price, rounding)

    async def collapse_position(self, market_id: int) -> R:
        """Close the position(s) in a market at market — ``GET /collapsePosition``.

        Args:
            market_id: the market.
        """
        mid = self._market(market_id)
        return await self._run(
            Call(
                "collapse_position",
                "GET",
                "/collapsePosition",
                mid,
                lambda grid, sides: {"marketId": str(mid)},
            )
        )

    async def settle_pnl(self, market_id: int, *, user_address: str | None = None) -> R:
        """Refresh a position and settle its unreleased PnL — ``GET /settlePnl``.

        Args:
            market_id: the market.
            user_address: whose position (default: the client's wallet).
        """
        mid = self._market(market_id)
        user = self._user(user_address)
        return await self._run(
            Call(
                "settle_pnl",
                "GET",
                "/settlePnl",
                mid,
                lambda grid, sides: {"marketId": str(mid), "userAddress": user},
            )
        )

    async def _exit_price(
        self,
        kind: Literal["TakeProfit", "StopLoss"],
        market_id: int,
        side: Side | bool,
        price: Decimal | str,
        rounding: str | None,
    ) -> R:
        mid = self._market(market_id)
        side_w = check_side(side)
        price_d = check_decimal(price, "price", allow_zero=True)

        def build(grid: Grid | None, sides: list[bool]) -> dict[str, Any]:
            value = grid.price(price_d) if grid and price_d != 0 else price_d
            return {
                "marketId": str(mid),
                "tradeSide": bool_text(side_w),
                f"new{kind}Price": decimal_text(value),
            }

        action = "update_take_profit" if kind == "TakeProfit" else "update_stop_loss"
        return await self._run(Call(action, "GET", f"/update{kind}", mid, build, rounding=rounding))

    # -- the request ---------------------------------------------------------------------------

    async def _payload(
        self, call: Call, grid: Grid | None, sides: list[bool]
    ) -> TransactionPayload:
        """Ask the REST API for the payload of ``call``; retried on transport errors, 429, 5xx
        (asking executes nothing, and nothing is signed yet)."""
        http = self._client._http
        request = call.build(grid, sides)
        if call.method == "GET":
            payload: TransactionPayload = await http.get(
                call.path, TransactionPayload, params=request, idempotent=True
            )
        else:
            payload = await http.post(call.path, TransactionPayload, body=request, idempotent=True)
        return payload


def _add_exits(
    params: dict[str, str],
    grid: Grid | None,
    take_profit: Decimal | None,
    stop_loss: Decimal | None,
) -> None:
    tp, sl = grid.exits(take_profit, stop_loss) if grid else (take_profit, stop_loss)
    for key, value in (("takeProfit", tp), ("stopLoss", sl)):
        if value is not None:
            params[key] = decimal_text(value)


def _one_restriction(orders: list[OrderRequest]) -> list[OrderRequest]:
    """``orders``, if they share one restriction: the documented body has a single scalar."""
    kinds = {o.restriction for o in orders}
    if len(kinds) > 1:
        raise InvalidArgumentError(
            "orders of one multi-order request must share one restriction (the request "
            "carries a single 'restriction'); send orders with other restrictions separately"
        )
    return orders


def _number(value: Decimal) -> Raw:
    """An exact JSON number in plain notation (msgspec would write ``1E-7``)."""
    return Raw(decimal_text(value).encode())


def _cancel_arrays(
    targets: Sequence[tuple[str, bool | None]], sides: list[bool]
) -> dict[str, list[Any]]:
    return {"cancelOrderIds": [order_id for order_id, _ in targets], "orderSides": sides}


def _order_arrays(orders: Sequence[OrderRequest]) -> dict[str, Any]:
    zero = Decimal(0)
    restrictions = [int(o.restriction) for o in orders]
    return {
        "orderTypes": [o.order_type.value for o in orders],
        "tradeSides": [o.side.value for o in orders],
        "directions": [o.direction.value for o in orders],
        "sizes": [_number(o.size) for o in orders],
        "prices": [_number(o.wire_price) for o in orders],
        "leverages": [o.leverage for o in orders],
        "restriction": restrictions[0] if restrictions else 0,
        "restrictions": restrictions,
        "takeProfits": [_number(o.take_profit or zero) for o in orders],
        "stopLosses": [_number(o.stop_loss or zero) for o in orders],
    }
