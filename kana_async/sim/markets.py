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
    "DEFAULT_MARKETS",
    "FEE_ADDRESS",
    "MARKET_CREATOR",
    "MarketSpec",
    "market_by_id",
]

#: Address receiving every simulated market's trading fees.
FEE_ADDRESS: Final = "0x" + "fee".rjust(64, "0")
#: Creator / admin address of every simulated market.
MARKET_CREATOR: Final = "0x" + "6b616e61".rjust(64, "0")


def _fmt(value: Decimal) -> str:
    """Plain decimal text without trailing zeros (``0.00100000`` → ``0.001``)."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _whole(value: Decimal, what: str) -> Decimal:
    if not value.is_finite():
        raise ValueError(f"{what} must be a finite number, got {value}")
    return value


@dataclass(frozen=True, slots=True)
class MarketSpec:
    """One perpetual market as ``getMarketInfo`` describes it, plus exact unit conversions.

    ``maintenance_margin`` is in basis points (250 = 2.5 %). ``initial_price`` is the reference mid
    the house market maker starts from (not part of the on-chain market info).
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
        k = Fraction(self.lot_size * 10**self.quote_decimals) / (
            10**self.base_decimals * 10**self.quote_precision
        )
        object.__setattr__(self, "_units_per_lot_tick", k)

    # -- prices ---------------------------------------------------------------------------------
    def price_to_ticks(self, price: Decimal) -> int:
        """Price (quote per base) → ticks; ``ValueError`` naming the nearest valid prices."""
        raw = _whole(Decimal(price), "price") * (Decimal(10) ** self.quote_precision)
        if raw != raw.to_integral_value() or int(raw) % self.tick_size:
            below = (raw // self.tick_size) * self.tick_size
            lower = self.ticks_to_price(int(below))
            upper = self.ticks_to_price(int(below) + self.tick_size)
            raise ValueError(
                f"price {price} is not on the {self.base_name} tick "
                f"({self.ticks_to_price(self.tick_size)}); nearest valid prices: {lower} or {upper}"
            )
        return int(raw)

    def ticks_to_price(self, ticks: int) -> Decimal:
        """Ticks → price (quote per base), exact."""
        return Decimal(ticks).scaleb(-self.quote_precision)

    # -- sizes ----------------------------------------------------------------------------------
    def size_to_lots(self, size: Decimal) -> int:
        """Size (base asset) → lots; ``ValueError`` naming the nearest valid sizes if not whole."""
        base_units = _whole(Decimal(size), "size") * (Decimal(10) ** self.base_decimals)
        lots, rest = divmod(base_units, self.lot_size)
        if rest or base_units != base_units.to_integral_value():
            lower = _fmt(self.lots_to_size(int(lots)))
            upper = _fmt(self.lots_to_size(int(lots) + 1))
            raise ValueError(
                f"size {size} is not a whole number of {self.base_name} lots "
                f"({_fmt(self.lots_to_size(1))}); nearest valid sizes: {lower} or {upper}"
            )
        return int(lots)

    def lots_to_size(self, lots: int) -> Decimal:
        """Lots → size (base asset), exact."""
        return (Decimal(lots) * self.lot_size).scaleb(-self.base_decimals)

    # -- quote amounts --------------------------------------------------------------------------
    def amount_to_units(self, amount: Decimal) -> int:
        """Amount (quote asset) → quote units; ``ValueError`` if finer than one unit."""
        raw = _whole(Decimal(amount), "amount") * (Decimal(10) ** self.quote_decimals)
        if raw != raw.to_integral_value():
            lower = self.units_to_amount(int(raw // 1))
            raise ValueError(
                f"amount {amount} has more than {self.quote_decimals} decimals; "
                f"nearest valid amounts: {lower} or {self.units_to_amount(int(raw // 1) + 1)}"
            )
        return int(raw)

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


def _addr(tag: int) -> str:
    return "0x" + f"{tag:x}".rjust(64, "0")


#: The simulated testnet markets (ids as on Kana testnet). Every default market has
#: ``notional_units(lots, ticks) == lots * ticks`` exactly.
DEFAULT_MARKETS: Final[tuple[MarketSpec, ...]] = (
    # APT: lot 0.001 APT, tick $0.001, min 0.5 APT.
    MarketSpec(
        market_id=1338,
        base_name="APT/USDC",
        base_decimals=8,
        quote_decimals=6,
        quote_precision=3,
        lot_size=100_000,
        tick_size=1,
        min_lots=500,
        max_lots=150_000_000,
        max_leverage=20,
        maintenance_margin=250,
        max_position_value=125_000_000,
        market_address=_addr(0xA1338),
        initial_price=Decimal("5.750"),
        custodian_id=75,
    ),
    # BTC: lot 0.00001 BTC, tick $0.1, min 0.0001 BTC, max 100 BTC.
    MarketSpec(
        market_id=1339,
        base_name="BTC/USDC",
        base_decimals=8,
        quote_decimals=6,
        quote_precision=1,
        lot_size=1_000,
        tick_size=1,
        min_lots=10,
        max_lots=10_000_000,
        max_leverage=50,
        maintenance_margin=100,
        max_position_value=125_000_000_000,
        market_address=_addr(0xA1339),
        initial_price=Decimal("100000.0"),
        custodian_id=76,
    ),
    # ETH: lot 0.0001 ETH, tick $0.01, min 0.003 ETH, max 1000 ETH.
    MarketSpec(
        market_id=1340,
        base_name="ETH/USDC",
        base_decimals=8,
        quote_decimals=6,
        quote_precision=2,
        lot_size=10_000,
        tick_size=1,
        min_lots=30,
        max_lots=10_000_000,
        max_leverage=50,
        maintenance_margin=100,
        max_position_value=125_000_000_000,
        market_address=_addr(0xA1340),
        initial_price=Decimal("3500.00"),
        custodian_id=77,
    ),
    # SOL: lot 0.001 SOL, tick $0.001, min 0.1 SOL, max 100k SOL.
    MarketSpec(
        market_id=2387,
        base_name="SOL-USD",
        base_decimals=8,
        quote_decimals=6,
        quote_precision=3,
        lot_size=100_000,
        tick_size=1,
        min_lots=100,
        max_lots=100_000_000,
        max_leverage=20,
        maintenance_margin=250,
        max_position_value=125_000_000_000,
        market_address=_addr(0xA2387),
        initial_price=Decimal("150.000"),
        custodian_id=78,
    ),
)


def market_by_id(market_id: int, markets: tuple[MarketSpec, ...] = DEFAULT_MARKETS) -> MarketSpec:
    """The market with ``market_id``; ``KeyError`` when there is none."""
    for spec in markets:
        if spec.market_id == market_id:
            return spec
    raise KeyError(market_id)
