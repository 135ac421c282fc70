"""``python -m kana_async demo``: a short, readable trading session against the local simulator.

It starts an in-process :class:`~kana_async.sim.Simulator`, gets a funded test account and then
uses only the public SDK (``from kana_async import ...``): market info and prices, a deposit, a
limit order and its cancellation, a market order, positions, histories, and live websocket
streams printed as frames arrive. It prints what happens as it happens and exits 0.

This module is a command-line program: it writes to stdout on purpose.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from decimal import ROUND_DOWN, Decimal
from typing import Any, TextIO

import anyio
from anyio.abc import TaskGroup

__all__ = ["main", "run_demo"]

MARKET = 1338  # APT-USD on the simulated testnet


class _Printer:
    """Timestamped, flushed lines so the session reads like a log."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.start = time.monotonic()

    def __call__(self, text: str = "") -> None:
        stamp = f"[{time.monotonic() - self.start:5.2f}s]"
        self.out.write(f"{stamp} {text}\n" if text else "\n")
        self.out.flush()


async def _watch(sub: Any, show: Callable[[Any], str], say: _Printer, label: str) -> None:
    """Print every item of a stream subscription until cancelled."""
    async with sub:
        async for item in sub:
            say(f"  [stream {label}] {show(item)}")


def _short(text: str) -> str:
    return f"{text[:10]}…{text[-4:]}" if len(text) > 16 else text


async def run_demo(*, seed: int = 0, out: TextIO | None = None) -> None:
    """Run the demo session against an embedded simulator, printing timestamped lines.

    It starts a :class:`~kana_async.sim.Simulator`, funds an account, then uses only the public
    SDK: market info and prices, a deposit, a resting limit order (its id from the result),
    a market order, streams of its own orders and fills, the cancel by id, and the histories.

    Args:
        seed: the simulator's seed (the same seed gives the same session).
        out: where the lines go (default ``sys.stdout``).

    Raises:
        KanaError: the SDK or the simulator failed (a bug: the session is deterministic).
    """
    import kana_async
    from kana_async import KanaClient
    from kana_async.sim import Simulator

    account_type: Any = getattr(kana_async, "Account", None)
    if account_type is None:  # pragma: no cover - until Account is re-exported at the top level
        from kana_async._aptos.signing import Account as account_type

    say = _Printer(out or sys.stdout)
    say("Starting the local Kana exchange (REST + WebSocket + fake Aptos node)...")
    async with Simulator(seed=seed, tick_interval=0.1) as sim:
        net = sim.network
        say(f"  REST {net.rest_url}   WS {net.ws_url}   node {net.node_url}")
        funded = sim.new_account(apt=Decimal("10"), usdt=Decimal("10000"))
        account = account_type.from_hex(funded.private_key_hex)
        say(f"Test wallet {_short(funded.address)} funded with 10 APT (gas) and 10000 USDT")
        async with KanaClient(net, account=account) as kana:
            tick = await _market_overview(kana, say)
            async with anyio.create_task_group() as watchers:
                _start_watchers(watchers, kana, say)
                await anyio.sleep(0.3)  # let the subscriptions settle
                await _trade(kana, say, tick)
                await _history(kana, say)
                await anyio.sleep(0.3)  # let the last stream frames print
                watchers.cancel_scope.cancel()
    say("Demo finished: the simulator is stopped. Run it standalone: python -m kana_async sim")


async def _market_overview(kana: Any, say: _Printer) -> Decimal:
    info = await kana.markets.info(MARKET)
    say(
        f"Market {info.symbol} (id {info.market_id}): tick {info.tick}, lot {info.lot}, "
        f"min size {info.min_size}, max leverage {info.max_leverage}x"
    )
    price = await kana.markets.price(MARKET)
    say(f"Best bid {price.best_bid_price}  best ask {price.best_ask_price}")
    async with kana.streams.orderbook(MARKET) as book_sub:
        book = await anext(aiter(book_sub))
    bid, ask = book.best_bid, book.best_ask
    say(
        f"Live order book: {len(book.bids)} bids / {len(book.asks)} asks, top "
        f"{bid.price if bid else '-'} / {ask.price if ask else '-'}"
    )
    tick: Decimal = info.tick
    return tick


def _start_watchers(group: TaskGroup, kana: Any, say: _Printer) -> None:
    def order(o: Any) -> str:
        return f"order {_short(o.order_id)} {o.status}: {o.size} @ {o.price}"

    def fill(t: Any) -> str:
        return f"fill {getattr(t, 'size', '?')} @ {getattr(t, 'price', '?')}"

    group.start_soon(_watch, kana.streams.order_history(), order, say, "orders")
    group.start_soon(_watch, kana.streams.trade_history(), fill, say, "fills")


async def _trade(kana: Any, say: _Printer, tick: Decimal) -> None:
    from kana_async import Direction, Side

    say("Depositing 1000 USDT into the trading account...")
    result = await kana.trading.deposit(Decimal("1000"))
    say(f"  committed (tx {_short(result.hash)})")
    say(f"  trading balance: {await kana.portfolio.profile_balance()} USDT")

    price = await kana.markets.price(MARKET)
    limit = ((price.best_bid_price or Decimal("5")) * Decimal("0.95")).quantize(
        tick, rounding=ROUND_DOWN
    )
    say(f"Placing a limit buy: 2 APT @ {limit}, leverage 2x (below the market)...")
    placed = await kana.trading.place_limit_order(
        MARKET, side=Side.LONG, size=Decimal("2"), price=limit, leverage=2
    )
    placed_id = placed.order_id or "-"
    say(f"  placed order {_short(placed_id)} (its id, from the transaction's events)")
    open_orders = await kana.portfolio.open_orders(market_id=MARKET)
    for o in open_orders:
        say(f"  open order {_short(o.order_id)}: {o.remaining_size} @ {o.price}")
    if open_orders:
        say("Cancelling it by id (the client knows its side)...")
        cancelled = await kana.trading.cancel_multiple_orders(
            MARKET, [o.order_id for o in open_orders]
        )
        for c in cancelled.cancelled:
            say(f"  cancelled order {_short(c.order_id)} ({c.side.name})")
        left = await kana.portfolio.open_orders(market_id=MARKET)
        say(f"  open orders now: {len(left)}")

    say("Buying 1 APT at market, leverage 2x...")
    await kana.trading.place_market_order(MARKET, side=Side.LONG, size=Decimal("1"), leverage=2)
    for pos in await kana.portfolio.positions(market_id=MARKET):
        say(
            f"  position {pos.side.name}: {pos.size} APT, entry {pos.entry_price}, "
            f"margin {pos.margin}, liquidation {pos.liq_price}"
        )
    say("Closing the position at market...")
    await kana.trading.place_market_order(
        MARKET, side=Side.LONG, size=Decimal("1"), leverage=2, direction=Direction.CLOSE
    )
    say(f"  open positions now: {len(await kana.portfolio.positions(market_id=MARKET))}")


async def _history(kana: Any, say: _Printer) -> None:
    say("History:")
    for o in await kana.history.orders(market_id=MARKET):
        say(f"  order {_short(o.order_id)} {o.status}: {o.size} @ {o.price}")
    for t in await kana.history.trades(market_id=MARKET):
        say(f"  fill {t.size} @ {t.price}  pnl {t.pnl}  fee {t.fee}")
    say(f"Net profile balance: {await kana.portfolio.net_profile_balance()} USDT")


def main(*, seed: int = 0) -> int:
    """Run :func:`run_demo` on its own event loop (``kana-async demo``).

    Args:
        seed: the simulator's seed.

    Returns:
        The process exit status: 0, or 130 after Ctrl-C.

    Raises:
        KanaError: as :func:`run_demo`.
    """
    try:
        asyncio.run(run_demo(seed=seed))
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
