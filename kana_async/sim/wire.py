"""The simulator's wire format: engine records → JSON rows, request values → on-chain units.

Rows follow spec §3 / §5.4 and the newest examples in ``spec/examples/``:

* quantities (sizes, prices, values, margins, PnL, fees, amounts) are **human-unit decimal
  strings** (``"10"``, ``"5.75"``), ids (``market_id``, ``order_id``, ``trade_id``) are strings;
* small integers (``leverage``, ``order_type``, ``timestamp``, ``last_updated``,
  ``transaction_version``) are JSON numbers;
* the exceptions documented upstream are JSON numbers in human units: an order-book level's
  ``price``, ``getMarketPrice``'s ``bestAskPrice`` / ``bestBidPrice``, ``getLastPlacedPrice`` and
  every balance endpoint (quote currency for collateral, APT for ``getAccountAptBalance``).

Numbers are held as :class:`~decimal.Decimal` and encoded with :data:`ENCODER`, which writes a
``Decimal`` as a JSON *number* with exactly its digits, so no value ever passes through ``float``.

Request parsing (:func:`parse_decimal`, :func:`to_lots`, :func:`to_ticks`, :func:`to_units` ...)
raises :class:`WireError` carrying the HTTP status (400 naming the parameter, 404 for an unknown
market) that the REST app turns into ``{"success": false, "message": ...}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import msgspec

from kana_async.sim.engine.records import (
    FillRecord,
    FundingPaymentRecord,
    FundingRateRecord,
    OrderRecord,
    PositionRecord,
    PublicTrade,
    TransferRecord,
)
from kana_async.sim.markets import MarketSpec

__all__ = [
    "ENCODER",
    "QUOTE_DECIMALS",
    "WireError",
    "best_price_row",
    "book_rows",
    "decimal_number",
    "fill_row",
    "funding_payment_row",
    "funding_rate_row",
    "human",
    "market_info_row",
    "market_of",
    "open_order_row",
    "order_history_row",
    "order_status_row",
    "parse_bool",
    "parse_decimal",
    "parse_int",
    "position_row",
    "public_trade_row",
    "symbol_of",
    "to_lots",
    "to_ticks",
    "to_units",
    "transfer_row",
]

#: Encoder for every JSON body the simulator sends; ``Decimal`` becomes an exact JSON number.
ENCODER: Final = msgspec.json.Encoder(decimal_format="number")

#: Decimals of the collateral coin (every simulated market quotes in the same 6-decimal coin).
QUOTE_DECIMALS: Final = 6

Row = dict[str, Any]


class WireError(Exception):
    """A request value the simulator rejects; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def bad(name: str, problem: str) -> WireError:
    """A 400 error whose message starts with the parameter name."""
    return WireError(400, f"invalid parameter {name!r}: {problem}")


# -- formatting ------------------------------------------------------------------------------


def human(value: Decimal) -> str:
    """A decimal as a plain human string: no exponent, no trailing zeros (``"10"``, ``"5.75"``)."""
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


def decimal_number(value: Decimal) -> Decimal:
    """``value`` normalised for encoding as a JSON number without exponent."""
    return Decimal(human(value))


def _size(spec: MarketSpec, lots: int) -> str:
    return human(spec.lots_to_size(lots))


def _price(spec: MarketSpec, ticks: int) -> str:
    return human(spec.ticks_to_price(ticks))


def _amount(units: int) -> str:
    return human(Decimal(units).scaleb(-QUOTE_DECIMALS))


def _optional_price(spec: MarketSpec, ticks: int) -> str | None:
    return None if ticks == 0 else _price(spec, ticks)


def symbol_of(spec: MarketSpec) -> str:
    """``APT-USD`` style symbol of a market (``APT/USDC`` → ``APT-USD``)."""
    return spec.base_name.replace("/", "-").split("-", 1)[0].upper() + "-USD"


# -- rows ------------------------------------------------------------------------------------


def market_info_row(spec: MarketSpec) -> Row:
    """The newest ``getMarketInfo`` object (``getMarketInfo.testnet_1338_partial.json``)."""
    return {
        "__variant__": "V1",
        "base_decimals": spec.base_decimals,
        "base_name": spec.base_name,
        "counter": str(spec.counter),
        "creator": spec.creator,
        "custodian_id": str(spec.custodian_id),
        "fee_address": spec.fee_address,
        "is_recognised": spec.is_recognised,
        "lot_size": str(spec.lot_size),
        "maintenance_margin": str(spec.maintenance_margin),
        "market_address": spec.market_address,
        "market_id": str(spec.market_id),
        "market_status": spec.market_status,
        "max_leverage": str(spec.max_leverage),
        "max_lots": str(spec.max_lots),
        "max_position_value": str(spec.max_position_value),
        "min_lots": str(spec.min_lots),
        "quote_decimals": spec.quote_decimals,
        "quote_precision": spec.quote_precision,
        "tick_size": str(spec.tick_size),
    }


def order_history_row(spec: MarketSpec, order: OrderRecord) -> Row:
    """An ``order_history`` / ``getOrderHistory`` row (``examples/ws/order_history.json``)."""
    return {
        "address": order.address,
        "order_id": str(order.order_id),
        "market_id": str(order.market_id),
        "order_type": order.order_type,
        "is_market_order": order.is_market_order,
        "size": _size(spec, order.total_size),
        "price": _price(spec, order.price),
        "order_value": _amount(order.order_value),
        "leverage": order.leverage,
        "status": order.status,
        "timestamp": order.timestamp,
        "last_updated": order.last_updated,
        "trade_id": None if order.trade_id is None else str(order.trade_id),
        "transaction_version": order.transaction_version,
    }


def order_status_row(spec: MarketSpec, order: OrderRecord) -> Row:
    """``fetchOrderStatusById``: the order-history row plus fill progress (spec §3 #30)."""
    row = order_history_row(spec, order)
    row["total_filled"] = _size(spec, order.filled_size)
    row["remaining_size"] = _size(spec, order.remaining_size)
    row["total_trade_size"] = _size(spec, order.total_size)
    return row


def open_order_row(spec: MarketSpec, order: OrderRecord) -> Row:
    """An ``open_orders`` / ``getOpenOrders`` row (spec §3 #10)."""
    return {
        "address": order.address,
        "market_id": str(order.market_id),
        "leverage": order.leverage,
        "order_type": order.order_type,
        "timestamp": order.timestamp,
        "price": _price(spec, order.price),
        "total_size": _size(spec, order.total_size),
        "remaining_size": _size(spec, order.remaining_size),
        "order_value": _amount(order.order_value),
        "order_id": str(order.order_id),
        "trade_id": None if order.trade_id is None else str(order.trade_id),
        "last_updated": order.last_updated,
        "transaction_version": order.transaction_version,
    }


def position_row(spec: MarketSpec, pos: PositionRecord) -> Row:
    """A ``positions`` / ``getPositions`` row (spec §3 #12, current format with ``trade_side``)."""
    return {
        "address": pos.address,
        "market_id": str(pos.market_id),
        "leverage": pos.leverage,
        "trade_side": pos.trade_side,
        "size": _size(spec, pos.size),
        "available_order_size": _size(spec, pos.available_order_size),
        "value": _amount(pos.value),
        "entry_price": _price(spec, pos.entry_price),
        "liq_price": _price(spec, pos.liq_price),
        "margin": _amount(pos.margin),
        "tp": _optional_price(spec, pos.take_profit),
        "sl": _optional_price(spec, pos.stop_loss),
        "trade_id": str(pos.trade_id),
        "last_updated": pos.last_updated,
        "transaction_version": pos.transaction_version,
    }


def fill_row(spec: MarketSpec, fill: FillRecord) -> Row:
    """A ``trade_history`` / ``getTradeHistory`` / ``getFills`` row (spec §3 #28)."""
    return {
        "address": fill.address,
        "market_id": str(fill.market_id),
        "leverage": fill.leverage,
        "order_type": fill.order_type,
        "timestamp": fill.timestamp,
        "size": _size(spec, fill.size),
        "price": _price(spec, fill.price),
        "order_value": _amount(fill.order_value),
        "pnl": _amount(fill.pnl),
        "fee": _amount(fill.fee),
        "entry_price": None if fill.entry_price is None else _price(spec, fill.entry_price),
        "order_id": None if fill.order_id is None else str(fill.order_id),
        "trade_id": str(fill.trade_id),
        "last_updated": fill.last_updated,
        "transaction_version": fill.transaction_version,
    }


def public_trade_row(spec: MarketSpec, trade: PublicTrade) -> Row:
    """A ``recent_trades`` / ``getAllTrades`` row: the trade-history row seen from the taker.

    Public trades carry no leverage, PnL or fee of a particular user: ``leverage`` is 0, ``pnl``
    and ``fee`` are ``"0"``, ``entry_price`` is null.
    """
    return {
        "address": trade.taker_address,
        "market_id": str(trade.market_id),
        "leverage": 0,
        "order_type": 0,
        "timestamp": trade.timestamp,
        "size": _size(spec, trade.size),
        "price": _price(spec, trade.price),
        "order_value": _amount(trade.order_value),
        "pnl": "0",
        "fee": "0",
        "entry_price": None,
        "order_id": str(trade.taker_order_id),
        "trade_id": str(trade.trade_id),
        "last_updated": trade.last_updated,
        "transaction_version": trade.transaction_version,
    }


def transfer_row(transfer: TransferRecord) -> Row:
    """A ``deposit_withdraw_history`` row (``examples/ws/deposit_withdraw_history.json``)."""
    return {
        "address": transfer.address,
        "amount": _amount(transfer.amount),
        "is_deposit": transfer.is_deposit,
        "timestamp": transfer.timestamp,
        "last_updated": transfer.last_updated,
        "transaction_version": transfer.transaction_version,
    }


def funding_rate_row(rate: FundingRateRecord) -> Row:
    """A ``live_funding_rate`` row: ``{market_id, funding_rate, next_funding_time, timestamp}``."""
    return {
        "market_id": str(rate.market_id),
        "funding_rate": human(rate.rate),
        "next_funding_time": rate.next_funding_time,
        "timestamp": rate.timestamp,
    }


def funding_payment_row(spec: MarketSpec, pay: FundingPaymentRecord) -> Row:
    """A ``getFundingHistory`` row (shape undocumented upstream; the common fields by name)."""
    return {
        "address": pay.address,
        "market_id": str(pay.market_id),
        "trade_side": pay.trade_side,
        "size": _size(spec, pay.size),
        "funding_rate": human(pay.rate),
        "amount": _amount(pay.amount),
        "mark_price": _price(spec, pay.mark_price),
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

    ``price`` is a JSON number (a ``Decimal`` for :data:`ENCODER`), ``size`` a string.
    """
    market_id = str(spec.market_id)
    rows: list[Row] = []
    for is_ask, levels in ((False, bids), (True, asks)):
        for ticks, lots in levels:
            rows.append(
                {
                    "market_id": market_id,
                    "is_ask": is_ask,
                    "price": decimal_number(spec.ticks_to_price(ticks)),
                    "size": _size(spec, lots),
                    "last_updated": last_updated,
                    "transaction_version": transaction_version,
                }
            )
    return rows


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


# -- request parsing -------------------------------------------------------------------------


def parse_decimal(name: str, raw: object) -> Decimal:
    """A finite decimal from a query string or JSON value (bool rejected); 400 naming ``name``."""
    if raw is None or isinstance(raw, bool):
        raise bad(name, f"expected a number, got {raw!r}")
    if isinstance(raw, float):
        raw = repr(raw)  # JSON numbers with a fraction arrive as float: use their shortest repr
    if isinstance(raw, Decimal):
        value = raw
    elif not isinstance(raw, str | int):
        raise bad(name, f"expected a number, got {raw!r}")
    else:
        value = _decimal(name, raw)
    if not value.is_finite():
        raise bad(name, f"expected a finite number, got {raw!r}")
    return value


def _decimal(name: str, raw: str | int) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise bad(name, f"expected a number, got {raw!r}") from None
    return value


def parse_int(name: str, raw: object, *, minimum: int = 0) -> int:
    """A whole number ≥ ``minimum``; 400 naming ``name``."""
    value = parse_decimal(name, raw)
    if value != value.to_integral_value():
        raise bad(name, f"expected a whole number, got {raw!r}")
    if value < minimum:
        raise bad(name, f"must be at least {minimum}, got {raw!r}")
    return int(value)


def parse_bool(name: str, raw: object) -> bool:
    """``true``/``false`` (any case) or a JSON bool; 400 naming ``name``."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        return raw.strip().lower() == "true"
    raise bad(name, f"expected true or false, got {raw!r}")


def to_lots(spec: MarketSpec, name: str, raw: object) -> int:
    """A human size → lots; 400 naming ``name`` when negative or not a whole number of lots."""
    value = parse_decimal(name, raw)
    if value < 0:
        raise bad(name, f"must not be negative, got {raw!r}")
    try:
        return spec.size_to_lots(value)
    except ValueError as exc:
        raise bad(name, str(exc)) from None


def to_ticks(spec: MarketSpec, name: str, raw: object) -> int:
    """A human price → ticks (0 stays 0 = unset); 400 naming ``name`` when off tick/negative."""
    value = parse_decimal(name, raw)
    if value < 0:
        raise bad(name, f"must not be negative, got {raw!r}")
    try:
        return spec.price_to_ticks(value)
    except ValueError as exc:
        raise bad(name, str(exc)) from None


def to_units(name: str, raw: object) -> int:
    """A human collateral amount → quote units; 400 naming ``name`` when negative or too fine."""
    value = parse_decimal(name, raw)
    if value < 0:
        raise bad(name, f"must not be negative, got {raw!r}")
    units = value.scaleb(QUOTE_DECIMALS)
    if units != units.to_integral_value():
        raise bad(name, f"{raw!r} has more than {QUOTE_DECIMALS} decimals")
    return int(units)


def market_of(markets: Mapping[int, MarketSpec], raw: object, name: str = "marketId") -> MarketSpec:
    """The market a ``marketId`` parameter names: 400 when malformed, 404 when unknown."""
    market_id = parse_int(name, raw)
    spec = markets.get(market_id)
    if spec is None:
        known = ", ".join(str(m) for m in markets)
        raise WireError(404, f"market {market_id} not found (known markets: {known})")
    return spec
