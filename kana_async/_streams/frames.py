"""Frame decoding that no frame can crash: bounds, number checks and lax ids.

Every decoder of the stream package goes through :func:`guarded`, which turns whatever a bad
frame can make a decoder raise (malformed JSON, a wrong shape, nesting deeper than the
interpreter's recursion limit, an unusable number) into a :class:`BadFrame` with a kind for the
statistics. The reader counts it and skips the frame; it never dies of one.

Numbers are decoded into ``Decimal`` without passing through ``float``; a decoded row is then
checked so that none of its ``Decimal`` fields is infinite, NaN, or of a magnitude above
``10**MAX_EXPONENT``, so that no property computed from it can raise an arithmetic error (digit
counts are bounded by the frame size, ``StreamOptions.max_size``, and every computation rounds
to 28 significant digits), and the model's own properties are tried once so
that a row on which one would raise (a position without a side) is refused instead.

Ids (``order_id``, ``trade_id``) are documented as strings but have been seen as JSON numbers;
a frame whose typed decode fails is decoded once more generically, integral numbers of the id
fields are turned into their exact decimal strings, and the result is decoded again.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import cache
from itertools import chain
from operator import attrgetter
from typing import Any, Final

import msgspec

from kana_async._codec import DecodeError, decode_error_kind, encode

__all__ = [
    "DECODE_FAILURES",
    "ID_FIELDS",
    "MAX_EXPONENT",
    "BadFrame",
    "FrameEnvelope",
    "bad_frame_of",
    "check_properties",
    "check_rows",
    "decimal_fields",
    "guarded",
    "ids_as_strings",
    "row_checker",
    "row_properties",
    "rows_needing_one_of",
    "shape_checker",
]

#: The largest decimal exponent of a number in a frame.
MAX_EXPONENT: Final = 40
#: Fields that carry u128 / u64 ids: accepted as JSON strings or integral numbers.
ID_FIELDS: Final = ("order_id", "trade_id")


class BadFrame(Exception):
    """A frame that cannot be used; ``kind`` names why (a statistics key).

    Args:
        kind: ``malformed_json``, ``unexpected_shape``, ``too_deep`` or ``bad_number``.
        detail: what was wrong, for the log.

    Attributes:
        kind: as above.
    """

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind


class FrameEnvelope(msgspec.Struct, gc=False):
    """A websocket frame's outer object, decoded laxly with ``data`` kept undecoded.

    Attributes:
        message: the topic name the frame is for (``None`` when absent or ``null``).
        data: the still-undecoded ``data`` member (JSON ``null`` when absent).
        success: the optional ``success`` flag, as sent (any JSON value; not used to route).
    """

    message: str | None = None
    data: msgspec.Raw = msgspec.Raw(b"null")
    success: Any = None


def guarded(decode: Callable[[], Any]) -> Any:
    """Run ``decode()`` and turn every way a bad frame can make it fail into :class:`BadFrame`.

    Args:
        decode: the decoding step.

    Returns:
        What ``decode()`` returned.

    Raises:
        BadFrame: the frame is malformed JSON, of the wrong shape, nested too deep, or holds
            a number that cannot be used.
    """
    try:
        return decode()
    except BadFrame:
        raise
    except DECODE_FAILURES as exc:
        raise bad_frame_of(exc) from None


#: Everything a decoder can raise for a bad frame (what :func:`bad_frame_of` classifies).
DECODE_FAILURES = (DecodeError, RecursionError, ArithmeticError, ValueError, OverflowError)


def bad_frame_of(exc: BaseException) -> BadFrame:
    """The :class:`BadFrame` for an error a decoder raised. Never raises.

    Args:
        exc: one of :data:`DECODE_FAILURES`.

    Returns:
        The classified error (``exc`` itself if it is a :class:`BadFrame` already).
    """
    if isinstance(exc, BadFrame):
        return exc
    if isinstance(exc, DecodeError):
        return BadFrame(decode_error_kind(exc), str(exc))
    if isinstance(exc, RecursionError):
        return BadFrame("too_deep", "nested deeper than the decoder allows")
    return BadFrame("bad_number", f"{type(exc).__name__}: {exc}")


@cache
def decimal_fields(row_type: Any) -> tuple[str, ...]:
    """The names of a row model's fields that may hold a ``Decimal``. Never raises.

    Args:
        row_type: a msgspec Struct type.

    Returns:
        The field names, in declaration order.
    """
    names: list[str] = []
    for field in msgspec.structs.fields(row_type):
        if "Decimal" in repr(field.type):
            names.append(field.name)
    return tuple(names)


_adjusted = Decimal.adjusted  # 0 for infinities and NaNs: finiteness is tested apart
_finite = Decimal.is_finite


def check_rows(rows: Sequence[Any], fields: tuple[str, ...]) -> None:
    """Refuse rows whose ``Decimal`` fields cannot be computed with.

    A value is refused when it is infinite or NaN, or when its adjusted exponent is above
    :data:`MAX_EXPONENT` (a magnitude of ``10**(MAX_EXPONENT + 1)`` or more). The fast path
    takes the greatest adjusted exponent of the rows' values and tests each for finiteness,
    both in C and neither in a decimal context (so the caller's context is neither read nor
    flagged); only a frame it refuses is looked at value by value, to say which value was
    wrong. Zeros and absent values are skipped.

    Args:
        rows: decoded rows.
        fields: the names of their ``Decimal`` fields (:func:`decimal_fields`).

    Raises:
        BadFrame: a value is infinite or NaN, or of a magnitude out of range.
    """
    _decimal_checker(fields)(rows)


@cache
def _decimal_checker(fields: tuple[str, ...]) -> Callable[[Sequence[Any]], None]:
    """:func:`check_rows` for one tuple of field names, its getter built once."""
    every = _getter(fields)
    single = len(fields) == 1  # then `every` returns the value itself, not a tuple

    def check(rows: Sequence[Any]) -> None:
        if single:
            values = [*filter(None, map(every, rows))]
        elif len(rows) == 1:
            values = [*filter(None, every(rows[0]))]  # the common frame of one row
        else:
            values = [*filter(None, chain.from_iterable(map(every, rows)))]
        if values and (
            max(map(_adjusted, values)) > MAX_EXPONENT or not all(map(_finite, values))
        ):
            _check_each(rows, fields)

    return check


def _check_each(rows: Sequence[Any], fields: tuple[str, ...]) -> None:
    """:func:`check_rows` value by value: the slow path, naming the value the fast path refused."""
    for row in rows:
        for name in fields:
            value = getattr(row, name)
            if not value:  # None or zero
                continue
            if not value.is_finite():
                raise BadFrame("bad_number", f"{name} is not finite (Infinity or NaN)")
            if value.adjusted() > MAX_EXPONENT:
                raise BadFrame("bad_number", f"{name} is out of range (above 1e{MAX_EXPONENT})")


@cache
def _getter(names: tuple[str, ...]) -> Callable[[Any], Any]:
    """``attrgetter(*names)``, built once per tuple of names."""
    return attrgetter(*names)


@cache
def row_properties(row_type: Any) -> tuple[str, ...]:
    """The public properties a row model computes from its fields that must be tried on a row.

    A property the model declares in ``_property_needs_one_of`` (it raises only when every
    field of a group is ``None``) is left out: :func:`rows_needing_one_of` checks it instead,
    without calling it. Never raises.

    Args:
        row_type: a model class.

    Returns:
        Their names.
    """
    declared = getattr(row_type, "_property_needs_one_of", {})
    return tuple(
        name
        for name in dir(row_type)
        if not name.startswith("_")
        and name not in declared
        and isinstance(getattr(row_type, name, None), property)
    )


@cache
def rows_needing_one_of(row_type: Any) -> tuple[tuple[str, ...], ...]:
    """The groups of fields of which every row must carry one (not ``None``). Never raises.

    Args:
        row_type: a model class; its ``_property_needs_one_of`` maps a property to the fields
            of which it needs one.

    Returns:
        The distinct groups, each a tuple of field names.
    """
    declared = getattr(row_type, "_property_needs_one_of", {})
    return tuple(dict.fromkeys(tuple(group) for group in declared.values()))


@cache
def row_checker(row_type: Any) -> Callable[[Sequence[Any]], None] | None:
    """The check a frame's decoded rows of ``row_type`` go through, or ``None`` if none.

    The check refuses rows whose ``Decimal`` fields cannot be computed with
    (:func:`check_rows`) and the rows :func:`shape_checker`'s check refuses. Never raises.

    Args:
        row_type: a model class.

    Returns:
        A function of the rows that raises :class:`BadFrame` (kind ``bad_number`` or
        ``unexpected_shape``) for unusable rows.
    """
    fields = decimal_fields(row_type)
    decimals = _decimal_checker(fields) if fields else None
    shape = shape_checker(row_type)
    if decimals is None or shape is None:
        return decimals or shape  # the whole check: one call fewer per frame

    def check(rows: Sequence[Any]) -> None:
        decimals(rows)
        shape(rows)

    return check


@cache
def shape_checker(row_type: Any) -> Callable[[Sequence[Any]], None] | None:
    """The part of :func:`row_checker`'s check that is not about numbers, or ``None`` if none.

    It refuses rows that carry none of a group of fields a property needs
    (:func:`rows_needing_one_of`), and rows on which another property raises
    (:func:`check_properties`). Never raises.

    Args:
        row_type: a model class.

    Returns:
        A function of the rows that raises :class:`BadFrame` (kind ``unexpected_shape``).
    """
    groups = tuple(
        (names, _getter(names), None if len(names) == 1 else (None,) * len(names))
        for names in rows_needing_one_of(row_type)
    )
    properties = row_properties(row_type)
    if not (groups or properties):
        return None

    def check(rows: Sequence[Any]) -> None:
        for names, get, absent in groups:
            if absent in map(get, rows):  # in C: the tuples of the group's values
                raise BadFrame("unexpected_shape", f"a row carries none of {', '.join(names)}")
        if properties:
            check_properties(rows, properties)

    return check


def check_properties(rows: Sequence[Any], names: tuple[str, ...]) -> None:
    """Refuse rows on which one of the model's properties would raise.

    Args:
        rows: decoded rows.
        names: the properties to try (:func:`row_properties`).

    Raises:
        BadFrame: a property raised (e.g. a position row with no side); kind
            ``unexpected_shape``.
    """
    try:
        deque(map(_getter(names), rows), maxlen=0)  # every property of every row, in C
    except Exception:
        for row in rows:  # one raised: find which, for the log
            for name in names:
                try:
                    getattr(row, name)
                except Exception as exc:
                    raise BadFrame("unexpected_shape", f"{name}: {exc}") from None
        raise BadFrame("unexpected_shape", "a property raised") from None


_generic = msgspec.json.Decoder(Any, float_hook=Decimal)


def ids_as_strings(data: bytes | msgspec.Raw) -> bytes | None:
    """Re-encode JSON whose id fields are integral numbers with those ids as exact strings.

    Args:
        data: a frame's ``data`` member (or a whole frame).

    Returns:
        The rewritten JSON bytes, or ``None`` if no id field needed rewriting (then the frame is
        bad for another reason).

    Raises:
        BadFrame: ``data`` is not JSON, is nested too deep, or an id is a non-integral number.
    """
    value = guarded(lambda: _generic.decode(data))
    changed = guarded(lambda: _fix_ids(value))
    return encode(value) if changed else None


def _fix_ids(value: Any) -> bool:
    """Rewrite integral-number ids in place (rows up to two levels deep); True if any."""
    changed = False
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, dict):
            for key, nested in item.items():
                if key == "data" and isinstance(nested, dict | list):
                    changed = _fix_ids(nested) or changed
            for name in ID_FIELDS:
                raw = item.get(name)
                if isinstance(raw, bool) or raw is None or isinstance(raw, str):
                    continue
                if isinstance(raw, int):
                    if not 0 <= raw < 2**128:
                        raise BadFrame("bad_number", f"{name} is not a u128")
                    item[name] = str(raw)
                    changed = True
                elif isinstance(raw, Decimal):
                    if (
                        not raw.is_finite()
                        or raw < 0
                        or raw.adjusted() > 38
                        or raw != raw.to_integral_value()
                    ):
                        raise BadFrame("bad_number", f"{name} {raw} is not an integral id")
                    item[name] = str(int(raw))
                    changed = True
    return changed
