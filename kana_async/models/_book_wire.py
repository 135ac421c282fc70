"""An order-book level as the wire sent it, and the exact conversions made from it on demand.

An ``orderbook`` frame is decoded into :class:`WireLevel` rows that keep ``price`` and ``size``
as their JSON text (:class:`msgspec.Raw`, a view of the frame's bytes): no ``Decimal`` is made at
decode time. The order book (:class:`~kana_async.models.orderbook.OrderBook`) turns a row into an
:class:`~kana_async.models.market_data.OrderBookLevel` (``Decimal`` price and size) only when the
user reads that level.

Ordering by ``float``, exactly: the decoder also hands the book one ``float`` per price, used
as an order key only. Converting a decimal to the nearest ``double`` never reverses an order
(``x <= y`` implies ``float(x) <= float(y)``), so ``float(x) < float(y)`` proves ``x < y``, and
equal decimals (``5.7``, ``5.70``) always give equal floats. Only two *different* decimals can
share a float (more than 15 significant digits, or beyond the float's range); so a side whose
keys are all different is sorted by its keys, and a side where two keys are equal is sorted by
the exact ``Decimal`` prices instead (and merged). No value the user sees is computed from a
float: every price and size is ``Decimal(text)``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

import msgspec

from kana_async._codec import decoder_for
from kana_async.models.market_data import OrderBookLevel

__all__ = ["WireLevel", "decimal_of", "level_of"]

# lax: a number or a string of one, as every row's Decimal fields are decoded
_decimal: Final = decoder_for(Decimal).decode


class WireLevel(msgspec.Struct, frozen=True, gc=False):
    """One level of an ``orderbook`` frame, with its price and size still as sent.

    Attributes:
        market_id: the market (sent as a string or a number, decoded exactly).
        is_ask: ``True`` for an ask (sell) level, ``False`` for a bid (buy) level.
        price: the price's JSON text (a number or a string), quote currency.
        size: the size's JSON text (a string or a number), base asset.
        last_updated: when the level last changed, Unix time in seconds.
        transaction_version: the Aptos ledger version of that change.
    """

    market_id: int
    is_ask: bool
    price: msgspec.Raw
    size: msgspec.Raw
    last_updated: int | None = None
    transaction_version: int | None = None


def decimal_of(raw: msgspec.Raw) -> Decimal:
    """The exact ``Decimal`` of a price or size text the decoder accepted.

    Read by the same JSON decoder as every ``Decimal`` of an eagerly decoded level, so a lazy
    book's values are those of the eager book by construction.

    Args:
        raw: a plain JSON number (digits, at most one ``.``, an optional leading ``-``), or
            such a number in quotes (checked at decode time).

    Returns:
        ``Decimal`` of the number, except that ``-0`` is ``0`` as the JSON decoder reads it.

    Raises:
        msgspec.DecodeError: ``raw`` is not such a text (never for a checked frame).
    """
    value: Decimal = _decimal(raw)
    return value


def level_of(row: WireLevel) -> OrderBookLevel:
    """The public level of one checked wire row, its price and size made ``Decimal`` now.

    Args:
        row: a row of a frame the decoder accepted on its fast path.

    Returns:
        The level.

    Raises:
        msgspec.DecodeError: the row's texts were not checked (never for a checked frame).
    """
    # positional (the fields' order), the decoder called directly: this is the hot path
    return OrderBookLevel(
        row.market_id,
        row.is_ask,
        _decimal(row.price),
        _decimal(row.size),
        row.last_updated,
        row.transaction_version,
    )
