"""Position entry points: take-profit / stop-loss, add margin, collapse, settle PnL."""

from __future__ import annotations

from ..contract import MoveAbort
from . import risk
from .core import ExchangeCore
from .positions import LivePosition
from .records import OrderRecord, PositionRecord
from .state import EngineState, normalize_address

__all__ = ["PositionOps"]


class PositionOps(ExchangeCore):
    """Changing and closing positions on :class:`~.exchange.Exchange`."""

    def _position(self, s: EngineState, wallet: str, market_id: int, side: bool) -> LivePosition:
        s.market(market_id)
        pos = s.positions.get((wallet, market_id, side))
        if pos is None:
            raise MoveAbort(1106, f"no {'long' if side else 'short'} position in {market_id}")
        return pos

    def update_take_profit(
        self,
        wallet: str,
        market_id: int,
        trade_side: bool,
        ticks: int,
        *,
        version: int | None = None,
    ) -> PositionRecord:
        """Set (0: clear) the position's take-profit price in ticks."""
        return self._set_trigger(wallet, market_id, trade_side, ticks, "take_profit", version)

    def update_stop_loss(
        self,
        wallet: str,
        market_id: int,
        trade_side: bool,
        ticks: int,
        *,
        version: int | None = None,
    ) -> PositionRecord:
        """Set (0: clear) the position's stop-loss price in ticks."""
        return self._set_trigger(wallet, market_id, trade_side, ticks, "stop_loss", version)

    def _set_trigger(
        self,
        wallet: str,
        market_id: int,
        side: bool,
        ticks: int,
        field: str,
        version: int | None,
    ) -> PositionRecord:
        wallet = normalize_address(wallet)
        with self._tx(version) as s:
            pos = self._position(s, wallet, market_id, side)
            tick = s.markets[market_id].tick_size
            if ticks < 0 or ticks % tick:
                raise MoveAbort(1102, f"{ticks} ticks is not a multiple of the tick size {tick}")
            s.journal.obj(pos)
            setattr(pos, field, ticks)
            s.touch(pos)
            s.position_changed(pos)
            return s.position_record(pos)

    def add_margin(
        self,
        wallet: str,
        market_id: int,
        trade_side: bool,
        units: int,
        *,
        version: int | None = None,
    ) -> PositionRecord:
        """Move ``units`` from the trading balance into the position's margin (1106 / 1109)."""
        wallet = normalize_address(wallet)
        if units <= 0:
            raise MoveAbort(1101, "margin amount must be positive")
        with self._tx(version) as s:
            pos = self._position(s, wallet, market_id, trade_side)
            s.accounts.debit_trading(wallet, units, 1109, "add margin")
            s.journal.obj(pos)
            pos.margin += units
            s.touch(pos)
            s.balance_changed(wallet)
            s.position_changed(pos)
            return s.position_record(pos)

    def collapse_position(
        self, wallet: str, market_id: int, *, version: int | None = None
    ) -> list[OrderRecord]:
        """Close both sides of the wallet's position in a market at market (1106 if none, 1007)."""
        wallet = normalize_address(wallet)
        with self._tx(version) as s:
            s.market(market_id)
            positions = [
                p
                for side in (True, False)
                if (p := s.positions.get((wallet, market_id, side))) is not None
            ]
            if not positions:
                raise MoveAbort(1106, f"no position in market {market_id}")
            orders = [risk.close_at_market(s, pos) for pos in positions]
            return [s.order_record(o) for o in orders]

    def settle_pnl(self, wallet: str, market_id: int, *, version: int | None = None) -> int:
        """Move the market's unsettled profit into the trading balance; returns the amount."""
        wallet = normalize_address(wallet)
        with self._tx(version) as s:
            s.market(market_id)
            amount = s.accounts.settle(wallet, market_id)
            s.balance_changed(wallet)
            for side in (True, False):
                pos = s.positions.get((wallet, market_id, side))
                if pos is not None:
                    s.position_changed(pos)
            return amount
