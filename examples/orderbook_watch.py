"""Watch a market: top of book and spread as the book changes, public trades as they print.

    python examples/orderbook_watch.py --seconds 10
    python examples/orderbook_watch.py --network testnet --market BTC-USD    # no key needed

Both subscriptions share one websocket. At the end it prints the connection's counters
(``kana.streams.statistics()``) and each subscription's own (frames delivered, dropped).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time

from _venue import add_venue_arguments, open_venue, run_main, say

from kana_async import OrderBook, Reconnected, Subscription, Trade


async def watch_book(books: Subscription[OrderBook], every: float) -> None:
    """Print the top of book at most once per ``every`` seconds (the stream keeps the latest)."""
    last = 0.0
    async with books:
        async for book in books:
            now = time.monotonic()
            if now - last < every:
                continue
            last = now
            bid, ask = book.best_bid, book.best_ask
            say(
                f"book  bid {bid.size if bid else '-'} @ {bid.price if bid else '-'}   "
                f"ask {ask.size if ask else '-'} @ {ask.price if ask else '-'}   "
                f"spread {book.spread}   ({len(book.bids)} bids / {len(book.asks)} asks)"
            )


async def watch_trades(trades: Subscription[Trade | Reconnected]) -> None:
    """Print every public trade; a ``Reconnected`` notice means some were missed."""
    async with trades:
        async for trade in trades:
            if isinstance(trade, Reconnected):
                say(f"trades: reconnected after {trade.downtime:.2f} s; trades may be missing")
            else:
                say(f"trade {trade.size} @ {trade.price}")


async def main(args: argparse.Namespace) -> None:
    """Watch for ``--seconds``, then print the statistics."""
    async with open_venue(args, trading=False) as venue:
        kana, market = venue.kana, venue.market_id
        info = await kana.markets.info(market)
        say(f"watching {info.symbol} (id {market}) for {args.seconds:g} s")
        books = kana.streams.orderbook(market)
        trades = kana.streams.recent_trades(market)
        tasks = [
            asyncio.create_task(watch_book(books, args.every)),
            asyncio.create_task(watch_trades(trades)),
        ]
        done, _ = await asyncio.wait(tasks, timeout=args.seconds)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for task in done:  # a watcher that ended early: show why
            task.result()
        stats = kana.streams.statistics()
        say(
            f"statistics: state {stats.state.name}, frames {stats.frames}, "
            f"delivered {stats.delivered_frames}, connects {stats.connects}, "
            f"reconnects {stats.reconnects}, bad frames {sum(stats.bad_frames.values())}"
        )
        for sub in (books, trades):
            sub_stats = sub.statistics()
            say(
                f"  {sub_stats.topic}: delivered {sub_stats.delivered}, "
                f"dropped {sub_stats.dropped} ({sub_stats.policy.name})"
            )


def cli(argv: list[str] | None = None) -> int:
    """Parse the options and run; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_venue_arguments(parser, seconds=10)
    parser.add_argument(
        "--every", type=float, default=0.25, help="seconds between book lines (default 0.25)"
    )
    return run_main(main(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(cli())
