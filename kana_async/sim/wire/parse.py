"""Request parsing: query / JSON values → on-chain units, or a :class:`WireError`.

Every parser raises :class:`WireError` carrying the HTTP status (400 naming the parameter, 404
for an unknown market) that the REST app turns into ``{"success": false, "message": ...}``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation

from kana_async.sim.markets import MarketSpec

from .format import QUOTE_DECIMALS

__all__ = [
    "WireError",
    "bad",
    "market_of",
    "parse_bool",
    "parse_decimal",
    "parse_int",
    "to_lots",
    "to_ticks",
    "to_units",
]


class WireError(Exception):
    """A request value the simulator rejects; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def bad(name: str, problem: str) -> WireError:
    """A 400 error whose message starts with the parameter name."""
    return WireError(400, f"invalid parameter {name!r}: {problem}")


def parse_decimal(name: str, raw: object) -> Decimal:
    """A finite decimal from a query string or JSON value (bool rejected); 400 naming ``name``."""
    if raw is None or isinstance(raw, bool):
        raise bad(name, f"expected a number, got {raw!r}")
    if isinstance(raw, float):
        raw = repr(raw)  # JSON numbers with a fraction arrive as float: use their shortest repr
    if isinstance(raw, Decimal):
        value = raw
    elif not isinstance(raw, str | int):
        raise bad(name, f"expected a number, got {raw!r}")
    else:
        value = _decimal(name, raw)
    if not value.is_finite():
        raise bad(name, f"expected a finite number, got {raw!r}")
    return value


def _decimal(name: str, raw: str | int) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise bad(name, f"expected a number, got {raw!r}") from None
    return value


def parse_int(name: str, raw: object, *, minimum: int = 0) -> int:
    """A whole number ≥ ``minimum``; 400 naming ``name``."""
    value = parse_decimal(name, raw)
    if value != value.to_integral_value():
        raise bad(name, f"expected a whole number, got {raw!r}")
    if value < minimum:
        raise bad(name, f"must be at least {minimum}, got {raw!r}")
    return int(value)


def parse_bool(name: str, raw: object) -> bool:
    """``true``/``false`` (any case) or a JSON bool; 400 naming ``name``."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        return raw.strip().lower() == "true"
    raise bad(name, f"expected true or false, got {raw!r}")


def _on_grid(name: str, raw: object, convert: Callable[[Decimal], int]) -> int:
    """A non-negative decimal converted by ``convert`` (its ``ValueError`` becomes a 400)."""
    value = parse_decimal(name, raw)
    if value < 0:
        raise bad(name, f"must not be negative, got {raw!r}")
    try:
        return convert(value)
    except ValueError as exc:
        raise bad(name, str(exc)) from None


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
            raise ValueError(f"{raw!r} has more than {QUOTE_DECIMALS} decimals")
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
