"""Market data commands: ``markets``, ``price``, ``book`` and ``trades`` (no key needed)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Sequence
from typing import Any

from kana_async._cli import _term
from kana_async._cli._fmt import dec, json_line, row_dict, when
from kana_async._cli._session import connect, resolve_market, wait_connected
from kana_async._client import KanaClient
from kana_async.models.markets import MarketInfo
from kana_async.models.orderbook import OrderBook
from kana_async.models.stream_events import Reconnected
from kana_async.models.trades import Trade

__all__ = ["book", "book_view", "markets", "price", "trades"]


async def markets(args: argparse.Namespace) -> int:
    """``kana-async markets``: every market with its best prices and trading rules.

    Calls ``GET /getPerpetualAssetsInfo/allMarkets`` (via ``kana.markets.all``) and
    ``GET /getMarketPrice`` per market. Prices in quote currency, tick, lot and minimum size
    in human units.

    Args:
        args: the parsed command line: ``--json`` (one JSON object per market instead),
            ``--network``.

    Returns:
        0 (the exit status).

    Raises:
        Exception: a ``UsageError`` for a user mistake (a bad network, market or option, a
            missing key or wallet), which :func:`kana_async._cli.main` prints as one line with
            exit status 2.
        KanaError: the exchange or the network failed (one line and exit status 1 from
            :func:`kana_async._cli.main`).
    """
    out = _term.console()
    async with connect(args) as kana:
        infos = sorted(await kana.markets.all(), key=lambda i: i.market_id)
        prices = await asyncio.gather(*(kana.markets.price(i.market_id) for i in infos))
    if args.json:
        for info, best in zip(infos, prices, strict=True):
            data = {**row_dict(info), "symbol": info.symbol, "tick": info.tick, "lot": info.lot}
            data.update(best_bid=best.best_bid_price, best_ask=best.best_ask_price)
            sys.stdout.write(json_line(data))
        return 0
    rows = [
        [
            str(info.market_id),
            info.symbol,
            dec(p.best_bid_price),
            dec(p.best_ask_price),
            dec(info.tick),
            dec(info.lot),
            dec(info.min_size),
            f"{info.max_leverage}x",
        ]
        for info, p in zip(infos, prices, strict=True)
    ]
    columns = [
        ("ID", "right"),
        ("MARKET", "left"),
        ("BID", "right"),
        ("ASK", "right"),
        ("TICK", "right"),
        ("LOT", "right"),
        ("MIN SIZE", "right"),
        ("MAX LEV", "right"),
    ]
    out.print(_term.make_table(columns, rows, title=f"Markets on {kana.network.name}"))
    return 0


async def price(args: argparse.Namespace) -> int:
    """``kana-async price MARKET``: best bid, best ask, mid, spread and last trade price.

    Calls ``GET /getMarketPrice`` and ``GET /getLastPlacedPrice``; prices in quote currency.

    Args:
        args: the parsed command line: ``market`` (an id or symbol), ``--json``,
            ``--network``.

    Returns:
        0 (the exit status).

    Raises:
        Exception: a ``UsageError`` for a user mistake (a bad network, market or option, a
            missing key or wallet), which :func:`kana_async._cli.main` prints as one line with
            exit status 2.
        KanaError: the exchange or the network failed (one line and exit status 1 from
            :func:`kana_async._cli.main`).
    """
    out = _term.console()
    async with connect(args) as kana:
        info = await resolve_market(kana, args.market)
        best, last = await asyncio.gather(
            kana.markets.price(info.market_id), kana.markets.last_price(info.market_id)
        )
    bid, ask = best.best_bid_price, best.best_ask_price
    spread = None if bid is None or ask is None else ask - bid
    if args.json:
        data = {"market_id": info.market_id, "symbol": info.symbol, "bid": bid, "ask": ask}
        data.update(mid=best.mid, spread=spread, last=last)
        sys.stdout.write(json_line(data))
        return 0
    out.print(
        f"{info.symbol} ({info.market_id})  bid {dec(bid)}  ask {dec(ask)}  "
        f"mid {dec(best.mid)}  spread {dec(spread)}  last {dec(last)}"
    )
    return 0


def book_view(info: MarketInfo, snapshot: OrderBook, depth: int, frames: int = 0) -> Any:
    """The depth table of one book snapshot with spread, mid and depth above it.

    Args:
        info: the market (its symbol and id head the view).
        snapshot: the book.
        depth: how many levels of each side to show (and to add up as depth).
        frames: how many updates were shown so far (0: no counter).

    Returns:
        A rich renderable: the heading line and the table (bid size, bid, ask, ask size).

    Raises:
        Exception: a ``UsageError`` when rich is not installed.
    """
    bids, asks = snapshot.bids[:depth], snapshot.asks[:depth]
    rows = []
    for i in range(max(len(bids), len(asks), 1)):
        bid = bids[i] if i < len(bids) else None
        ask = asks[i] if i < len(asks) else None
        rows.append(
            [
                dec(bid.size, "") if bid else "",
                dec(bid.price, "") if bid else "",
                dec(ask.price, "") if ask else "",
                dec(ask.size, "") if ask else "",
            ]
        )
    bid_depth, ask_depth = snapshot.depth(depth)
    head = (
        f"{info.symbol} ({info.market_id})  spread {dec(snapshot.spread)}  "
        f"mid {dec(snapshot.mid)}  depth {dec(bid_depth)} / {dec(ask_depth)}"
    )
    if frames:
        head += f"  updates {frames}"
    columns = [("BID SIZE", "right"), ("BID", "right"), ("ASK", "right"), ("ASK SIZE", "right")]
    return _term.stack(head, _term.make_table(columns, rows))


@contextlib.asynccontextmanager
async def _deadline(seconds: float | None) -> AsyncIterator[None]:
    """Leave the block quietly after ``seconds`` (``None``: never)."""
    if seconds is None:
        yield
        return
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            yield


async def book(args: argparse.Namespace) -> int:
    """``kana-async book MARKET``: the order book once, or a live depth table with ``--watch``.

    Subscribes to the ``orderbook`` websocket topic; with ``--watch`` the table is redrawn in
    place per update on a terminal (printed again below otherwise).

    Args:
        args: the parsed command line: ``market``, ``--watch``, ``--depth`` (levels per
            side), ``--seconds`` / ``--count`` (stop watching after that long / that many
            updates), ``--network``.

    Returns:
        0 (the exit status).

    Raises:
        Exception: a ``UsageError`` for a user mistake (a bad network, market or option, a
            missing key or wallet), which :func:`kana_async._cli.main` prints as one line with
            exit status 2.
        KanaError: the exchange or the network failed (one line and exit status 1 from
            :func:`kana_async._cli.main`).
            A websocket that cannot be reached in three attempts raises
            :class:`~kana_async.ConnectError`.
    """
    out = _term.console()
    async with connect(args) as kana:
        info = await resolve_market(kana, args.market)
        async with kana.streams.orderbook(info.market_id) as sub:
            await wait_connected(kana)
            if not args.watch:
                snapshot = await anext(aiter(sub))
                out.print(book_view(info, snapshot, args.depth))
                return 0
            first = await anext(aiter(sub))
            frames = 1
            with _term.live_view(out, book_view(info, first, args.depth, frames)) as redraw:
                async with _deadline(args.seconds):
                    async for snapshot in sub:
                        if args.count is not None and frames >= args.count:
                            break
                        frames += 1
                        redraw(book_view(info, snapshot, args.depth, frames))
    return 0


def _trade_rows(rows: Sequence[Trade]) -> list[list[str]]:
    return [[when(t.timestamp), dec(t.price), dec(t.size), t.trade_id] for t in rows]


_TRADE_COLUMNS = [("TIME (UTC)", "left"), ("PRICE", "right"), ("SIZE", "right"), ("TRADE", "left")]


async def trades(args: argparse.Namespace) -> int:
    """``kana-async trades MARKET``: recent public trades, or one line per trade with ``--watch``.

    Calls ``GET /getAllTrades``; with ``--watch`` subscribes to the ``recent_trades`` topic
    instead. Prices in quote currency, sizes in the base asset, times in UTC.

    Args:
        args: the parsed command line: ``market``, ``--limit`` (rows to show),
            ``--watch``, ``--seconds`` / ``--count``, ``--network``.

    Returns:
        0 (the exit status).

    Raises:
        Exception: a ``UsageError`` for a user mistake (a bad network, market or option, a
            missing key or wallet), which :func:`kana_async._cli.main` prints as one line with
            exit status 2.
        KanaError: the exchange or the network failed (one line and exit status 1 from
            :func:`kana_async._cli.main`).
    """
    out = _term.console()
    async with connect(args) as kana:
        info = await resolve_market(kana, args.market)
        if not args.watch:
            rows = (await kana.markets.all_trades(info.market_id))[: args.limit]
            title = f"{info.symbol} ({info.market_id}): last {len(rows)} trades"
            out.print(_term.make_table(_TRADE_COLUMNS, _trade_rows(rows), title=title))
            return 0
        await _watch_trades(kana, info, out, args.seconds, args.count)
    return 0


async def _watch_trades(
    kana: KanaClient, info: MarketInfo, out: Any, seconds: float | None, count: int | None
) -> None:
    seen = 0
    out.print(f"{info.symbol} ({info.market_id}): trades as they happen (Ctrl-C to stop)")
    out.print("TIME (UTC)  PRICE  SIZE  TRADE")
    async with kana.streams.recent_trades(info.market_id) as sub, _deadline(seconds):
        await wait_connected(kana)
        async for item in sub:
            if isinstance(item, Reconnected):
                out.print(f"-- reconnected after {item.downtime:.1f}s; trades may be missing")
                continue
            out.print(
                f"{when(item.timestamp)}  {dec(item.price)}  {dec(item.size)}  {item.trade_id}"
            )
            seen += 1
            if count is not None and seen >= count:
                break
