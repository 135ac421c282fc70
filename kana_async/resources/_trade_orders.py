"""The order methods of ``kana.trading``: place, cancel, cancel-and-place (spec §3 #6-#9).

Sizes and prices are checked before any I/O, then put on the market's lot and tick grid (see
:mod:`kana_async.resources._checks`) before the payload is fetched. Each method is overloaded so a
type checker knows the result (see :mod:`kana_async.resources._outcomes`).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Unpack, overload

from kana_async._validation import check_decimal, check_int
from kana_async.models.enums import Direction, Restriction, Side
from kana_async.models.payloads import TransactionPayload
from kana_async.models.requests import OrderRequest
from kana_async.models.transactions import PendingTransaction, TransactionResult
from kana_async.resources._checks import (
    CancelSpec,
    exit_prices,
    on_grid,
    price_on_tick,
    size_on_lot,
)
from kana_async.resources._outcomes import Confirmed, DryRun, NoWait, TradeOutcome, WaitOptions
from kana_async.resources._trade_base import TradingBase

__all__ = ["OrderMethods"]


class OrderMethods(TradingBase):
    """Placing and cancelling orders (part of :class:`~kana_async.resources.trading.Trading`)."""

    @overload
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
        **opts: Unpack[Confirmed],
    ) -> TransactionResult: ...
    @overload
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
        **opts: Unpack[DryRun],
    ) -> TransactionResult: ...
    @overload
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
        **opts: Unpack[NoWait],
    ) -> PendingTransaction: ...
    @overload
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
        **opts: Unpack[WaitOptions],
    ) -> TradeOutcome: ...
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
        wait: bool = True,
        timeout: float | None = None,  # noqa: ASYNC109
        dry_run: bool = False,
    ) -> TradeOutcome:
        """Place a limit order (#6); size and price must sit on the market's lot and tick."""
        size_d = check_decimal(size, "size")
        price_d = check_decimal(price, "price")
        check_int(leverage, "leverage", minimum=1)

        async def build() -> TransactionPayload:
            info = await self._market_info(market_id)
            tp, sl = exit_prices(info, take_profit, stop_loss, rounding)
            return await self._client.payloads.place_limit_order(
                market_id,
                side=side,
                size=size_on_lot(info, size_d, rounding),
                price=price_on_tick(info, price_d, "price", rounding),
                leverage=leverage,
                direction=direction,
                restriction=restriction,
                take_profit=tp,
                stop_loss=sl,
            )

        return await self._trade(build, wait, timeout, dry_run)

    @overload
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
        **opts: Unpack[Confirmed],
    ) -> TransactionResult: ...
    @overload
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
        **opts: Unpack[DryRun],
    ) -> TransactionResult: ...
    @overload
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
        **opts: Unpack[NoWait],
    ) -> PendingTransaction: ...
    @overload
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
        **opts: Unpack[WaitOptions],
    ) -> TradeOutcome: ...
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
        wait: bool = True,
        timeout: float | None = None,  # noqa: ASYNC109
        dry_run: bool = False,
    ) -> TradeOutcome:
        """Place a market order (#7); aborts on chain if the book cannot fill it (1007)."""
        size_d = check_decimal(size, "size")
        check_int(leverage, "leverage", minimum=1)

        async def build() -> TransactionPayload:
            info = await self._market_info(market_id)
            tp, sl = exit_prices(info, take_profit, stop_loss, rounding)
            return await self._client.payloads.place_market_order(
                market_id,
                side=side,
                size=size_on_lot(info, size_d, rounding),
                leverage=leverage,
                direction=direction,
                take_profit=tp,
                stop_loss=sl,
            )

        return await self._trade(build, wait, timeout, dry_run)

    @overload
    async def place_multiple_orders(
        self,
        market_id: int,
        orders: Sequence[OrderRequest],
        *,
        rounding: str | None = None,
        **opts: Unpack[Confirmed],
    ) -> TransactionResult: ...
    @overload
    async def place_multiple_orders(
        self,
        market_id: int,
        orders: Sequence[OrderRequest],
        *,
        rounding: str | None = None,
        **opts: Unpack[DryRun],
    ) -> TransactionResult: ...
    @overload
    async def place_multiple_orders(
        self,
        market_id: int,
        orders: Sequence[OrderRequest],
        *,
        rounding: str | None = None,
        **opts: Unpack[NoWait],
    ) -> PendingTransaction: ...
    @overload
    async def place_multiple_orders(
        self,
        market_id: int,
        orders: Sequence[OrderRequest],
        *,
        rounding: str | None = None,
        **opts: Unpack[WaitOptions],
    ) -> TradeOutcome: ...
    async def place_multiple_orders(
        self,
        market_id: int,
        orders: Sequence[OrderRequest],
        *,
        rounding: str | None = None,
        wait: bool = True,
        timeout: float | None = None,  # noqa: ASYNC109
        dry_run: bool = False,
    ) -> TradeOutcome:
        """Place several orders in one transaction (#8b)."""

        async def build() -> TransactionPayload:
            checked = on_grid(await self._market_info(market_id), orders, rounding)
            return await self._client.payloads.place_multiple_orders(market_id, checked)

        return await self._trade(build, wait, timeout, dry_run)

    @overload
    async def cancel_multiple_orders(
        self, market_id: int, orders: Sequence[CancelSpec], **opts: Unpack[Confirmed]
    ) -> TransactionResult: ...
    @overload
    async def cancel_multiple_orders(
        self, market_id: int, orders: Sequence[CancelSpec], **opts: Unpack[DryRun]
    ) -> TransactionResult: ...
    @overload
    async def cancel_multiple_orders(
        self, market_id: int, orders: Sequence[CancelSpec], **opts: Unpack[NoWait]
    ) -> PendingTransaction: ...
    @overload
    async def cancel_multiple_orders(
        self, market_id: int, orders: Sequence[CancelSpec], **opts: Unpack[WaitOptions]
    ) -> TradeOutcome: ...
    async def cancel_multiple_orders(
        self,
        market_id: int,
        orders: Sequence[CancelSpec],
        *,
        wait: bool = True,
        timeout: float | None = None,  # noqa: ASYNC109
        dry_run: bool = False,
    ) -> TradeOutcome:
        """Cancel orders given as ``(order_id, side)`` pairs (#8)."""
        return await self._trade(
            lambda: self._client.payloads.cancel_multiple_orders(market_id, orders),
            wait,
            timeout,
            dry_run,
        )

    @overload
    async def cancel_and_place_multiple_orders(
        self,
        market_id: int,
        cancel: Sequence[CancelSpec],
        place: Sequence[OrderRequest],
        *,
        rounding: str | None = None,
        **opts: Unpack[Confirmed],
    ) -> TransactionResult: ...
    @overload
    async def cancel_and_place_multiple_orders(
        self,
        market_id: int,
        cancel: Sequence[CancelSpec],
        place: Sequence[OrderRequest],
        *,
        rounding: str | None = None,
        **opts: Unpack[DryRun],
    ) -> TransactionResult: ...
    @overload
    async def cancel_and_place_multiple_orders(
        self,
        market_id: int,
        cancel: Sequence[CancelSpec],
        place: Sequence[OrderRequest],
        *,
        rounding: str | None = None,
        **opts: Unpack[NoWait],
    ) -> PendingTransaction: ...
    @overload
    async def cancel_and_place_multiple_orders(
        self,
        market_id: int,
        cancel: Sequence[CancelSpec],
        place: Sequence[OrderRequest],
        *,
        rounding: str | None = None,
        **opts: Unpack[WaitOptions],
    ) -> TradeOutcome: ...
    async def cancel_and_place_multiple_orders(
        self,
        market_id: int,
        cancel: Sequence[CancelSpec],
        place: Sequence[OrderRequest],
        *,
        rounding: str | None = None,
        wait: bool = True,
        timeout: float | None = None,  # noqa: ASYNC109
        dry_run: bool = False,
    ) -> TradeOutcome:
        """Cancel some orders and place others atomically (#9)."""

        async def build() -> TransactionPayload:
            checked = on_grid(await self._market_info(market_id), place, rounding)
            return await self._client.payloads.cancel_and_place_multiple_orders(
                market_id, cancel, checked
            )

        return await self._trade(build, wait, timeout, dry_run)
