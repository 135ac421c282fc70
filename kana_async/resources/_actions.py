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

from decimal import Decimal
from typing import Any, Literal, TypeVar

from kana_async._validation import (
    bool_text,
    check_decimal,
    check_side,
    decimal_text,
)
from kana_async.models.enums import Side
from kana_async.resources._action_base import Call, action
from kana_async.resources._checks import Grid, quote_amount
from kana_async.resources._order_actions import OrderActions

__all__ = ["Actions", "Call"]

R = TypeVar("R")


class Actions(OrderActions[R]):
    """The trading actions; what each returns depends on the view (see the module doc).

    The order actions live in :class:`~kana_async.resources._order_actions.OrderActions`.
    """

    # -- collateral ----------------------------------------------------------------------------

    @action
    async def deposit(self, amount: Decimal | str, *, user_address: str | None = None) -> R:
        """Move collateral from the wallet into the trading account.

        Calls ``GET /deposit`` (``amount``, ``userAddress``) for the transaction payload.

        Args:
            amount: quote currency (e.g. USDT), human units, > 0.
            user_address: whose wallet the payload is for (default: the client's).
        """
        value = decimal_text(quote_amount(amount))
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

    @action
    async def withdraw(self, market_id: int, amount: Decimal | str) -> R:
        """Withdraw collateral from a market back to the wallet.

        Calls ``GET /withdrawSpecifiMarket`` (``marketId``, ``amount``, ``userAddress``; the
        path's spelling is Kana's) for the transaction payload.

        Args:
            market_id: the market.
            amount: quote currency, human units, > 0.
        """
        mid = self._market(market_id)
        value = decimal_text(quote_amount(amount))
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

    @action
    async def add_margin(self, market_id: int, side: Side | bool, amount: Decimal | str) -> R:
        """Add collateral to the position on ``side``.

        Calls ``GET /addMargin`` (``marketId``, ``tradeSide``, ``amount``) for the transaction
        payload.

        Args:
            market_id: the market.
            side: the position's side (``Side.LONG`` / ``Side.SHORT`` or the wire boolean).
            amount: quote currency, human units, > 0.
        """
        mid = self._market(market_id)
        params = {
            "marketId": str(mid),
            "tradeSide": bool_text(check_side(side)),
            "amount": decimal_text(quote_amount(amount)),
        }
        return await self._run(
            Call("add_margin", "GET", "/addMargin", mid, lambda grid, sides: params)
        )

    # -- positions -----------------------------------------------------------------------------

    @action
    async def update_take_profit(
        self,
        market_id: int,
        side: Side | bool,
        price: Decimal | str,
        *,
        rounding: str | None = None,
    ) -> R:
        """Set the take-profit price of the position on ``side``.

        Calls ``GET /updateTakeProfit`` (``marketId``, ``tradeSide``, ``newTakeProfitPrice``)
        for the transaction payload.

        Args:
            market_id: the market.
            side: the position's side.
            price: quote currency, on the tick; 0 clears it.
            rounding: a :mod:`decimal` rounding mode for an off-tick price.
        """
        return await self._exit_price("TakeProfit", market_id, side, price, rounding)

    @action
    async def update_stop_loss(
        self,
        market_id: int,
        side: Side | bool,
        price: Decimal | str,
        *,
        rounding: str | None = None,
    ) -> R:
        """Set the stop-loss price of the position on ``side``.

        Calls ``GET /updateStopLoss`` (``marketId``, ``tradeSide``, ``newStopLossPrice``) for
        the transaction payload.

        Args:
            market_id: the market.
            side: the position's side.
            price: quote currency, on the tick; 0 clears it.
            rounding: a :mod:`decimal` rounding mode for an off-tick price.
        """
        return await self._exit_price("StopLoss", market_id, side, price, rounding)

    @action
    async def collapse_position(self, market_id: int) -> R:
        """Close the account's position(s) in a market at market price.

        Calls ``GET /collapsePosition`` (``marketId``) for the transaction payload.

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

    @action
    async def settle_pnl(self, market_id: int, *, user_address: str | None = None) -> R:
        """Refresh a position and settle its unreleased PnL into the trading account.

        Calls ``GET /settlePnl`` (``marketId``, ``userAddress``) for the transaction payload.

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
