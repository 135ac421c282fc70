"""The same bot on asyncio, uvloop or trio: REST reads, streams, an order placed and cancelled.

    kana-async sim --network-file network.json      # elsewhere: a standalone venue; then
    KANA_NETWORK=network.json KANA_PRIVATE_KEY=0x... python examples/any_backend.py --backend trio

The bot is written with anyio only, so it runs unchanged under ``asyncio.run``, ``uvloop.run``
and ``trio.run``: it reads the market over REST, subscribes to its own order history and to the
order book (reads one snapshot), places a buy far from the market, sees that order's row arrive
on the order-history stream, cancels it and exits cleanly. It needs a venue outside its own
event loop (a standalone simulator, testnet), because the in-process simulator is an asyncio
server.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from decimal import ROUND_DOWN, Decimal

import anyio

from kana_async import Account, KanaClient, KanaError, Network, Reconnected, Side


def say(text: str) -> None:
    """Print a line right away (the tests read the output of a running process)."""
    print(text, flush=True)


async def bot(network: Network, account: Account, market_symbol: str) -> None:
    """Read the market and its book, rest a buy far from it, see it on the order-history
    stream, cancel it, and leave nothing behind."""
    # anyio's deadline, not asyncio.timeout: the same code on every event loop.
    with anyio.fail_after(60):
        await _session(network, account, market_symbol)


async def _session(network: Network, account: Account, market_symbol: str) -> None:
    async with KanaClient(network, account=account) as kana:
        market = network.market_id(market_symbol) if network.markets else None
        infos = await kana.markets.all()
        info = next((i for i in infos if i.market_id == market), infos[0])
        say(f"market {info.symbol} (id {info.market_id}), {len(infos)} market(s)")
        best = await kana.with_options(timeout=5).markets.price(info.market_id)
        bid = best.best_bid_price or best.best_ask_price or Decimal(1)
        price = (bid * Decimal("0.5")).quantize(info.tick, rounding=ROUND_DOWN)
        size = max(info.min_size, info.lot)
        await kana.trading.deposit(Decimal(50))
        # Both subscriptions share one websocket; the order-history one subscribes first, so
        # once a book snapshot is back the venue has taken both subscriptions.
        async with kana.streams.order_history() as history:
            async with kana.streams.orderbook(info.market_id) as book:
                snapshot = await anext(aiter(book))
                say(f"book snapshot of market {snapshot.market_id}")
            placed = await kana.trading.place_limit_order(
                info.market_id, side=Side.LONG, size=size, price=price, leverage=2
            )
            say(f"placed {len(placed.events.placed)} order(s) at {price}")
            ids = [o.order_id for o in placed.events.placed]
            async for row in history:
                if not isinstance(row, Reconnected) and row.order_id in ids:
                    say("order history has our order")
                    break
        mine = [o for o in await kana.portfolio.open_orders(info.market_id) if o.order_id in ids]
        say(f"open orders of ours: {len(mine)}")
        await kana.trading.cancel_multiple_orders(info.market_id, ids)
        left = [o for o in await kana.portfolio.open_orders(info.market_id) if o.order_id in ids]
        say(f"open orders of ours after cancelling: {len(left)}")
        say(f"unresolved transactions: {len(kana.trading.unresolved)}")
    say(f"closed: {kana.closed}, on {anyio_backend_name()}")


def anyio_backend_name() -> str:
    """The event loop this runs on (``asyncio`` or ``trio``), as sniffio reports it."""
    import sniffio

    try:
        return sniffio.current_async_library()
    except sniffio.AsyncLibraryNotFoundError:
        return "none"


def cli(argv: list[str] | None = None) -> int:
    """Parse the options and run the bot on the chosen event loop; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("asyncio", "uvloop", "trio"), default="asyncio")
    parser.add_argument("--market", default="APT-USD", help="market symbol (APT-USD)")
    args = parser.parse_args(argv)
    try:
        network = Network.from_env()
        account = Account.from_env()
        if args.backend == "trio":
            import trio

            trio.run(bot, network, account, args.market)
        elif args.backend == "uvloop":
            import uvloop

            uvloop.run(bot(network, account, args.market))
        else:
            asyncio.run(bot(network, account, args.market))
    except KanaError as exc:
        say(f"failed: {type(exc).__name__}: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(cli())
