"""The order actions (place, cancel, cancel-and-place), each written once for every view."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TypeVar

from kana_async._exceptions import InvalidArgumentError
from kana_async._validation import (
    MAX_U64,
    bool_text,
    check_decimal,
    check_direction,
    check_int,
    check_restriction,
    check_side,
    decimal_text,
)
from kana_async.models.enums import Direction, Restriction, Side
from kana_async.models.requests import OrderRequest
from kana_async.resources._action_base import (
    ActionBase,
    Call,
    action,
    add_exits,
    cancel_arrays,
    one_restriction,
    order_arrays,
)
from kana_async.resources._checks import (
    CancelTarget,
    Grid,
    cancel_targets,
    optional_price,
    order_requests,
)

__all__ = ["OrderActions"]

R = TypeVar("R")


class OrderActions(ActionBase[R]):
    """Placing and cancelling orders (part of :class:`~kana_async.resources._actions.Actions`)."""

    @action
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
        """Place a limit order.

        Calls ``GET /placeLimitOrder`` (``marketId``, ``tradeSide``, ``direction``, ``size``,
        ``price``, ``leverage``, ``restriction``, and ``takeProfit`` / ``stopLoss`` when given)
        for the transaction payload; the order's id is in the result's events.

        Args:
            market_id: the market.
            side: ``Side.LONG`` (buy) or ``Side.SHORT`` (sell).
            size: base asset, human units, on the market's lot; at least the market's minimum
                size when opening (a closing order may be smaller).
            price: quote currency per base unit, on the market's tick.
            leverage: 1 to the market's maximum; equal to an existing position's leverage.
            direction: ``Direction.OPEN`` (increase) or ``Direction.CLOSE`` (reduce).
            restriction: ``NO_RESTRICTION``, ``FILL_OR_ABORT`` or ``POST_OR_ABORT``.
            take_profit: the position's take-profit trigger price, quote currency on the
                tick, or ``None`` for none.
            stop_loss: the position's stop-loss trigger price, quote currency on the tick, or
                ``None`` for none.
            rounding: a :mod:`decimal` rounding mode to put an off-grid size or price on the
                grid; ``None`` refuses it with :class:`~kana_async.PrecisionError`.
        """
        mid = self._market(market_id)
        side_w = check_side(side)
        closing = check_direction(direction)
        size_d = check_decimal(size, "size")
        price_d = check_decimal(price, "price")
        lev = check_int(leverage, "leverage", minimum=1, maximum=MAX_U64)
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
            add_exits(params, grid, tp, sl)
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

    @action
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
        """Place a market order; any unfilled rest is cancelled.

        Calls ``GET /placeMarketOrder`` (``marketId``, ``tradeSide``, ``direction``, ``size``,
        ``leverage``, and ``takeProfit`` / ``stopLoss`` when given) for the transaction payload.
        The transaction aborts on chain with code 1007
        (``E_INSUFFICIENT_LIQUIDITY_IN_ORDERBOOK``) when the book cannot fill it.

        Args:
            market_id: the market.
            side: ``Side.LONG`` (buy) or ``Side.SHORT`` (sell).
            size: base asset, human units, on the lot (a closing order may be below the
                minimum size).
            leverage: 1 to the market's maximum; equal to an existing position's leverage.
            direction: ``Direction.OPEN`` or ``Direction.CLOSE``.
            take_profit: the position's take-profit trigger price, quote currency on the
                tick, or ``None``.
            stop_loss: the position's stop-loss trigger price, quote currency on the tick, or
                ``None``.
            rounding: a :mod:`decimal` rounding mode for an off-grid size; ``None`` refuses it.
        """
        mid = self._market(market_id)
        side_w = check_side(side)
        closing = check_direction(direction)
        size_d = check_decimal(size, "size")
        lev = check_int(leverage, "leverage", minimum=1, maximum=MAX_U64)
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
            add_exits(params, grid, tp, sl)
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

    @action
    async def place_multiple_orders(
        self, market_id: int, orders: Sequence[OrderRequest], *, rounding: str | None = None
    ) -> R:
        """Place several orders of one market in one transaction.

        Calls ``POST /placeMultipleOrders`` for the transaction payload.

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
        requests = one_restriction(order_requests(orders, allow_empty=False))

        def build(grid: Grid | None, sides: list[bool]) -> dict[str, Any]:
            checked = grid.orders(requests) if grid else requests
            return {"marketId": mid, **order_arrays(checked)}

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

    @action
    async def cancel_order(
        self, market_id: int, order_id: int | str, *, side: Side | bool | None = None
    ) -> R:
        """Cancel one order by id.

        Calls ``POST /cancelMultipleOrders`` with one id for the transaction payload (and, for
        an order whose side the client does not know, ``GET /fetchOrderStatusById`` and the
        node's transaction of its last change to find the side).

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

    @action
    async def cancel_multiple_orders(
        self,
        market_id: int,
        order_ids: Sequence[CancelTarget],
        *,
        sides: Sequence[Side | bool] | None = None,
    ) -> R:
        """Cancel orders of one market in one transaction.

        Calls ``POST /cancelMultipleOrders`` for the transaction payload (and, for orders whose
        side the client does not know, ``GET /fetchOrderStatusById`` and the node's transaction
        of each one's last change to find it).

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
            return {"marketId": mid, **cancel_arrays(targets, found)}

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

    @action
    async def cancel_and_place_multiple_orders(
        self,
        market_id: int,
        cancel: Sequence[CancelTarget],
        place: Sequence[OrderRequest],
        *,
        rounding: str | None = None,
    ) -> R:
        """Cancel some orders and place others of one market atomically, in one transaction.

        Calls ``POST /cancelAndPlaceMultipleOrders`` for the transaction payload; the body
        joins the cancel arrays of :meth:`cancel_multiple_orders` and the order arrays of
        :meth:`place_multiple_orders`.

        Args:
            market_id: the market.
            cancel: order ids or ``(order_id, side)`` pairs (sides found as for
                :meth:`cancel_multiple_orders`).
            place: :class:`~kana_async.OrderRequest` records.
            rounding: a :mod:`decimal` rounding mode for off-grid sizes and prices.

        Raises:
            InvalidArgumentError: both lists are empty, the orders do not share one
                restriction, or a side cannot be found (the message names the ids).
        """
        mid = self._market(market_id)
        if not cancel and not place:
            raise InvalidArgumentError("nothing to do: pass orders to cancel and/or to place")
        targets = tuple(cancel_targets(cancel, None, allow_empty=True))
        requests = one_restriction(order_requests(place, allow_empty=True))

        def build(grid: Grid | None, found: list[bool]) -> dict[str, Any]:
            checked = grid.orders(requests) if grid else requests
            return {"marketId": mid, **cancel_arrays(targets, found), **order_arrays(checked)}

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
