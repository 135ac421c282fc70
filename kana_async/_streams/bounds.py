"""A frame's numbers vouched for in C: each ``Decimal`` field read once more, as a bounded float.

The rows of a frame are decoded into their models' exact ``Decimal`` values, and every value must
then be finite and of an adjusted exponent at most
:data:`~kana_async._streams.frames.MAX_EXPONENT` (:func:`~kana_async._streams.frames.check_rows`).
Testing that value by value in Python costs more than the decode itself, so a frame is first
decoded a second time by :func:`bounds_decoder`'s decoder, which reads only those fields, each
into a ``float`` that msgspec bounds to the open interval ``(-FAST_BOUND, FAST_BOUND)`` as it
reads it. When that decode succeeds, every value is in range, and the exact check is skipped:

* Both decodes read the same JSON values for a field (the same member of the same object). Of a
  member sent twice the ``Decimal`` decode keeps the last, and the float decode bounds each
  as it reads it, so the one kept is in range too.
* The float decoder reads a value only if it is written as a JSON number (in a string or not;
  an escaped string is read after unescaping, as the ``Decimal`` decoder reads it), or is one
  of the words ``nan``/``inf``/``infinity``, which come out as NaN or an infinity and fail the
  bounds. Any other text the lax ``Decimal`` decoder takes (``"1_000"``, ``" 5"``, ``"sNaN"``,
  digits of other scripts) fails the float decode.
* A JSON number denotes one finite decimal, which the float decoder rounds to a ``float`` far
  closer to it than a factor of ten. A float below :data:`FAST_BOUND` (``10**MAX_EXPONENT``) in
  magnitude thus comes from a decimal below ``10**(MAX_EXPONENT + 1)``, whose adjusted exponent
  is at most ``MAX_EXPONENT``. A number too large for a float fails as out of range.

When the second decode fails, for any reason, nothing is concluded from it: the exact check
decides, and names the value it refuses. A value between ``10**MAX_EXPONENT`` and
``10**(MAX_EXPONENT + 1)``, or written in a way only the ``Decimal`` decoder reads, is therefore
accepted as before, only more slowly.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, Final, get_args

import msgspec

from kana_async._codec import decoder_for, holder_decoder
from kana_async._streams.frames import MAX_EXPONENT, decimal_fields

__all__ = ["FAST_BOUND", "bounds_decoder"]

#: Values of a magnitude below this, read as floats, need no exact look (see the module).
FAST_BOUND: Final = 10.0**MAX_EXPONENT

_Bounded = Annotated[float, msgspec.Meta(gt=-FAST_BOUND, lt=FAST_BOUND)]


@cache
def bounds_decoder(row_type: Any, whole: bool) -> Callable[[Any], object] | None:
    """The decoder that vouches for the ``Decimal`` values of ``row_type`` rows, or ``None``.

    Its ``decode(json)`` succeeds only when every ``Decimal`` field of every row is absent,
    ``null``, or a JSON number (in a string or not) of a magnitude below :data:`FAST_BOUND`; it
    raises otherwise (``msgspec.ValidationError``, ``msgspec.DecodeError``, or
    ``RecursionError`` for JSON nested deeper than the stack allows). Its result means nothing;
    only whether it raised. Never raises itself.

    Args:
        row_type: a row model (a msgspec Struct) whose fields are decoded laxly.
        whole: the decoder reads a whole ``{"message", "data"}`` frame, not its ``data``
            member (a list of rows or one row).

    Returns:
        ``decode``, or ``None`` when the model has no ``Decimal`` field, or one whose type is
        not ``Decimal`` or ``Decimal | None`` (those rows take the exact check alone).
    """
    names = decimal_fields(row_type)
    numbers: list[tuple[str, Any, None]] = []
    rename: dict[str, str] = {}
    for field in msgspec.structs.fields(row_type):
        if field.name not in names:
            continue
        if field.type is Decimal:
            bounded: Any = _Bounded
        elif set(get_args(field.type)) == {Decimal, type(None)}:
            bounded = _Bounded | None
        else:  # a list of them, say: the exact check alone
            return None
        numbers.append((field.name, bounded, None))
        rename[field.name] = field.encode_name
    if not numbers:
        return None
    shadow = msgspec.defstruct(
        f"_Numbers_{row_type.__name__}", numbers, rename=rename, gc=False, kw_only=True
    )
    rows: Any = list[shadow] | shadow  # type: ignore[valid-type]
    return holder_decoder("data", rows) if whole else decoder_for(rows).decode
