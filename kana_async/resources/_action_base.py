"""What every view of the trading actions shares: the :class:`Call` record and the request.

An action (see :mod:`kana_async.resources._actions`) checks its arguments, then describes the
request for its payload as a :class:`Call`; :meth:`ActionBase._run`, which each view implements,
decides what happens with it, and :meth:`ActionBase._payload` fetches the payload.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, Generic, Literal, TypeVar

from kana_async._codec import Raw
from kana_async._exceptions import InvalidArgumentError
from kana_async._validation import decimal_text
from kana_async.models.payloads import TransactionPayload
from kana_async.models.requests import OrderRequest
from kana_async.resources._base import Resource
from kana_async.resources._checks import Grid

__all__ = [
    "ActionBase",
    "Call",
    "Sides",
    "action",
    "add_exits",
    "cancel_arrays",
    "one_restriction",
    "order_arrays",
]

R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])

_RETURNS: Final = """
Returns:
    From ``kana.trading``: the :class:`~kana_async.TransactionResult` once committed, with the
    orders the transaction placed and cancelled and its fills (``result.order_id``,
    ``result.placed``...). From ``kana.trading.no_wait``: a
    :class:`~kana_async.PendingTransaction` as soon as the node accepted it. From
    ``kana.trading.dry_run``: the result a simulation on the node gives (nothing is submitted).
    From ``kana.payloads``: the unsigned :class:`~kana_async.TransactionPayload`.
"""
_RAISES: Final = """
    InvalidArgumentError, ArgumentTypeError, PrecisionError: bad arguments, or (the signing
        views) a client without an account; nothing is sent.
    ClientStateError: the client is not open (``async with KanaClient(...)``).
    MoveAbortError: the transaction executed and aborted (``code_name`` is Kana's constant).
    TransactionRejectedError: the node refused it, or it expired: it did not execute.
    OutcomeUnknownError: no outcome within ``kana.trading.options.confirm_timeout``; the
        client keeps resolving it (``kana.trading.unresolved``, ``kana.trading.outcome(hash)``).
    APIError, TransportError: the payload could not be fetched (after retries); nothing signed.
        From the signing views, a ``TransportError`` also means that no submission reached the
        node: the transaction did not execute.
"""


def action(fn: F) -> F:
    """Mark ``fn`` as a trading action: its docstring gains what every view returns and raises.

    The shared ``Returns:`` section is appended, and the shared ``Raises:`` entries follow the
    action's own, if it has any.

    Args:
        fn: the action method.

    Returns:
        ``fn`` itself, its ``__doc__`` rewritten.

    Never raises.
    """
    own, _, specific = inspect.cleandoc(fn.__doc__ or "").partition("\nRaises:\n")
    raises = "Raises:\n" + (specific.rstrip() + "\n" if specific else "") + _RAISES.lstrip("\n")
    fn.__doc__ = own.rstrip() + "\n" + _RETURNS + "\n" + raises
    return fn


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


class ActionBase(Resource, Generic[R]):
    """The hooks of a view: :meth:`_run` (what a call returns) and :meth:`_payload`."""

    async def _run(self, call: Call) -> R:
        raise NotImplementedError

    async def _payload(
        self, call: Call, grid: Grid | None, sides: list[bool]
    ) -> TransactionPayload:
        """Ask the REST API for the payload of ``call`` (``GET`` or ``POST`` of ``call.path``).

        Retried on transport errors, 429 and 5xx: asking executes nothing, and nothing is
        signed yet.

        Args:
            call: the action's request.
            grid: the market's checks, or ``None`` to send the values as given.
            sides: the sides found for ``call.cancel`` (``True`` = long).

        Returns:
            The unsigned entry-function payload the API answered with.

        Raises:
            APIError: the API answered with an error status or an unusable body.
            TransportError: no answer, after retries.
            PrecisionError: a value is off the market's grid (no rounding asked for).
            InvalidArgumentError: a value is outside the market's limits.
        """
        http = self._context.http
        request = call.build(grid, sides)
        if call.method == "GET":
            payload: TransactionPayload = await http.get(
                call.path, TransactionPayload, params=request, idempotent=True
            )
        else:
            payload = await http.post(call.path, TransactionPayload, body=request, idempotent=True)
        return payload


def add_exits(
    params: dict[str, str],
    grid: Grid | None,
    take_profit: Decimal | None,
    stop_loss: Decimal | None,
) -> None:
    """Add ``takeProfit`` / ``stopLoss`` query parameters for the exits that are given.

    Args:
        params: the query parameters, changed in place.
        grid: the market's checks, to put the prices on the tick; ``None`` sends them as given.
        take_profit: the take-profit trigger price, human units, or ``None`` to leave it out.
        stop_loss: the stop-loss trigger price, human units, or ``None`` to leave it out.

    Raises:
        PrecisionError: a price is off the tick and no rounding was asked for.
        InvalidArgumentError: a nonzero price rounds to 0.
    """
    tp, sl = grid.exits(take_profit, stop_loss) if grid else (take_profit, stop_loss)
    for key, value in (("takeProfit", tp), ("stopLoss", sl)):
        if value is not None:
            params[key] = decimal_text(value)


def one_restriction(orders: list[OrderRequest]) -> list[OrderRequest]:
    """``orders``, if they share one restriction: the multi-order body has a single scalar.

    Args:
        orders: the order requests of one multi-order call.

    Returns:
        ``orders`` unchanged.

    Raises:
        InvalidArgumentError: the orders have different restrictions.
    """
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


def cancel_arrays(
    targets: Sequence[tuple[str, bool | None]], sides: list[bool]
) -> dict[str, list[Any]]:
    """The cancel part of a multi-order request body.

    Args:
        targets: ``(order_id, side or None)`` per order to cancel.
        sides: the complete sides of the targets, in order (``True`` = long).

    Returns:
        ``{"cancelOrderIds": [...], "orderSides": [...]}``.

    Never raises.
    """
    return {"cancelOrderIds": [order_id for order_id, _ in targets], "orderSides": sides}


def order_arrays(orders: Sequence[OrderRequest]) -> dict[str, Any]:
    """The place part of a multi-order request body: one parallel array per field.

    Sizes and prices go out as exact JSON numbers in plain notation (human units); a market
    order's price and a missing take-profit or stop-loss are sent as 0.

    Args:
        orders: the order requests, already checked.

    Returns:
        ``orderTypes``, ``tradeSides``, ``directions``, ``sizes``, ``prices``, ``leverages``,
        ``restriction`` (the first order's, 0 when there is none), ``restrictions``,
        ``takeProfits`` and ``stopLosses``.

    Never raises.
    """
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
