"""Trades and fills: a user's fills and a market's public trades."""

from __future__ import annotations

from decimal import Decimal

from kana_async.models._base import HotModel

__all__ = ["Trade"]


class Trade(HotModel, frozen=True):
    """One fill: a user's trade-history row, or one of a market's public trades.

    Rows of ``GET /getTradeHistory``, ``GET /getFills``, ``GET /getFillsForGivenTimestamp``,
    ``GET /getAllTrades`` and of the websocket topics ``trade_history``, ``live_trade_history``
    and ``recent_trades``. Public trades carry no user's leverage, PnL or fee (the simulator
    sends ``0``).

    Attributes:
        market_id: the market, e.g. ``1338``.
        size: the size filled, in base asset (``Decimal``).
        price: the fill price in quote currency (``Decimal``).
        trade_id: the exchange's trade id as a decimal string.
        address: the profile address of the user (of the taker, for a public trade).
        leverage: the order's leverage (``0`` when not sent).
        order_type: Kana's raw integer order-type code (undocumented; kept as sent).
        order_value: ``size × price`` in quote currency, as the server sends it.
        pnl: the PnL the fill realised, in the collateral stablecoin.
        fee: the fee of the fill, in the collateral stablecoin.
        entry_price: the position's entry price in quote currency, when sent.
        order_id: the u128 id of the order that filled, as a decimal string, when sent.
        timestamp: when the fill happened, Unix time in seconds.
        last_updated: when the indexer last updated the row, Unix time in seconds.
        transaction_version: the Aptos ledger version of the fill.
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
