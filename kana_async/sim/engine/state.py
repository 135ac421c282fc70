"""The engine's whole mutable state, id allocation, event buffering and record building."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from typing import Protocol, TypedDict, TypeVar

from ..contract import MoveAbort
from ..markets import MarketSpec
from .accounts import Accounts
from .book import LiveOrder, OrderBook
from .journal import Journal
from .positions import LivePosition, entry_price, liquidation_price, unrealized_pnl
from .records import (
    BalanceEvent,
    BookEvent,
    Event,
    FillRecord,
    FundingPaymentRecord,
    FundingRateRecord,
    OrderEvent,
    OrderRecord,
    PositionEvent,
    PositionRecord,
    PublicTrade,
    TransferRecord,
)
from .rules import FeeSchedule, mark_price, order_id

__all__ = [
    "EngineState",
    "FeeSchedule",
    "LiveStamp",
    "Stamp",
    "normalize_address",
    "profile_address",
]

PosKey = tuple[str, int, bool]
_K = TypeVar("_K")
_T = TypeVar("_T")


def normalize_address(address: str) -> str:
    """``0x`` + 64 lowercase hex digits; ``ValueError`` for anything that is not an address."""
    if not isinstance(address, str):
        raise ValueError(f"address must be a string, got {type(address).__name__}")
    body = address.strip().lower().removeprefix("0x")
    if not body or len(body) > 64 or any(c not in "0123456789abcdef" for c in body):
        raise ValueError(f"not an Aptos address: {address!r}")
    return "0x" + body.rjust(64, "0")


def profile_address(wallet: str) -> str:
    """Deterministic profile address of a wallet: sha3-256(b"kana-profile" + address bytes)."""
    raw = bytes.fromhex(normalize_address(wallet)[2:])
    return "0x" + hashlib.sha3_256(b"kana-profile" + raw).hexdigest()


class Stamp(TypedDict):
    """The time / version fields every record carries (``**s.stamp()`` fills them)."""

    timestamp: int
    last_updated: int
    transaction_version: int


class LiveStamp(TypedDict):
    """The time / version fields of a live order or position (``**s.live_stamp()``)."""

    timestamp: int
    last_updated: int
    version: int


class _Touchable(Protocol):
    last_updated: int
    version: int


class EngineState:
    """Everything the engine knows. Mutations go through :attr:`journal` so they can roll back."""

    def __init__(
        self,
        markets: Iterable[MarketSpec],
        fees: FeeSchedule,
        funding_interval: int,
        max_funding_rate: Decimal,
        mark_premium_cap: Decimal = Decimal("0.005"),
        insurance_fund_cap: int | None = None,
    ) -> None:
        self.markets: dict[int, MarketSpec] = {m.market_id: m for m in markets}
        self.fees = fees
        self.funding_interval = funding_interval
        self.max_funding_rate = max_funding_rate
        #: Largest |mark − index| as a fraction of the index.
        self.mark_premium_cap = Fraction(mark_premium_cap)
        #: The fund stops taking its liquidation share at this balance (None: never).
        self.insurance_fund_cap = insurance_fund_cap
        self.journal = Journal()
        self.accounts = Accounts(self.journal)
        self.books: dict[int, OrderBook] = {m: OrderBook(m) for m in self.markets}
        #: Every order still remembered, by id; ``open`` holds the live ones (newest last).
        self.orders: dict[int, LiveOrder] = {}
        self.open: dict[int, LiveOrder] = {}
        #: (wallet, market, side) → (leverage, count) of resting opening orders.
        self.open_leverage: dict[PosKey, tuple[int, int]] = {}
        self.order_ids: dict[str, list[int]] = {}
        self.positions: dict[PosKey, LivePosition] = {}
        self.fills: dict[str, list[FillRecord]] = {}
        self.market_trades: dict[int, list[PublicTrade]] = {m: [] for m in self.markets}
        self.transfers: dict[str, list[TransferRecord]] = {}
        self.funding_payments: dict[str, list[FundingPaymentRecord]] = {}
        self.funding_applied: list[FundingRateRecord] = []
        self.last_price: dict[int, int] = {}
        self.index_price: dict[int, int] = {m.market_id: m.initial_ticks for m in markets}
        self.counters: dict[str, int] = {"order": 0, "trade": 0, "version": 0}
        #: Orders placed per market (the high 64 bits of the market's order ids).
        self.order_counters: dict[int, int] = {m: 0 for m in self.markets}
        self.next_funding: dict[str, int] = {}
        self.now = 0
        self.version = 0
        self.events: list[Event] = []
        self.dirty_books: set[int] = set()
        self.dirty_wallets: set[str] = set()
        self._profiles: dict[str, str] = {}

    # -- lookups --------------------------------------------------------------------------------
    def market(self, market_id: int) -> MarketSpec:
        """The market, or abort 1003 (1002 when it is not active)."""
        spec = self.markets.get(market_id)
        if spec is None:
            raise MoveAbort(1003, f"market {market_id} does not exist")
        if spec.market_status != 1:
            raise MoveAbort(1002, f"market {market_id} is paused")
        return spec

    def profile(self, wallet: str) -> str:
        """Cached :func:`profile_address`."""
        found = self._profiles.get(wallet)
        if found is None:
            found = self._profiles[wallet] = profile_address(wallet)
        return found

    def mark(self, market_id: int) -> int:
        """Mark price in ticks: the index plus the book's premium, clamped (see
        :func:`~.rules.mark_price`); trades never move it beyond the cap."""
        book = self.books[market_id]
        return mark_price(
            self.index_price[market_id], book.best_bid(), book.best_ask(), self.mark_premium_cap
        )

    # -- time stamps ----------------------------------------------------------------------------
    def stamp(self) -> Stamp:
        """``timestamp`` / ``last_updated`` = now and this transaction's version, for a record."""
        return {
            "timestamp": self.now,
            "last_updated": self.now,
            "transaction_version": self.version,
        }

    def live_stamp(self) -> LiveStamp:
        """``timestamp`` / ``last_updated`` = now and this transaction's version, for a live
        order or position."""
        return {"timestamp": self.now, "last_updated": self.now, "version": self.version}

    def touch(self, live: _Touchable) -> None:
        """Mark a live order / position as changed now, in this transaction (not journaled)."""
        live.last_updated = self.now
        live.version = self.version

    # -- ids ------------------------------------------------------------------------------------
    def next_order_id(self, market_id: int, price_ticks: int) -> int:
        """A new order id in the on-chain layout (see :func:`~.rules.order_id`; price 0 for a
        market order)."""
        self.journal.key(self.order_counters, market_id)
        self.order_counters[market_id] += 1
        return order_id(self.order_counters[market_id], market_id, price_ticks)

    def next_seq(self) -> int:
        """The next placement sequence number (orders of every market, in placement order)."""
        self.journal.key(self.counters, "order")
        self.counters["order"] += 1
        return self.counters["order"]

    def next_trade_id(self, market_id: int) -> int:
        """A new trade id ``(market_id << 72) | n`` (u128, > 2**64)."""
        self.journal.key(self.counters, "trade")
        self.counters["trade"] += 1
        return (market_id << 72) | self.counters["trade"]

    # -- history appends --------------------------------------------------------------------------
    def append(self, table: dict[_K, list[_T]], key: _K, item: _T) -> None:
        """Append ``item`` to the history list ``table[key]`` (journaled)."""
        lst = table.get(key)
        if lst is None:
            self.journal.key(table, key)
            lst = table[key] = []
        self.journal.tail(lst)
        lst.append(item)

    # -- events ---------------------------------------------------------------------------------
    def order_changed(self, order: LiveOrder) -> None:
        """Queue an :class:`OrderEvent` with the order's current state."""
        self.events.append(OrderEvent(self.order_record(order)))

    def position_changed(self, pos: LivePosition) -> None:
        """Queue a :class:`PositionEvent` with the position's current state."""
        self.events.append(PositionEvent(self.position_record(pos)))

    def book_changed(self, market_id: int) -> None:
        """Mark a book dirty (one :class:`BookEvent` per market per transaction)."""
        self.dirty_books.add(market_id)

    def balance_changed(self, wallet: str) -> None:
        """Mark a wallet's balances dirty (one :class:`BalanceEvent` per transaction)."""
        self.dirty_wallets.add(wallet)

    def drain_events(self) -> list[Event]:
        """The queued events plus book / balance events, and reset the queues."""
        out = self.events
        out.extend(BookEvent(m) for m in sorted(self.dirty_books))
        out.extend(BalanceEvent(w, self.profile(w)) for w in sorted(self.dirty_wallets))
        self.events = []
        self.dirty_books = set()
        self.dirty_wallets = set()
        return out

    def discard_events(self) -> None:
        """Drop queued events (the transaction rolled back)."""
        self.events = []
        self.dirty_books = set()
        self.dirty_wallets = set()

    # -- records --------------------------------------------------------------------------------
    def order_record(self, o: LiveOrder) -> OrderRecord:
        """The public view of an order."""
        spec = self.markets[o.market_id]
        if o.is_market:
            price = round(spec.ticks_for_notional(o.filled_value, o.filled)) if o.filled else 0
        else:
            price = o.price
        return OrderRecord(
            address=self.profile(o.wallet),
            wallet=o.wallet,
            market_id=o.market_id,
            order_id=o.order_id,
            order_type=o.order_type,
            is_market_order=o.is_market,
            trade_side=o.trade_side,
            direction=o.direction,
            is_buy=o.is_buy,
            price=price,
            total_size=o.size,
            remaining_size=o.remaining,
            filled_size=o.filled,
            order_value=spec.notional_units(o.size, price),
            leverage=o.leverage,
            restriction=o.restriction,
            take_profit=o.take_profit,
            stop_loss=o.stop_loss,
            status=o.status,
            trade_id=o.trade_id,
            timestamp=o.timestamp,
            last_updated=o.last_updated,
            transaction_version=o.version,
        )

    def position_record(self, p: LivePosition) -> PositionRecord:
        """The public view of a position (unrealised PnL at the current mark)."""
        spec = self.markets[p.market_id]
        return PositionRecord(
            address=self.profile(p.wallet),
            wallet=p.wallet,
            market_id=p.market_id,
            trade_side=p.trade_side,
            leverage=p.leverage,
            size=p.size,
            available_order_size=p.size - p.pending_close,
            value=p.basis,
            entry_price=entry_price(spec, p) if p.size else 0,
            liq_price=liquidation_price(spec, p),
            margin=p.margin,
            unrealized_pnl=unrealized_pnl(spec, p, self.mark(p.market_id)) if p.size else 0,
            take_profit=p.take_profit,
            stop_loss=p.stop_loss,
            trade_id=p.trade_id,
            timestamp=p.timestamp,
            last_updated=p.last_updated,
            transaction_version=p.version,
        )
