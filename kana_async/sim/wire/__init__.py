"""The simulator's wire format: engine records → JSON rows, request values → on-chain units.

Rows follow spec §3 / §5.4 and the newest examples in ``spec/examples/``:

* quantities (sizes, prices, values, margins, PnL, fees, amounts) are **human-unit decimal
  strings** (``"10"``, ``"5.75"``), ids (``market_id``, ``order_id``, ``trade_id``) are strings;
* small integers (``leverage``, ``order_type``, ``timestamp``, ``last_updated``,
  ``transaction_version``) are JSON numbers;
* the exceptions documented upstream are JSON numbers in human units: an order-book level's
  ``price``, ``getMarketPrice``'s ``bestAskPrice`` / ``bestBidPrice``, ``getLastPlacedPrice`` and
  every balance endpoint (quote currency for collateral, APT for ``getAccountAptBalance``).

Modules: :mod:`.format` (encoder, units → strings), :mod:`.rows` (records → rows),
:mod:`.parse` (request values → units). Numbers are held as :class:`~decimal.Decimal` and
encoded with :data:`ENCODER`, which writes a
``Decimal`` as a JSON *number* with exactly its digits, so no value ever passes through ``float``.

Request parsing (:func:`parse_decimal`, :func:`to_lots`, :func:`to_ticks`, :func:`to_units` ...)
raises :class:`WireError` carrying the HTTP status (400 naming the parameter, 404 for an unknown
market) that the REST app turns into ``{"success": false, "message": ...}``.
"""

from __future__ import annotations

from .format import ENCODER, QUOTE_DECIMALS, Row, decimal_number, human, symbol_of
from .parse import (
    MAX_EXPONENT,
    MAX_NUMBER_CHARS,
    U64_MAX,
    U128_MAX,
    WireError,
    bad,
    market_of,
    parse_bool,
    parse_decimal,
    parse_int,
    shown,
    to_lots,
    to_ticks,
    to_units,
)
from .rows import (
    best_price_row,
    book_rows,
    fill_row,
    funding_payment_row,
    funding_rate_row,
    market_info_row,
    open_order_row,
    order_history_row,
    order_status_row,
    position_row,
    public_trade_row,
    transfer_row,
)

__all__ = [
    "ENCODER",
    "MAX_EXPONENT",
    "MAX_NUMBER_CHARS",
    "QUOTE_DECIMALS",
    "U64_MAX",
    "U128_MAX",
    "Row",
    "WireError",
    "bad",
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
    "shown",
    "symbol_of",
    "to_lots",
    "to_ticks",
    "to_units",
    "transfer_row",
]
