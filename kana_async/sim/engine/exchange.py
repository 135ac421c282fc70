"""The :class:`Exchange` facade: the simulator's whole trading state behind one object.

Every state-changing method is one atomic transaction: it either completes or raises
:class:`~kana_async.sim.contract.MoveAbort` and leaves nothing changed (an undo journal rolls back
partial work, so batches are all-or-nothing). Events are emitted to subscribers only after a
transaction commits. All values are on-chain integers: lots, ticks, quote units, u128 ids.

The facade is assembled from one class per concern: :class:`~.core.ExchangeCore` (state,
transactions, events), :class:`~.views.ExchangeViews` (reads), :class:`~.funds.FundsOps`,
:class:`~.order_ops.OrderOps` and :class:`~.position_ops.PositionOps`; housekeeping (index
price, funding, liquidations, triggers, history trimming) is here.
"""

from __future__ import annotations

import logging

from ..contract import MoveAbort
from ..markets import LIQUIDATOR_ADDRESS
from . import funding, liquidation, risk
from .core import Listener
from .funds import FundsOps
from .order_ops import OrderOps
from .position_ops import PositionOps
from .records import FundingRateRecord

__all__ = ["Exchange", "Listener"]

_log = logging.getLogger("kana_async.sim")


class Exchange(FundsOps, OrderOps, PositionOps):
    """A deterministic in-memory Kana perps exchange.

    ``clock`` returns unix seconds (records' timestamps); ``seed`` is kept for components that
    need randomness (the engine itself is fully deterministic). Wallet arguments may be any
    address spelling; they are normalised to ``0x`` + 64 lowercase hex.
    """

    # -- housekeeping ---------------------------------------------------------------------------
    def set_index_price(self, market_id: int, ticks: int) -> None:
        """Set the index (oracle) price in ticks: the mark is this plus a bounded book premium,
        and funding compares the mark with it. The house market maker drives it; tests and
        bots may set it (an oracle update). Liquidations and triggers run on the next tick."""
        self._s.market(market_id)
        if ticks <= 0:
            raise ValueError("index price must be positive")
        self._s.index_price[market_id] = ticks

    def apply_funding(self, now: int) -> list[FundingRateRecord]:
        """Apply one funding interval to every market now; returns the applied rates."""
        with self._tx(None) as s:
            s.now = now
            return [
                funding.apply_funding(s, spec, self.next_funding_time(now))
                for spec in s.markets.values()
            ]

    def tick(self, now: int) -> None:
        """Housekeeping: funding when a boundary passed, liquidations, the liquidator unwinding
        what it took over, TP / SL triggers (all at the mark price).

        Each liquidation / trigger is its own transaction (own ledger version); a trigger that
        cannot fill (empty book) stays armed for the next tick, a liquidation that cannot settle
        (see :mod:`.liquidation`) is retried on the next tick.
        """
        s = self._s
        due = s.next_funding.get("all")
        if due is None:
            s.next_funding["all"] = self.next_funding_time(now)
        elif now >= due:
            self.apply_funding(now)
            s.next_funding["all"] = self.next_funding_time(now)
        for pos in risk.due_liquidations(s):
            key = (pos.wallet, pos.market_id, pos.trade_side)
            if s.positions.get(key) is not pos or not risk.is_due(s, pos):
                continue  # closed or reduced by an earlier liquidation's deleveraging
            try:
                with self._tx(None) as tx:
                    liquidation.liquidate(tx, pos)
            except MoveAbort as exc:
                _log.warning("liquidation of %s deferred: %s", key, exc)
        for pos in [p for p in s.positions.values() if p.wallet == LIQUIDATOR_ADDRESS]:
            lots = liquidation.unwind_lots(s, pos)
            if lots:
                try:
                    with self._tx(None) as tx:
                        liquidation.unwind(tx, pos, lots)
                except MoveAbort as exc:
                    _log.debug("liquidator unwind of %s not executed: %s", pos.market_id, exc)
        for pos, order_type in risk.due_triggers(s):
            key = (pos.wallet, pos.market_id, pos.trade_side)
            if s.positions.get(key) is not pos:
                continue
            try:
                with self._tx(None) as tx:
                    risk.close_at_market(tx, pos, order_type)
            except MoveAbort as exc:
                _log.debug("trigger of %s not executed: %s", key, exc)
        self._trim()

    def _trim(self) -> None:
        """Forget the oldest history beyond ``history_limit`` rows per list (outside any tx)."""
        s, limit = self._s, self.history_limit
        for ids in s.order_ids.values():
            if len(ids) > limit:
                for order_id in ids[:-limit]:
                    if order_id not in s.open:
                        s.orders.pop(order_id, None)
                del ids[:-limit]
        for table in (s.fills, s.market_trades, s.transfers, s.funding_payments):
            for rows in table.values():
                if len(rows) > limit:
                    del rows[:-limit]
        if len(s.funding_applied) > limit:
            del s.funding_applied[:-limit]
