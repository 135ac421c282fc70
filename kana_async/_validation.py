"""Argument checks that run before any I/O, and the wire formatting of checked values.

Every check either returns the value in the form the wire wants or raises an error whose message
says what to pass instead: :class:`~kana_async.ArgumentTypeError` (a ``TypeError``) for a wrong
type, :class:`~kana_async.InvalidArgumentError` (a ``ValueError``) for a wrong value and
:class:`~kana_async.UnknownMarketError` for a market id the exchange does not list.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Final, Literal

from kana_async._exceptions import ArgumentTypeError, InvalidArgumentError, UnknownMarketError
from kana_async.models.enums import Direction, OrderType, Restriction, Side

__all__ = [
    "MAX_U64",
    "MAX_U128",
    "bool_text",
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
    "check_unix_seconds",
    "decimal_text",
]

MAX_U64: Final = 2**64 - 1
MAX_U128: Final = 2**128 - 1
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
) -> Decimal:
    """A finite, positive (or, with ``allow_zero``, non-negative) amount as ``Decimal``.

    A ``float`` is refused: binary floats cannot hold most prices exactly
    (``0.1 + 0.2 != 0.3``).

    Args:
        value: a ``Decimal``, an ``int`` or a numeric string (surrounding spaces ignored).
        name: the argument's name, for the error message.
        allow_zero: accept zero as well.

    Returns:
        The amount (``-0`` and ``0E-8`` become plain ``Decimal(0)``).

    Raises:
        ArgumentTypeError: ``value`` is a ``float``, a ``bool`` or another type.
        InvalidArgumentError: the string is not a number, or the number is not finite, is
            negative, or is zero without ``allow_zero``.
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
        number = Decimal(value)
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise InvalidArgumentError(
                f"{name}={value!r} is not a number; pass a Decimal or a string like '1.5'"
            ) from None
    else:
        raise ArgumentTypeError(
            f"{name} must be a Decimal or a string like '1.5', not {type(value).__name__}"
        )
    if not number.is_finite():
        raise InvalidArgumentError(f"{name} must be a finite number, got {value!r}")
    if number < 0 or (number == 0 and not allow_zero):
        bound = "zero or more" if allow_zero else "greater than zero"
        raise InvalidArgumentError(f"{name} must be {bound}, got {value!r}")
    return number if number else Decimal(0)  # "-0" and "0E-8" become plain 0


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
        raise ArgumentTypeError(f"{name} must be an int, not {type(value).__name__} ({value!r})")
    if value < minimum:
        raise InvalidArgumentError(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise InvalidArgumentError(f"{name} must be at most {maximum}, got {value}")
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
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentTypeError(
            f"market_id must be an int such as 1338, not {type(value).__name__} ({value!r})"
        )
    if value < 0 or value > MAX_U64:
        raise InvalidArgumentError(f"market_id must be a non-negative u64, got {value}")
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
    raise ArgumentTypeError(f"{name} must be Side.LONG / Side.SHORT (or a bool), got {value!r}")


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
        f"direction must be Direction.OPEN / Direction.CLOSE (or a bool), got {value!r}"
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
        f"order_type must be OrderType.LIMIT / OrderType.MARKET (or a bool), got {value!r}"
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
            f"restriction must be a Restriction (e.g. Restriction.POST_OR_ABORT), got {value!r}"
        )
    try:
        return int(Restriction(value))
    except ValueError:
        allowed = ", ".join(f"{r.value} ({r.name})" for r in Restriction)
        raise InvalidArgumentError(f"restriction must be one of {allowed}; got {value}") from None


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
    raise InvalidArgumentError(f"order must be 'asc' or 'desc', got {value!r}")


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
