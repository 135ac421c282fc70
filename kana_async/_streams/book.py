"""``orderbook`` frames into lazy order books, checked at decode time so nothing fails later.

A frame's levels arrive as :class:`~kana_async.models._book_wire.WireLevel` rows whose price and
size are still JSON text. :func:`book_of` checks all of a frame's texts at once, with a few
``bytes`` operations over their concatenation and one JSON decode (no per-level Python work, no
``Decimal``): every price and size must be a plain decimal number, as a JSON number or a JSON
string (digits, at most one ``.`` with digits on both sides, an optional leading ``-``; no
exponent, no spaces, no leading zeros), of a magnitude below ``10**30``. The decode yields one
``float`` per text: the prices' floats are the book's order keys (exact, see
:mod:`kana_async.models._book_wire`), and all of them bound the magnitudes. A float never
becomes a value: it only orders levels and picks between two exact paths.

Such a frame becomes a lazy :class:`~kana_async.models.orderbook.OrderBook` that makes
``Decimal`` values only for the levels that are read; none of them can fail. Any other frame
(an exponent, a long number, ``"Infinity"``, ``"abc"``, ``true``...) takes the exact path:
every price and size is decoded into ``Decimal`` as laxly as any row, checked like every row
(finite, of a magnitude at most ``10**MAX_EXPONENT``) and the book is built eagerly; a frame that
fails there is a :class:`~kana_async._streams.frames.BadFrame`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Annotated, Any, Final

import msgspec

from kana_async._codec import decoder_for, field_decoder
from kana_async._streams.frames import DECODE_FAILURES, check_rows, guarded
from kana_async.models._book_wire import WireLevel
from kana_async.models.market_data import OrderBookLevel
from kana_async.models.orderbook import OrderBook

__all__ = ["book_of"]

#: One pass over a frame's joined texts: the bytes a text may hold on the lazy path (and the
#: commas that join them) are kept, quotes become spaces (JSON whitespace) and every other byte
#: becomes ``x``, which no JSON array of numbers can hold, so the decode below refuses it.
_PLAIN: Final = bytes(
    byte if byte in b"0123456789.-," else 0x20 if byte == 0x22 else 0x78 for byte in range(256)
)
#: Magnitudes at or above this take the exact path (which bounds them at 10**MAX_EXPONENT).
_BOUND: Final = 1e30
# the bound is checked by the decoder, in C, as it reads each number
_floats = decoder_for(list[Annotated[float, msgspec.Meta(gt=-_BOUND, lt=_BOUND)]]).decode
_decimal = decoder_for(Decimal).decode
_LEVELS: Final = list[OrderBookLevel] | OrderBookLevel
_data_levels = decoder_for(_LEVELS).decode
_frame_levels = field_decoder("data", _LEVELS)


def _listed(decode: Callable[[Any], Any]) -> Callable[[Any], list[OrderBookLevel]]:
    def levels(data: Any) -> list[OrderBookLevel]:
        decoded = decode(data)
        return decoded if type(decoded) is list else [decoded]

    return levels


#: All levels of a frame's ``data`` member / of a whole frame, with ``Decimal`` price and size.
_EAGER: Final = (_listed(_data_levels), _listed(_frame_levels))


def book_of(
    rows: Sequence[WireLevel],
    market_id: int | None,
    data: bytes | msgspec.Raw | None = None,
    whole: bool = False,
) -> OrderBook:
    """The order book of one frame's levels, refusing any frame a property could fail on.

    Args:
        rows: the frame's levels, both sides mixed, in the frame's order.
        market_id: the subscription's market; ``None`` takes it from the first best level.
        data: the JSON ``rows`` were decoded from, kept to decode every level in one pass
            when a whole side is read; ``None`` makes those levels one by one.
        whole: ``data`` is a whole ``{"message", "data"}`` frame, not its ``data`` member.

    Returns:
        The book: lazy for plain decimal numbers, built eagerly otherwise.

    Raises:
        BadFrame: a price or size is not a number (``unexpected_shape``), is infinite or NaN,
            or of a magnitude above ``10**MAX_EXPONENT`` (``bad_number``).
    """
    n = len(rows)
    texts = [row.price for row in rows]
    texts += [row.size for row in rows]
    joined = b",".join(texts)
    # Each text is a JSON value the decoder checked; one of only the kept bytes is a number or
    # a string of them (a quote inside a string needs a backslash). Quotes blanked, the texts
    # must read as 2n JSON numbers: a comma inside a string would add one, an empty string
    # leave an empty element, any other byte an ``x`` (both invalid JSON).
    try:
        numbers = _floats(b"[" + joined.translate(_PLAIN) + b"]")
    except DECODE_FAILURES:  # not numbers, or one of a magnitude at or above the bound
        return _exact(rows, market_id)
    if len(numbers) != 2 * n:
        return _exact(rows, market_id)
    source = None if data is None else (data, _EAGER[whole])
    return OrderBook._of_rows(rows, numbers, market_id, source)  # the prices' floats first


def _exact(rows: Sequence[WireLevel], market_id: int | None) -> OrderBook:
    """The eager book of a frame not in plain form: every value decoded and checked."""
    levels = guarded(
        lambda: [
            OrderBookLevel(
                market_id=row.market_id,
                is_ask=row.is_ask,
                price=_decimal(row.price),
                size=_decimal(row.size),
                last_updated=row.last_updated,
                transaction_version=row.transaction_version,
            )
            for row in rows
        ]
    )
    check_rows(levels, ("price", "size"))
    return OrderBook.from_levels(levels, market_id)
