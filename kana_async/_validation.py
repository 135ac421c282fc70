"""Argument checks that run before any I/O, and the wire formatting of checked values.

Every check either returns the value in the form the wire wants or raises an error whose message
says what to pass instead: :class:`~kana_async.ArgumentTypeError` (a ``TypeError``) for a wrong
type, :class:`~kana_async.InvalidArgumentError` (a ``ValueError``) for a wrong value and
:class:`~kana_async.UnknownMarketError` for a market id the exchange does not list.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Final, Literal

from kana_async._exceptions import ArgumentTypeError, InvalidArgumentError, UnknownMarketError
from kana_async.models.enums import Direction, OrderType, Restriction, Side

__all__ = [
    "MAX_PAGE_LIMIT",
    "MAX_U64",
    "MAX_U128",
    "bool_text",
    "check_bool",
    "check_decimal",
    "check_direction",
    "check_int",
    "check_iso_datetime",
    "check_market_id",
    "check_order_id",
    "check_order_type",
    "check_restriction",
    "check_side",
    "check_sort_order",
    "check_timeout",
    "check_tx_hash",
    "check_unix_seconds",
    "decimal_text",
]

MAX_U64: Final = 2**64 - 1
MAX_U128: Final = 2**128 - 1
#: The most rows a history page may ask for (``limit``).
MAX_PAGE_LIMIT: Final = 1000
#: Bounds on any amount, checked on the text and the digit tuple before any arithmetic: an
#: amount longer than this, with more significant digits, larger than 10**20 (no u64 of any
#: market's units can hold more) or finer than 10**-60 is refused before it costs memory or time.
_MAX_NUMBER_TEXT: Final = 100
_MAX_DIGITS: Final = 40
_MAX_ADJUSTED: Final = 19
_MIN_EXPONENT: Final = -60
_MAX_ID_TEXT: Final = 50
_TX_HASH_DIGITS: Final = 64
# 10**11 seconds is the year 5138: anything larger is almost surely milliseconds.
_MAX_PLAUSIBLE_SECONDS: Final = 10**11


def bool_text(value: bool) -> str:
    """A boolean as query strings spell it. Never raises.

    Args:
        value: the boolean.

    Returns:
        ``"true"`` or ``"false"``.
    """
    return "true" if value else "false"


def decimal_text(value: Decimal) -> str:
    """A decimal in plain notation (``format(d, "f")``), never scientific. Never raises.

    Args:
        value: the amount.

    Returns:
        The text, e.g. ``"0.00001"`` for ``Decimal("1E-5")``.
    """
    return format(value, "f")


def check_decimal(
    value: object,
    name: str,
    *,
    allow_zero: bool = False,
    places: int | None = None,
    maximum: Decimal | None = None,
) -> Decimal:
    """A finite, positive (or, with ``allow_zero``, non-negative) amount as ``Decimal``.

    A ``float`` is refused: binary floats cannot hold most prices exactly
    (``0.1 + 0.2 != 0.3``). Size is bounded before any arithmetic: at most 100 characters of
    text, 40 significant digits, a magnitude below ``10**20`` and no digit finer than
    ``10**-60``, so an input such as ``"1e999999999"`` fails at once.

    Args:
        value: a ``Decimal``, an ``int`` or a numeric string (surrounding spaces ignored).
        name: the argument's name, for the error message.
        allow_zero: accept zero as well.
        places: the most decimal places allowed (e.g. 6 for an amount of the quote
            currency), or ``None`` for the general bound.
        maximum: the largest amount allowed, or ``None`` for the general bound.

    Returns:
        The amount (``-0`` and ``0E-8`` become plain ``Decimal(0)``).

    Raises:
        ArgumentTypeError: ``value`` is a ``float``, a ``bool`` or another type.
        InvalidArgumentError: the string is not a number, or the number is not finite, is
            negative, is zero without ``allow_zero``, or is too large, too long or too fine.
    """
    if isinstance(value, bool):
        raise ArgumentTypeError(f"{name} must be a Decimal or a string like '1.5', not a bool")
    if isinstance(value, float):
        raise ArgumentTypeError(
            f"{name}={value!r} is a float; pass a Decimal or a string "
            f"(e.g. Decimal({str(value)!r})) so that the amount is exact"
        )
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        if value.bit_length() > 80:  # before Decimal(), which would convert every digit
            raise InvalidArgumentError(f"{name} is too large: at most 10**{_MAX_ADJUSTED + 1}")
        number = Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > _MAX_NUMBER_TEXT or not text.isascii() or "_" in text:
            raise InvalidArgumentError(
                f"{name}={value[:20]!r}... is not a plain number; pass a Decimal or a string "
                "like '1.5' (ASCII digits, no '_', at most 100 characters)"
            )
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise InvalidArgumentError(
                f"{name}={value!r} is not a number; pass a Decimal or a string like '1.5'"
            ) from None
    else:
        raise ArgumentTypeError(
            f"{name} must be a Decimal or a string like '1.5', not {type(value).__name__}"
        )
    if not number.is_finite():
        raise InvalidArgumentError(f"{name} must be a finite number, got {_short(value)}")
    if number.is_signed() and number:
        bound = "zero or more" if allow_zero else "greater than zero"
        raise InvalidArgumentError(f"{name} must be {bound}, got {_short(value)}")
    if not number:
        if not allow_zero:
            raise InvalidArgumentError(f"{name} must be greater than zero, got {_short(value)}")
        return Decimal(0)  # "-0" and "0E-8" become plain 0
    _check_magnitude(number, name, value, places)
    if maximum is not None and number > maximum:
        raise InvalidArgumentError(f"{name} must be at most {maximum}, got {_short(value)}")
    return number


def _check_magnitude(number: Decimal, name: str, value: object, places: int | None) -> None:
    """Refuse a nonzero finite ``number`` too long, too large or too fine, using only its digit
    tuple and exponent (no arithmetic, so a huge exponent costs nothing)."""
    _, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # finite
    if len(digits) > _MAX_DIGITS * 4:
        raise InvalidArgumentError(f"{name} has too many digits: at most {_MAX_DIGITS}")
    trailing = len(digits) - len(bytes(digits).rstrip(b"\x00"))
    significant = len(digits) - trailing
    lowest = exponent + trailing  # the exponent of the last nonzero digit
    if significant + lowest - 1 > _MAX_ADJUSTED:
        raise InvalidArgumentError(
            f"{name}={_short(value)} is too large: at most 10**{_MAX_ADJUSTED + 1} "
            "(no on-chain u64 amount holds more)"
        )
    if significant > _MAX_DIGITS:
        raise InvalidArgumentError(
            f"{name} has {significant} significant digits; at most {_MAX_DIGITS}"
        )
    finest = _MIN_EXPONENT if places is None else -places
    if lowest < finest:
        raise InvalidArgumentError(
            f"{name}={_short(value)} is finer than {-finest} decimal places; "
            f"round it to at most {-finest} places"
        )


def _short(value: object) -> str:
    """``repr(value)`` cut to 40 characters (an ``int`` too long to print is described)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return _int_text(value)
    try:
        text = repr(value)
    except Exception:  # a repr that raises must not replace the argument error
        return f"a {type(value).__name__}"
    return text if len(text) <= 40 else text[:40] + "..."


def _int_text(value: int) -> str:
    """``str(value)``, or its size in bits when it has too many digits to be worth printing."""
    return str(value) if value.bit_length() <= 256 else f"an int of {value.bit_length()} bits"


def check_bool(value: object, name: str) -> bool:
    """A real ``bool`` (``True``/``False``); a string such as ``'yes'`` or an int is refused.

    Args:
        value: the value to check.
        name: the argument's name, for the error message.

    Returns:
        ``value``.

    Raises:
        ArgumentTypeError: ``value`` is not a ``bool``.
    """
    if not isinstance(value, bool):
        raise ArgumentTypeError(f"{name} must be True or False, not {type(value).__name__}")
    return value


def check_timeout(value: object, name: str = "timeout") -> float | None:
    """A timeout in seconds: a finite positive number, or ``None`` for the default.

    Args:
        value: seconds as an ``int`` or ``float``, or ``None``.
        name: the argument's name, for the error message.

    Returns:
        The seconds as ``float``, or ``None``.

    Raises:
        ArgumentTypeError: ``value`` is not a number (a string, a ``bool``...).
        InvalidArgumentError: ``value`` is NaN, infinite, zero or negative.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ArgumentTypeError(
            f"{name} must be seconds as a number such as 5.0 (or None), not {type(value).__name__}"
        )
    if isinstance(value, int) and value.bit_length() > 64:
        raise InvalidArgumentError(f"{name} is too large; pass seconds such as 5.0")
    seconds = float(value)
    if not math.isfinite(seconds) or seconds <= 0:
        raise InvalidArgumentError(f"{name} must be a finite number of seconds > 0, got {value}")
    return seconds


def check_tx_hash(value: object, name: str = "tx_hash") -> str:
    """A transaction hash: ``0x`` and 64 hex digits (the ``0x`` may be left out).

    Checked before the hash goes into a URL path, so that no other text can reach the node.

    Args:
        value: the hash.
        name: the argument's name, for the error message.

    Returns:
        The hash as ``0x`` + 64 lowercase hex digits.

    Raises:
        ArgumentTypeError: ``value`` is not a ``str``.
        InvalidArgumentError: ``value`` is not 64 hex digits.
    """
    if not isinstance(value, str):
        raise ArgumentTypeError(
            f"{name} must be a str such as '0x' + 64 hex digits, not {type(value).__name__}"
        )
    digits = value.strip().removeprefix("0x").removeprefix("0X")
    if len(digits) != _TX_HASH_DIGITS or not all(c in _HEX for c in digits):
        raise InvalidArgumentError(
            f"{name} {value[:80]!r} is not a transaction hash; pass '0x' + 64 hex digits"
        )
    return "0x" + digits.lower()


_HEX: Final = frozenset("0123456789abcdefABCDEF")


def check_int(
    value: object,
    name: str,
    *,
    minimum: int = 1,
    maximum: int | None = None,
) -> int:
    """An ``int`` within ``[minimum, maximum]``; ``bool`` and ``float`` are refused.

    Args:
        value: the value to check.
        name: the argument's name, for the error message.
        minimum: the smallest value allowed.
        maximum: the largest value allowed, or ``None`` for no bound.

    Returns:
        ``value``.

    Raises:
        ArgumentTypeError: ``value`` is not an ``int`` (or is a ``bool``).
        InvalidArgumentError: ``value`` is outside the bounds.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentTypeError(
            f"{name} must be an int, not {type(value).__name__} ({_short(value)})"
        )
    if value < minimum:
        raise InvalidArgumentError(f"{name} must be at least {minimum}, got {_int_text(value)}")
    if maximum is not None and value > maximum:
        raise InvalidArgumentError(f"{name} must be at most {maximum}, got {_int_text(value)}")
    return value


def check_market_id(value: object, known: Collection[int] | None = None) -> int:
    """A market id as ``int``, checked against ``known`` if given.

    Args:
        value: an ``int`` or a string of digits, e.g. ``1338`` or ``"1338"``.
        known: the market ids to accept; ``None`` or empty accepts any u64.

    Returns:
        The market id.

    Raises:
        UnknownMarketError: ``known`` is not empty and does not contain the id.
        InvalidArgumentError: the id is negative or larger than a u64.
        ArgumentTypeError: ``value`` is not an ``int`` or a string of digits.
    """
    if isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and text.isdigit() and len(text) <= _MAX_ID_TEXT):
            raise ArgumentTypeError(
                f"market_id must be an int such as 1338, not the str {value[:30]!r}"
            )
        value = int(text)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentTypeError(
            f"market_id must be an int such as 1338, not {type(value).__name__} ({_short(value)})"
        )
    if value < 0 or value > MAX_U64:
        raise InvalidArgumentError(f"market_id must be a non-negative u64, got {_int_text(value)}")
    if known and value not in known:
        ids = ", ".join(str(i) for i in sorted(known))
        raise UnknownMarketError(
            f"unknown market id {value}; the known markets are {ids} "
            "(call kana.markets.all() to refresh the list)"
        )
    return value


def check_order_id(value: object) -> str:
    """A u128 order id as its exact decimal string.

    Args:
        value: an ``int`` or a decimal string (surrounding spaces ignored); never a ``float``.

    Returns:
        The id in canonical decimal text (leading zeros dropped).

    Raises:
        ArgumentTypeError: ``value`` is not an ``int`` or ``str``.
        InvalidArgumentError: ``value`` is not a non-negative decimal integer, or does not fit
            in a u128.
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ArgumentTypeError(
            f"order_id must be an int or a decimal string, not {type(value).__name__}; "
            "never pass order ids through float"
        )
    if isinstance(value, int):
        if not 0 <= value <= MAX_U128:
            raise InvalidArgumentError("order_id is negative or does not fit in a u128")
        return str(value)
    text = value.strip()
    if not text.isdigit() or not text.isascii():
        raise InvalidArgumentError(f"order_id {value[:50]!r} is not a non-negative decimal integer")
    digits = text.lstrip("0") or "0"
    if len(digits) > 39 or int(digits) > MAX_U128:  # bounded before conversion
        raise InvalidArgumentError(f"order_id {value[:50]!r}... does not fit in a u128")
    return digits


def check_side(value: object, name: str = "side") -> bool:
    """The wire boolean of a side: ``True`` long, ``False`` short.

    Args:
        value: a :class:`~kana_async.Side` or a ``bool``.
        name: the argument's name, for the error message.

    Returns:
        The ``tradeSide`` boolean.

    Raises:
        ArgumentTypeError: ``value`` is neither.
    """
    if isinstance(value, Side):
        return value.value
    if isinstance(value, bool):
        return value
    raise ArgumentTypeError(
        f"{name} must be Side.LONG / Side.SHORT (or a bool), got {_short(value)}"
    )


def check_direction(value: object) -> bool:
    """The wire boolean of a direction: ``False`` open, ``True`` close.

    Args:
        value: a :class:`~kana_async.Direction` or a ``bool``.

    Returns:
        The ``direction`` boolean.

    Raises:
        ArgumentTypeError: ``value`` is neither.
    """
    if isinstance(value, Direction):
        return value.value
    if isinstance(value, bool):
        return value
    raise ArgumentTypeError(
        f"direction must be Direction.OPEN / Direction.CLOSE (or a bool), got {_short(value)}"
    )


def check_order_type(value: object) -> bool:
    """The wire boolean of an order type: ``True`` limit, ``False`` market.

    Args:
        value: an :class:`~kana_async.OrderType` or a ``bool``.

    Returns:
        The ``orderTypes[]`` boolean.

    Raises:
        ArgumentTypeError: ``value`` is neither.
    """
    if isinstance(value, OrderType):
        return value.value
    if isinstance(value, bool):
        return value
    raise ArgumentTypeError(
        f"order_type must be OrderType.LIMIT / OrderType.MARKET (or a bool), got {_short(value)}"
    )


def check_restriction(value: object) -> int:
    """The wire integer of a restriction: 0 none, 1 fill or abort, 3 post or abort.

    Args:
        value: a :class:`~kana_async.Restriction` or one of its values as an ``int``.

    Returns:
        The ``restriction`` integer.

    Raises:
        ArgumentTypeError: ``value`` is not an ``int`` (or is a ``bool``).
        InvalidArgumentError: ``value`` is not 0, 1 or 3.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentTypeError(
            "restriction must be a Restriction (e.g. Restriction.POST_OR_ABORT), "
            f"got {_short(value)}"
        )
    try:
        return int(Restriction(value))
    except ValueError:
        allowed = ", ".join(f"{r.value} ({r.name})" for r in Restriction)
        raise InvalidArgumentError(
            f"restriction must be one of {allowed}; got {_int_text(value)}"
        ) from None


def check_sort_order(value: object) -> Literal["asc", "desc"]:
    """A history sort order.

    Args:
        value: ``"asc"`` (oldest first) or ``"desc"`` (newest first).

    Returns:
        ``value``.

    Raises:
        InvalidArgumentError: ``value`` is anything else.
    """
    if value == "asc":
        return "asc"
    if value == "desc":
        return "desc"
    raise InvalidArgumentError(f"order must be 'asc' or 'desc', got {_short(value)}")


def check_unix_seconds(value: object, name: str) -> int:
    """Unix time in whole seconds from an ``int`` or a timezone-aware ``datetime``.

    Values that look like milliseconds (``10**11`` or more) are refused: the endpoints that take
    them want seconds.

    Args:
        value: Unix seconds as an ``int``, or a timezone-aware ``datetime``.
        name: the argument's name, for the error message.

    Returns:
        Whole seconds (a ``datetime``'s fraction is dropped).

    Raises:
        ArgumentTypeError: ``value`` is neither an ``int`` nor a ``datetime``.
        InvalidArgumentError: ``value`` is negative, looks like milliseconds, or is a naive
            ``datetime``.
    """
    if isinstance(value, datetime):
        return int(_aware(value, name).timestamp())
    seconds = check_int(value, name, minimum=0)
    if seconds >= _MAX_PLAUSIBLE_SECONDS:
        raise InvalidArgumentError(
            f"{name}={seconds} looks like milliseconds; pass Unix time in seconds "
            f"(e.g. {seconds // 1000})"
        )
    return seconds


def check_iso_datetime(value: object, name: str) -> str:
    """A timezone-aware ``datetime`` as ISO-8601 UTC text.

    Args:
        value: a timezone-aware ``datetime``.
        name: the argument's name, for the error message.

    Returns:
        The text, e.g. ``"2024-11-21T00:00:00Z"`` (milliseconds only when there are any).

    Raises:
        ArgumentTypeError: ``value`` is not a ``datetime``.
        InvalidArgumentError: ``value`` is naive (has no timezone).
    """
    if not isinstance(value, datetime):
        raise ArgumentTypeError(
            f"{name} must be a timezone-aware datetime, not {type(value).__name__}"
        )
    utc = _aware(value, name).astimezone(UTC)
    text = utc.isoformat(timespec="milliseconds" if utc.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidArgumentError(
            f"{name} is a naive datetime; attach a timezone, e.g. datetime.now(timezone.utc)"
        )
    return value
