"""``kana.markets``: market parameters, prices and public trades (read-only REST endpoints)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from kana_async._exceptions import InvalidArgumentError, UnknownMarketError
from kana_async._validation import check_bool
from kana_async.models.markets import MarketInfo, MarketPrice
from kana_async.models.trades import Trade
from kana_async.resources._base import Resource

if TYPE_CHECKING:
    from kana_async._context import ClientContext

__all__ = ["Markets"]


_MAX_BASE_NAME = 32  # characters of an asset's name ("APT", "BTC"...), far more than any has


class Markets(Resource):
    """``kana.markets``: what is traded and at what price. No wallet needed.

    Kana's REST API wants an API key (``x-api-key``) on every call, these included; the client
    sends the one it was given (``api_key=`` or ``KANA_API_KEY``).

    Prices and sizes in the answers are human units as ``Decimal`` (quote currency per unit of
    base asset, e.g. USD per APT; sizes in the base asset), never ``float``. Market parameters
    (:class:`~kana_async.MarketInfo`) are on-chain integers with human-unit helpers.

    Args:
        context: the client's context (its HTTP path, caches and wallet).
    """

    def __init__(self, context: ClientContext) -> None:
        super().__init__(context)
        self._info = context.shared.market_info

    async def info(self, market_id: int, *, refresh: bool = False) -> MarketInfo:
        """One market's parameters. Calls ``GET /getMarketInfo`` (``marketId``).

        The answer is cached for the client's life (market parameters rarely change) and shared
        by concurrent callers; :meth:`all` fills the same cache.

        Args:
            market_id: the market, e.g. ``1338`` (testnet APT-USD) or ``14`` (mainnet APT-USD);
                an ``int`` or a string of digits.
            refresh: ``True`` to forget every cached market and ask the server again.

        Returns:
            The market's :class:`~kana_async.MarketInfo`: integer on-chain parameters
            (``lot_size``, ``tick_size``, ``min_lots``...) with human-unit helpers (``tick``,
            ``lot``, ``min_size``).

        Raises:
            UnknownMarketError: ``market_id`` is not one of the exchange's markets, or the
                server's answer holds no row for it (an empty list, or several other markets).
            InvalidArgumentError: ``market_id`` is negative or larger than a u64.
            ArgumentTypeError: ``market_id`` is not an ``int`` or a string of digits.
            ClientStateError: the client is not open.
            APIError: the server refused the request or sent an unusable answer
                (``NotFoundError``, ``RateLimitError``, ``ServerError``,
                ``UnsuccessfulResponseError``, ``ResponseDecodeError``...).
            TransportError: no answer arrived, even after the client's retries
                (``ConnectError``, ``RequestTimeoutError``).
        """
        mid = self._market(market_id)
        if check_bool(refresh, "refresh"):
            self._info.clear()

        async def load() -> MarketInfo:
            rows: list[MarketInfo] | MarketInfo = await self._read(
                "/getMarketInfo", list[MarketInfo] | MarketInfo, {"marketId": str(mid)}
            )
            infos = rows if isinstance(rows, list) else [rows]
            for info in infos:
                if info.market_id == mid:
                    return info
            if len(infos) == 1:
                return infos[0]
            raise UnknownMarketError(f"the exchange returned no market info for market {mid}")

        return await self._info.get_or_load(mid, load)

    def cached(self, market_id: int) -> MarketInfo | None:
        """The market's info if :meth:`info` or :meth:`all` already loaded it; no I/O.

        Never raises.

        Args:
            market_id: the market, e.g. ``1338``, as an ``int``.

        Returns:
            The cached :class:`~kana_async.MarketInfo`, or ``None`` if it was not loaded yet.
        """
        return self._info.get(market_id)

    async def all(self) -> list[MarketInfo]:
        """Every market of the exchange. Calls ``GET /getPerpetualAssetsInfo/allMarkets``.

        Also fills the :meth:`info` cache, and the ids it returns become the list every later
        ``market_id`` argument of this client is checked against (instead of the network's
        built-in table).

        Returns:
            One :class:`~kana_async.MarketInfo` per market, in the server's order.

        Raises:
            ClientStateError: the client is not open.
            APIError: the server refused the request or sent an unusable answer
                (``NotFoundError``, ``RateLimitError``, ``ServerError``,
                ``UnsuccessfulResponseError``, ``ResponseDecodeError``...).
            TransportError: no answer arrived, even after the client's retries
                (``ConnectError``, ``RequestTimeoutError``).
        """
        infos: list[MarketInfo] = await self._read(
            "/getPerpetualAssetsInfo/allMarkets", list[MarketInfo]
        )
        for info in infos:
            self._info.put(info.market_id, info)
        self._context.set_loaded_markets(frozenset(info.market_id for info in infos))
        return infos

    async def asset_info(
        self, *, market_id: int | None = None, base_name: str | None = None
    ) -> list[MarketInfo]:
        """Markets by id and/or base asset. Calls ``GET /getPerpetualAssetsInfo``.

        Sends ``marketId`` and/or ``baseName``; at least one of them is required. The server may
        answer with one object or a list; this always returns a list. Nothing is cached.

        Args:
            market_id: the market, e.g. ``1338``; an ``int`` or a string of digits.
            base_name: the base asset, e.g. ``"APT"`` or ``"BTC"`` (surrounding spaces are
                stripped).

        Returns:
            The matching markets' :class:`~kana_async.MarketInfo`.

        Raises:
            InvalidArgumentError: neither argument was given, or ``base_name`` is empty or not
                a string.
            UnknownMarketError: ``market_id`` is not one of the exchange's markets.
            ArgumentTypeError: ``market_id`` is not an ``int`` or a string of digits.
            ClientStateError: the client is not open.
            APIError: the server refused the request or sent an unusable answer (e.g.
                ``NotFoundError`` for a base asset it does not list, ``BadRequestError``,
                ``RateLimitError``, ``ServerError``, ``ResponseDecodeError``...).
            TransportError: no answer arrived, even after the client's retries
                (``ConnectError``, ``RequestTimeoutError``).
        """
        params: dict[str, str] = {}
        if market_id is not None:
            params["marketId"] = str(self._market(market_id))
        if base_name is not None:
            if not isinstance(base_name, str) or not 0 < len(base_name.strip()) <= _MAX_BASE_NAME:
                raise InvalidArgumentError(
                    f"base_name must be a non-empty string of at most {_MAX_BASE_NAME} "
                    "characters such as 'APT'"
                )
            params["baseName"] = base_name.strip()
        if not params:
            raise InvalidArgumentError("pass market_id=... or base_name=... (at least one)")
        rows: list[MarketInfo] | MarketInfo = await self._read(
            "/getPerpetualAssetsInfo", list[MarketInfo] | MarketInfo, params
        )
        return rows if isinstance(rows, list) else [rows]

    async def price(
        self,
        market_id: int,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - a per-request transport timeout
    ) -> MarketPrice:
        """The best bid and ask of a market's book. Calls ``GET /getMarketPrice`` (``marketId``).

        Args:
            market_id: the market, e.g. ``1338``; an ``int`` or a string of digits.
            timeout: seconds each HTTP request of this call may take (every attempt),
                instead of the client's ``timeout``; ``None`` for the client's.

        Returns:
            A :class:`~kana_async.MarketPrice`: ``best_bid_price`` and ``best_ask_price`` as
            ``Decimal`` in quote currency (e.g. USD per APT), each ``None`` when that side of
            the book is empty; ``mid`` is their midpoint.

        Raises:
            UnknownMarketError: ``market_id`` is not one of the exchange's markets.
            InvalidArgumentError: ``market_id`` is negative or larger than a u64.
            ArgumentTypeError: ``market_id`` is not an ``int`` or a string of digits.
            ClientStateError: the client is not open.
            APIError: the server refused the request or sent an unusable answer
                (``NotFoundError``, ``RateLimitError``, ``ServerError``,
                ``UnsuccessfulResponseError``, ``ResponseDecodeError``...).
            TransportError: no answer arrived, even after the client's retries
                (``ConnectError``, ``RequestTimeoutError``).
        """
        params = {"marketId": str(self._market(market_id))}
        result: MarketPrice = await self._read(
            "/getMarketPrice", MarketPrice, params, timeout=timeout
        )
        return result

    async def last_price(self, market_id: int) -> Decimal | None:
        """The price of a market's last trade. Calls ``GET /getLastPlacedPrice`` (``marketId``).

        Args:
            market_id: the market, e.g. ``1338``; an ``int`` or a string of digits.

        Returns:
            The price as ``Decimal`` in quote currency (e.g. USD per APT), or ``None`` when the
            server answers ``null`` (no trade to report). The simulator answers its mark price
            until the market's first trade.

        Raises:
            UnknownMarketError: ``market_id`` is not one of the exchange's markets.
            InvalidArgumentError: ``market_id`` is negative or larger than a u64.
            ArgumentTypeError: ``market_id`` is not an ``int`` or a string of digits.
            ClientStateError: the client is not open.
            APIError: the server refused the request or sent an unusable answer
                (``NotFoundError``, ``RateLimitError``, ``ServerError``,
                ``UnsuccessfulResponseError``, ``ResponseDecodeError``...).
            TransportError: no answer arrived, even after the client's retries
                (``ConnectError``, ``RequestTimeoutError``).
        """
        params = {"marketId": str(self._market(market_id))}
        result: Decimal | None = await self._read("/getLastPlacedPrice", Decimal | None, params)
        return result

    async def all_trades(self, market_id: int) -> list[Trade]:
        """A market's recent public trades. Calls ``GET /getAllTrades`` (``marketId``).

        Args:
            market_id: the market, e.g. ``1338``; an ``int`` or a string of digits.

        Returns:
            One :class:`~kana_async.Trade` per trade (price in quote currency, size in base
            asset, both ``Decimal``), in the server's order (newest first on the simulator).

        Raises:
            UnknownMarketError: ``market_id`` is not one of the exchange's markets.
            InvalidArgumentError: ``market_id`` is negative or larger than a u64.
            ArgumentTypeError: ``market_id`` is not an ``int`` or a string of digits.
            ClientStateError: the client is not open.
            APIError: the server refused the request or sent an unusable answer
                (``NotFoundError``, ``RateLimitError``, ``ServerError``,
                ``UnsuccessfulResponseError``, ``ResponseDecodeError``...).
            TransportError: no answer arrived, even after the client's retries
                (``ConnectError``, ``RequestTimeoutError``).
        """
        params = {"marketId": str(self._market(market_id))}
        result: list[Trade] = await self._read("/getAllTrades", list[Trade], params)
        return result
