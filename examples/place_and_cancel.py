"""Deposit, place a limit order, cancel it, buy at market, close the position.

    python examples/place_and_cancel.py                       # against an in-process simulator
    python examples/place_and_cancel.py --network testnet     # KANA_PRIVATE_KEY, KANA_API_KEY

Every call waits for the transaction to be committed and prints what came back. See
``examples/_venue.py`` for the venue options.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from decimal import ROUND_DOWN, Decimal

from _venue import add_venue_arguments, amount, open_venue, run_main, say

from kana_async import Direction, KanaError, Side


async def main(args: argparse.Namespace) -> None:
    """The whole session, bounded by ``--seconds``."""
    async with asyncio.timeout(args.seconds), open_venue(args) as venue:
        kana, market = venue.kana, venue.market_id
        info = await kana.markets.info(market)
        size = max(info.min_size, info.lot)
        say(f"market {info.symbol} (id {market}): tick {info.tick}, lot {info.lot}, size {size}")

        result = await kana.trading.deposit(args.deposit)
        say(f"deposit {args.deposit} USDT: committed (tx {result.hash[:10]}…)")
        say(f"trading balance: {await kana.portfolio.profile_balance()} USDT")

        # A buy 5 % under the best bid rests on the book instead of filling.
        best = await kana.markets.price(market)
        bid = best.best_bid_price or best.best_ask_price or Decimal(1)
        price = (bid * Decimal("0.95")).quantize(info.tick, rounding=ROUND_DOWN)
        result = await kana.trading.place_limit_order(
            market, side=Side.LONG, size=size, price=price, leverage=2
        )
        say(f"limit buy {size} @ {price}: committed (tx {result.hash[:10]}…), id {result.order_id}")
        mine = [o for o in await kana.portfolio.open_orders(market) if o.price == price]
        for order in mine:
            say(f"open order {order.order_id}: {order.remaining_size} @ {order.price}")

        # Cancel by id alone: the client knows the side of the orders it placed.
        result = await kana.trading.cancel_multiple_orders(market, [o.order_id for o in mine])
        say(f"cancelled {len(result.cancelled)} order(s): committed (tx {result.hash[:10]}…)")
        left = [o for o in await kana.portfolio.open_orders(market) if o.price == price]
        say(f"open orders at {price} now: {len(left)}")

        result = await kana.trading.place_market_order(
            market, side=Side.LONG, size=size, leverage=2
        )
        say(f"market buy {size}: committed (tx {result.hash[:10]}…)")
        for position in await kana.portfolio.positions(market):
            say(
                f"position {position.side.name}: {position.size} @ {position.entry_price}, "
                f"margin {position.margin}"
            )

        result = await kana.trading.place_market_order(
            market, side=Side.LONG, size=size, leverage=2, direction=Direction.CLOSE
        )
        say(f"closed at market: committed (tx {result.hash[:10]}…)")
        say(f"open positions now: {len(await kana.portfolio.positions(market))}")


def cli(argv: list[str] | None = None) -> int:
    """Parse the options and run; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_venue_arguments(parser, seconds=60)
    parser.add_argument("--deposit", type=amount, default=Decimal("100"), help="USDT to deposit")
    args = parser.parse_args(argv)
    try:
        return run_main(main(args))
    except KanaError as exc:
        say(f"failed: {type(exc).__name__}: {exc}")
        return 1
    except TimeoutError:
        say(f"gave up after {args.seconds:g} s")
        return 1


if __name__ == "__main__":
    sys.exit(cli())
