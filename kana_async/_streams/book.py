"""``orderbook`` frames into order books: one lean decode, exact ``Decimal`` values on demand.

:func:`books_of` decodes a frame once into :class:`~kana_async.models._book_wire.WireLevel` key
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
from functools import partial
from typing import Any, Final

import msgspec

from kana_async._codec import decoder_for, holder_decoder
from kana_async._streams.frames import DECODE_FAILURES, check_rows, guarded
from kana_async.models._book_wire import WireLevel, level_of
from kana_async.models.market_data import OrderBookLevel
from kana_async.models.orderbook import OrderBook, lazy_book

__all__ = ["books_of"]

_ROWS: Final = list[WireLevel] | WireLevel
_LEVELS: Final = list[OrderBookLevel] | OrderBookLevel

# Each decoder reads a frame's ``data`` member, or (``_frame_*``, the member on the holder they
# return) a whole ``{"message", "data"}`` frame.
#: The key rows (the lean decode).
_data_keys: Final = decoder_for(_ROWS).decode
_frame_keys: Final = holder_decoder("data", _ROWS)
#: Every level with ``Decimal`` price and size (the exact path; a whole side read at once).
_data_levels: Final = decoder_for(_LEVELS).decode
_frame_levels: Final = holder_decoder("data", _LEVELS)
#: Each level's JSON text (one level read), and ``data``'s own.
_data_texts: Final = decoder_for(list[msgspec.Raw]).decode
_frame_texts: Final = holder_decoder("data", list[msgspec.Raw])
_frame_data: Final = holder_decoder("data", msgspec.Raw)


def _listed(levels: Any) -> list[Any]:
    return levels if type(levels) is list else [levels]


def _levels_of_data(data: Any) -> list[OrderBookLevel]:
    return _listed(_data_levels(data))


def _levels_of_frame(frame: Any) -> list[OrderBookLevel]:
    return _listed(_frame_levels(frame).data)


def _texts_of_frame(frame: Any) -> list[msgspec.Raw]:
    try:
        texts: list[msgspec.Raw] = _frame_texts(frame).data
    except msgspec.DecodeError:  # a repeated "data" member of another shape before the last
        texts = _data_texts(_frame_data(frame).data)
    return texts


#: The frame whose braces were counted last, the count of them its levels and ``before`` make,
#: and whether it held just those (a bot reading the mid reads both best levels of a book in a
#: row). One tuple, replaced whole: safe across threads.
_last_count: tuple[object, int, bool] = (None, 0, False)


def _level_in_list(
    before: int, texts: Callable[[bytes], list[msgspec.Raw]], raw: Any, index: int, count: int
) -> OrderBookLevel:
    """Level ``index`` of the ``count`` levels listed in ``raw``, decoded from its own text.

    ``raw`` (a frame, or its ``data`` list) has ``before`` object starts ahead of the levels'
    (1 for a whole frame: its own; 0 for a ``data`` list). When it has no other ``{`` byte (no
    ``{`` in a string, no nested object, no other member holding one), the levels' openings
    are its ``{`` bytes from the ``before + 1``-th on, in order, and the level's text is cut
    from its own ``{`` to the last ``}`` before the next level's (for the last level, before
    the list's ``]``). Such a cut never starts wrong but may end too late (a ``}`` or ``]`` in
    a string after the level): its decode succeeds only when it ends at the level's own ``}``
    (ending earlier leaves the object open, later leaves bytes after it), and then reads the
    very bytes the level's ``msgspec.Raw`` holds. Otherwise ``texts`` (every level's text, one
    more pass over ``raw``) finds it.
    """
    global _last_count
    data = raw if type(raw) is bytes else bytes(raw)
    last = _last_count
    if last[0] is raw and last[1] == count + before:
        plain = last[2]
    else:
        plain = data.count(b"{") == count + before
        _last_count = (raw, count + before, plain)
    if plain:
        body = data.split(b"{", before + index + 2)[before + index + 1]
        end = body.rfind(b"}", 0, body.rfind(b"]") if index == count - 1 else len(body))
        if end >= 0:
            try:
                return level_of(b"{" + body[: end + 1])
            except msgspec.DecodeError:  # the cut ended past the level: the texts find it
                pass
    return level_of(texts(data)[index])


def _level_of_data_alone(data: Any, index: int, count: int) -> OrderBookLevel:
    return level_of(data)


def _level_of_frame_alone(frame: Any, index: int, count: int) -> OrderBookLevel:
    return level_of(_frame_data(frame).data)


#: ``(decode every level, decode level i of n)`` of a lazy book's JSON, by
#: ``[a whole frame][data is a list]``.
_DECODERS: Final = (
    (
        (_levels_of_data, _level_of_data_alone),
        (_levels_of_data, partial(_level_in_list, 0, _data_texts)),
    ),
    (
        (_levels_of_frame, _level_of_frame_alone),
        (_levels_of_frame, partial(_level_in_list, 1, _texts_of_frame)),
    ),
)


def books_of(whole: bool, market_id: int | None, raw: bytes | msgspec.Raw) -> tuple[OrderBook]:
    """One ``orderbook`` frame's items: its book, refusing a frame a property could fail on.

    The arguments are in this order so that a stream binds the first two once
    (``functools.partial``) and calls it with each frame: no wrapper between them.

    Args:
        whole: ``raw`` is a whole frame, not its ``data`` member.
        market_id: the subscription's market; ``None`` takes it from the first best level.
        raw: the frame's JSON: a whole ``{"message", "data"}`` frame, or its ``data`` member;
            ``data`` is a list of levels (both sides mixed, any order) or one level.

    Returns:
        ``(book,)``: lazy for a frame whose keys decode, built eagerly otherwise.

    Raises:
        BadFrame: the frame is not JSON (``malformed_json``), not levels or a price or size is
            not a number (``unexpected_shape``), nested too deep (``too_deep``), or a price or
            size is infinite, NaN or of a magnitude above ``10**MAX_EXPONENT`` (``bad_number``).
    """
    try:
        rows = _frame_keys(raw).data if whole else _data_keys(raw)
    except DECODE_FAILURES:  # not levels of bounded numbers: settled by the exact path
        return (_exact(raw, whole, market_id),)
    if type(rows) is list:
        return (lazy_book(rows, market_id, raw, _DECODERS[whole][1]),)
    return (lazy_book([rows], market_id, raw, _DECODERS[whole][0]),)


def _exact(raw: bytes | msgspec.Raw, whole: bool, market_id: int | None) -> OrderBook:
    """The eager book of a frame the key decode refused: every value decoded and checked."""
    levels = guarded(lambda: (_levels_of_frame if whole else _levels_of_data)(raw))
    check_rows(levels, ("price", "size"))
    return OrderBook.from_levels(levels, market_id)
