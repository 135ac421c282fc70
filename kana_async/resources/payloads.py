"""Unsigned transaction payloads from Kana's "write" endpoints (spec §3 #4-#9, #17, #19, #21,
#25, #27).

These endpoints execute nothing: each returns the Aptos entry-function call to sign and submit
(:class:`~kana_async.TransactionPayload`). No account is needed to ask for one. They are never
retried automatically, even the GET ones.

Units: sizes, prices and amounts are **human units** (``Decimal`` or numeric strings, e.g.
``Decimal("5.5")`` USD, ``Decimal("1")`` APT), written in plain decimal notation; the returned
payload carries the on-chain integers the server derived from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Literal

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
from kana_async.resources._checks import CancelSpec, cancel_pairs, optional_price, order_requests

__all__ = ["CancelSpec", "Payloads"]


class Payloads(Resource):
    """``kana.payloads``: ask the server for transaction payloads (nothing is signed here)."""

    async def _payload(self, path: str, params: dict[str, str]) -> TransactionPayload:
        result: TransactionPayload = await self._client._http.get(
            path, TransactionPayload, params=params, idempotent=False
        )
        return result

    async def _post_payload(self, path: str, body: dict[str, Any]) -> TransactionPayload:
        result: TransactionPayload = await self._client._http.post(
            path, TransactionPayload, body=body, idempotent=False
        )
        return result

    async def deposit(
        self, amount: Decimal | str, *, user_address: str | None = None
    ) -> TransactionPayload:
        """Move collateral from the wallet into the trading account — ``GET /deposit`` (#4)."""
        params = {
            "amount": decimal_text(check_decimal(amount, "amount")),
            "userAddress": self._user(user_address),
        }
        return await self._payload("/deposit", params)

    async def withdraw(
        self, market_id: int, amount: Decimal | str, *, user_address: str | None = None
    ) -> TransactionPayload:
        """Withdraw collateral from a market — ``GET /withdrawSpecifiMarket`` (#5; the path's
        spelling is Kana's)."""
        params = {
            "marketId": str(self._market(market_id)),
            "amount": decimal_text(check_decimal(amount, "amount")),
            "userAddress": self._user(user_address),
        }
        return await self._payload("/withdrawSpecifiMarket", params)

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
    ) -> TransactionPayload:
        """A limit order — ``GET /placeLimitOrder`` (#6).

        ``side`` LONG/SHORT; ``direction`` OPEN (increase) or CLOSE (reduce); ``restriction``
        NO_RESTRICTION, FILL_OR_ABORT or POST_OR_ABORT; ``take_profit``/``stop_loss`` prices,
        omitted (server default 0 = none) when ``None``.
        """
        params = {
            "marketId": str(self._market(market_id)),
            "tradeSide": bool_text(check_side(side)),
            "direction": bool_text(check_direction(direction)),
            "size": decimal_text(check_decimal(size, "size")),
            "price": decimal_text(check_decimal(price, "price")),
            "leverage": str(check_int(leverage, "leverage", minimum=1)),
            "restriction": str(check_restriction(restriction)),
        }
        _add_tp_sl(params, take_profit, stop_loss)
        return await self._payload("/placeLimitOrder", params)

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
    ) -> TransactionPayload:
        """A market order — ``GET /placeMarketOrder`` (#7). No price, no restriction."""
        params = {
            "marketId": str(self._market(market_id)),
            "tradeSide": bool_text(check_side(side)),
            "direction": bool_text(check_direction(direction)),
            "size": decimal_text(check_decimal(size, "size")),
            "leverage": str(check_int(leverage, "leverage", minimum=1)),
        }
        _add_tp_sl(params, take_profit, stop_loss)
        return await self._payload("/placeMarketOrder", params)

    async def cancel_multiple_orders(
        self, market_id: int, orders: Sequence[CancelSpec]
    ) -> TransactionPayload:
        """Cancel orders by ``(order_id, side)`` — ``POST /cancelMultipleOrders`` (#8).

        Body: ``{"marketId", "cancelOrderIds": [str…], "orderSides": [bool…]}``.
        """
        body: dict[str, Any] = {"marketId": self._market(market_id)}
        body.update(_cancel_arrays(orders, allow_empty=False))
        return await self._post_payload("/cancelMultipleOrders", body)

    async def place_multiple_orders(
        self, market_id: int, orders: Sequence[OrderRequest]
    ) -> TransactionPayload:
        """Several new orders in one transaction — ``POST /placeMultipleOrders`` (#8b).

        Body: ``marketId`` and parallel arrays ``orderTypes``, ``tradeSides``, ``directions``,
        ``sizes``, ``prices`` (0 for market orders), ``leverages``, ``restrictions``,
        ``takeProfits``, ``stopLosses``.
        """
        body: dict[str, Any] = {"marketId": self._market(market_id)}
        body.update(_order_arrays(orders, allow_empty=False))
        return await self._post_payload("/placeMultipleOrders", body)

    async def cancel_and_place_multiple_orders(
        self,
        market_id: int,
        cancel: Sequence[CancelSpec],
        place: Sequence[OrderRequest],
    ) -> TransactionPayload:
        """Cancel some orders and place others atomically —
        ``POST /cancelAndPlaceMultipleOrders`` (#9)."""
        if not cancel and not place:
            raise InvalidArgumentError("nothing to do: pass orders to cancel and/or to place")
        body: dict[str, Any] = {"marketId": self._market(market_id)}
        body.update(_cancel_arrays(cancel, allow_empty=True))
        body.update(_order_arrays(place, allow_empty=True))
        return await self._post_payload("/cancelAndPlaceMultipleOrders", body)

    async def update_take_profit(
        self, market_id: int, side: Side | bool, price: Decimal | str
    ) -> TransactionPayload:
        """Set the take-profit price of a position — ``GET /updateTakeProfit`` (#17)."""
        return await self._exit_price("TakeProfit", market_id, side, price)

    async def update_stop_loss(
        self, market_id: int, side: Side | bool, price: Decimal | str
    ) -> TransactionPayload:
        """Set the stop-loss price of a position — ``GET /updateStopLoss`` (#19)."""
        return await self._exit_price("StopLoss", market_id, side, price)

    async def _exit_price(
        self,
        kind: Literal["TakeProfit", "StopLoss"],
        market_id: int,
        side: Side | bool,
        price: Decimal | str,
    ) -> TransactionPayload:
        params = {
            "marketId": str(self._market(market_id)),
            "tradeSide": bool_text(check_side(side)),
            f"new{kind}Price": decimal_text(check_decimal(price, "price", allow_zero=True)),
        }
        return await self._payload(f"/update{kind}", params)

    async def collapse_position(self, market_id: int) -> TransactionPayload:
        """Close the position(s) in a market — ``GET /collapsePosition`` (#21)."""
        return await self._payload("/collapsePosition", {"marketId": str(self._market(market_id))})

    async def add_margin(
        self, market_id: int, side: Side | bool, amount: Decimal | str
    ) -> TransactionPayload:
        """Add collateral to a position — ``GET /addMargin`` (#25)."""
        params = {
            "marketId": str(self._market(market_id)),
            "tradeSide": bool_text(check_side(side)),
            "amount": decimal_text(check_decimal(amount, "amount")),
        }
        return await self._payload("/addMargin", params)

    async def settle_pnl(
        self, market_id: int, *, user_address: str | None = None
    ) -> TransactionPayload:
        """Refresh a position and settle its unreleased PnL — ``GET /settlePnl`` (#27)."""
        params = {
            "marketId": str(self._market(market_id)),
            "userAddress": self._user(user_address),
        }
        return await self._payload("/settlePnl", params)


def _add_tp_sl(
    params: dict[str, str], take_profit: Decimal | str | None, stop_loss: Decimal | str | None
) -> None:
    exits = (("takeProfit", "take_profit", take_profit), ("stopLoss", "stop_loss", stop_loss))
    for key, name, value in exits:
        checked = optional_price(value, name)
        if checked is not None:
            params[key] = decimal_text(checked)


def _number(value: Decimal) -> Raw:
    """An exact JSON number in plain notation (msgspec would write ``1E-7``)."""
    return Raw(decimal_text(value).encode())


def _cancel_arrays(orders: Sequence[CancelSpec], *, allow_empty: bool) -> dict[str, list[Any]]:
    ids, sides = cancel_pairs(orders, allow_empty=allow_empty)
    return {"cancelOrderIds": ids, "orderSides": sides}


def _order_arrays(orders: Sequence[OrderRequest], *, allow_empty: bool) -> dict[str, list[Any]]:
    orders = order_requests(orders, allow_empty=allow_empty)
    zero = Decimal(0)
    return {
        "orderTypes": [o.order_type.value for o in orders],
        "tradeSides": [o.side.value for o in orders],
        "directions": [o.direction.value for o in orders],
        "sizes": [_number(o.size) for o in orders],
        "prices": [_number(o.wire_price) for o in orders],
        "leverages": [o.leverage for o in orders],
        "restrictions": [int(o.restriction) for o in orders],
        "takeProfits": [_number(o.take_profit or zero) for o in orders],
        "stopLosses": [_number(o.stop_loss or zero) for o in orders],
    }
