"""The simulator's matching engine: pure, deterministic, no I/O.

:class:`Exchange` is the facade the REST app, the websocket hub, the fake node's dispatcher and
the house market maker use. Everything is in on-chain integer units (lots, ticks, quote units,
u128 order ids). Decisions the Kana docs leave open:

* **Order ids** follow the layout seen on mainnet: ``counter << 64 | market_id << 32 |
  price_ticks`` (the counter counts the market's orders, so ids are > 2**64 and increase per
  market; price 0 for market orders; the middle 32 bits, unexplained on mainnet, carry the market
  id so ids are unique across markets). Trade ids are ``(market_id << 72) | n``.
  An order's size never changes: there is no modify, only cancel and re-place.
* **Matching**: price-time priority at the maker's price.
* **Self-trade prevention** (cancel resting): a taker never fills against its own wallet's
  resting orders. Each own order it meets within its limit is cancelled (reservation released,
  status ``Cancelled``) and matching continues behind it; own orders never count as liquidity
  for the 1007 / FILL_OR_ABORT (1104) / POST_OR_ABORT (1105) checks, so a post-only order that
  only crosses its own orders cancels them and rests. Applies to every taker, including
  ``collapse_position``, TP / SL closes and the house market maker.
* **Economics** (every rule written once, in :mod:`.rules`): taker fee 0.05 %, maker 0 %
  (:class:`FeeSchedule`, with per-wallet taker tiers); initial margin ``ceil(notional /
  leverage)`` at the *fill* price (an opening order reserves it at its limit price plus the
  worst-case fee; what a fill does not need is released); maintenance margin
  ``notional × maintenance_margin / 10000`` (2.5 % for every default market; a market's
  ``max_leverage`` must stay below ``1 / maintenance``).
* **Market orders** are immediate-or-cancel: they fill what the book has and cancel the rest
  (status ``Cancelled`` with ``filled_size > 0``); 1007 only when nothing can fill.
* **Fees** are credited to the market's ``fee_address`` trading balance.
* **PnL**: closing returns released margin + PnL − fee; a loss is taken immediately, and a loss
  beyond the released margin is paid by the insurance fund (1109 when the fund cannot); profit
  above the released margin is *unsettled* until ``settle_pnl`` (``net_profile_balance``
  includes it; withdrawals don't). Realised PnL is paid out of what open positions hold, so the
  system is closed: see :func:`check_conservation`.
* **Mark price**: the index (oracle) price set by :meth:`Exchange.set_index_price` plus the
  book's premium (best bid above / best ask below the index), clamped to ``mark_premium_cap``
  (0.5 %) of the index; no trade moves it further. Liquidations, TP / SL and unrealised PnL use
  it.
* **Liquidation** (on :meth:`Exchange.tick`, see :mod:`.liquidation`): below maintenance at the
  mark, the position is taken over by the house liquidator at the mark (a trade both sides see);
  what is left of its collateral goes 20 % to the insurance fund, 30 % to the liquidator, 50 % to
  the trader; a deficit is paid by the fund, and when the fund cannot pay it the position is
  auto-deleveraged against the most profitable opposite positions at its bankruptcy price.
* **TP / SL** (on :meth:`Exchange.tick`): when the mark crosses the position's take-profit /
  stop-loss, the position is closed with a market order.
* **Funding** (on :meth:`Exchange.tick` at each ``funding_interval`` boundary): ``rate =
  clamp((mark − index) / index, ±max_funding_rate)``; payers pay ``notional × rate`` (at most
  their margin) and receivers share exactly that in proportion to their notional (zero-sum to
  the unit), out of / into position margin.
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
