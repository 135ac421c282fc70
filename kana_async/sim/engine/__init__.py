"""The simulator's matching engine: pure, deterministic, no I/O.

:class:`Exchange` is the facade the REST app, the websocket hub, the fake node's dispatcher and
the house market maker use. Everything is in on-chain integer units (lots, ticks, quote units,
u128 order ids). Decisions the Kana docs leave open:

* **Order ids** are ``(market_id << 80) | sequence`` (u128, > 2**64, increasing per market);
  trade ids are ``(market_id << 72) | sequence`` (never equal to an order id).
* **Matching**: price-time priority at the maker's price. There is no self-trade prevention
  (hedge mode lets a wallet's order match its own resting order).
* **Margin**: an opening order reserves ``ceil(notional / leverage)`` plus the worst-case taker
  fee from the trading balance when placed (1109 if short); fills move it into the position.
* **Market orders** are immediate-or-cancel: they fill what the book has and cancel the rest
  (status ``Cancelled`` with ``filled_size > 0``); 1007 only when nothing can fill.
* **Fees**: taker 5 bps, maker 2 bps of the fill's notional (rounded down), credited to the
  market's ``fee_address`` trading balance.
* **PnL**: closing returns released margin + PnL − fee; a loss is taken immediately (never more
  than the collateral, the clearing pot absorbs the rest); profit above the released margin is
  *unsettled* until ``settle_pnl`` (``net_profile_balance`` includes it; withdrawals don't).
* **Liquidation** (on :meth:`Exchange.tick`): when margin + unrealised PnL at the mark (last
  trade, else mid, else index) is below ``notional × maintenance_margin / 10000`` the position is
  closed at the mark against the clearing pot; the trader keeps what is left.
* **TP / SL** (on :meth:`Exchange.tick`): when the last trade price crosses the position's
  take-profit / stop-loss, the position is closed with a market order.
* **Funding** (on :meth:`Exchange.tick` at each ``funding_interval`` boundary):
  ``rate = clamp((mark − index) / index, ±max_funding_rate)``; longs pay shorts ``notional ×
  rate`` (negative: the reverse) out of / into position margin.
* **Collapse** cancels the wallet's resting *closing* orders in the market and closes each side
  with a market order (atomic: 1007 and nothing changes if a side cannot fill at all); resting
  *opening* orders stay.
* **Atomicity**: every entry point validates first and an undo journal rolls back anything a
  failing batch already did; events are only emitted after a commit.
* Closing orders below ``min_lots`` are allowed (so any remainder can be closed).
* ``max_position_value`` is reported but not enforced (its unit is undocumented).
"""

from __future__ import annotations

from .exchange import Exchange, Listener
from .records import (
    ORDER_TYPE_LIMIT,
    ORDER_TYPE_LIQUIDATION,
    ORDER_TYPE_MARKET,
    ORDER_TYPE_STOP_LOSS,
    ORDER_TYPE_TAKE_PROFIT,
    BalanceEvent,
    BookEvent,
    Event,
    FillRecord,
    FundingEvent,
    FundingPaymentRecord,
    FundingRateRecord,
    OrderEvent,
    OrderRecord,
    OrderRequest,
    OrderStatus,
    PositionEvent,
    PositionRecord,
    PublicTrade,
    TradeEvent,
    TransferEvent,
    TransferRecord,
)
from .state import FeeSchedule, normalize_address, profile_address

__all__ = [
    "ORDER_TYPE_LIMIT",
    "ORDER_TYPE_LIQUIDATION",
    "ORDER_TYPE_MARKET",
    "ORDER_TYPE_STOP_LOSS",
    "ORDER_TYPE_TAKE_PROFIT",
    "BalanceEvent",
    "BookEvent",
    "Event",
    "Exchange",
    "FeeSchedule",
    "FillRecord",
    "FundingEvent",
    "FundingPaymentRecord",
    "FundingRateRecord",
    "Listener",
    "OrderEvent",
    "OrderRecord",
    "OrderRequest",
    "OrderStatus",
    "PositionEvent",
    "PositionRecord",
    "PublicTrade",
    "TradeEvent",
    "TransferEvent",
    "TransferRecord",
    "normalize_address",
    "profile_address",
]
