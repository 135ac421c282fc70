"""A risk monitor: every few seconds, each open position's mark, PnL and distance to liquidation,
with an alert when a position gets closer to liquidation than a threshold.

    python examples/risk_monitor.py --seconds 10                  # opens a 5x position to watch
    KANA_NETWORK=network.json KANA_PRIVATE_KEY=0x… python examples/risk_monitor.py --watch-only

It only reads (positions and best prices over REST, concurrently); on the in-process simulator it
first opens a leveraged position so there is something to watch. The mark is the mid of the best
bid and ask. Money stays Decimal throughout.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass
from decimal import Decimal

from _venue import add_venue_arguments, amount, open_venue, run_main, say

from kana_async import KanaClient, MarketPrice, Position, Side

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Risk:
    """One position's risk at one moment."""

    symbol: str
    is_long: bool
    size: Decimal
    entry: Decimal
    mark: Decimal
    liquidation: Decimal | None

    @property
    def pnl(self) -> Decimal:
        """Unrealised PnL in USDT at the mark."""
        move = self.mark - self.entry
        return (move if self.is_long else -move) * self.size

    @property
    def distance_pct(self) -> Decimal | None:
        """How far the mark is from the liquidation price, in % of the mark (None: unknown)."""
        if self.liquidation is None or self.mark == 0:
            return None
        gap = self.mark - self.liquidation if self.is_long else self.liquidation - self.mark
        return (gap / self.mark * HUNDRED).quantize(Decimal("0.1"))


def risk_of(position: Position, price: MarketPrice, symbol: str) -> Risk | None:
    """The position's risk at the current mark; ``None`` while the book has an empty side."""
    if price.mid is None or position.entry_price is None:
        return None
    is_long = bool(position.is_long if position.is_long is not None else position.trade_side)
    return Risk(symbol, is_long, position.size, position.entry_price, price.mid, position.liq_price)


async def check(kana: KanaClient, symbols: dict[int, str], alert_pct: Decimal) -> int:
    """Print one line per position; returns how many are in the alert zone."""
    positions = await kana.portfolio.positions()
    markets = sorted({p.market_id for p in positions})
    prices = await asyncio.gather(*(kana.markets.price(m) for m in markets))
    by_market = dict(zip(markets, prices, strict=True))
    alerts = 0
    for position in positions:
        symbol = symbols.get(position.market_id, str(position.market_id))
        risk = risk_of(position, by_market[position.market_id], symbol)
        if risk is None:
            say(f"{symbol}: no mark (a side of the book is empty)")
            continue
        distance = risk.distance_pct
        alert = distance is not None and distance < alert_pct
        alerts += alert
        say(
            f"{risk.symbol} {'long' if risk.is_long else 'short'} {risk.size} @ {risk.entry}  "
            f"mark {risk.mark}  pnl {risk.pnl:.4f}  liq {risk.liquidation} "
            f"({distance}% away)  {'ALERT' if alert else 'ok'}"
        )
    return alerts


async def main(args: argparse.Namespace) -> None:
    async with open_venue(args, trading=not args.watch_only) as venue:
        kana = venue.kana
        infos = await kana.markets.all()
        symbols = {info.market_id: info.symbol for info in infos}
        if venue.sim is not None and not args.watch_only:
            await kana.trading.deposit(args.deposit)
            await kana.trading.place_market_order(
                venue.market_id, side=Side.LONG, size=Decimal("2"), leverage=5
            )
            say(f"opened a 5x long of 2 {symbols[venue.market_id]} to watch")
        say(
            f"watching {len(await kana.portfolio.positions())} position(s), alert under "
            f"{args.alert_pct}% from liquidation"
        )
        checks = alerts = 0
        loop = asyncio.get_running_loop()
        stop_at = loop.time() + args.seconds
        while True:
            alerts += await check(kana, symbols, args.alert_pct)
            checks += 1
            if loop.time() + args.every > stop_at:
                break
            await asyncio.sleep(args.every)
        say(f"checks {checks}, alerts {alerts}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_venue_arguments(parser, seconds=6)
    parser.add_argument("--every", type=float, default=2.0, help="seconds between checks (2)")
    parser.add_argument(
        "--alert-pct",
        type=amount,
        default=Decimal(10),
        help="alert when the mark is closer to liquidation than this % (10)",
    )
    parser.add_argument("--deposit", type=amount, default=Decimal(100), help="sim deposit (100)")
    parser.add_argument("--watch-only", action="store_true", help="only read; no key needed")
    sys.exit(run_main(main(parser.parse_args())))
