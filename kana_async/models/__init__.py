"""Typed records of the Kana API: frozen msgspec Structs decoded straight from JSON bytes."""

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
