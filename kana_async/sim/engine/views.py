"""Read-only views of the engine state: balances, orders, positions, history, books, prices."""

from __future__ import annotations

from collections.abc import Callable

from ..markets import INSURANCE_FUND_ADDRESS
from . import funding
from .records import (
    FillRecord,
    FundingPaymentRecord,
    FundingRateRecord,
    OrderRecord,
    PositionRecord,
    PublicTrade,
    TransferRecord,
)
from .state import EngineState, normalize_address

__all__ = ["ExchangeViews"]


class ExchangeViews:
    """The read half of :class:`~kana_async.sim.engine.Exchange` (records, newest last)."""

    _s: EngineState
    _clock: Callable[[], int]

    def next_funding_time(self, now: int) -> int:
        """The first funding boundary strictly after ``now``."""
        interval = self._s.funding_interval
        return (now // interval + 1) * interval

    # -- balances -------------------------------------------------------------------------------
    def wallet_balance(self, wallet: str) -> int:
        """Collateral in the wallet (not deposited), quote units."""
        return self._s.accounts.wallets.get(normalize_address(wallet), 0)

    def trading_balance(self, wallet: str) -> int:
        """Free collateral in the trading account (excludes margin and reservations)."""
        return self._s.accounts.trading.get(normalize_address(wallet), 0)

    def unsettled_pnl(self, wallet: str, market_id: int | None = None) -> int:
        """Realised profit not yet settled (``settle_pnl``), in one market or all."""
        return self._s.accounts.unsettled_of(normalize_address(wallet), market_id)

    def net_profile_balance(self, wallet: str) -> int:
        """Trading balance plus unsettled PnL across all markets."""
        return self.trading_balance(wallet) + self.unsettled_pnl(wallet)

    # -- reads ----------------------------------------------------------------------------------
    def open_orders(self, wallet: str, market_id: int | None = None) -> list[OrderRecord]:
        """The wallet's open orders, oldest first."""
        wallet = normalize_address(wallet)
        mine = [
            o
            for o in self._s.open.values()
            if o.wallet == wallet and market_id in (None, o.market_id)
        ]
        mine.sort(key=lambda o: o.seq)
        return [self._s.order_record(o) for o in mine]

    def order(self, market_id: int, order_id: int) -> OrderRecord | None:
        """One order (open or remembered), or None."""
        o = self._s.orders.get(order_id)
        if o is None or o.market_id != market_id:
            return None
        return self._s.order_record(o)

    def order_history(self, wallet: str, market_id: int | None = None) -> list[OrderRecord]:
        """Every remembered order of the wallet, oldest first (current state of each)."""
        s, wallet = self._s, normalize_address(wallet)
        out = []
        for order_id in s.order_ids.get(wallet, ()):
            o = s.orders.get(order_id)
            if o is not None and market_id in (None, o.market_id):
                out.append(s.order_record(o))
        return out

    def positions(self, wallet: str, market_id: int | None = None) -> list[PositionRecord]:
        """The wallet's open positions (long before short per market)."""
        wallet = normalize_address(wallet)
        rows = [
            self._s.position_record(p)
            for (w, m, _), p in self._s.positions.items()
            if w == wallet and market_id in (None, m)
        ]
        return sorted(rows, key=lambda r: (r.market_id, not r.trade_side))

    def trades(self, wallet: str, market_id: int | None = None) -> list[FillRecord]:
        """The wallet's fills (incl. liquidations), oldest first."""
        rows = self._s.fills.get(normalize_address(wallet), [])
        return [r for r in rows if market_id in (None, r.market_id)]

    def market_trades(self, market_id: int, limit: int = 50) -> list[PublicTrade]:
        """The market's latest public trades, oldest first (at most ``limit``)."""
        self._s.market(market_id)
        rows = self._s.market_trades[market_id]
        return rows[-limit:] if limit > 0 else []

    def funding_history(
        self, wallet: str, market_id: int | None = None
    ) -> list[FundingPaymentRecord]:
        """The wallet's funding payments, oldest first."""
        rows = self._s.funding_payments.get(normalize_address(wallet), [])
        return [r for r in rows if market_id in (None, r.market_id)]

    def funding_rates(self) -> list[FundingRateRecord]:
        """The current (estimated) funding rate of every market."""
        s = self._s
        s.now = self._clock()
        nxt = s.next_funding.get("all") or self.next_funding_time(s.now)
        return [funding.funding_rate_record(s, spec, nxt) for spec in s.markets.values()]

    def applied_funding_rates(self, market_id: int | None = None) -> list[FundingRateRecord]:
        """Funding rates that were applied, oldest first."""
        return [r for r in self._s.funding_applied if market_id in (None, r.market_id)]

    def transfers(self, wallet: str) -> list[TransferRecord]:
        """The wallet's deposits and withdrawals, oldest first."""
        return list(self._s.transfers.get(normalize_address(wallet), []))

    def book(
        self, market_id: int, depth: int | None = None
    ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """``(bids, asks)`` as ``(price_ticks, size_lots)`` per level, best first."""
        self._s.market(market_id)
        book = self._s.books[market_id]
        return book.levels(True, depth), book.levels(False, depth)

    def best_bid_ask(self, market_id: int) -> tuple[int | None, int | None]:
        """Best bid and best ask in ticks (None for an empty side)."""
        self._s.market(market_id)
        book = self._s.books[market_id]
        return book.best_bid(), book.best_ask()

    def last_price(self, market_id: int) -> int | None:
        """Price of the market's last trade in ticks, or None before the first trade."""
        self._s.market(market_id)
        return self._s.last_price.get(market_id)

    def mark_price(self, market_id: int) -> int:
        """Mark price in ticks: the index plus the book's premium (how far the best bid is above
        the index or the best ask below it), clamped to the exchange's ``mark_premium_cap``."""
        self._s.market(market_id)
        return self._s.mark(market_id)

    def index_price(self, market_id: int) -> int:
        """The index (oracle) price in ticks."""
        self._s.market(market_id)
        return self._s.index_price[market_id]

    def reserved_margin(self, wallet: str) -> int:
        """Collateral held by the wallet's open orders (initial margin + fee reserve), quote
        units: part of what it owns, in neither its trading balance nor a position."""
        wallet = normalize_address(wallet)
        return sum(o.reserved for o in self._s.open.values() if o.wallet == wallet)

    # -- house accounts -------------------------------------------------------------------------
    def insurance_fund_balance(self) -> int:
        """The insurance fund (the trading balance of ``INSURANCE_FUND_ADDRESS``), quote units."""
        return self._s.accounts.trading.get(INSURANCE_FUND_ADDRESS, 0)

    def fees_collected(self) -> int:
        """Trading fees held by the markets' fee addresses (their trading balances)."""
        fee_addresses = {spec.fee_address for spec in self._s.markets.values()}
        return sum(self._s.accounts.trading.get(a, 0) for a in fee_addresses)

    def minted(self) -> int:
        """Total collateral created: faucets plus the house capital created at start."""
        return self._s.accounts.minted["minted"]

    def total_collateral(self) -> int:
        """Everything held: wallets + trading + unsettled + order reservations + the equity of
        open positions (margin + unrealised PnL, ``Σ short value − Σ long value`` since long =
        short). Equal to :meth:`minted` while the books balance (see ``check_conservation``)."""
        s, a = self._s, self._s.accounts
        equity = sum(
            p.margin + (p.basis if not p.trade_side else -p.basis) for p in s.positions.values()
        )
        return (
            sum(a.wallets.values())
            + sum(a.trading.values())
            + sum(a.unsettled.values())
            + sum(o.reserved for o in s.open.values())
            + equity
        )
