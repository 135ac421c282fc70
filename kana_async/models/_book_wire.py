"""An order-book level's order keys as decoded from the wire, and its exact level read on demand.

An ``orderbook`` frame is first decoded into :class:`WireLevel` rows (one lean decode, no
``Decimal``): the side, the ints, and ``price`` and ``size`` as ``float``, each checked by the
decoder itself to be above zero and below :data:`KEY_BOUND`. The order book
(:class:`~kana_async.models.orderbook.OrderBook`) uses the floats only to order levels and to
pick between exact paths; a level the user reads (:class:`OrderBookLevel`, ``Decimal`` price
and size) is decoded from that level's own JSON text by :func:`level_of`, the decoder of every
eagerly decoded level.

Ordering by ``float``, exactly: the decoder reads a number (a JSON number, or one in a string)
into the nearest ``double``, correctly rounded. Rounding to the nearest never reverses an order
(``x <= y`` implies ``float(x) <= float(y)``), so ``float(x) < float(y)`` proves ``x < y``, and
equal decimals (``5.7``, ``5.70``) always give equal floats. Only two *different* decimals can
share a float (more than 15 significant digits, or too small for the float's range); so the
best of a side whose best key is unique is the level of that key, and a side where the best key
is shared is settled by the exact ``Decimal`` prices instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Final

import msgspec

from kana_async._codec import decoder_for
from kana_async.models.market_data import OrderBookLevel

__all__ = ["KEY_BOUND", "WireLevel", "level_of"]


#: Prices and sizes of this value or more fail the key decode (the frame takes the exact path).
KEY_BOUND: Final = 1e30
# Zero (and -0.0, and so any number too small for a float) fails: a zero float may come from
# a text with an exponent too large for a Decimal (1e-99999999999999999999); so do negative
# numbers, which books do not hold. NaN fails both bounds; "Infinity" / "nan" in a string
# (read laxly as floats) fail one.
_Key = Annotated[float, msgspec.Meta(gt=0.0, lt=KEY_BOUND)]


class WireLevel(msgspec.Struct, frozen=True, gc=False):
    """One level of an ``orderbook`` frame, its price and size as order keys only.

    Decoded laxly (numbers may be sent as strings), as :class:`OrderBookLevel` is; only the
    types of ``price`` and ``size`` differ.

    Attributes:
        market_id: the market (sent as a string or a number, decoded exactly).
        is_ask: ``True`` for an ask (sell) level, ``False`` for a bid (buy) level.
        price: the price's nearest ``float`` (quote currency), above zero and below
            :data:`KEY_BOUND`; an order key, never a value.
        size: the size's nearest ``float`` (base asset), bounded the same way; never a value.
        last_updated: when the level last changed, Unix time in seconds.
        transaction_version: the Aptos ledger version of that change.
    """

    market_id: int
    is_ask: bool
    price: _Key
    size: _Key
    last_updated: int | None = None
    transaction_version: int | None = None


#: The public level of one level's JSON text (``msgspec.Raw`` or bytes), decoded as each level
#: of an eager frame is: the same lax decoder reads each level of an eagerly decoded frame, so
#: a lazy book's levels are those of the eager book by construction (``Decimal`` price and size
#: exact; ``-0`` sent as a JSON number is ``0``). The decoder's own ``decode``, no wrapper: it
#: runs for every book whose best level is read. It raises ``msgspec.DecodeError`` for a text
#: that is no such level, never for one of a frame whose key rows decoded (every text the key
#: decode read as a float above zero and below :data:`KEY_BOUND` is a number whose ``Decimal``
#: it reads), and ``RecursionError`` for one nested deeper than the caller's stack allows.
level_of: Final[Callable[[msgspec.Raw | bytes], OrderBookLevel]] = decoder_for(
    OrderBookLevel
).decode
