"""Wire formatting: the JSON encoder and on-chain units → human decimal strings / numbers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

import msgspec

from kana_async.sim.markets import MarketSpec

__all__ = [
    "ENCODER",
    "QUOTE_DECIMALS",
    "Row",
    "amount",
    "decimal_number",
    "human",
    "optional_price",
    "price",
    "size",
    "symbol_of",
]

#: Encoder for every JSON body the simulator sends; ``Decimal`` becomes an exact JSON number.
ENCODER: Final = msgspec.json.Encoder(decimal_format="number")

#: Decimals of the collateral coin (every simulated market quotes in the same 6-decimal coin).
QUOTE_DECIMALS: Final = 6

#: One JSON object of a response or frame.
Row = dict[str, Any]


def human(value: Decimal) -> str:
    """A decimal as a plain human string: no exponent, no trailing zeros (``"10"``, ``"5.75"``)."""
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


def decimal_number(value: Decimal) -> Decimal:
    """``value`` normalised for encoding as a JSON number without exponent."""
    return Decimal(human(value))


def size(spec: MarketSpec, lots: int) -> str:
    """Lots → human size string."""
    return human(spec.lots_to_size(lots))


def price(spec: MarketSpec, ticks: int) -> str:
    """Ticks → human price string."""
    return human(spec.ticks_to_price(ticks))


def amount(units: int) -> str:
    """Quote units → human amount string."""
    return human(Decimal(units).scaleb(-QUOTE_DECIMALS))


def optional_price(spec: MarketSpec, ticks: int) -> str | None:
    """Ticks → human price string; 0 (unset) → None."""
    return None if ticks == 0 else price(spec, ticks)


def symbol_of(spec: MarketSpec) -> str:
    """``APT-USD`` style symbol of a market (``APT/USDC`` → ``APT-USD``)."""
    return spec.base_name.replace("/", "-").split("-", 1)[0].upper() + "-USD"
