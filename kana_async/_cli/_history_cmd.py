"""``history KIND``: every row of one history of a wallet, page by page, with a progress bar.

Kinds: ``orders``, ``trades``, ``fills``, ``funding``, ``transfers``. Output as a table, CSV
(header: the wire field names) or JSON lines, to stdout or ``--out FILE``.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from kana_async._cli import _term
from kana_async._cli._errors import UsageError
from kana_async._cli._fmt import CsvWriter, dec, json_line, row_dict, side_name, when
from kana_async._cli._session import connect, resolve_market
from kana_async._client import KanaClient
from kana_async._pagination import PageIterator
from kana_async.models.account import FundingEntry, Transfer
from kana_async.models.orders import OrderHistoryEntry
from kana_async.models.trades import Trade

__all__ = ["HISTORIES", "history"]


@dataclass(frozen=True)
class _History:
    """One kind of history: its model, how to walk it, and its table."""

    model: type[Any]
    pages: Callable[[KanaClient, int | None, int], PageIterator[Any]]
    columns: list[_term.Column]
    cells: Callable[[Any], list[str]]


def _trade_cells(t: Trade) -> list[str]:
    return [
        when(t.timestamp, date=True),
        str(t.market_id),
        dec(t.price),
        dec(t.size),
        dec(t.fee),
        dec(t.pnl),
        t.order_id or "-",
    ]


_TRADE_COLUMNS: list[_term.Column] = [
    ("TIME (UTC)", "left"),
    ("MARKET", "right"),
    ("PRICE", "right"),
    ("SIZE", "right"),
    ("FEE", "right"),
    ("PNL", "right"),
    ("ORDER ID", "left"),
]


def _order_cells(o: OrderHistoryEntry) -> list[str]:
    return [
        when(o.timestamp, date=True),
        str(o.market_id),
        o.order_id,
        str(o.status),
        dec(o.price),
        dec(o.size),
        f"{o.leverage}x",
    ]


def _funding_cells(f: FundingEntry) -> list[str]:
    return [
        when(f.timestamp, date=True),
        dec(f.market_id),
        side_name(f.trade_side),
        dec(f.size),
        dec(f.funding_rate),
        dec(f.amount),
    ]


def _transfer_cells(t: Transfer) -> list[str]:
    return [when(t.timestamp, date=True), "deposit" if t.is_deposit else "withdraw", dec(t.amount)]


HISTORIES: dict[str, _History] = {
    "orders": _History(
        OrderHistoryEntry,
        lambda k, m, n: k.history.iter_orders(m, page_size=n),
        [
            ("TIME (UTC)", "left"),
            ("MARKET", "right"),
            ("ORDER ID", "left"),
            ("STATUS", "left"),
            ("PRICE", "right"),
            ("SIZE", "right"),
            ("LEV", "right"),
        ],
        _order_cells,
    ),
    "trades": _History(
        Trade, lambda k, m, n: k.history.iter_trades(m, page_size=n), _TRADE_COLUMNS, _trade_cells
    ),
    "fills": _History(
        Trade,
        lambda k, m, n: k.history.iter_fills(market_id=m, page_size=n),
        _TRADE_COLUMNS,
        _trade_cells,
    ),
    "funding": _History(
        FundingEntry,
        lambda k, m, n: k.history.iter_funding(m, page_size=n),
        [
            ("TIME (UTC)", "left"),
            ("MARKET", "right"),
            ("SIDE", "left"),
            ("SIZE", "right"),
            ("RATE", "right"),
            ("AMOUNT", "right"),
        ],
        _funding_cells,
    ),
    "transfers": _History(
        Transfer,
        lambda k, m, n: k.history.iter_transfers(page_size=n),
        [("TIME (UTC)", "left"), ("KIND", "left"), ("AMOUNT", "right")],
        _transfer_cells,
    ),
}


@contextlib.contextmanager
def _output(path: Path | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        return
    try:
        handle = path.open("w", encoding="utf-8", newline="")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    with handle:
        yield handle


async def _walk(
    kana: KanaClient,
    kind: _History,
    market_id: int | None,
    page_size: int,
    limit: int | None,
    label: str,
) -> AsyncIterator[Any]:
    pages = kind.pages(kana, market_id, page_size)
    count = 0
    with _term.page_progress(label) as update:
        async for row in pages:
            count += 1
            update(pages.pages_fetched, count)
            yield row
            if limit is not None and count >= limit:
                return


async def history(args: argparse.Namespace) -> int:
    """``kana-async history KIND``: every row of one history, page by page.

    Walks the history's REST path (``GET /getOrderHistory``, ``/getTradeHistory``,
    ``/getFillsForGivenTimestamp``, ``/getFundingHistory`` or
    ``/getDepositAndWithdrawHistory``) to its end, with a progress line on a terminal's stderr.

    Args:
        args: the parsed command line: ``kind``; ``--market`` (not for ``transfers``);
            ``--format`` ``table``, ``csv`` or ``jsonl``; ``--out FILE`` (csv or jsonl only;
            default stdout); ``--limit`` (rows at most); ``--page-size`` (rows per request);
            ``--network``; ``--address``.

    Returns:
        0 (the exit status).

    Raises:
        Exception: a ``UsageError`` for a user mistake (a bad network, market or option, a
            missing key or wallet), which :func:`kana_async._cli.main` prints as one line with
            exit status 2.
        KanaError: the exchange or the network failed (one line and exit status 1 from
            :func:`kana_async._cli.main`).
    """
    kind = HISTORIES[args.kind]
    if args.market is not None and args.kind == "transfers":
        raise UsageError("history transfers has no --market (deposits are not per market)")
    if args.out is not None and args.format == "table":
        raise UsageError("--out needs --format csv or --format jsonl")
    async with connect(args, wallet_for=f"history {args.kind}") as kana:
        market = None if args.market is None else (await resolve_market(kana, args.market))
        market_id = None if market is None else market.market_id
        rows = _walk(kana, kind, market_id, args.page_size, args.limit, f"history {args.kind}")
        count = 0
        if args.format == "table":
            cells = [kind.cells(row) async for row in rows]
            count = len(cells)
            title = f"{args.kind} history of {kana.wallet_address}: {count} rows"
            _term.console().print(_term.make_table(kind.columns, cells, title=title))
            return 0
        with _output(args.out) as out:
            if args.format == "csv":
                writer = CsvWriter(out, kind.model)
                async for row in rows:
                    writer.write(row)
                    count += 1
            else:
                async for row in rows:
                    out.write(json_line(row_dict(row)))
                    count += 1
            out.flush()
    if args.out is not None:
        sys.stderr.write(f"wrote {count} {args.kind} rows to {args.out}\n")
    return 0
