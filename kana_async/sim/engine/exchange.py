"""The :class:`Exchange` facade: the simulator's whole trading state behind one object.

Every state-changing method is one atomic transaction: it either completes or raises
:class:`~kana_async.sim.contract.MoveAbort` and leaves nothing changed (an undo journal rolls back
partial work, so batches are all-or-nothing). Events are emitted to subscribers only after a
transaction commits. All values are on-chain integers: lots, ticks, quote units, u128 ids.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import TypeVar

from ..contract import MoveAbort
from ..markets import DEFAULT_MARKETS, MarketSpec
from . import risk
from .matching import cancel_order, place_order
from .positions import LivePosition
from .records import (
    Event,
    FundingRateRecord,
    OrderRecord,
    OrderRequest,
    PositionRecord,
    TransferEvent,
    TransferRecord,
)
from .state import EngineState, FeeSchedule, normalize_address, profile_address
from .views import ExchangeViews

__all__ = ["Exchange"]

T = TypeVar("T")
_log = logging.getLogger("kana_async.sim")

Listener = Callable[[Event], None]


class Exchange(ExchangeViews):
    """A deterministic in-memory Kana perps exchange.

    ``clock`` returns unix seconds (records' timestamps); ``seed`` is kept for components that
    need randomness (the engine itself is fully deterministic). Wallet arguments may be any
    address spelling; they are normalised to ``0x`` + 64 lowercase hex.
    """

    def __init__(
        self,
        markets: Iterable[MarketSpec] = DEFAULT_MARKETS,
        *,
        clock: Callable[[], int] | None = None,
        seed: int = 0,
        fees: FeeSchedule | None = None,
        funding_interval: int = 3600,
        max_funding_rate: Decimal = Decimal("0.0005"),
        history_limit: int = 10_000,
    ) -> None:
        self._clock = clock or (lambda: int(time.time()))
        self.seed = seed
        self.history_limit = history_limit
        self._s = EngineState(
            list(markets), fees or FeeSchedule(), funding_interval, max_funding_rate
        )
        self._listeners: list[Listener] = []
        self._in_tx = False
        self._dry_run = False

    # -- infrastructure -------------------------------------------------------------------------
    @property
    def markets(self) -> dict[int, MarketSpec]:
        """The markets by id (do not mutate)."""
        return self._s.markets

    @property
    def fees(self) -> FeeSchedule:
        """The fee schedule."""
        return self._s.fees

    def market(self, market_id: int) -> MarketSpec:
        """The market ``market_id``; aborts 1003 when unknown."""
        return self._s.market(market_id)

    def allocate_version(self) -> int:
        """The next ledger version (monotonic). The fake node calls this once per transaction."""
        self._s.counters["version"] += 1
        return self._s.counters["version"]

    @property
    def current_version(self) -> int:
        """The last allocated ledger version."""
        return self._s.counters["version"]

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(event)`` after every committed change; returns the unsubscribe function.

        Listeners run synchronously inside the mutating call: keep them cheap. An exception in a
        listener is logged and swallowed.
        """
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def simulate(self, action: Callable[[], T]) -> T:
        """Run ``action`` (calls on this exchange) and undo every change it made.

        Aborts propagate exactly as they would for real; no event is emitted. Used by the fake
        node's ``/transactions/simulate``.
        """
        self._dry_run = True
        try:
            return action()
        finally:
            self._dry_run = False

    @contextmanager
    def _tx(self, version: int | None) -> Iterator[EngineState]:
        s = self._s
        if self._in_tx:  # pragma: no cover - internal misuse
            raise RuntimeError("nested engine transaction")
        self._in_tx = True
        s.now = self._clock()
        s.version = self.allocate_version() if version is None else version
        try:
            yield s
        except BaseException:
            s.journal.rollback()
            s.discard_events()
            raise
        else:
            if self._dry_run:  # a simulation: undo everything that succeeded, tell no one
                s.journal.rollback()
                s.discard_events()
                events = []
            else:
                s.journal.clear()
                events = s.drain_events()
        finally:
            self._in_tx = False
        for event in events:
            for listener in list(self._listeners):
                try:
                    listener(event)
                except Exception:
                    _log.exception("engine event listener failed")

    # -- accounts -------------------------------------------------------------------------------
    @staticmethod
    def profile_address(wallet: str) -> str:
        """The wallet's profile address (sha3-256 of b"kana-profile" + address bytes)."""
        return profile_address(wallet)

    def faucet(self, wallet: str, units: int, *, version: int | None = None) -> None:
        """Credit ``units`` of collateral to the wallet (test USDT)."""
        wallet = normalize_address(wallet)
        if units < 0:
            raise MoveAbort(1101, f"faucet amount {units} is negative")
        with self._tx(version) as s:
            s.accounts.mint(wallet, units)
            s.balance_changed(wallet)

    def deposit(
        self,
        wallet: str,
        units: int,
        *,
        beneficiary: str | None = None,
        version: int | None = None,
    ) -> TransferRecord:
        """Move ``units`` from the wallet into the trading account of ``beneficiary`` (default:
        the same wallet). Aborts 1010 when the wallet holds less, 1101 for a zero amount."""
        wallet = normalize_address(wallet)
        to = normalize_address(beneficiary) if beneficiary is not None else wallet
        if units <= 0:
            raise MoveAbort(1101, "deposit amount must be positive")
        with self._tx(version) as s:
            s.accounts.move_wallet_to_trading(wallet, to, units)
            record = self._transfer(s, to, units, True, None)
            s.balance_changed(wallet)
            s.balance_changed(to)
        return record

    def withdraw(
        self, wallet: str, market_id: int, units: int, *, version: int | None = None
    ) -> TransferRecord:
        """Move ``units`` from the trading account back to the wallet (withdraw_specific_market).

        Aborts 1003 for an unknown market, 1009 when the trading balance is short, 1101 for zero.
        """
        wallet = normalize_address(wallet)
        if units <= 0:
            raise MoveAbort(1101, "withdrawal amount must be positive")
        with self._tx(version) as s:
            s.market(market_id)
            s.accounts.move_trading_to_wallet(wallet, units)
            record = self._transfer(s, wallet, units, False, market_id)
            s.balance_changed(wallet)
        return record

    def _transfer(
        self, s: EngineState, wallet: str, units: int, is_deposit: bool, market_id: int | None
    ) -> TransferRecord:
        record = TransferRecord(
            address=s.profile(wallet),
            wallet=wallet,
            amount=units,
            is_deposit=is_deposit,
            market_id=market_id,
            timestamp=s.now,
            last_updated=s.now,
            transaction_version=s.version,
        )
        s.append(s.transfers, wallet, record)
        s.events.append(TransferEvent(record))
        return record

    # -- orders ---------------------------------------------------------------------------------
    def place_limit_order(
        self,
        wallet: str,
        market_id: int,
        trade_side: bool,
        direction: bool,
        size: int,
        price: int,
        leverage: int,
        restriction: int = 0,
        take_profit: int = 0,
        stop_loss: int = 0,
        *,
        version: int | None = None,
    ) -> OrderRecord:
        """Place a limit order (``size`` lots at ``price`` ticks); see :mod:`.matching`."""
        req = OrderRequest(
            True, trade_side, direction, size, price, leverage, restriction, take_profit, stop_loss
        )
        return self.place_orders(wallet, market_id, [req], version=version)[0]

    def place_market_order(
        self,
        wallet: str,
        market_id: int,
        trade_side: bool,
        direction: bool,
        size: int,
        leverage: int,
        take_profit: int = 0,
        stop_loss: int = 0,
        *,
        version: int | None = None,
    ) -> OrderRecord:
        """Place a market order: fills what the book offers, cancels the rest; 1007 if nothing."""
        req = OrderRequest(
            False, trade_side, direction, size, 0, leverage, 0, take_profit, stop_loss
        )
        return self.place_orders(wallet, market_id, [req], version=version)[0]

    def place_orders(
        self,
        wallet: str,
        market_id: int,
        orders: Sequence[OrderRequest],
        *,
        version: int | None = None,
    ) -> list[OrderRecord]:
        """Place several orders in order, atomically (``place_multiple_orders``)."""
        return self.cancel_and_place_orders(wallet, market_id, [], [], orders, version=version)[1]

    def cancel_orders(
        self,
        wallet: str,
        market_id: int,
        order_ids: Sequence[int],
        sides: Sequence[bool],
        *,
        version: int | None = None,
    ) -> list[OrderRecord]:
        """Cancel open orders (``sides[i]`` is order i's trade side), atomically.

        Aborts 1108 when the vectors differ in length, 1103 when an order is unknown, not the
        wallet's, in another market, not open or of the other side.
        """
        return self.cancel_and_place_orders(
            wallet, market_id, order_ids, sides, [], version=version
        )[0]

    def cancel_and_place_orders(
        self,
        wallet: str,
        market_id: int,
        order_ids: Sequence[int],
        sides: Sequence[bool],
        orders: Sequence[OrderRequest],
        *,
        version: int | None = None,
    ) -> tuple[list[OrderRecord], list[OrderRecord]]:
        """Cancel then place, all in one atomic transaction; returns (cancelled, placed)."""
        wallet = normalize_address(wallet)
        if len(order_ids) != len(sides):
            raise MoveAbort(1108, f"{len(order_ids)} order ids but {len(sides)} sides")
        with self._tx(version) as s:
            spec = s.market(market_id)
            cancelled = []
            for order_id, side in zip(order_ids, sides, strict=True):
                order = s.open.get(order_id)
                if (
                    order is None
                    or order.wallet != wallet
                    or order.market_id != market_id
                    or order.trade_side != side
                ):
                    raise MoveAbort(1103, f"no open order {order_id} (side {side}) to cancel")
                cancel_order(s, order)
                cancelled.append(order)
            placed = [place_order(s, wallet, spec, req) for req in orders]
            return (
                [s.order_record(o) for o in cancelled],
                [s.order_record(o) for o in placed],
            )

    # -- positions ------------------------------------------------------------------------------
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
            pos.last_updated = s.now
            pos.version = s.version
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
            pos.last_updated = s.now
            pos.version = s.version
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

    # -- housekeeping ---------------------------------------------------------------------------
    def set_index_price(self, market_id: int, ticks: int) -> None:
        """Set the index (oracle) price funding compares the mark with."""
        self._s.market(market_id)
        if ticks <= 0:
            raise ValueError("index price must be positive")
        self._s.index_price[market_id] = ticks

    def apply_funding(self, now: int) -> list[FundingRateRecord]:
        """Apply one funding interval to every market now; returns the applied rates."""
        with self._tx(None) as s:
            s.now = now
            return [
                risk.apply_funding(s, spec, self.next_funding_time(now))
                for spec in s.markets.values()
            ]

    def tick(self, now: int) -> None:
        """Housekeeping: funding when a boundary passed, liquidations, TP / SL triggers.

        Each liquidation / trigger is its own transaction (own ledger version); a trigger that
        cannot fill (empty book) stays armed for the next tick.
        """
        s = self._s
        due = s.next_funding.get("all")
        if due is None:
            s.next_funding["all"] = self.next_funding_time(now)
        elif now >= due:
            self.apply_funding(now)
            s.next_funding["all"] = self.next_funding_time(now)
        for pos in risk.due_liquidations(s):
            with self._tx(None) as tx:
                risk.liquidate(tx, pos)
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
