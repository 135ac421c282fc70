"""Trades and fills (spec §3 #14, #22, #28, #31; WS ``trade_history``, ``recent_trades``)."""

from __future__ import annotations

from decimal import Decimal

from kana_async.models._base import HotModel

__all__ = ["Trade"]


class Trade(HotModel, frozen=True):
    """One fill: a user's trade-history row or a public recent trade.

    ``pnl`` is the realised PnL of the fill and ``fee`` its fee, both in quote currency.
    """

    market_id: int
    size: Decimal
    price: Decimal
    trade_id: str
    address: str | None = None
    leverage: int = 0
    order_type: int | None = None
    order_value: Decimal | None = None
    pnl: Decimal | None = None
    fee: Decimal | None = None
    entry_price: Decimal | None = None
    order_id: str | None = None
    timestamp: int | None = None
    last_updated: int | None = None
    transaction_version: int | None = None
