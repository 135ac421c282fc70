"""``kana.trading``: validate, fetch the payload, sign, submit and confirm (spec §4).

Every method checks its arguments first (types, then the market's tick and lot grid from the
cached market info), asks the REST API for the payload, signs it with the client's account,
submits the signed bytes to the Aptos node and waits for the outcome:

* ``wait=True`` (default) returns a :class:`~kana_async.models.transactions.TransactionResult`,
  or raises :class:`~kana_async.MoveAbortError` (with Kana's code name) /
  :class:`~kana_async.TransactionRejectedError` / :class:`~kana_async.OutcomeUnknownError`.
* ``wait=False`` returns a :class:`~kana_async.models.transactions.PendingTransaction` as soon as
  the node accepted the transaction; ``await pending.wait()`` later.
* ``dry_run=True`` runs the transaction through the node's simulate endpoint instead: nothing is
  submitted, the result (or the abort) is what would happen now.

The return types follow these keywords for a type checker too: every method is overloaded so
that the default and ``dry_run=True`` give ``TransactionResult``, ``wait=False`` gives
``PendingTransaction``, and a ``wait`` only known at run time gives :data:`TradeOutcome`.

The class is assembled from :class:`~kana_async.resources._trade_base.TradingBase` (settings,
:meth:`~Trading.execute`, :meth:`~Trading.lookup`), the order methods
(:mod:`kana_async.resources._trade_orders`) and the collateral and position methods here.

Prices and sizes are ``Decimal`` in human units. A value off the market's grid raises
:class:`~kana_async.PrecisionError` naming the nearest valid values, unless ``rounding=`` (a
:mod:`decimal` rounding mode such as ``decimal.ROUND_DOWN``) asks to round it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Unpack, overload

from kana_async._validation import check_decimal
from kana_async.models.enums import Side
from kana_async.models.payloads import TransactionPayload
from kana_async.models.transactions import PendingTransaction, TransactionResult
from kana_async.resources._checks import CancelSpec, price_on_tick, snap
from kana_async.resources._outcomes import Confirmed, DryRun, NoWait, TradeOutcome, WaitOptions
from kana_async.resources._trade_orders import OrderMethods

__all__ = ["CancelSpec", "TradeOutcome", "Trading", "snap"]


class Trading(OrderMethods):
    """Signed transactions for the client's account (``kana.trading``).

    Settings (change them on the instance): :attr:`options` holds ``max_gas_amount``,
    ``gas_unit_price`` (``None``: the node's estimate, cached briefly), ``expiration_seconds``
    and ``confirm_timeout``; :attr:`submit_retries` is how often the same signed bytes are
    re-sent after a timeout, 429 or 5xx; :attr:`request_timeout` bounds each node request;
    ``max_in_flight`` (fixed at the first transaction) caps transactions outstanding per account.
    """

    # -- collateral ----------------------------------------------------------------------------

    @overload
    async def deposit(
        self, amount: Decimal | str, **opts: Unpack[Confirmed]
    ) -> TransactionResult: ...
    @overload
    async def deposit(self, amount: Decimal | str, **opts: Unpack[DryRun]) -> TransactionResult: ...
    @overload
    async def deposit(
        self, amount: Decimal | str, **opts: Unpack[NoWait]
    ) -> PendingTransaction: ...
    @overload
    async def deposit(self, amount: Decimal | str, **opts: Unpack[WaitOptions]) -> TradeOutcome: ...
    async def deposit(
        self,
        amount: Decimal | str,
        *,
        wait: bool = True,
        timeout: float | None = None,  # noqa: ASYNC109
        dry_run: bool = False,
    ) -> TradeOutcome:
        """Move collateral (quote asset, human units) from the wallet into trading (#4)."""
        check_decimal(amount, "amount")
        return await self._trade(
            lambda: self._client.payloads.deposit(amount), wait, timeout, dry_run
        )

    @overload
    async def withdraw(
        self, market_id: int, amount: Decimal | str, **opts: Unpack[Confirmed]
    ) -> TransactionResult: ...
    @overload
    async def withdraw(
        self, market_id: int, amount: Decimal | str, **opts: Unpack[DryRun]
    ) -> TransactionResult: ...
    @overload
    async def withdraw(
        self, market_id: int, amount: Decimal | str, **opts: Unpack[NoWait]
    ) -> PendingTransaction: ...
    @overload
    async def withdraw(
        self, market_id: int, amount: Decimal | str, **opts: Unpack[WaitOptions]
    ) -> TradeOutcome: ...
    async def withdraw(
        self,
        market_id: int,
        amount: Decimal | str,
        *,
        wait: bool = True,
        timeout: float | None = None,  # noqa: ASYNC109
        dry_run: bool = False,
    ) -> TradeOutcome:
        """Withdraw collateral from a market back to the wallet (#5)."""
        check_decimal(amount, "amount")
        return await self._trade(
            lambda: self._client.payloads.withdraw(market_id, amount), wait, timeout, dry_run
        )

    @overload
    async def add_margin(
        self, market_id: int, side: Side | bool, amount: Decimal | str, **opts: Unpack[Confirmed]
    ) -> TransactionResult: ...
    @overload
    async def add_margin(
        self, market_id: int, side: Side | bool, amount: Decimal | str, **opts: Unpack[DryRun]
    ) -> TransactionResult: ...
    @overload
    async def add_margin(
        self, market_id: int, side: Side | bool, amount: Decimal | str, **opts: Unpack[NoWait]
    ) -> PendingTransaction: ...
    @overload
    async def add_margin(
        self, market_id: int, side: Side | bool, amount: Decimal | str, **opts: Unpack[WaitOptions]
    ) -> TradeOutcome: ...
    async def add_margin(
        self,
        market_id: int,
        side: Side | bool,
        amount: Decimal | str,
        *,
        wait: bool = True,
        timeout: float | None = None,  # noqa: ASYNC109
        dry_run: bool = False,
    ) -> TradeOutcome:
        """Add collateral to the position on ``side`` (#25)."""
        check_decimal(amount, "amount")
        return await self._trade(
            lambda: self._client.payloads.add_margin(market_id, side, amount),
            wait,
            timeout,
            dry_run,
        )

    # -- positions -----------------------------------------------------------------------------

    @overload
    async def update_take_profit(
        self,
        market_id: int,
        side: Side | bool,
        price: Decimal | str,
        *,
        rounding: str | None = None,
        **opts: Unpack[Confirmed],
    ) -> TransactionResult: ...
    @overload
    async def update_take_profit(
        self,
        market_id: int,
        side: Side | bool,
        price: Decimal | str,
        *,
        rounding: str | None = None,
        **opts: Unpack[DryRun],
    ) -> TransactionResult: ...
    @overload
    async def update_take_profit(
        self,
        market_id: int,
        side: Side | bool,
        price: Decimal | str,
        *,
        rounding: str | None = None,
        **opts: Unpack[NoWait],
    ) -> PendingTransaction: ...
    @overload
    async def update_take_profit(
        self,
        market_id: int,
        side: Side | bool,
        price: Decimal | str,
        *,
        rounding: str | None = None,
        **opts: Unpack[WaitOptions],
    ) -> TradeOutcome: ...
    async def update_take_profit(
        self,
        market_id: int,
        side: Side | bool,
        price: Decimal | str,
        *,
        rounding: str | None = None,
        wait: bool = True,
        timeout: float | None = None,  # noqa: ASYNC109
        dry_run: bool = False,
    ) -> TradeOutcome:
        """Set the take-profit price of the position on ``side`` (#17; 0 clears it)."""
        update = self._client.payloads.update_take_profit
        return await self._exit_price(
            update, market_id, side, price, rounding, wait, timeout, dry_run
        )

    @overload
    async def update_stop_loss(
        self,
        market_id: int,
        side: Side | bool,
        price: Decimal | str,
        *,
        rounding: str | None = None,
        **opts: Unpack[Confirmed],
    ) -> TransactionResult: ...
    @overload
    async def update_stop_loss(
        self,
        market_id: int,
        side: Side | bool,
        price: Decimal | str,
        *,
        rounding: str | None = None,
        **opts: Unpack[DryRun],
    ) -> TransactionResult: ...
    @overload
    async def update_stop_loss(
        self,
        market_id: int,
        side: Side | bool,
        price: Decimal | str,
        *,
        rounding: str | None = None,
        **opts: Unpack[NoWait],
    ) -> PendingTransaction: ...
    @overload
    async def update_stop_loss(
        self,
        market_id: int,
        side: Side | bool,
        price: Decimal | str,
        *,
        rounding: str | None = None,
        **opts: Unpack[WaitOptions],
    ) -> TradeOutcome: ...
    async def update_stop_loss(
        self,
        market_id: int,
        side: Side | bool,
        price: Decimal | str,
        *,
        rounding: str | None = None,
        wait: bool = True,
        timeout: float | None = None,  # noqa: ASYNC109
        dry_run: bool = False,
    ) -> TradeOutcome:
        """Set the stop-loss price of the position on ``side`` (#19; 0 clears it)."""
        update = self._client.payloads.update_stop_loss
        return await self._exit_price(
            update, market_id, side, price, rounding, wait, timeout, dry_run
        )

    @overload
    async def collapse_position(
        self, market_id: int, **opts: Unpack[Confirmed]
    ) -> TransactionResult: ...
    @overload
    async def collapse_position(
        self, market_id: int, **opts: Unpack[DryRun]
    ) -> TransactionResult: ...
    @overload
    async def collapse_position(
        self, market_id: int, **opts: Unpack[NoWait]
    ) -> PendingTransaction: ...
    @overload
    async def collapse_position(
        self, market_id: int, **opts: Unpack[WaitOptions]
    ) -> TradeOutcome: ...
    async def collapse_position(
        self,
        market_id: int,
        *,
        wait: bool = True,
        timeout: float | None = None,  # noqa: ASYNC109
        dry_run: bool = False,
    ) -> TradeOutcome:
        """Close the position(s) in a market (#21)."""
        return await self._trade(
            lambda: self._client.payloads.collapse_position(market_id), wait, timeout, dry_run
        )

    @overload
    async def settle_pnl(self, market_id: int, **opts: Unpack[Confirmed]) -> TransactionResult: ...
    @overload
    async def settle_pnl(self, market_id: int, **opts: Unpack[DryRun]) -> TransactionResult: ...
    @overload
    async def settle_pnl(self, market_id: int, **opts: Unpack[NoWait]) -> PendingTransaction: ...
    @overload
    async def settle_pnl(self, market_id: int, **opts: Unpack[WaitOptions]) -> TradeOutcome: ...
    async def settle_pnl(
        self,
        market_id: int,
        *,
        wait: bool = True,
        timeout: float | None = None,  # noqa: ASYNC109
        dry_run: bool = False,
    ) -> TradeOutcome:
        """Settle the unreleased PnL of the position(s) in a market (#27)."""
        return await self._trade(
            lambda: self._client.payloads.settle_pnl(market_id), wait, timeout, dry_run
        )

    async def _exit_price(
        self,
        update: Callable[[int, Side | bool, Decimal], Awaitable[TransactionPayload]],
        market_id: int,
        side: Side | bool,
        price: Decimal | str,
        rounding: str | None,
        wait: bool,
        timeout: float | None,  # noqa: ASYNC109
        dry_run: bool,
    ) -> TradeOutcome:
        """Put a take-profit / stop-loss price (0 clears it) on the tick, then ``update``."""
        price_d = check_decimal(price, "price", allow_zero=True)

        async def build() -> TransactionPayload:
            info = await self._market_info(market_id)
            return await update(market_id, side, price_on_tick(info, price_d, "price", rounding))

        return await self._trade(build, wait, timeout, dry_run)
