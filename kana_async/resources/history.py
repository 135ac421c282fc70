"""History: orders, trades, funding, deposits/withdrawals and fills of a wallet.

The paged endpoints take ``offset`` (rows to skip), ``limit`` (rows per page) and ``order``
(``"desc"``, newest first, or ``"asc"``); each ``iter_*`` method walks every page to the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from kana_async._exceptions import InvalidArgumentError
from kana_async._pagination import DEFAULT_PAGE_SIZE, PageIterator
from kana_async._validation import (
    MAX_PAGE_LIMIT,
    MAX_U64,
    check_int,
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
    ``user_address=`` names another.

    Prices are in quote currency and sizes in the base asset, both human units as ``Decimal``;
    timestamps are unix seconds. Each one-page method names the REST path it calls; each
    ``iter_*`` method walks the same path page by page (``offset`` / ``limit``).
    """

    def _params(
        self,
        user_address: str | None,
        market_id: int | None,
        offset: int | None,
        limit: int | None,
        order: SortOrder | None,
    ) -> dict[str, str]:
        mid = None if market_id is None else self._market(market_id)
        if limit is not None:
            check_int(limit, "limit", minimum=1, maximum=MAX_PAGE_LIMIT)
        if offset is not None:
            check_int(offset, "offset", minimum=0, maximum=MAX_U64)
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
        """One page of the wallet's orders, any status.

        Calls ``GET /getOrderHistory`` (``userAddress``, and ``marketId``, ``offset``,
        ``limit``, ``order`` when given).

        Args:
            market_id: only this market (default: every market).
            offset: rows to skip (default 0).
            limit: rows in the page (the server's default is 50).
            order: ``"desc"`` (newest first, the default) or ``"asc"``.
            user_address: the wallet to read (default: the client's).

        Returns:
            At most ``limit`` :class:`~kana_async.OrderHistoryEntry` rows; fewer on the last page.

        Raises:
            InvalidArgumentError: a bad market id, offset, limit, order or address, or no wallet.
            UnknownMarketError: ``market_id`` is not one of the exchange's markets.
            ArgumentTypeError: an argument has the wrong type.
            ClientStateError: the client is not open.
            APIError: the request failed (see the error tree of :class:`~kana_async.KanaError`).
            TransportError: no answer arrived, even after the client's retries.
        """
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
        """One page of the wallet's trades (its fills, with fee and PnL).

        Calls ``GET /getTradeHistory`` (``userAddress``, and ``marketId``, ``offset``,
        ``limit``, ``order`` when given).

        Args:
            market_id: only this market (default: every market).
            offset: rows to skip (default 0).
            limit: rows in the page (the server's default is 50).
            order: ``"desc"`` (newest first, the default) or ``"asc"``.
            user_address: the wallet to read (default: the client's).

        Returns:
            At most ``limit`` :class:`~kana_async.Trade` rows; prices in quote currency, sizes
            in the base asset, fees and PnL in USDT.

        Raises:
            InvalidArgumentError: a bad market id, offset, limit, order or address, or no wallet.
            UnknownMarketError: ``market_id`` is not one of the exchange's markets.
            ArgumentTypeError: an argument has the wrong type.
            ClientStateError: the client is not open.
            APIError: the request failed (see the error tree of :class:`~kana_async.KanaError`).
            TransportError: no answer arrived, even after the client's retries.
        """
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
        """One page of the wallet's funding payments.

        Calls ``GET /getFundingHistory`` (``userAddress``, and ``marketId``, ``offset``,
        ``limit``, ``order`` when given).

        Args:
            market_id: only this market (default: every market).
            offset: rows to skip (default 0).
            limit: rows in the page (the server's default is 50).
            order: ``"desc"`` (newest first, the default) or ``"asc"``.
            user_address: the wallet to read (default: the client's).

        Returns:
            At most ``limit`` :class:`~kana_async.FundingEntry` rows (amounts in USDT).

        Raises:
            InvalidArgumentError: a bad market id, offset, limit, order or address, or no wallet.
            UnknownMarketError: ``market_id`` is not one of the exchange's markets.
            ArgumentTypeError: an argument has the wrong type.
            ClientStateError: the client is not open.
            APIError: the request failed (see the error tree of :class:`~kana_async.KanaError`).
            TransportError: no answer arrived, even after the client's retries.
        """
        params = self._params(user_address, market_id, offset, limit, order)
        return await self._read("/getFundingHistory", list[FundingEntry], params)

    async def transfers(
        self,
        *,
        offset: int | None = None,
        limit: int | None = None,
        order: SortOrder | None = None,
        user_address: str | None = None,
    ) -> list[Transfer]:
        """One page of the wallet's deposits and withdrawals.

        Calls ``GET /getDepositAndWithdrawHistory`` (``userAddress``, and ``offset``,
        ``limit``, ``order`` when given).

        Without arguments this is the newest page (the server's default page is 50 rows); use
        ``offset``/``limit`` or :meth:`iter_transfers` for older ones.

        Args:
            offset: rows to skip (default 0).
            limit: rows in the page.
            order: ``"desc"`` (newest first, the default) or ``"asc"``.
            user_address: the wallet to read (default: the client's).

        Returns:
            :class:`~kana_async.Transfer` rows; ``amount`` in USDT, ``is_deposit`` tells which.

        Raises:
            InvalidArgumentError: a bad offset, limit, order or address, or no wallet.
            ArgumentTypeError: an argument has the wrong type.
            ClientStateError: the client is not open.
            APIError: the request failed.
            TransportError: no answer arrived, even after the client's retries.
        """
        params = self._params(user_address, None, offset, limit, order)
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
        """The wallet's fills in one market between two instants.

        Calls ``GET /getFills`` (``marketId``, ``from``, ``to``, ``address``, and ``orderId``
        when given). This endpoint wants the **profile** address; it is looked up once (then
        cached) from the wallet with ``GET /getProfileAddress``.

        Args:
            market_id: the market.
            start: timezone-aware start, sent as ISO-8601 UTC (``from``).
            end: timezone-aware end, sent as ISO-8601 UTC (``to``); not before ``start``.
            order_id: only the fills of this order (a u128 as ``int`` or decimal ``str``).
            user_address: the wallet to read (default: the client's).

        Returns:
            :class:`~kana_async.Trade` rows, one per fill.

        Raises:
            InvalidArgumentError: naive datetimes, ``start`` after ``end``, a bad market or
                order id, or no wallet.
            UnknownMarketError: ``market_id`` is not one of the exchange's markets.
            ArgumentTypeError: an argument has the wrong type.
            ClientStateError: the client is not open.
            APIError: the request failed (see the error tree of :class:`~kana_async.KanaError`).
            TransportError: no answer arrived, even after the client's retries.
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
        """One page of the wallet's fills in a time range.

        Calls ``GET /getFillsForGivenTimestamp`` (``userAddress``, and ``fromTimestamp``,
        ``toTimestamp``, ``marketId``, ``offset``, ``limit``, ``order`` when given).

        Args:
            from_timestamp: start, unix **seconds** or an aware datetime (milliseconds are
                refused); default: no lower bound.
            to_timestamp: end, the same way; not before ``from_timestamp``.
            market_id: only this market (default: every market).
            offset: rows to skip (default 0).
            limit: rows in the page (the server's default is 50).
            order: ``"desc"`` (newest first, the default) or ``"asc"``.
            user_address: the wallet to read (default: the client's).

        Returns:
            At most ``limit`` :class:`~kana_async.Trade` rows.

        Raises:
            InvalidArgumentError: a bad time range, market, offset, limit, order or address,
                or no wallet.
            UnknownMarketError: ``market_id`` is not one of the exchange's markets.
            ArgumentTypeError: an argument has the wrong type.
            ClientStateError: the client is not open.
            APIError: the request failed (see the error tree of :class:`~kana_async.KanaError`).
            TransportError: no answer arrived, even after the client's retries.
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
        """Every row of :meth:`orders`, fetching ``GET /getOrderHistory`` page by page.

        Args:
            market_id: only this market (default: every market).
            order: ``"desc"`` (newest first, the default) or ``"asc"``.
            page_size: rows per request.
            user_address: the wallet to read (default: the client's).

        Returns:
            A :class:`~kana_async.PageIterator` to use with ``async for`` (or ``.collect()``);
            nothing is fetched until iteration starts.

        Raises:
            InvalidArgumentError: bad arguments, or no wallet (at once). While iterating, each
                page raises as the one-page method does (:class:`~kana_async.APIError`,
                :class:`~kana_async.TransportError`, :class:`~kana_async.ClientStateError`).
        """
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
        """Every row of :meth:`trades`, fetching ``GET /getTradeHistory`` page by page.

        Args:
            market_id: only this market (default: every market).
            order: ``"desc"`` (newest first, the default) or ``"asc"``.
            page_size: rows per request.
            user_address: the wallet to read (default: the client's).

        Returns:
            A :class:`~kana_async.PageIterator` of :class:`~kana_async.Trade` rows.

        Raises:
            InvalidArgumentError: bad arguments, or no wallet (at once). While iterating, each
                page raises as the one-page method does (:class:`~kana_async.APIError`,
                :class:`~kana_async.TransportError`, :class:`~kana_async.ClientStateError`).
        """
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
        """Every row of :meth:`funding`, fetching ``GET /getFundingHistory`` page by page.

        Args:
            market_id: only this market (default: every market).
            order: ``"desc"`` (newest first, the default) or ``"asc"``.
            page_size: rows per request.
            user_address: the wallet to read (default: the client's).

        Returns:
            A :class:`~kana_async.PageIterator` of :class:`~kana_async.FundingEntry` rows.

        Raises:
            InvalidArgumentError: bad arguments, or no wallet (at once). While iterating, each
                page raises as the one-page method does (:class:`~kana_async.APIError`,
                :class:`~kana_async.TransportError`, :class:`~kana_async.ClientStateError`).
        """
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
        """Every row of :meth:`fills_between`, fetching ``GET /getFillsForGivenTimestamp``
        page by page.

        Args:
            from_timestamp: start, unix seconds or an aware datetime (default: no bound).
            to_timestamp: end, the same way.
            market_id: only this market (default: every market).
            order: ``"desc"`` (newest first, the default) or ``"asc"``.
            page_size: rows per request (default 50, the server's page).
            user_address: the wallet to read (default: the client's).

        Returns:
            A :class:`~kana_async.PageIterator` of :class:`~kana_async.Trade` rows.

        Raises:
            InvalidArgumentError: bad arguments, or no wallet (at once). While iterating, each
                page raises as the one-page method does (:class:`~kana_async.APIError`,
                :class:`~kana_async.TransportError`, :class:`~kana_async.ClientStateError`).
        """
        params = self._fills_params(from_timestamp, to_timestamp, market_id, order, user_address)
        return self._pages("/getFillsForGivenTimestamp", list[Trade], params, page_size)

    def iter_transfers(
        self,
        *,
        order: SortOrder | None = None,
        page_size: int = 50,
        user_address: str | None = None,
    ) -> PageIterator[Transfer]:
        """Every deposit and withdrawal of the wallet, fetching
        ``GET /getDepositAndWithdrawHistory`` page by page.

        Args:
            order: ``"desc"`` (newest first, the default) or ``"asc"``.
            page_size: rows per request (default 50, the server's page).
            user_address: the wallet to read (default: the client's).

        Returns:
            A :class:`~kana_async.PageIterator` of :class:`~kana_async.Transfer` rows.

        Raises:
            InvalidArgumentError: bad arguments, or no wallet (at once). While iterating, each
                page raises as the one-page method does (:class:`~kana_async.APIError`,
                :class:`~kana_async.TransportError`, :class:`~kana_async.ClientStateError`).
        """
        params = self._params(user_address, None, None, None, order)
        return self._pages("/getDepositAndWithdrawHistory", list[Transfer], params, page_size)

    def _pages(self, path: str, tp: Any, params: dict[str, str], page_size: int) -> PageIterator[T]:
        async def fetch(offset: int, limit: int) -> Sequence[T]:
            page = {**params, "offset": str(offset), "limit": str(limit)}
            rows: Sequence[T] = await self._read(path, tp, page)
            return rows

        check_int(page_size, "page_size", minimum=1, maximum=MAX_PAGE_LIMIT)
        return PageIterator(fetch, page_size=page_size)
