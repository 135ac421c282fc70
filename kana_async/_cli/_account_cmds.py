"""Account commands: ``positions`` and ``orders`` of a wallet (no signing)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kana_async._cli import _term
from kana_async._cli._fmt import dec, json_line, row_dict, side_name, when
from kana_async._cli._session import connect, resolve_market

__all__ = ["orders", "positions"]


def _json_lines(rows: list[Any]) -> int:
    for row in rows:
        sys.stdout.write(json_line(row_dict(row)))
    sys.stdout.flush()
    return 0


async def positions(args: argparse.Namespace) -> int:
    """``kana-async positions``: the wallet's open positions as a table (``GET /getPositions``).

    Args:
        args: the parsed command line: ``--json`` (one JSON object per position instead),
            ``--network``, ``--address`` (default: the wallet of ``KANA_PRIVATE_KEY``).

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
    async with connect(args, wallet_for="positions") as kana:
        rows = await kana.portfolio.positions()
        wallet = kana.wallet_address
    if args.json:
        return _json_lines(rows)
    if not rows:
        out.print(f"no open positions for {wallet}")
        return 0
    table = [
        [
            str(p.market_id),
            side_name(p.is_long if p.is_long is not None else p.trade_side),
            dec(p.size),
            dec(p.entry_price),
            dec(p.liq_price),
            dec(p.margin),
            dec(p.value),
            f"{p.leverage}x",
        ]
        for p in rows
    ]
    columns = [
        ("MARKET", "right"),
        ("SIDE", "left"),
        ("SIZE", "right"),
        ("ENTRY", "right"),
        ("LIQ", "right"),
        ("MARGIN", "right"),
        ("VALUE", "right"),
        ("LEV", "right"),
    ]
    out.print(_term.make_table(columns, table, title=f"Positions of {wallet}"))
    return 0


async def orders(args: argparse.Namespace) -> int:
    """``kana-async orders``: the wallet's resting orders as a table (``GET /getOpenOrders``).

    Args:
        args: the parsed command line: ``--market`` (an id or symbol; default every market),
            ``--json``, ``--network``, ``--address``.

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
    async with connect(args, wallet_for="orders") as kana:
        market = None if args.market is None else (await resolve_market(kana, args.market))
        rows = await kana.portfolio.open_orders(None if market is None else market.market_id)
        wallet = kana.wallet_address
    if args.json:
        return _json_lines(rows)
    if not rows:
        out.print(f"no open orders for {wallet}")
        return 0
    table = [
        [
            str(o.market_id),
            o.order_id,
            dec(o.price),
            dec(o.total_size),
            dec(o.remaining_size),
            f"{o.leverage}x",
            when(o.timestamp),
        ]
        for o in rows
    ]
    columns = [
        ("MARKET", "right"),
        ("ORDER ID", "left"),
        ("PRICE", "right"),
        ("SIZE", "right"),
        ("LEFT", "right"),
        ("LEV", "right"),
        ("TIME (UTC)", "left"),
    ]
    out.print(_term.make_table(columns, table, title=f"Open orders of {wallet}"))
    return 0
