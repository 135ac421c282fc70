"""``orderbook`` frames into order books: one lean decode, exact ``Decimal`` values on demand.

:func:`book_of` decodes a frame once into :class:`~kana_async.models._book_wire.WireLevel` key
rows (no ``Decimal``): the lax decoder reads each price and size, a JSON number or a number in
a string, into its nearest ``float`` and refuses, in C as it reads, any not above zero or not
below :data:`~kana_async.models._book_wire.KEY_BOUND` (NaN and infinities included). A frame
whose keys decode becomes a lazy :class:`~kana_async.models.orderbook.OrderBook` that keeps
the key rows and the frame's JSON: the floats only order the levels and pick between
exact paths, and a level's ``Decimal`` price and size are decoded from its own text when the
level is read.

Nothing can fail when a level is read: the float decoder takes as numbers only JSON number
syntax (digits, an optional ``-``, fraction and exponent; in a string too) and the words
``nan``/``inf``/``infinity`` (which the bounds refuse), a subset of the texts the lax ``Decimal``
decoder reads. A nonzero float also bounds how far the text's written exponent can stray from
its value's (by the frame's length), so its ``Decimal`` is in range; a zero float does not
(``1e-99999999999999999999`` is ``0.0`` but no ``Decimal``), which is why zero keys are
refused. A finite value below ``10**30`` is one the eager row check accepts.

Every other frame (a zero or negative price or size, ``"Infinity"``, ``1e400``, ``1e31``,
``"abc"``, ``true``, malformed JSON...)
takes the exact path, as every frame did before this decode existed: its levels decoded into
``Decimal`` as laxly as any row, checked like every row (finite, of a magnitude at most
``10**MAX_EXPONENT``) and the book built eagerly; a frame that fails there is a
:class:`~kana_async._streams.frames.BadFrame` of the kind the failure names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import msgspec

from kana_async._codec import decoder_for, field_decoder
from kana_async._streams.frames import DECODE_FAILURES, check_rows, guarded
from kana_async.models._book_wire import WireLevel
from kana_async.models.market_data import OrderBookLevel
from kana_async.models.orderbook import OrderBook

__all__ = ["book_of"]

_ROWS: Final = list[WireLevel] | WireLevel
_LEVELS: Final = list[OrderBookLevel] | OrderBookLevel


def _listed(decode: Callable[[Any], Any]) -> Callable[[Any], list[Any]]:
    def items(data: Any) -> list[Any]:
        decoded = decode(data)
        return decoded if type(decoded) is list else [decoded]

    return items


# Each pair: (for a frame's ``data`` member, for a whole ``{"message", "data"}`` frame).
#: The key rows of a frame (the lean decode).
_KEYS: Final = (decoder_for(_ROWS).decode, field_decoder("data", _ROWS))
#: All levels of a frame with ``Decimal`` price and size (the exact path; whole sides).
_EAGER: Final = (_listed(decoder_for(_LEVELS).decode), _listed(field_decoder("data", _LEVELS)))
_raws = decoder_for(list[msgspec.Raw]).decode
_data_raw = field_decoder("data", msgspec.Raw)
_frame_raws = field_decoder("data", list[msgspec.Raw])


def _frame_texts(frame: Any) -> list[msgspec.Raw]:
    try:
        texts: list[msgspec.Raw] = _frame_raws(frame)
    except msgspec.DecodeError:  # a repeated "data" member of another shape before the last
        texts = _raws(_data_raw(frame))
    return texts


#: Each level's JSON text, in the frame's order (the lazy levels' source); ``[list, alone]``.
_TEXTS: Final = (
    (_raws, _frame_texts),
    (lambda data: [data], lambda frame: [_data_raw(frame)]),
)


def book_of(raw: bytes | msgspec.Raw, whole: bool, market_id: int | None) -> OrderBook:
    """The order book of one ``orderbook`` frame, refusing any frame a property could fail on.

    Args:
        raw: the frame's JSON: a whole ``{"message", "data"}`` frame, or its ``data`` member;
            ``data`` is a list of levels (both sides mixed, any order) or one level.
        whole: ``raw`` is a whole frame, not its ``data`` member.
        market_id: the subscription's market; ``None`` takes it from the first best level.

    Returns:
        The book: lazy for a frame whose keys decode, built eagerly otherwise.

    Raises:
        BadFrame: the frame is not JSON (``malformed_json``), not levels or a price or size is
            not a number (``unexpected_shape``), nested too deep (``too_deep``), or a price or
            size is infinite, NaN or of a magnitude above ``10**MAX_EXPONENT`` (``bad_number``).
    """
    try:
        decoded = _KEYS[whole](raw)
    except DECODE_FAILURES:  # not levels of bounded numbers: settled by the exact path
        return _exact(raw, whole, market_id)
    if type(decoded) is list:
        return OrderBook._of_rows(decoded, market_id, (raw, _EAGER[whole], _TEXTS[0][whole]))
    return OrderBook._of_rows([decoded], market_id, (raw, _EAGER[whole], _TEXTS[1][whole]))


def _exact(raw: bytes | msgspec.Raw, whole: bool, market_id: int | None) -> OrderBook:
    """The eager book of a frame the key decode refused: every value decoded and checked."""
    levels = guarded(lambda: _EAGER[whole](raw))
    check_rows(levels, ("price", "size"))
    return OrderBook.from_levels(levels, market_id)
