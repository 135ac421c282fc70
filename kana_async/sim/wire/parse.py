"""Request parsing: query / JSON values → on-chain units, or a :class:`WireError`.

Every parser raises :class:`WireError` carrying the HTTP status (400 naming the parameter, 404
for an unknown market) that the REST app turns into ``{"success": false, "message": ...}``.

Numbers are bounded before any arithmetic: a number is ASCII digits with an optional sign,
fraction and exponent, at most :data:`MAX_NUMBER_CHARS` characters, and its magnitude lies
within ``10**±MAX_EXPONENT`` (zero aside), so no request value can make a conversion slow.
Values that become on-chain ``u64`` arguments (sizes, prices, amounts) must fit in a ``u64``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal, DecimalException
from typing import Final

from kana_async.sim.markets import MarketSpec

from .format import QUOTE_DECIMALS

__all__ = [
    "MAX_EXPONENT",
    "MAX_NUMBER_CHARS",
    "U64_MAX",
    "U128_MAX",
    "WireError",
    "bad",
    "market_of",
    "parse_bool",
    "parse_decimal",
    "parse_int",
    "shown",
    "to_lots",
    "to_ticks",
    "to_units",
]

#: Longest number (in characters, sign and exponent included) a request value may be.
MAX_NUMBER_CHARS: Final = 100
#: Largest decimal exponent of a non-zero request number: ``10**-100 <= |x| < 10**101``.
MAX_EXPONENT: Final = 100
#: Largest ``u64``, the on-chain type of sizes (lots), prices (ticks) and amounts (units).
U64_MAX: Final = 2**64 - 1
#: Largest ``u128``, the on-chain type of order ids.
U128_MAX: Final = 2**128 - 1
#: Longest error message, in characters (longer ones are cut).
_MAX_MESSAGE: Final = 500
#: How many characters of a rejected value an error message shows.
_MAX_SHOWN: Final = 60

_NUMBER: Final = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NON_FINITE: Final = re.compile(r"[+-]?(?:inf|infinity|s?nan[0-9]*)", re.IGNORECASE)
#: Bits of the largest int accepted as a number (a little above ``10**(MAX_EXPONENT + 1)``).
_MAX_INT_BITS: Final = (10 ** (MAX_EXPONENT + 1)).bit_length()


class WireError(Exception):
    """A request value the simulator rejects; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        if len(message) > _MAX_MESSAGE:
            message = message[: _MAX_MESSAGE - 1] + "…"
        super().__init__(message)
        self.status = status
        self.message = message


def bad(name: str, problem: str) -> WireError:
    """A 400 error whose message starts with the parameter name."""
    return WireError(400, f"invalid parameter {shown(name)}: {problem}")


def shown(raw: object) -> str:
    """``repr(raw)`` for an error message, cut to a few dozen characters when longer."""
    text = repr(raw) if not isinstance(raw, list | dict) else _shallow_repr(raw)
    if len(text) <= _MAX_SHOWN:
        return text
    return f"{text[: _MAX_SHOWN - 20]}… ({len(text)} characters)"


def _shallow_repr(raw: list[object] | dict[object, object]) -> str:
    """A short repr of a container (nested JSON is never walked in full for a message)."""
    if isinstance(raw, list):
        return f"[{', '.join(shown(v) for v in raw[:3])}{', …' if len(raw) > 3 else ''}]"
    items = list(raw.items())[:3]
    body = ", ".join(f"{shown(k)}: {shown(v)}" for k, v in items)
    return f"{{{body}{', …' if len(raw) > 3 else ''}}}"


def parse_decimal(name: str, raw: object) -> Decimal:
    """A finite, bounded decimal from a query string or JSON value; 400 naming ``name``.

    Accepts a JSON number (``int``, ``float`` or ``Decimal``) or a string of ASCII digits with
    optional sign, fraction and exponent (surrounding whitespace ignored). Rejects booleans,
    other types, ``NaN`` / ``Infinity``, strings longer than :data:`MAX_NUMBER_CHARS` and
    non-zero magnitudes outside ``10**±MAX_EXPONENT``; every check runs before any arithmetic.
    """
    if raw is None or isinstance(raw, bool):
        raise bad(name, f"expected a number, got {shown(raw)}")
    if isinstance(raw, int):
        if raw.bit_length() > _MAX_INT_BITS:
            raise bad(name, f"number out of range (more than {MAX_EXPONENT + 1} digits)")
        return Decimal(raw)
    if isinstance(raw, float):
        raw = repr(raw)  # JSON numbers with a fraction arrive as float: use their shortest repr
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, str):
        value = _decimal(name, raw)
    else:
        raise bad(name, f"expected a number, got {shown(raw)}")
    if not value.is_finite():
        raise bad(name, f"expected a finite number, got {shown(raw)}")
    if not value:
        return Decimal(0)  # 0E+999999999 is just zero; never carry its exponent along
    if not -MAX_EXPONENT <= value.adjusted() <= MAX_EXPONENT:
        limits = f"1e-{MAX_EXPONENT} and 1e{MAX_EXPONENT}"
        raise bad(name, f"number out of range (its magnitude must lie between {limits})")
    return value


def _decimal(name: str, raw: str) -> Decimal:
    """The decimal a number string spells (length and syntax checked first)."""
    text = raw.strip()
    if len(text) > MAX_NUMBER_CHARS:
        raise bad(name, f"number too long ({len(text)} characters, at most {MAX_NUMBER_CHARS})")
    if _NON_FINITE.fullmatch(text):
        raise bad(name, f"expected a finite number, got {shown(raw)}")
    if not _NUMBER.fullmatch(text):
        raise bad(name, f"expected a number, got {shown(raw)}")
    try:
        return Decimal(text)
    except DecimalException:  # an exponent beyond what Decimal represents at all
        raise bad(name, f"number out of range, got {shown(raw)}") from None


def parse_int(name: str, raw: object, *, minimum: int = 0, maximum: int | None = None) -> int:
    """A whole number in ``minimum..maximum`` (bounded as in :func:`parse_decimal`); 400 naming
    ``name``. ``maximum`` is the on-chain type's limit (``U64_MAX``, ``U128_MAX``) when the value
    becomes a contract argument."""
    value = parse_decimal(name, raw)
    if value != value.to_integral_value():
        raise bad(name, f"expected a whole number, got {shown(raw)}")
    if value < minimum:
        raise bad(name, f"must be at least {minimum}, got {shown(raw)}")
    if maximum is not None and value > maximum:
        kind = {U64_MAX: "a u64", U128_MAX: "a u128"}.get(maximum, f"at most {maximum}")
        raise bad(name, f"must fit in {kind}, got {shown(raw)}")
    return int(value)


def parse_bool(name: str, raw: object) -> bool:
    """``true``/``false`` (any case) or a JSON bool; 400 naming ``name``."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        return raw.strip().lower() == "true"
    raise bad(name, f"expected true or false, got {shown(raw)}")


def _on_grid(name: str, raw: object, convert: Callable[[Decimal], int]) -> int:
    """A non-negative decimal converted by ``convert`` to a ``u64`` (failures become a 400)."""
    value = parse_decimal(name, raw)
    if value < 0:
        raise bad(name, f"must not be negative, got {shown(raw)}")
    try:
        converted = convert(value)
    except DecimalException:
        raise bad(name, f"{shown(raw)} is out of range (too large for a u64)") from None
    except ValueError as exc:
        raise bad(name, str(exc)) from None
    if converted > U64_MAX:
        raise bad(name, f"{shown(raw)} is out of range (too large for a u64)")
    return converted


def to_lots(spec: MarketSpec, name: str, raw: object) -> int:
    """A human size → lots; 400 naming ``name`` when negative or not a whole number of lots."""
    return _on_grid(name, raw, spec.size_to_lots)


def to_ticks(spec: MarketSpec, name: str, raw: object) -> int:
    """A human price → ticks (0 stays 0 = unset); 400 naming ``name`` when off tick/negative."""
    return _on_grid(name, raw, spec.price_to_ticks)


def to_units(name: str, raw: object) -> int:
    """A human collateral amount → quote units; 400 naming ``name`` when negative or too fine."""

    def convert(value: Decimal) -> int:
        units = value.scaleb(QUOTE_DECIMALS)
        if units != units.to_integral_value():
            raise ValueError(f"{shown(raw)} has more than {QUOTE_DECIMALS} decimals")
        return int(units)

    return _on_grid(name, raw, convert)


def market_of(markets: Mapping[int, MarketSpec], raw: object, name: str = "marketId") -> MarketSpec:
    """The market a ``marketId`` parameter names: 400 when malformed, 404 when unknown."""
    market_id = parse_int(name, raw)
    spec = markets.get(market_id)
    if spec is None:
        known = ", ".join(str(m) for m in markets)
        raise WireError(404, f"market {market_id} not found (known markets: {known})")
    return spec
