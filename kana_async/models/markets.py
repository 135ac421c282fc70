"""Market parameters and best prices."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Final

from msgspec import Meta, field

from kana_async.models._base import Model

__all__ = ["MarketInfo", "MarketPrice"]

_MAX_I64: Final = 2**63 - 1  # the widest bound msgspec checks
# Decoded bounds: a power of ten beyond 10**36 is no real market's and would overflow the
# decimal arithmetic of the properties; the integer parameters are non-negative (msgspec checks
# bounds up to the int64 range).
Places = Annotated[int, Meta(ge=0, le=36)]
U64 = Annotated[int, Meta(ge=0, le=_MAX_I64)]


class MarketInfo(Model, frozen=True):
    """One market's parameters (``GET /getMarketInfo``, ``GET /getPerpetualAssetsInfo``...).

    The integer parameters are on-chain units. An on-chain price is ``price ×
    10**quote_precision``, an on-chain size is counted in lots of ``lot_size`` base units (one
    base unit is ``10**-base_decimals`` of the asset), and collateral amounts are ``amount ×
    10**quote_decimals``. The properties :attr:`tick`, :attr:`lot`, :attr:`min_size` and
    :attr:`max_size` give human units. Older deployments name ``creator`` ``creator_address``;
    both are accepted (:attr:`creator_any`).

    Attributes:
        market_id: the market's id, e.g. ``1338`` (testnet APT-USD) or ``14`` (mainnet).
        base_name: the base asset's name as the server spells it (``"APT/USDC"``,
            ``"APT-USD"``); :attr:`symbol` normalises it.
        base_decimals: decimals of the base asset (8 for APT).
        quote_decimals: decimals of the collateral stablecoin (6).
        quote_precision: decimals of an on-chain price (3 for APT: ``5.5`` USD is ``5500``).
        lot_size: base units per lot (``100000`` with 8 decimals is ``0.001`` APT).
        tick_size: the price step, in on-chain price units (``1`` is ``0.001`` USD at
            ``quote_precision`` 3).
        min_lots: the smallest order, in lots.
        max_leverage: the highest leverage the market allows, e.g. ``20``.
        maintenance_margin: the maintenance margin as the exchange sends it (the simulator
            uses basis points: ``250`` is 2.5 %).
        max_lots: the largest order, in lots (``None`` when not sent).
        counter: the exchange's internal counter for the market.
        max_position_value: the largest position value the market allows, as the exchange
            sends it (``None`` when not sent).
        market_address: the market's on-chain object address.
        creator: the creator / admin address (newer deployments).
        creator_address: the same, under its older name.
        fee_address: the address fees are paid to.
        custodian_id: the market's custodian id in the order-book layer.
        is_recognised: whether the exchange flags the market as recognised.
        market_status: ``1`` for an active market; other values are not documented.
        quote_type: the collateral's coin type (only the oldest deployments send it).
        variant: the Move enum variant of the record, e.g. ``"V1"`` (sent as ``__variant__``).
    """

    market_id: int
    base_name: str
    base_decimals: Places
    quote_decimals: Places
    quote_precision: Places
    lot_size: U64
    tick_size: U64
    min_lots: U64
    max_leverage: U64
    maintenance_margin: U64
    max_lots: U64 | None = None
    counter: int = 0
    max_position_value: U64 | None = None
    market_address: str | None = None
    creator: str | None = None
    creator_address: str | None = None
    fee_address: str | None = None
    custodian_id: int | None = None
    is_recognised: bool | None = None
    market_status: int | None = None
    quote_type: str | None = None
    variant: str | None = field(default=None, name="__variant__")

    @property
    def symbol(self) -> str:
        """``APT-USD`` style symbol (``APT/USDC`` and ``APT-USD`` both become ``APT-USD``)."""
        base = self.base_name.replace("/", "-").split("-", 1)[0].upper()
        return f"{base}-USD"

    @property
    def tick(self) -> Decimal:
        """The smallest price step in quote currency, e.g. ``Decimal("0.001")``."""
        return Decimal(self.tick_size) / Decimal(10) ** self.quote_precision

    @property
    def lot(self) -> Decimal:
        """The size of one lot (the smallest size step) in base asset, e.g. ``0.001`` APT."""
        return Decimal(self.lot_size) / Decimal(10) ** self.base_decimals

    @property
    def min_size(self) -> Decimal:
        """The smallest order size in base asset (``lot × min_lots``)."""
        return self.lot * self.min_lots

    @property
    def max_size(self) -> Decimal | None:
        """The largest order size in base asset, ``None`` when ``max_lots`` was not sent."""
        return None if self.max_lots is None else self.lot * self.max_lots

    @property
    def creator_any(self) -> str | None:
        """The creator address under either of its names."""
        return self.creator or self.creator_address


class MarketPrice(Model, frozen=True):
    """A market's best bid and ask (``GET /getMarketPrice``).

    Attributes:
        best_ask_price: the lowest ask in quote currency (``Decimal``; ``bestAskPrice`` on the
            wire), ``None`` when no ask rests.
        best_bid_price: the highest bid in quote currency (``Decimal``; ``bestBidPrice`` on the
            wire), ``None`` when no bid rests.
    """

    best_ask_price: Decimal | None = field(default=None, name="bestAskPrice")
    best_bid_price: Decimal | None = field(default=None, name="bestBidPrice")

    @property
    def mid(self) -> Decimal | None:
        """The midpoint of the best bid and ask in quote currency; ``None`` if a side is empty."""
        if self.best_ask_price is None or self.best_bid_price is None:
            return None
        return (self.best_ask_price + self.best_bid_price) / 2
