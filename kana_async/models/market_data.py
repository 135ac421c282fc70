"""Market-data stream rows: order-book levels, funding rates, best prices."""

from __future__ import annotations

from decimal import Decimal

from kana_async.models._base import HotModel

__all__ = ["BestPrice", "FundingRate", "OrderBookLevel"]


class OrderBookLevel(HotModel, frozen=True):
    """One price level of an ``orderbook`` websocket frame.

    The wire sends ``price`` as a JSON number and ``size`` as a string; both decode to
    ``Decimal`` without passing through ``float``.

    Attributes:
        market_id: the market, e.g. ``1338``.
        is_ask: ``True`` for an ask (sell) level, ``False`` for a bid (buy) level.
        price: the level's price in quote currency.
        size: the total size resting at that price, in base asset.
        last_updated: when the level last changed, Unix time in seconds.
        transaction_version: the Aptos ledger version of that change.
    """

    market_id: int
    is_ask: bool
    price: Decimal
    size: Decimal
    last_updated: int | None = None
    transaction_version: int | None = None


class FundingRate(HotModel, frozen=True):
    """A market's current funding rate (rows of the ``live_funding_rate`` websocket topic).

    Kana does not document this row; these are the fields the simulator sends.

    Attributes:
        market_id: the market, e.g. ``1338``.
        funding_rate: the current rate as a ``Decimal`` fraction (``0.0001`` is 0.01 %).
        timestamp: when the rate was computed, Unix time in seconds.
        next_funding_time: when funding is next paid, Unix time in seconds.
    """

    market_id: int
    funding_rate: Decimal
    timestamp: int | None = None
    next_funding_time: int | None = None


class BestPrice(HotModel, frozen=True):
    """A market's best bid and ask (rows of the ``best_price`` websocket topic).

    Kana does not document this row, so every field is optional and ``None`` when not sent.

    Attributes:
        market_id: the market, e.g. ``1338``.
        symbol: the market's symbol, e.g. ``"APT-USD"``.
        bid: the highest bid in quote currency.
        ask: the lowest ask in quote currency.
        mid_price: the midpoint of bid and ask in quote currency.
    """

    market_id: int | None = None
    symbol: str | None = None
    bid: Decimal | None = None
    ask: Decimal | None = None
    mid_price: Decimal | None = None
