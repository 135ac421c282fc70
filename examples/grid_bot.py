"""A tiny grid market maker: N buy and N sell limit orders around the mid, re-quoted on fills.

    python examples/grid_bot.py --seconds 10 --levels 3
    python examples/grid_bot.py --seconds 10 --chaos          # simulator: lose a connection and
                                                              # answer submissions late on purpose

What it shows:

* fills arrive on the ``order_history`` and ``trade_history`` streams and trigger a re-quote;
* a :class:`~kana_async.Reconnected` notice means events were missed: the bot rebuilds its view of
  its open orders from chain state over REST before trusting the streams again;
* an :class:`~kana_async.OutcomeUnknownError` (the wait for a result timed out) means the order
  may or may not exist yet: the client keeps resolving the transaction by itself, and the bot
  keeps that grid level blocked until ``kana.trading.outcome(hash)`` says what happened, so it
  never places the same level twice;
* every order is keyed by the id the transaction's events report (``result.order_id``), and
  cancelled by id alone: the client knows the side of what it placed, and finds the side of an
  order it did not place (one left over from an earlier run) by itself;
* Ctrl-C / the end of ``--seconds`` cancels every order it has on the book.

All re-quoting happens in one task, so two placements for one level can never race.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING

from _venue import UsageError, add_venue_arguments, amount, open_venue, positive, run_main, say

from kana_async import (
    KanaClient,
    KanaError,
    OrderHistoryEntry,
    OrderPlaced,
    OrderStatus,
    OutcomeUnknownError,
    Reconnected,
    Side,
    Subscription,
    Trade,
)

if TYPE_CHECKING:
    from kana_async.sim import Simulator


@dataclass(frozen=True)
class Quote:
    """One grid level: a side and a price."""

    side: Side
    price: Decimal


class GridBot:
    """Keeps ``levels`` buys below and ``levels`` sells above the mid, ``step_ticks`` apart.

    Args:
        kana: an open client with an account (and collateral deposited).
        market_id: the market to quote.
        levels: orders per side.
        step_ticks: distance between levels, in ticks.
        size: size of every order (default: the market's minimum).
        leverage: leverage of every order.
        log: where progress lines go.
    """

    def __init__(
        self,
        kana: KanaClient,
        market_id: int,
        *,
        levels: int = 3,
        step_ticks: int = 5,
        size: Decimal | None = None,
        leverage: int = 2,
        log: Callable[[str], None] = say,
    ) -> None:
        self.kana = kana
        self.market_id = market_id
        self.levels = levels
        self.step_ticks = step_ticks
        self.size = size
        self.leverage = leverage
        self.log = log
        #: Our resting orders by order id, as last read from chain state (plus stream updates).
        self.open: dict[str, Quote] = {}
        #: Resting orders of the account this run did not place (cancelled by id on sight).
        self.foreign: set[str] = set()
        #: Transactions whose outcome is unknown, by hash: the level and when to give up on it.
        self.unresolved: dict[str, tuple[Quote, float]] = {}
        self.placed = 0  # committed placements (including ones found by hash)
        self.fills = 0
        self.resyncs = 0
        self.reconnects = 0
        self._finished: set[str] = set()  # ids the streams reported filled or cancelled
        self._sides: dict[str, Side] = {}  # order id -> side, from our placements' results
        self._dirty = asyncio.Event()
        self._resync_needed = True
        self._step = Decimal(0)
        self._tick = Decimal(0)

    # -- the loop -------------------------------------------------------------------------------

    async def run(self, seconds: float, *, interval: float = 1.0) -> None:
        """Quote for ``seconds`` (re-quoting on every fill, or every ``interval``), then cancel."""
        await self.prepare()
        orders = self.kana.streams.order_history()
        fills = self.kana.streams.trade_history()
        watchers = [
            asyncio.create_task(self._watch_orders(orders)),
            asyncio.create_task(self._watch_fills(fills)),
        ]
        try:
            deadline = time.monotonic() + seconds
            while (left := deadline - time.monotonic()) > 0:
                await self.requote()
                self._dirty.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(min(interval, max(left, 0.0))):
                        await self._dirty.wait()
        finally:
            for task in watchers:
                task.cancel()
            for task in watchers:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await self.shutdown()

    async def prepare(self) -> None:
        """Read the market's tick and size limits (``run`` does this first)."""
        info = await self.kana.markets.info(self.market_id)
        self._tick = info.tick
        self._step = info.tick * self.step_ticks
        if self.size is None:
            self.size = max(info.min_size, info.lot)
        self.log(
            f"grid: {self.levels} x 2 orders of {self.size} {info.symbol}, "
            f"{self._step} apart, leverage {self.leverage}"
        )

    async def requote(self) -> None:
        """Bring the book in line with the grid around the current mid."""
        if self.unresolved:
            await self._resolve()
        if self._resync_needed:
            await self.resync()
        wanted = self.targets(await self._mid())
        stale = [oid for oid, q in self.open.items() if q not in wanted]
        if self.foreign:
            await self._cancel(sorted(self.foreign), "not placed by this run")
        if stale:
            await self._cancel(stale)
        blocked = {q for q, _ in self.unresolved.values()}
        have = set(self.open.values()) | blocked
        missing = [q for q in wanted if q not in have and q.price not in self._taken(q.side)]
        if missing:
            await asyncio.gather(*(self._place(q) for q in missing))
            if self.unresolved:
                await self._resolve()
            await self.resync()  # read the resting orders back from chain state

    def targets(self, mid: Decimal) -> list[Quote]:
        """The grid around ``mid``: ``levels`` buys below it and ``levels`` sells above it."""
        anchor = (mid / self._step).to_integral_value(rounding=ROUND_FLOOR) * self._step
        buys = [Quote(Side.LONG, anchor - k * self._step) for k in range(1, self.levels + 1)]
        sells = [Quote(Side.SHORT, anchor + k * self._step) for k in range(1, self.levels + 1)]
        return [q for q in buys + sells if q.price > 0]

    def _taken(self, side: Side) -> set[Decimal]:
        """Prices where we already rest an order of the *other* side (never quote both)."""
        return {q.price for q in self.open.values() if q.side is not side}

    async def _mid(self) -> Decimal:
        best = await self.kana.markets.price(self.market_id)
        bid, ask = best.best_bid_price, best.best_ask_price
        if bid is None or ask is None:
            raise RuntimeError("the book has an empty side: nothing to quote around")
        return (bid + ask) / 2

    # -- orders ---------------------------------------------------------------------------------

    async def _place(self, quote: Quote) -> None:
        assert self.size is not None
        try:
            result = await self.kana.trading.place_limit_order(
                self.market_id,
                side=quote.side,
                size=self.size,
                price=quote.price,
                leverage=self.leverage,
            )
        except OutcomeUnknownError as exc:
            # It may have been executed: block the level until a lookup says what happened.
            if exc.hash is None:  # never signed, so never sent
                raise
            self.log(f"outcome unknown for {quote.side.name} @ {quote.price}; looking it up")
            expiry = self.kana.trading.options.expiration_seconds
            self.unresolved[exc.hash] = (quote, time.monotonic() + expiry + 5)
        except KanaError as exc:  # refused or failed before sending: nothing was placed
            self.log(f"place {quote.side.name} @ {quote.price} failed: {type(exc).__name__}")
        else:
            self.placed += 1
            self._remember(result.placed)
            self.log(f"placed {quote.side.name} {self.size} @ {quote.price}, id {result.order_id}")

    def _remember(self, placed: Sequence[OrderPlaced]) -> None:
        """Keep the id and side of every order a committed transaction of ours placed."""
        for order in placed:
            if order.market_id == self.market_id:
                self._sides[order.order_id] = order.side

    async def _resolve(self) -> None:
        """Ask the client for the outcome of every transaction whose wait timed out."""
        for tx_hash, (quote, give_up) in list(self.unresolved.items()):
            try:
                outcome = await self.kana.trading.outcome(tx_hash, timeout=5)
            except OutcomeUnknownError:
                if time.monotonic() > give_up:
                    self.log(f"lookup {quote.side.name} @ {quote.price}: still unknown")
                    self.unresolved.pop(tx_hash, None)
                continue  # still nothing definite: ask again on the next re-quote
            self.unresolved.pop(tx_hash, None)
            if outcome.result is not None:
                self._remember(outcome.result.placed)
                ids = ", ".join(outcome.result.order_ids)
                self.log(
                    f"lookup {quote.side.name} @ {quote.price}: committed, not re-placing "
                    f"(id {ids})"
                )
                self.placed += 1
                self._resync_needed = True
            else:  # it failed or never executed: no order
                error = type(outcome.error).__name__
                self.log(f"lookup {quote.side.name} @ {quote.price}: {error}")

    async def _cancel(self, order_ids: list[str], why: str = "off the grid") -> None:
        """Cancel orders by id alone (the client knows or finds each one's side)."""
        try:
            result = await self.kana.trading.cancel_multiple_orders(self.market_id, order_ids)
        except KanaError as exc:  # e.g. one of them filled meanwhile: re-read and try later
            self.log(f"cancel failed ({type(exc).__name__}); resyncing")
            self._resync_needed = True
            return
        for oid in order_ids:
            self.open.pop(oid, None)
            self.foreign.discard(oid)
        self.log(f"cancelled {len(result.cancelled)} order(s) {why}")

    async def resync(self) -> None:
        """Rebuild :attr:`open` from chain state (no indexer lag)."""
        rows = await self.kana.portfolio.open_orders_from_contract(self.market_id)
        fresh: dict[str, Quote] = {}
        foreign: set[str] = set()
        for row in rows:
            if row.order_id in self._finished:  # the stream already saw it end
                continue
            side = self._sides.get(row.order_id)
            if side is None:  # not placed by this run
                foreign.add(row.order_id)
            else:
                fresh[row.order_id] = Quote(side, row.price)
        self.open, self.foreign = fresh, foreign
        resting = {row.order_id for row in rows}
        self._finished &= resting  # ended ids never come back
        self._sides = {oid: side for oid, side in self._sides.items() if oid in resting}
        self.resyncs += 1
        self._resync_needed = False

    async def shutdown(self, attempts: int = 3) -> None:
        """Cancel every order of ours on the book (re-reading chain state between attempts)."""
        for _ in range(attempts):
            if self.unresolved:
                await self._resolve()
            await self.resync()
            if not self.open and not self.foreign:
                break
            await self._cancel([*self.open, *sorted(self.foreign)], "on shutdown")
        left = await self.kana.portfolio.open_orders_from_contract(self.market_id)
        self.log(
            f"shutdown: open orders left {len(left)}; placed {self.placed}, fills {self.fills}, "
            f"resyncs {self.resyncs}, reconnects {self.reconnects}"
        )

    # -- streams --------------------------------------------------------------------------------

    async def _watch_orders(self, orders: Subscription[OrderHistoryEntry | Reconnected]) -> None:
        async with orders:
            async for event in orders:
                if isinstance(event, Reconnected):
                    self._on_reconnected(event, "order_history")
                elif event.market_id == self.market_id and event.status in _DONE:
                    self._finished.add(event.order_id)
                    if self.open.pop(event.order_id, None) is not None:
                        self._dirty.set()

    async def _watch_fills(self, fills: Subscription[Trade | Reconnected]) -> None:
        async with fills:
            async for event in fills:
                if isinstance(event, Reconnected):
                    self._on_reconnected(event, "trade_history")
                elif event.market_id == self.market_id:
                    self.fills += 1
                    self.log(f"fill {event.size} @ {event.price}")
                    self._dirty.set()

    def _on_reconnected(self, notice: Reconnected, topic: str) -> None:
        self.reconnects += 1
        self.log(f"{topic}: reconnected after {notice.downtime:.2f} s; resyncing over REST")
        self._resync_needed = True
        self._dirty.set()


_DONE = (OrderStatus.FILLED, OrderStatus.CANCELLED)


async def chaos(sim: Simulator, bot: GridBot, seconds: float) -> None:
    """Simulator only: answer submissions late for a while, drop every websocket later."""
    # Waits shorter than the node's answers end in OutcomeUnknownError; the client keeps
    # resolving those transactions, and the bot asks it for their outcomes. The impatient
    # client shares the bot's pool, account and transactions: only its settings differ.
    kana = bot.kana
    bot.kana = kana.with_options(confirm_timeout=0.05)
    sim.faults.node_submit_delay = 0.3
    await asyncio.sleep(seconds * 0.2)
    sim.faults.node_submit_delay = 0.0
    bot.kana = kana
    await asyncio.sleep(seconds * 0.2)
    dropped = await sim.drop_ws_connections(abrupt=True)
    say(f"chaos: dropped {dropped} websocket connection(s)")


async def main(args: argparse.Namespace) -> None:
    """Deposit (on the simulator), run the bot for ``--seconds``, cancel everything."""
    async with open_venue(args) as venue:
        kana = venue.kana
        deposit = args.deposit if args.deposit is not None else Decimal(1000 if venue.sim else 0)
        if deposit > 0:
            await kana.trading.deposit(deposit)
            say(f"deposited {deposit} USDT")
        bot = GridBot(kana, venue.market_id, levels=args.levels, step_ticks=args.step_ticks)
        trouble = None
        if args.chaos:
            if venue.sim is None:
                raise UsageError("--chaos needs the in-process simulator")
            trouble = asyncio.create_task(chaos(venue.sim, bot, args.seconds))
        try:
            await bot.run(args.seconds)
        finally:
            if trouble is not None:
                trouble.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await trouble


def cli(argv: list[str] | None = None) -> int:
    """Parse the options and run; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_venue_arguments(parser, seconds=10)
    parser.add_argument("--levels", type=positive, default=3, help="orders per side (default 3)")
    parser.add_argument("--step-ticks", type=positive, default=5, help="ticks between levels")
    parser.add_argument(
        "--deposit", type=amount, default=None, help="USDT to deposit (default: 1000 on sim)"
    )
    parser.add_argument("--chaos", action="store_true", help="simulator: inject faults")
    return run_main(main(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(cli())
