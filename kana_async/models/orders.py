"""Orders: resting orders, order-history rows and an order's status."""

from __future__ import annotations

from decimal import Decimal

from kana_async.models._base import HotModel
from kana_async.models.enums import OrderStatus

__all__ = ["OpenOrder", "OrderHistoryEntry", "OrderStatusInfo"]


class OpenOrder(HotModel, frozen=True):
    """An order resting on the book.

    Rows of ``GET /getOpenOrders``, ``GET /getOpenOrdersFromContract`` and of the websocket
    topic ``open_orders``. Prices are in quote currency and sizes in base asset, as ``Decimal``.

    Attributes:
        address: the owner's profile address.
        market_id: the market, e.g. ``1338``.
        order_id: the u128 order id as its exact decimal string.
        price: the limit price in quote currency.
        total_size: the order's original size in base asset.
        remaining_size: the part not filled yet, in base asset.
        leverage: the order's leverage, e.g. ``20`` (``0`` when not sent).
        order_type: Kana's raw integer order-type code (undocumented; kept as sent).
        order_value: ``price × total_size`` in quote currency, as the server sends it.
        trade_id: the exchange's trade id for the order, when it sends one.
        timestamp: when the order was placed, Unix time in seconds.
        last_updated: when the indexer last updated the row, Unix time in seconds.
        transaction_version: the Aptos ledger version of the last change.
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
    """One order in its latest state.

    Rows of ``GET /getOrderHistory`` and of the websocket topics ``order_history`` and
    ``live_order_history``. Prices are in quote currency and sizes in base asset, as ``Decimal``.

    Attributes:
        address: the owner's profile address.
        order_id: the u128 order id as its exact decimal string.
        market_id: the market, e.g. ``1338``.
        size: the order's size in base asset.
        price: the order's price in quote currency (the execution price of a market order).
        status: its :class:`~kana_async.OrderStatus` (``Open``, ``Partially Filled``,
            ``Filled``, ``Cancelled``).
        order_type: Kana's raw integer order-type code (undocumented; kept as sent).
        is_market_order: ``True`` for a market order, ``False`` for a limit order.
        order_value: ``size × price`` in quote currency, as the server sends it.
        leverage: the order's leverage, e.g. ``20`` (``0`` when not sent).
        timestamp: when the order was placed, Unix time in seconds.
        last_updated: when the indexer last updated the row, Unix time in seconds.
        trade_id: the exchange's trade id for the order, when it sends one.
        transaction_version: the Aptos ledger version of the last change.
    """

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
    """An order's status by id (``GET /fetchOrderStatusById``, ``GET /getOrderStatusByOrderId``).

    The order-history row plus how much of the order was filled. Prices are in quote currency
    and sizes in base asset, as ``Decimal``; fields the server does not send are ``None``.

    Attributes:
        order_id: the u128 order id as its exact decimal string.
        market_id: the market, e.g. ``1338``.
        status: its :class:`~kana_async.OrderStatus` (``Open``, ``Partially Filled``,
            ``Filled``, ``Cancelled``).
        address: the owner's profile address.
        size: the order's size in base asset.
        price: the order's price in quote currency.
        order_value: ``size × price`` in quote currency, as the server sends it.
        order_type: Kana's raw integer order-type code (undocumented; kept as sent).
        is_market_order: ``True`` for a market order, ``False`` for a limit order.
        leverage: the order's leverage, e.g. ``20`` (``0`` when not sent).
        total_filled: how much has been filled, in base asset.
        remaining_size: how much is still open, in base asset.
        total_trade_size: the order's total size, in base asset.
        trade_id: the exchange's trade id for the order, when it sends one.
        timestamp: when the order was placed, Unix time in seconds.
        last_updated: when the indexer last updated the row, Unix time in seconds.
        transaction_version: the Aptos ledger version of the last change.
    """

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
