"""Typed records of the Kana API: frozen msgspec Structs decoded straight from JSON bytes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kana_async._lazy import lazy_exports as _lazy_exports

if TYPE_CHECKING:
    from kana_async.models.account import FundingEntry, Transfer
    from kana_async.models.enums import Direction, OrderStatus, OrderType, Restriction, Side
    from kana_async.models.events import OrderCancelled, OrderFilled, OrderPlaced, TransactionEvents
    from kana_async.models.market_data import BestPrice, FundingRate, OrderBookLevel
    from kana_async.models.markets import MarketInfo, MarketPrice
    from kana_async.models.orderbook import OrderBook
    from kana_async.models.orders import OpenOrder, OrderHistoryEntry, OrderStatusInfo
    from kana_async.models.payloads import TransactionPayload
    from kana_async.models.positions import Position
    from kana_async.models.stream_events import Reconnected
    from kana_async.models.trades import Trade
    from kana_async.models.transactions import (
        PendingTransaction,
        TransactionOutcome,
        TransactionResult,
        UnresolvedTransaction,
    )

#: Each model's module, imported when the model is first read from this package.
_LAZY: dict[str, str] = {
    "BestPrice": "kana_async.models.market_data",
    "Direction": "kana_async.models.enums",
    "FundingEntry": "kana_async.models.account",
    "FundingRate": "kana_async.models.market_data",
    "MarketInfo": "kana_async.models.markets",
    "MarketPrice": "kana_async.models.markets",
    "OpenOrder": "kana_async.models.orders",
    "OrderBook": "kana_async.models.orderbook",
    "OrderBookLevel": "kana_async.models.market_data",
    "OrderCancelled": "kana_async.models.events",
    "OrderFilled": "kana_async.models.events",
    "OrderHistoryEntry": "kana_async.models.orders",
    "OrderPlaced": "kana_async.models.events",
    "OrderStatus": "kana_async.models.enums",
    "OrderStatusInfo": "kana_async.models.orders",
    "OrderType": "kana_async.models.enums",
    "PendingTransaction": "kana_async.models.transactions",
    "Position": "kana_async.models.positions",
    "Reconnected": "kana_async.models.stream_events",
    "Restriction": "kana_async.models.enums",
    "Side": "kana_async.models.enums",
    "Trade": "kana_async.models.trades",
    "TransactionEvents": "kana_async.models.events",
    "TransactionOutcome": "kana_async.models.transactions",
    "TransactionPayload": "kana_async.models.payloads",
    "TransactionResult": "kana_async.models.transactions",
    "Transfer": "kana_async.models.account",
    "UnresolvedTransaction": "kana_async.models.transactions",
}

# Run time only: type checkers see the names imported above and still flag unknown ones.
if not TYPE_CHECKING:
    __getattr__, __dir__ = _lazy_exports(__name__, globals(), _LAZY)

__all__ = [
    "BestPrice",
    "Direction",
    "FundingEntry",
    "FundingRate",
    "MarketInfo",
    "MarketPrice",
    "OpenOrder",
    "OrderBook",
    "OrderBookLevel",
    "OrderCancelled",
    "OrderFilled",
    "OrderHistoryEntry",
    "OrderPlaced",
    "OrderStatus",
    "OrderStatusInfo",
    "OrderType",
    "PendingTransaction",
    "Position",
    "Reconnected",
    "Restriction",
    "Side",
    "Trade",
    "TransactionEvents",
    "TransactionOutcome",
    "TransactionPayload",
    "TransactionResult",
    "Transfer",
    "UnresolvedTransaction",
]
