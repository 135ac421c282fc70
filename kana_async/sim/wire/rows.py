"""Engine records → the JSON rows of REST replies and websocket frames (spec §3 / §5.4)."""

from __future__ import annotations

from collections.abc import Iterable

from kana_async.sim.engine import records as rec
from kana_async.sim.markets import MarketSpec

from .format import Row, amount, decimal_number, human, optional_price, price, size, symbol_of

__all__ = [
    "best_price_row",
    "book_rows",
    "fill_row",
    "funding_payment_row",
    "funding_rate_row",
    "market_info_row",
    "open_order_row",
    "order_history_row",
    "order_status_row",
    "position_row",
    "public_trade_row",
    "transfer_row",
]

#: ``getMarketInfo`` fields sent as JSON numbers; every other integer field is a string.
_MARKET_INT_FIELDS = ("base_decimals", "market_status", "quote_decimals", "quote_precision")
_MARKET_STR_FIELDS = (
    "counter",
    "custodian_id",
    "lot_size",
    "maintenance_margin",
    "market_id",
    "max_leverage",
    "max_lots",
    "max_position_value",
    "min_lots",
    "tick_size",
)
#: Key order of an ``order_history`` row and of an ``open_orders`` row.
_ORDER_HISTORY_KEYS = (
    "address",
    "order_id",
    "market_id",
    "order_type",
    "is_market_order",
    "size",
    "price",
    "order_value",
    "leverage",
    "status",
    "timestamp",
    "last_updated",
    "trade_id",
    "transaction_version",
)
_OPEN_ORDER_KEYS = (
    "address",
    "market_id",
    "leverage",
    "order_type",
    "timestamp",
    "price",
    "total_size",
    "remaining_size",
    "order_value",
    "order_id",
    "trade_id",
    "last_updated",
    "transaction_version",
)


def _optional_id(value: int | None) -> str | None:
    return None if value is None else str(value)


def market_info_row(spec: MarketSpec) -> Row:
    """The newest ``getMarketInfo`` object (``getMarketInfo.testnet_1338_partial.json``)."""
    row: Row = {name: str(getattr(spec, name)) for name in _MARKET_STR_FIELDS}
    row.update({name: getattr(spec, name) for name in _MARKET_INT_FIELDS})
    row.update(
        __variant__="V1",
        base_name=spec.base_name,
        creator=spec.creator,
        fee_address=spec.fee_address,
        is_recognised=spec.is_recognised,
        market_address=spec.market_address,
    )
    return dict(sorted(row.items()))


def _order_fields(spec: MarketSpec, order: rec.OrderRecord) -> Row:
    """Every field any order row shows, by name."""
    return {
        "address": order.address,
        "order_id": str(order.order_id),
        "market_id": str(order.market_id),
        "order_type": order.order_type,
        "is_market_order": order.is_market_order,
        "size": size(spec, order.total_size),
        "total_size": size(spec, order.total_size),
        "remaining_size": size(spec, order.remaining_size),
        "price": price(spec, order.price),
        "order_value": amount(order.order_value),
        "leverage": order.leverage,
        "status": order.status,
        "timestamp": order.timestamp,
        "last_updated": order.last_updated,
        "trade_id": _optional_id(order.trade_id),
        "transaction_version": order.transaction_version,
    }


def order_history_row(spec: MarketSpec, order: rec.OrderRecord) -> Row:
    """An ``order_history`` / ``getOrderHistory`` row (``examples/ws/order_history.json``)."""
    fields = _order_fields(spec, order)
    return {key: fields[key] for key in _ORDER_HISTORY_KEYS}


def order_status_row(spec: MarketSpec, order: rec.OrderRecord) -> Row:
    """``fetchOrderStatusById``: the order-history row plus fill progress (spec §3 #30)."""
    row = order_history_row(spec, order)
    row["total_filled"] = size(spec, order.filled_size)
    row["remaining_size"] = size(spec, order.remaining_size)
    row["total_trade_size"] = size(spec, order.total_size)
    return row


def open_order_row(spec: MarketSpec, order: rec.OrderRecord) -> Row:
    """An ``open_orders`` / ``getOpenOrders`` row (spec §3 #10)."""
    fields = _order_fields(spec, order)
    return {key: fields[key] for key in _OPEN_ORDER_KEYS}


def position_row(spec: MarketSpec, pos: rec.PositionRecord) -> Row:
    """A ``positions`` / ``getPositions`` row (spec §3 #12, current format with ``trade_side``)."""
    return {
        "address": pos.address,
        "market_id": str(pos.market_id),
        "leverage": pos.leverage,
        "trade_side": pos.trade_side,
        "size": size(spec, pos.size),
        "available_order_size": size(spec, pos.available_order_size),
        "value": amount(pos.value),
        "entry_price": price(spec, pos.entry_price),
        "liq_price": price(spec, pos.liq_price),
        "margin": amount(pos.margin),
        "tp": optional_price(spec, pos.take_profit),
        "sl": optional_price(spec, pos.stop_loss),
        "trade_id": str(pos.trade_id),
        "last_updated": pos.last_updated,
        "transaction_version": pos.transaction_version,
    }


def fill_row(spec: MarketSpec, fill: rec.FillRecord) -> Row:
    """A ``trade_history`` / ``getTradeHistory`` / ``getFills`` row (spec §3 #28)."""
    return {
        "address": fill.address,
        "market_id": str(fill.market_id),
        "leverage": fill.leverage,
        "order_type": fill.order_type,
        "timestamp": fill.timestamp,
        "size": size(spec, fill.size),
        "price": price(spec, fill.price),
        "order_value": amount(fill.order_value),
        "pnl": amount(fill.pnl),
        "fee": amount(fill.fee),
        "entry_price": None if fill.entry_price is None else price(spec, fill.entry_price),
        "order_id": _optional_id(fill.order_id),
        "trade_id": str(fill.trade_id),
        "last_updated": fill.last_updated,
        "transaction_version": fill.transaction_version,
    }


def public_trade_row(spec: MarketSpec, trade: rec.PublicTrade) -> Row:
    """A ``recent_trades`` / ``getAllTrades`` row: the trade-history row seen from the taker.

    Public trades carry no leverage, PnL or fee of a particular user: ``leverage`` and
    ``order_type`` are 0, ``pnl`` and ``fee`` are ``"0"``, ``entry_price`` is null.
    """
    as_fill = rec.FillRecord(
        address=trade.taker_address,
        wallet="",
        market_id=trade.market_id,
        trade_id=trade.trade_id,
        order_id=trade.taker_order_id,
        order_type=0,
        trade_side=trade.taker_is_buy,
        direction=False,
        is_buy=trade.taker_is_buy,
        is_maker=False,
        size=trade.size,
        price=trade.price,
        order_value=trade.order_value,
        pnl=0,
        fee=0,
        entry_price=None,
        leverage=0,
        timestamp=trade.timestamp,
        last_updated=trade.last_updated,
        transaction_version=trade.transaction_version,
    )
    return fill_row(spec, as_fill)


def transfer_row(transfer: rec.TransferRecord) -> Row:
    """A ``deposit_withdraw_history`` row (``examples/ws/deposit_withdraw_history.json``)."""
    return {
        "address": transfer.address,
        "amount": amount(transfer.amount),
        "is_deposit": transfer.is_deposit,
        "timestamp": transfer.timestamp,
        "last_updated": transfer.last_updated,
        "transaction_version": transfer.transaction_version,
    }


def funding_rate_row(rate: rec.FundingRateRecord) -> Row:
    """A ``live_funding_rate`` row: ``{market_id, funding_rate, next_funding_time, timestamp}``."""
    return {
        "market_id": str(rate.market_id),
        "funding_rate": human(rate.rate),
        "next_funding_time": rate.next_funding_time,
        "timestamp": rate.timestamp,
    }


def funding_payment_row(spec: MarketSpec, pay: rec.FundingPaymentRecord) -> Row:
    """A ``getFundingHistory`` row (shape undocumented upstream; the common fields by name)."""
    return {
        "address": pay.address,
        "market_id": str(pay.market_id),
        "trade_side": pay.trade_side,
        "size": size(spec, pay.size),
        "funding_rate": human(pay.rate),
        "amount": amount(pay.amount),
        "mark_price": price(spec, pay.mark_price),
        "timestamp": pay.timestamp,
        "last_updated": pay.last_updated,
        "transaction_version": pay.transaction_version,
    }


def book_rows(
    spec: MarketSpec,
    bids: Iterable[tuple[int, int]],
    asks: Iterable[tuple[int, int]],
    last_updated: int,
    transaction_version: int,
) -> list[Row]:
    """An ``orderbook`` frame's ``data``: a flat list of levels, bids then asks (spec §5.4.5).

    ``price`` is a JSON number (a ``Decimal`` for the encoder), ``size`` a string.
    """
    market_id = str(spec.market_id)
    return [
        {
            "market_id": market_id,
            "is_ask": is_ask,
            "price": decimal_number(spec.ticks_to_price(ticks)),
            "size": size(spec, lots),
            "last_updated": last_updated,
            "transaction_version": transaction_version,
        }
        for is_ask, levels in ((False, bids), (True, asks))
        for ticks, lots in levels
    ]


def best_price_row(spec: MarketSpec, bid: int | None, ask: int | None) -> Row:
    """A ``best_price`` row ``{market_id, symbol, bid, ask, mid_price}`` (numbers or null)."""
    bid_p = None if bid is None else spec.ticks_to_price(bid)
    ask_p = None if ask is None else spec.ticks_to_price(ask)
    mid = None if bid_p is None or ask_p is None else (bid_p + ask_p) / 2
    return {
        "market_id": str(spec.market_id),
        "symbol": symbol_of(spec),
        "bid": None if bid_p is None else decimal_number(bid_p),
        "ask": None if ask_p is None else decimal_number(ask_p),
        "mid_price": None if mid is None else decimal_number(mid),
    }
