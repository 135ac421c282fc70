"""The simulator's matching engine: pure, deterministic, no I/O.

:class:`Exchange` is the facade the REST app, the websocket hub, the fake node's dispatcher and
the house market maker use. Everything is in on-chain integer units (lots, ticks, quote units,
u128 order ids). Decisions the Kana docs leave open:

* **Order ids** are ``(market_id << 80) | sequence`` (u128, > 2**64, increasing per market);
  trade ids are ``(market_id << 72) | sequence`` (never equal to an order id).
* **Matching**: price-time priority at the maker's price.
* **Self-trade prevention** (cancel resting): a taker never fills against its own wallet's
  resting orders. Each own order it meets within its limit is cancelled (reservation released,
  status ``Cancelled``) and matching continues behind it; own orders never count as liquidity
  for the 1007 / FILL_OR_ABORT (1104) / POST_OR_ABORT (1105) checks, so a post-only order that
  only crosses its own orders cancels them and rests. Applies to every taker, including
  ``collapse_position``, TP / SL closes and the house market maker.
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
  ``rate = clamp(premium / index, ±max_funding_rate)`` where ``premium = max(0, best_bid −
  index) − max(0, index − best_ask)`` (0 while the index lies inside the spread; one side of
  the book when the other is empty; ``mark − index`` when the book is empty); longs pay shorts
  ``notional × rate`` (negative: the reverse) out of / into position margin.
* **Collapse** cancels the wallet's resting *closing* orders in the market and closes each side
  with a market order (atomic: 1007 and nothing changes if a side cannot fill at all); resting
  *opening* orders stay unless the closing market order meets them (self-trade prevention
  cancels those).
* **Atomicity**: every entry point validates first and an undo journal rolls back anything a
  failing batch already did; events are only emitted after a commit.
* Closing orders below ``min_lots`` are allowed (so any remainder can be closed).
* ``max_position_value`` is read in **quote units** (10^-6 USDT, the unit of a position's
  ``value``; for every default market this also equals lots × ticks), so APT's documented
  ``"125000000"`` caps a position at $125. An opening order aborts 1101 when the position's
  current value plus the order's notional (limit: at its price; market: at the prices it fills)
  would exceed it. Resting opening orders are not counted (several may fill and take a position
  past the cap); closing orders are never limited. 0 means no cap.
"""

from __future__ import annotations

from . import records
from .audit import Conservation, ConservationError, check_conservation
from .exchange import Exchange, Listener
from .records import *  # noqa: F403  (every record, event and order-type constant)
from .rules import FeeSchedule
from .state import normalize_address, profile_address

__all__ = [
    "Conservation",
    "ConservationError",
    "Exchange",
    "FeeSchedule",
    "Listener",
    "normalize_address",
    "check_conservation",
    "profile_address",
    *records.__all__,
]
