"""Market-data stream rows: order-book levels, funding rates, best prices (spec §5.4)."""

from __future__ import annotations

from decimal import Decimal

from kana_async.models._base import HotModel

__all__ = ["BestPrice", "FundingRate", "OrderBookLevel"]


class OrderBookLevel(HotModel, frozen=True):
    """One price level of an ``orderbook`` frame; ``is_ask`` tells the side.

    The wire sends ``price`` as a JSON number and ``size`` as a string; both decode to Decimal
    without passing through float.
    """

    market_id: int
    is_ask: bool
    price: Decimal
    size: Decimal
    last_updated: int | None = None
    transaction_version: int | None = None


class FundingRate(HotModel, frozen=True):
    """A market's current funding rate (``live_funding_rate``; shape undocumented upstream)."""

    market_id: int
    funding_rate: Decimal
    timestamp: int | None = None
    next_funding_time: int | None = None


class BestPrice(HotModel, frozen=True):
    """Best bid/ask of a market (``best_price``; shape unverified upstream)."""

    market_id: int | None = None
    symbol: str | None = None
    bid: Decimal | None = None
    ask: Decimal | None = None
    mid_price: Decimal | None = None
