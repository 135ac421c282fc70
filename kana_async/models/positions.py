"""Positions (spec §3 #12, #32; WS ``positions`` §5.4.1)."""

from __future__ import annotations

from decimal import Decimal

from kana_async.models._base import HotModel
from kana_async.models.enums import Side

__all__ = ["Position"]


class Position(HotModel, frozen=True):
    """One side of a market position (hedge mode: a long and a short may coexist).

    The side arrives as ``trade_side`` (current) or ``is_long`` (legacy); :attr:`side` reads
    whichever was sent. ``tp`` / ``sl`` are ``None`` (or ``0``) when unset.
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

    @property
    def side(self) -> Side:
        """LONG or SHORT, from ``trade_side`` or the legacy ``is_long``."""
        long = self.trade_side if self.trade_side is not None else self.is_long
        if long is None:
            raise ValueError("position row carries neither trade_side nor is_long")
        return Side.from_wire(long)
