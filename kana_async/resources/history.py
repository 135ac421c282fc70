"""History: orders, trades, funding, transfers and fills (spec §3 #11, #14, #28, #29, #29b, #31).

The paged endpoints take ``offset``/``limit``/``order``; the ``iter_*`` methods walk every page.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from kana_async._exceptions import InvalidArgumentError
from kana_async._pagination import DEFAULT_PAGE_SIZE, PageIterator
from kana_async._validation import (
    check_iso_datetime,
    check_order_id,
    check_unix_seconds,
)
from kana_async.models.account import FundingEntry, Transfer
from kana_async.models.orders import OrderHistoryEntry
from kana_async.models.trades import Trade
from kana_async.resources._base import Resource, history_params

__all__ = ["History"]

T = TypeVar("T")

SortOrder = str
"""``"asc"`` or ``"desc"``."""


class History(Resource):
    """``kana.history``: what a wallet did. Reads for the client's wallet unless
    ``user_address=`` names another."""

    def _params(
        self,
        user_address: str | None,
        market_id: int | None,
        offset: int | None,
        limit: int | None,
        order: SortOrder | None,
    ) -> dict[str, str]:
        mid = None if market_id is None else self._market(market_id)
        return history_params(self._user(user_address), mid, offset, limit, order)

    async def orders(
        self,
        market_id: int | None = None,
        *,
        offset: int | None = None,
        limit: int | None = None,
        order: SortOrder | None = None,
        user_address: str | None = None,
    ) -> list[OrderHistoryEntry]:
        """One page of order history — ``GET /getOrderHistory`` (#11)."""
        params = self._params(user_address, market_id, offset, limit, order)
        return await self._read("/getOrderHistory", list[OrderHistoryEntry], params)

    async def trades(
        self,
        market_id: int | None = None,
        *,
        offset: int | None = None,
        limit: int | None = None,
        order: SortOrder | None = None,
        user_address: str | None = None,
    ) -> list[Trade]:
        """One page of the wallet's trades — ``GET /getTradeHistory`` (#28)."""
        params = self._params(user_address, market_id, offset, limit, order)
        return await self._read("/getTradeHistory", list[Trade], params)

    async def funding(
        self,
        market_id: int | None = None,
        *,
        offset: int | None = None,
        limit: int | None = None,
        order: SortOrder | None = None,
        user_address: str | None = None,
    ) -> list[FundingEntry]:
        """One page of funding payments — ``GET /getFundingHistory`` (#29b)."""
        params = self._params(user_address, market_id, offset, limit, order)
        return await self._read("/getFundingHistory", list[FundingEntry], params)

    async def transfers(self, *, user_address: str | None = None) -> list[Transfer]:
        """Deposits and withdrawals — ``GET /getDepositAndWithdrawHistory`` (#29)."""
        params = {"userAddress": self._user(user_address)}
        return await self._read("/getDepositAndWithdrawHistory", list[Transfer], params)

    async def fills(
        self,
        market_id: int,
        start: datetime,
        end: datetime,
        *,
        order_id: int | str | None = None,
        user_address: str | None = None,
    ) -> list[Trade]:
        """Fills of a market between two instants — ``GET /getFills`` (#14).

        ``start``/``end`` are timezone-aware datetimes, sent as ISO-8601 UTC (``from``/``to``).
        This endpoint wants the **profile** address; it is looked up (once, cached) from the
        wallet.
        """
        params = {
            "marketId": str(self._market(market_id)),
            "from": check_iso_datetime(start, "start"),
            "to": check_iso_datetime(end, "end"),
        }
        if start > end:
            raise InvalidArgumentError("start must not be after end")
        if order_id is not None:
            params["orderId"] = check_order_id(order_id)
        user = self._user(user_address)
        params["address"] = await self._client.portfolio.profile_address(user)
        return await self._read("/getFills", list[Trade], params)

    async def fills_between(
        self,
        *,
        from_timestamp: int | datetime | None = None,
        to_timestamp: int | datetime | None = None,
        market_id: int | None = None,
        offset: int | None = None,
        limit: int | None = None,
        order: SortOrder | None = None,
        user_address: str | None = None,
    ) -> list[Trade]:
        """One page of fills in a time range — ``GET /getFillsForGivenTimestamp`` (#31).

        Timestamps are Unix **seconds** (or aware datetimes); millisecond values are refused.
        The server's default page size is 50.
        """
        params = self._fills_params(
            from_timestamp, to_timestamp, market_id, order, user_address, offset, limit
        )
        return await self._read("/getFillsForGivenTimestamp", list[Trade], params)

    def _fills_params(
        self,
        from_timestamp: int | datetime | None,
        to_timestamp: int | datetime | None,
        market_id: int | None,
        order: SortOrder | None,
        user_address: str | None,
        offset: int | None = None,
        limit: int | None = None,
    ) -> dict[str, str]:
        params = self._params(user_address, market_id, offset, limit, order)
        start = None
        if from_timestamp is not None:
            start = check_unix_seconds(from_timestamp, "from_timestamp")
            params["fromTimestamp"] = str(start)
        if to_timestamp is not None:
            end = check_unix_seconds(to_timestamp, "to_timestamp")
            if start is not None and start > end:
                raise InvalidArgumentError("from_timestamp must not be after to_timestamp")
            params["toTimestamp"] = str(end)
        return params

    # -- iterators over every page ------------------------------------------------------------

    def iter_orders(
        self,
        market_id: int | None = None,
        *,
        order: SortOrder | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        user_address: str | None = None,
    ) -> PageIterator[OrderHistoryEntry]:
        """Every order-history row, page by page (``async for``) — #11."""
        params = self._params(user_address, market_id, None, None, order)
        return self._pages("/getOrderHistory", list[OrderHistoryEntry], params, page_size)

    def iter_trades(
        self,
        market_id: int | None = None,
        *,
        order: SortOrder | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        user_address: str | None = None,
    ) -> PageIterator[Trade]:
        """Every trade-history row, page by page (``async for``) — #28."""
        params = self._params(user_address, market_id, None, None, order)
        return self._pages("/getTradeHistory", list[Trade], params, page_size)

    def iter_funding(
        self,
        market_id: int | None = None,
        *,
        order: SortOrder | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        user_address: str | None = None,
    ) -> PageIterator[FundingEntry]:
        """Every funding payment, page by page (``async for``) — #29b."""
        params = self._params(user_address, market_id, None, None, order)
        return self._pages("/getFundingHistory", list[FundingEntry], params, page_size)

    def iter_fills(
        self,
        *,
        from_timestamp: int | datetime | None = None,
        to_timestamp: int | datetime | None = None,
        market_id: int | None = None,
        order: SortOrder | None = None,
        page_size: int = 50,
        user_address: str | None = None,
    ) -> PageIterator[Trade]:
        """Every fill in a time range, page by page (``async for``) — #31."""
        params = self._fills_params(from_timestamp, to_timestamp, market_id, order, user_address)
        return self._pages("/getFillsForGivenTimestamp", list[Trade], params, page_size)

    def _pages(self, path: str, tp: Any, params: dict[str, str], page_size: int) -> PageIterator[T]:
        async def fetch(offset: int, limit: int) -> Sequence[T]:
            page = {**params, "offset": str(offset), "limit": str(limit)}
            rows: Sequence[T] = await self._read(path, tp, page)
            return rows

        return PageIterator(fetch, page_size=page_size)
