"""The exchange's core: engine state, atomic transactions and event delivery.

Every state-changing method runs inside :meth:`ExchangeCore._tx`: it either completes or raises
:class:`~kana_async.sim.contract.MoveAbort` and leaves nothing changed (an undo journal rolls back
partial work, so batches are all-or-nothing). Events are emitted to subscribers only after a
transaction commits.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import TypeVar

from ..markets import (
    DEFAULT_MARKETS,
    INSURANCE_FUND_ADDRESS,
    LIQUIDATOR_ADDRESS,
    MarketSpec,
)
from .records import Event
from .rules import FeeSchedule
from .state import EngineState, profile_address
from .views import ExchangeViews

__all__ = ["DEFAULT_INSURANCE_FUND", "DEFAULT_LIQUIDATOR_CAPITAL", "ExchangeCore", "Listener"]

#: The insurance fund's starting capital: 1,000,000 USDT (quote units).
DEFAULT_INSURANCE_FUND = 1_000_000 * 10**6
#: The house liquidator's starting capital: 100,000,000 USDT (quote units).
DEFAULT_LIQUIDATOR_CAPITAL = 100_000_000 * 10**6

T = TypeVar("T")
_log = logging.getLogger("kana_async.sim")

#: A subscriber to committed engine events.
Listener = Callable[[Event], None]


class ExchangeCore(ExchangeViews):
    """State, transactions and events of the exchange (the base of :class:`~.exchange.Exchange`).

    ``clock`` returns unix seconds (records' timestamps); ``seed`` is kept for components that
    need randomness (the engine itself is fully deterministic). Wallet arguments may be any
    address spelling; they are normalised to ``0x`` + 64 lowercase hex.

    ``fees`` defaults to Kana's (taker 0.05 %, maker 0 %). ``insurance_fund`` and
    ``liquidator_capital`` (quote units) are created in the trading accounts of
    :data:`~kana_async.sim.markets.INSURANCE_FUND_ADDRESS` and :data:`~kana_async.sim.markets.
    LIQUIDATOR_ADDRESS` at start (they count as minted); ``insurance_fund_cap`` stops the fund's
    liquidation share at that balance (None: no cap). ``mark_premium_cap`` bounds |mark − index|
    as a fraction of the index; ``max_funding_rate`` bounds the funding rate per interval of
    ``funding_interval`` seconds.
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
        insurance_fund: int = DEFAULT_INSURANCE_FUND,
        insurance_fund_cap: int | None = None,
        liquidator_capital: int = DEFAULT_LIQUIDATOR_CAPITAL,
        mark_premium_cap: Decimal = Decimal("0.005"),
    ) -> None:
        if insurance_fund < 0 or liquidator_capital < 0:
            raise ValueError("house capital cannot be negative")
        self._clock = clock or (lambda: int(time.time()))
        self.seed = seed
        self.history_limit = history_limit
        self._s = EngineState(
            list(markets),
            fees or FeeSchedule(),
            funding_interval,
            max_funding_rate,
            mark_premium_cap,
            insurance_fund_cap,
        )
        self._s.accounts.capitalise(INSURANCE_FUND_ADDRESS, insurance_fund)
        self._s.accounts.capitalise(LIQUIDATOR_ADDRESS, liquidator_capital)
        self._s.journal.clear()
        self._listeners: list[Listener] = []
        self._in_tx = False
        self._dry_run = False

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

    @staticmethod
    def profile_address(wallet: str) -> str:
        """The wallet's profile address (sha3-256 of b"kana-profile" + address bytes)."""
        return profile_address(wallet)
