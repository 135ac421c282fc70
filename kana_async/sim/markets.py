"""The simulator's markets: on-chain market parameters and exact unit conversions.

Units (spec §2.5 / §3 #1):

* price ticks = ``price * 10**quote_precision``; a valid price is a multiple of ``tick_size`` ticks;
* lots = ``size * 10**base_decimals / lot_size``;
* quote units = ``amount * 10**quote_decimals``.

Every conversion is exact (``Decimal`` / ``int``, never ``float``); a value that is not a whole
number of ticks / lots / units raises :class:`ValueError` with a message naming the nearest valid
values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Final

__all__ = [
    "DEFAULT_MAINTENANCE_MARGIN_BPS",
    "DEFAULT_MARKETS",
    "FEE_ADDRESS",
    "INSURANCE_FUND_ADDRESS",
    "LIQUIDATOR_ADDRESS",
    "MARKET_CREATOR",
    "MarketSpec",
    "market_by_id",
]

#: Address receiving every simulated market's trading fees.
FEE_ADDRESS: Final = "0x" + "fee".rjust(64, "0")
#: The insurance fund's account: capitalised at start, takes 20 % of what liquidated positions
#: have left and pays losses beyond a position's margin (an ordinary account in every view).
INSURANCE_FUND_ADDRESS: Final = "0x" + "1f".rjust(64, "0")
#: The house liquidator's account: takes liquidated positions over at the mark price (they show
#: as its positions) and earns 30 % of what they have left.
LIQUIDATOR_ADDRESS: Final = "0x" + "11".rjust(64, "0")
#: Kana's documented maintenance margin: 2.5 % of notional (basis points).
DEFAULT_MAINTENANCE_MARGIN_BPS: Final = 250
#: Creator / admin address of every simulated market.
MARKET_CREATOR: Final = "0x" + "6b616e61".rjust(64, "0")


def _fmt(value: Decimal) -> str:
    """Plain decimal text without trailing zeros (``0.00100000`` → ``0.001``)."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _on_grid(value: Decimal, what: str, exponent: int, step: int) -> tuple[int | None, int]:
    """``value × 10**exponent`` counted in ``step`` units.

    Returns ``(steps, steps_below)``: ``steps`` is None when the value is off the grid,
    ``steps_below`` is the count rounded down. ``ValueError`` when ``value`` is not finite.
    """
    value = Decimal(value)
    if not value.is_finite():
        raise ValueError(f"{what} must be a finite number, got {value}")
    raw = value.scaleb(exponent)
    below = int(raw // step)
    if raw != raw.to_integral_value() or int(raw) % step:
        return None, below
    return int(raw) // step, below


@dataclass(frozen=True, slots=True)
class MarketSpec:
    """One perpetual market as ``getMarketInfo`` describes it, plus exact unit conversions.

    ``maintenance_margin`` is in basis points (250 = 2.5 %, Kana's documented value);
    ``max_leverage`` must stay below ``10000 / maintenance_margin`` (``ValueError`` otherwise),
    since a position opened at ``1 / maintenance`` leverage would be liquidatable at once.
    ``initial_price`` is the reference mid the house market maker starts from (not part of the
    on-chain market info).
    """

    market_id: int
    base_name: str
    base_decimals: int
    quote_decimals: int
    quote_precision: int
    lot_size: int
    tick_size: int
    min_lots: int
    max_lots: int
    max_leverage: int
    maintenance_margin: int
    max_position_value: int
    market_address: str
    initial_price: Decimal
    creator: str = MARKET_CREATOR
    fee_address: str = FEE_ADDRESS
    custodian_id: int = 0
    is_recognised: bool = True
    market_status: int = 1
    counter: int = 0
    _units_per_lot_tick: Fraction = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 0 < self.maintenance_margin < 10_000:
            raise ValueError(f"maintenance margin {self.maintenance_margin} bps not in 1..9999")
        if self.max_leverage < 1 or self.max_leverage * self.maintenance_margin >= 10_000:
            raise ValueError(
                f"max leverage {self.max_leverage}x must be below 1 / maintenance margin "
                f"({self.maintenance_margin} bps): a position opened at it would be liquidatable"
            )
        k = Fraction(self.lot_size * 10**self.quote_decimals) / (
            10**self.base_decimals * 10**self.quote_precision
        )
        object.__setattr__(self, "_units_per_lot_tick", k)

    # -- prices ---------------------------------------------------------------------------------
    def price_to_ticks(self, price: Decimal) -> int:
        """Price (quote per base) → ticks; ``ValueError`` naming the nearest valid prices."""
        steps, below = _on_grid(price, "price", self.quote_precision, self.tick_size)
        if steps is None:
            tick = self.tick_size
            raise ValueError(
                f"price {price} is not on the {self.base_name} tick "
                f"({self.ticks_to_price(tick)}); nearest valid prices: "
                f"{self.ticks_to_price(below * tick)} or {self.ticks_to_price((below + 1) * tick)}"
            )
        return steps * self.tick_size

    def ticks_to_price(self, ticks: int) -> Decimal:
        """Ticks → price (quote per base), exact."""
        return Decimal(ticks).scaleb(-self.quote_precision)

    # -- sizes ----------------------------------------------------------------------------------
    def size_to_lots(self, size: Decimal) -> int:
        """Size (base asset) → lots; ``ValueError`` naming the nearest valid sizes if not whole."""
        lots, below = _on_grid(size, "size", self.base_decimals, self.lot_size)
        if lots is None:
            raise ValueError(
                f"size {size} is not a whole number of {self.base_name} lots "
                f"({_fmt(self.lots_to_size(1))}); nearest valid sizes: "
                f"{_fmt(self.lots_to_size(below))} or {_fmt(self.lots_to_size(below + 1))}"
            )
        return lots

    def lots_to_size(self, lots: int) -> Decimal:
        """Lots → size (base asset), exact."""
        return (Decimal(lots) * self.lot_size).scaleb(-self.base_decimals)

    # -- quote amounts --------------------------------------------------------------------------
    def amount_to_units(self, amount: Decimal) -> int:
        """Amount (quote asset) → quote units; ``ValueError`` if finer than one unit."""
        units, below = _on_grid(amount, "amount", self.quote_decimals, 1)
        if units is None:
            raise ValueError(
                f"amount {amount} has more than {self.quote_decimals} decimals; "
                f"nearest valid amounts: {self.units_to_amount(below)} or "
                f"{self.units_to_amount(below + 1)}"
            )
        return units

    def units_to_amount(self, units: int) -> Decimal:
        """Quote units → amount (quote asset), exact."""
        return Decimal(units).scaleb(-self.quote_decimals)

    # -- notional -------------------------------------------------------------------------------
    def notional_units(self, lots: int, ticks: int) -> int:
        """Value of ``lots`` at ``ticks`` in quote units, rounded down (exact for the defaults)."""
        return int(lots * ticks * self._units_per_lot_tick)

    def notional_exact(self, lots: int, ticks: int) -> Fraction:
        """Value of ``lots`` at ``ticks`` in quote units, exact."""
        return lots * ticks * self._units_per_lot_tick

    def ticks_for_notional(self, units: Fraction | int, lots: int) -> Fraction:
        """Price in (fractional) ticks at which ``lots`` are worth ``units`` quote units."""
        if lots <= 0:
            return Fraction(0)
        return Fraction(units) / (lots * self._units_per_lot_tick)

    @property
    def initial_ticks(self) -> int:
        """:attr:`initial_price` in ticks, rounded down onto the tick grid."""
        raw = int(self.initial_price.scaleb(self.quote_precision))
        return raw - raw % self.tick_size


def _market(
    market_id: int,
    base_name: str,
    quote_precision: int,
    lot_size: int,
    min_lots: int,
    max_lots: int,
    max_leverage: int,
    maintenance_margin: int,
    max_position_value: int,
    initial_price: str,
    custodian_id: int,
) -> MarketSpec:
    """A simulated testnet market: 8 base decimals, 6 quote decimals, tick size 1."""
    return MarketSpec(
        market_id=market_id,
        base_name=base_name,
        base_decimals=8,
        quote_decimals=6,
        quote_precision=quote_precision,
        lot_size=lot_size,
        tick_size=1,
        min_lots=min_lots,
        max_lots=max_lots,
        max_leverage=max_leverage,
        maintenance_margin=maintenance_margin,
        max_position_value=max_position_value,
        market_address="0x" + f"a{market_id}".rjust(64, "0"),
        initial_price=Decimal(initial_price),
        custodian_id=custodian_id,
    )


#: The simulated testnet markets (ids as on Kana testnet). Every default market has
#: ``notional_units(lots, ticks) == lots * ticks`` exactly.
DEFAULT_MARKETS: Final[tuple[MarketSpec, ...]] = (
    # id, name, quote precision, lot size, min / max lots, max leverage, maintenance (bps),
    # max position value, initial price, custodian id
    # APT: lot 0.001 APT, tick $0.001, min 0.5 APT.
    _market(1338, "APT/USDC", 3, 100_000, 500, 150_000_000, 20, 250, 125_000_000, "5.750", 75),
    # BTC: lot 0.00001 BTC, tick $0.1, min 0.0001 BTC, max 100 BTC; 2.5 % maintenance, so
    # at most 20x (50x would be liquidatable at once).
    _market(1339, "BTC/USDC", 1, 1_000, 10, 10_000_000, 20, 250, 125 * 10**9, "100000.0", 76),
    # ETH: lot 0.0001 ETH, tick $0.01, min 0.003 ETH, max 1000 ETH.
    _market(1340, "ETH/USDC", 2, 10_000, 30, 10_000_000, 20, 250, 125 * 10**9, "3500.00", 77),
    # SOL: lot 0.001 SOL, tick $0.001, min 0.1 SOL, max 100k SOL.
    _market(2387, "SOL-USD", 3, 100_000, 100, 100_000_000, 20, 250, 125 * 10**9, "150.000", 78),
)


def market_by_id(market_id: int, markets: tuple[MarketSpec, ...] = DEFAULT_MARKETS) -> MarketSpec:
    """The market with ``market_id``; ``KeyError`` when there is none."""
    for spec in markets:
        if spec.market_id == market_id:
            return spec
    raise KeyError(market_id)
