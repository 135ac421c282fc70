"""Orders: open orders, order history rows and order status (spec §3 #10, #11, #30; WS §5.4.3-4)."""

from __future__ import annotations

from decimal import Decimal

from kana_async.models._base import HotModel
from kana_async.models.enums import OrderStatus

__all__ = ["OpenOrder", "OrderHistoryEntry", "OrderStatusInfo"]


class OpenOrder(HotModel, frozen=True):
    """A resting order (``getOpenOrders``, ``getOpenOrdersFromContract``, WS ``open_orders``).

    ``order_id`` is a u128 kept as its exact decimal string. ``order_type`` is Kana's raw,
    undocumented integer code.
    """

    address: str
    market_id: int
    order_id: str
    price: Decimal
    total_size: Decimal
    remaining_size: Decimal
    leverage: int = 0
    order_type: int | None = None
    order_value: Decimal | None = None
    trade_id: str | None = None
    timestamp: int | None = None
    last_updated: int | None = None
    transaction_version: int | None = None


class OrderHistoryEntry(HotModel, frozen=True):
    """One order in its latest state (``getOrderHistory``, WS ``order_history`` and
    ``live_order_history``)."""

    address: str
    order_id: str
    market_id: int
    size: Decimal
    price: Decimal
    status: OrderStatus
    order_type: int | None = None
    is_market_order: bool | None = None
    order_value: Decimal | None = None
    leverage: int = 0
    timestamp: int | None = None
    last_updated: int | None = None
    trade_id: str | None = None
    transaction_version: int | None = None


class OrderStatusInfo(HotModel, frozen=True):
    """An order's status by id (``fetchOrderStatusById`` / ``getOrderStatusByOrderId``)."""

    order_id: str
    market_id: int
    status: OrderStatus
    address: str | None = None
    size: Decimal | None = None
    price: Decimal | None = None
    order_value: Decimal | None = None
    order_type: int | None = None
    is_market_order: bool | None = None
    leverage: int = 0
    total_filled: Decimal | None = None
    remaining_size: Decimal | None = None
    total_trade_size: Decimal | None = None
    trade_id: str | None = None
    timestamp: int | None = None
    last_updated: int | None = None
    transaction_version: int | None = None
