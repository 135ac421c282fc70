"""Handlers of the REST write endpoints: each builds an entry-function payload, table-driven.

A write endpoint returns ``{function, typeArguments, functionArguments}`` in on-chain integer
units (lots, ticks, quote units). GET endpoints send every argument as a string; the three POST
endpoints send JSON numbers / bools / arrays (u128 order ids included).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from kana_async.sim import wire

from .params import Params, cancel_vectors, order_vectors, payload

__all__ = ["GET_WRITES", "POST_WRITES", "WriteEndpoint"]


@dataclass(frozen=True, slots=True)
class WriteEndpoint:
    """One write endpoint: its reply message, entry function and argument builder."""

    message: str
    function: str
    args: Callable[[Params], list[Any]]
    as_strings: bool = True

    def __call__(self, p: Params) -> tuple[str, Any]:
        """The reply for one request."""
        return self.message, payload(self.function, self.args(p), as_strings=self.as_strings)


def _deposit(p: Params) -> list[Any]:
    return [p.user(), p.units("amount")]


def _withdraw(p: Params) -> list[Any]:
    spec, units = p.market(), p.units("amount")
    return [p.user(), spec.market_id, units]


def _order_args(p: Params, *, limit: bool) -> list[Any]:
    """``place_limit_order`` / ``place_market_order`` arguments in contract order."""
    spec = p.market()
    head = [spec.market_id, p.boolean("tradeSide"), p.boolean("direction"), p.lots(spec, "size")]
    price = [p.ticks(spec, "price")] if limit else []
    leverage = [p.integer("leverage", maximum=wire.U64_MAX)]
    restriction = [p.u8("restriction", 0)] if limit else []
    triggers = [p.ticks(spec, "takeProfit", 0), p.ticks(spec, "stopLoss", 0)]
    return [*head, *price, *leverage, *restriction, *triggers]


def _limit_order(p: Params) -> list[Any]:
    return _order_args(p, limit=True)


def _market_order(p: Params) -> list[Any]:
    return _order_args(p, limit=False)


def _trigger(param: str) -> Callable[[Params], list[Any]]:
    def args(p: Params) -> list[Any]:
        spec = p.market()
        return [spec.market_id, p.boolean("tradeSide"), p.ticks(spec, param)]

    return args


def _collapse(p: Params) -> list[Any]:
    return [p.market().market_id]


def _add_margin(p: Params) -> list[Any]:
    spec = p.market()
    return [spec.market_id, p.boolean("tradeSide"), p.units("amount")]


def _settle_pnl(p: Params) -> list[Any]:
    spec = p.market()
    return [p.user(), spec.market_id]


def _cancel_multiple(p: Params) -> list[Any]:
    return [p.market().market_id, *cancel_vectors(p)]


def _place_multiple(p: Params) -> list[Any]:
    spec = p.market()
    return [spec.market_id, *order_vectors(p, spec)]


def _cancel_and_place(p: Params) -> list[Any]:
    spec = p.market()
    return [spec.market_id, *cancel_vectors(p), *order_vectors(p, spec)]


#: Query-string write endpoints, by path.
GET_WRITES: Final = {
    "/deposit": WriteEndpoint("Deposit payload built", "deposit", _deposit),
    "/withdrawSpecifiMarket": WriteEndpoint(
        "Withdraw payload built", "withdraw_specific_market", _withdraw
    ),
    "/placeLimitOrder": WriteEndpoint(
        "Limit order payload built", "place_limit_order", _limit_order
    ),
    "/placeMarketOrder": WriteEndpoint(
        "Market order payload built", "place_market_order", _market_order
    ),
    "/updateTakeProfit": WriteEndpoint(
        "Take profit payload built", "update_take_profit", _trigger("newTakeProfitPrice")
    ),
    "/updateStopLoss": WriteEndpoint(
        "Stop loss payload built", "update_stop_loss", _trigger("newStopLossPrice")
    ),
    "/collapsePosition": WriteEndpoint(
        "Collapse position payload built", "collapse_position", _collapse
    ),
    "/addMargin": WriteEndpoint("Add margin payload built", "add_margin", _add_margin),
    "/settlePnl": WriteEndpoint("Settle PnL payload built", "settle_pnl", _settle_pnl),
}

#: JSON-body write endpoints, by path.
POST_WRITES: Final = {
    "/cancelMultipleOrders": WriteEndpoint(
        "Cancel orders payload built", "cancel_multiple_orders", _cancel_multiple, False
    ),
    "/placeMultipleOrders": WriteEndpoint(
        "Place orders payload built", "place_multiple_orders", _place_multiple, False
    ),
    "/cancelAndPlaceMultipleOrders": WriteEndpoint(
        "Cancel and place orders payload built",
        "cancel_and_place_multiple_orders",
        _cancel_and_place,
        False,
    ),
}
