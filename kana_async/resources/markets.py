"""Market metadata and prices (spec §3 #1, #14b, #15, #22, #24, #24b)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from kana_async._exceptions import InvalidArgumentError, UnknownMarketError
from kana_async.models.markets import MarketInfo, MarketPrice
from kana_async.models.trades import Trade
from kana_async.resources._base import Resource, SingleFlightCache

if TYPE_CHECKING:
    from kana_async._client import KanaClient

__all__ = ["Markets"]


class Markets(Resource):
    """``kana.markets``: what is traded and at what price. No wallet needed."""

    def __init__(self, client: KanaClient) -> None:
        super().__init__(client)
        self._info = SingleFlightCache[int, MarketInfo]()

    async def info(self, market_id: int, *, refresh: bool = False) -> MarketInfo:
        """One market's parameters — ``GET /getMarketInfo?marketId=`` (#1).

        Cached per client (market parameters rarely change); ``refresh=True`` fetches again.

        Raises:
            UnknownMarketError: the id is not a known market, or the exchange returned none.
        """
        mid = self._market(market_id)
        if refresh:
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
        """The market's info if :meth:`info` or :meth:`all` already loaded it (no I/O)."""
        return self._info.get(market_id)

    async def all(self) -> list[MarketInfo]:
        """Every market — ``GET /getPerpetualAssetsInfo/allMarkets`` (#24b).

        Also fills the :meth:`info` cache and becomes the list market ids are checked against.
        """
        infos: list[MarketInfo] = await self._read(
            "/getPerpetualAssetsInfo/allMarkets", list[MarketInfo]
        )
        for info in infos:
            self._info.put(info.market_id, info)
        self._client._set_loaded_markets(frozenset(info.market_id for info in infos))
        return infos

    async def asset_info(
        self, *, market_id: int | None = None, base_name: str | None = None
    ) -> list[MarketInfo]:
        """Markets by id and/or base asset — ``GET /getPerpetualAssetsInfo`` (#24).

        Pass ``market_id`` (e.g. ``1338``) or ``base_name`` (e.g. ``"APT"``), or both. The server
        may answer with one object or a list; this always returns a list.
        """
        params: dict[str, str] = {}
        if market_id is not None:
            params["marketId"] = str(self._market(market_id))
        if base_name is not None:
            if not isinstance(base_name, str) or not base_name.strip():
                raise InvalidArgumentError("base_name must be a non-empty string such as 'APT'")
            params["baseName"] = base_name.strip()
        if not params:
            raise InvalidArgumentError("pass market_id=... or base_name=... (at least one)")
        rows: list[MarketInfo] | MarketInfo = await self._read(
            "/getPerpetualAssetsInfo", list[MarketInfo] | MarketInfo, params
        )
        return rows if isinstance(rows, list) else [rows]

    async def price(self, market_id: int) -> MarketPrice:
        """Best bid and ask — ``GET /getMarketPrice?marketId=`` (#14b)."""
        params = {"marketId": str(self._market(market_id))}
        result: MarketPrice = await self._read("/getMarketPrice", MarketPrice, params)
        return result

    async def last_price(self, market_id: int) -> Decimal | None:
        """Last execution price — ``GET /getLastPlacedPrice?marketId=`` (#15).

        ``None`` when the server has no trade to report.
        """
        params = {"marketId": str(self._market(market_id))}
        result: Decimal | None = await self._read("/getLastPlacedPrice", Decimal | None, params)
        return result

    async def all_trades(self, market_id: int) -> list[Trade]:
        """Recent public trades of a market — ``GET /getAllTrades?marketId=`` (#22)."""
        params = {"marketId": str(self._market(market_id))}
        result: list[Trade] = await self._read("/getAllTrades", list[Trade], params)
        return result
