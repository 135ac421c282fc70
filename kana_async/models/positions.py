"""Positions: one side of a market position."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from kana_async.models._base import HotModel
from kana_async.models.enums import Side

__all__ = ["Position"]


class Position(HotModel, frozen=True):
    """One side of a market position (hedge mode: a long and a short may coexist).

    Rows of ``GET /getPositions``, ``GET /getPositionsFromContract`` and of the websocket topic
    ``positions``. The side arrives as ``trade_side`` (current) or ``is_long`` (older
    deployments); :attr:`side` reads whichever was sent.

    Attributes:
        market_id: the market, e.g. ``1338``.
        size: the position's size in base asset (``Decimal``).
        address: the owner's profile address.
        trade_side: ``True`` long, ``False`` short (current name of the side).
        is_long: the same, under its older name.
        leverage: the position's leverage, e.g. ``20`` (``0`` when not sent).
        available_order_size: the size not yet reserved by closing orders, in base asset.
        value: the position's notional value in the collateral stablecoin.
        entry_price: the average entry price in quote currency.
        liq_price: the liquidation price in quote currency (may have many decimals).
        margin: the margin held for the position, in the collateral stablecoin.
        tp: the take-profit price in quote currency; ``None`` or ``0`` when unset.
        sl: the stop-loss price in quote currency; ``None`` or ``0`` when unset.
        trade_id: the exchange's trade id of the position.
        last_updated: when the position last changed, Unix time in seconds.
        transaction_version: the Aptos ledger version of that change.
    """

    market_id: int
    size: Decimal
    address: str | None = None
    trade_side: bool | None = None
    is_long: bool | None = None
    leverage: int = 0
    available_order_size: Decimal | None = None
    value: Decimal | None = None
    entry_price: Decimal | None = None
    liq_price: Decimal | None = None
    margin: Decimal | None = None
    tp: Decimal | None = None
    sl: Decimal | None = None
    trade_id: str | None = None
    last_updated: int | None = None
    transaction_version: int | None = None

    #: Properties that raise only when every one of these fields is ``None`` (a row that
    #: carries one of them can compute the property); a stream refuses rows carrying none.
    _property_needs_one_of: ClassVar[dict[str, tuple[str, ...]]] = {
        "side": ("trade_side", "is_long")
    }

    @property
    def side(self) -> Side:
        """``Side.LONG`` or ``Side.SHORT``, from ``trade_side`` or else ``is_long``.

        Raises ``ValueError`` when the row carries neither field.
        """
        long = self.trade_side if self.trade_side is not None else self.is_long
        if long is None:
            raise ValueError("position row carries neither trade_side nor is_long")
        return Side.from_wire(long)
