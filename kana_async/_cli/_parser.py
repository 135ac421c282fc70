"""The ``kana-async`` command line: every command and option (argparse)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

from kana_async._cli._record_cmd import subscription_arg
from kana_async._cli._stream_cmd import TOPICS
from kana_async._cli._trade_cmd import SIDES, decimal_arg, order_id_arg

__all__ = ["build_parser"]

_NETWORK_HELP = (
    "testnet, mainnet, sim (a 'kana-async sim' on this machine), an http(s) REST URL, or a "
    "network file written by 'kana-async sim --network-file'; default: $KANA_NETWORK, else testnet"
)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (``kana-async: error: ...``), exit 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"kana-async: error: {message} (see {self.prog} --help)\n")
        sys.exit(2)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds: {text!r}")
    return value


def _common(*, suppress: bool) -> _Parser:
    """``--network`` and ``--address``, accepted before or after the command name."""
    default = argparse.SUPPRESS if suppress else None
    common = _Parser(add_help=False)
    common.add_argument("--network", "-n", default=default, metavar="NETWORK", help=_NETWORK_HELP)
    common.add_argument(
        "--address",
        default=default,
        metavar="0x…",
        help="wallet to read (default: the address of $KANA_PRIVATE_KEY)",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``kana-async``: every command, its arguments and ``--version``.

    Returns:
        The parser; after ``parse_args``, ``args.command`` names the chosen command (``None``
        when none was given). Its errors are one ``kana-async: error:`` line and exit 2.

    Never raises.
    """
    from kana_async import __version__

    parser = _Parser(
        prog="kana-async",
        description="Kana Perps from the terminal: market data, account, history, streams, "
        "trading, and a local simulator. Keys come from the environment only "
        "(KANA_PRIVATE_KEY, KANA_API_KEY).",
        parents=[_common(suppress=False)],
    )
    parser.add_argument("--version", action="version", version=f"kana-async {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    common = [_common(suppress=True)]

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = commands.add_parser(
            name, help=help_text, description=help_text, parents=common
        )
        return sub

    json_help = "one JSON object per line instead of a table (decimals as strings)"
    markets = command("markets", "every market with best prices, tick, lot and leverage")
    markets.add_argument("--json", action="store_true", help=json_help)
    price = command("price", "best bid/ask, mid, spread and last price of a market")
    price.add_argument("--json", action="store_true", help=json_help)
    price.add_argument("market", metavar="MARKET", help="market id or symbol (1338, APT-USD)")

    book = command("book", "the order book; --watch redraws it in place as it changes")
    book.add_argument("market", metavar="MARKET", help="market id or symbol")
    book.add_argument("--watch", "-w", action="store_true", help="keep updating until Ctrl-C")
    book.add_argument("--depth", type=_positive_int, default=10, help="levels per side (10)")
    book.add_argument("--seconds", type=_seconds, default=None, help="stop watching after S s")
    book.add_argument("--count", type=_positive_int, default=None, help="stop after N updates")

    trades = command("trades", "recent public trades; --watch prints new ones as they happen")
    trades.add_argument("market", metavar="MARKET", help="market id or symbol")
    trades.add_argument("--watch", "-w", action="store_true", help="keep printing until Ctrl-C")
    trades.add_argument("--limit", type=_positive_int, default=20, help="rows to show (20)")
    trades.add_argument("--seconds", type=_seconds, default=None, help="stop watching after S s")
    trades.add_argument("--count", type=_positive_int, default=None, help="stop after N trades")

    positions = command("positions", "open positions of the wallet")
    positions.add_argument("--json", action="store_true", help=json_help)
    orders = command("orders", "resting orders of the wallet")
    orders.add_argument("--json", action="store_true", help=json_help)
    orders.add_argument("--market", default=None, help="only this market (id or symbol)")

    history = command("history", "a whole history of the wallet, every page")
    history.add_argument("kind", choices=["orders", "trades", "fills", "funding", "transfers"])
    history.add_argument("--market", default=None, help="only this market (id or symbol)")
    history.add_argument(
        "--format",
        choices=["table", "csv", "jsonl"],
        default="table",
        help="table (default), csv with a header row, or jsonl (one JSON object per line)",
    )
    history.add_argument("--out", type=Path, default=None, metavar="FILE", help="write to FILE")
    history.add_argument("--limit", type=_positive_int, default=None, help="stop after N rows")
    history.add_argument("--page-size", type=_positive_int, default=50, help="rows per request")

    stream = command("stream", "a websocket topic as JSON lines on stdout (pipeable)")
    stream.add_argument("topic", choices=TOPICS, metavar="TOPIC", help=", ".join(TOPICS))
    stream.add_argument(
        "key",
        nargs="?",
        default=None,
        metavar="KEY",
        help="market (id or symbol) for market topics; profile address for account topics",
    )
    stream.add_argument("--count", type=_positive_int, default=None, help="stop after N items")

    record = command(
        "record", "websocket frames of chosen topics into a file 'sim --replay' serves"
    )
    record.add_argument(
        "subscriptions",
        nargs="+",
        type=subscription_arg,
        metavar="TOPIC[:KEY]",
        help="e.g. orderbook:APT-USD recent_trades:1338; account topics take a profile address "
        "(default: the wallet's), live_funding_rate no KEY",
    )
    record.add_argument(
        "--out", "-o", type=Path, required=True, metavar="FILE", help="the recording (JSON lines)"
    )
    record.add_argument("--frames", type=_positive_int, default=None, help="stop after N frames")
    record.add_argument("--seconds", type=_seconds, default=None, help="stop after S seconds")

    for name, help_text in (
        ("place", "place a limit (--price) or market order"),
        ("cancel", "cancel a resting order"),
    ):
        trade = command(name, help_text)
        trade.add_argument("market", metavar="MARKET", help="market id or symbol")
        if name == "place":
            trade.add_argument("side", choices=sorted(SIDES), help="long/buy or short/sell")
            trade.add_argument("size", type=decimal_arg, help="size in the base asset (0.5)")
            trade.add_argument("--price", type=decimal_arg, default=None, help="limit price")
            trade.add_argument("--leverage", type=_positive_int, default=1, help="leverage (1)")
            trade.add_argument("--close", action="store_true", help="reduce/close a position")
        else:
            trade.add_argument("order_id", type=order_id_arg, metavar="ORDER_ID")
            trade.add_argument(
                "--side",
                choices=sorted(SIDES),
                default=None,
                help="the order's side (found by the SDK when omitted)",
            )
        trade.add_argument("--dry-run", action="store_true", help="simulate, submit nothing")
        trade.add_argument("--yes", "-y", action="store_true", help="do not ask to confirm")

    demo = commands.add_parser("demo", help="a short trading session against the simulator")
    demo.add_argument("--seed", type=int, default=0, help="simulator seed")
    sim = commands.add_parser(
        "sim", help="run the local Kana simulator (REST, websocket, Aptos node)"
    )
    from kana_async.sim.__main__ import add_arguments

    add_arguments(sim)
    return parser
