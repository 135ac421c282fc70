"""Market metadata and prices (spec §3 #1, #14b, #24)."""

from __future__ import annotations

from decimal import Decimal

from msgspec import field

from kana_async.models._base import Model

__all__ = ["MarketInfo", "MarketPrice"]


class MarketInfo(Model, frozen=True):
    """One market's static parameters (``getMarketInfo`` / ``getPerpetualAssetsInfo``).

    Integer parameters are on-chain units: ``lot_size`` in base units per lot, ``tick_size`` in
    price ticks (one tick is ``10**-quote_precision``), ``min_lots`` / ``max_lots`` in lots. The
    properties :attr:`tick`, :attr:`lot`, :attr:`min_size` and :attr:`max_size` give human units.
    Older deployments name ``creator`` ``creator_address``; both are accepted.
    """

    market_id: int
    base_name: str
    base_decimals: int
    quote_decimals: int
    quote_precision: int
    lot_size: int
    tick_size: int
    min_lots: int
    max_leverage: int
    maintenance_margin: int
    max_lots: int | None = None
    counter: int = 0
    max_position_value: int | None = None
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
        """Smallest price increment in quote currency, e.g. ``0.001``."""
        return Decimal(self.tick_size) / Decimal(10) ** self.quote_precision

    @property
    def lot(self) -> Decimal:
        """Smallest size increment in base asset, e.g. ``0.001`` APT."""
        return Decimal(self.lot_size) / Decimal(10) ** self.base_decimals

    @property
    def min_size(self) -> Decimal:
        """Smallest order size in base asset."""
        return self.lot * self.min_lots

    @property
    def max_size(self) -> Decimal | None:
        """Largest order size in base asset (``None`` where the market info omits ``max_lots``)."""
        return None if self.max_lots is None else self.lot * self.max_lots

    @property
    def creator_any(self) -> str | None:
        """The creator address under either of its names."""
        return self.creator or self.creator_address


class MarketPrice(Model, frozen=True):
    """Best bid and ask (``getMarketPrice``); ``None`` when that side of the book is empty."""

    best_ask_price: Decimal | None = field(default=None, name="bestAskPrice")
    best_bid_price: Decimal | None = field(default=None, name="bestBidPrice")

    @property
    def mid(self) -> Decimal | None:
        """Midpoint of the best prices, or ``None`` if either side is empty."""
        if self.best_ask_price is None or self.best_bid_price is None:
            return None
        return (self.best_ask_price + self.best_bid_price) / 2
