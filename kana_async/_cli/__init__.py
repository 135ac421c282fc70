"""The ``kana-async`` command line (also ``python -m kana_async``).

Each command lives in one module (:mod:`._market_cmds`, :mod:`._account_cmds`,
:mod:`._history_cmd`, :mod:`._stream_cmd`, :mod:`._trade_cmd`, :mod:`._record_cmd`); this
module runs the chosen one and turns every user mistake (unknown market, bad option, missing
key, unreachable network) into one line on stderr and a non-zero exit status: 2 for usage, 1
for errors from the exchange or the network, 130 for Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from kana_async._cli._errors import UsageError

__all__ = ["main"]

Handler = Callable[[argparse.Namespace], Coroutine[Any, Any, int]]


def _handler(command: str) -> Handler:
    from kana_async._cli import (
        _account_cmds,
        _history_cmd,
        _market_cmds,
        _record_cmd,
        _stream_cmd,
        _trade_cmd,
    )

    handlers: dict[str, Handler] = {
        "markets": _market_cmds.markets,
        "price": _market_cmds.price,
        "book": _market_cmds.book,
        "trades": _market_cmds.trades,
        "positions": _account_cmds.positions,
        "orders": _account_cmds.orders,
        "history": _history_cmd.history,
        "stream": _stream_cmd.stream,
        "record": _record_cmd.record,
        "place": _trade_cmd.place,
        "cancel": _trade_cmd.cancel,
    }
    return handlers[command]


def _fail(message: str, status: int) -> int:
    sys.stderr.write(f"kana-async: error: {message}\n")
    return status


def _quiet_stdout() -> None:
    """After a reader closed the pipe: point stdout at /dev/null so the final flush is silent."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``kana-async`` with a command line.

    Errors of the exchange, the network or the user are reported as one line on stderr, never a
    traceback.

    Args:
        argv: the arguments after the program name (default ``sys.argv[1:]``).

    Returns:
        The exit status: 0 on success, 2 for a usage mistake (or no command: the help is
        printed), 1 for an error from the exchange or the network, 130 for Ctrl-C.

    Raises:
        SystemExit: from argparse for ``--help`` and ``--version`` (status 0) and for a
            malformed command line (status 2, after one ``kana-async: error:`` line).
    """
    from kana_async._cli._parser import build_parser

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if args.command == "demo":
        from kana_async.demo import main as demo_main

        return demo_main(seed=args.seed)
    if args.command == "sim":
        return _run_sim(args)
    return _run(args)


def _run_sim(args: argparse.Namespace) -> int:
    from kana_async.sim.__main__ import configure_logging, run

    configure_logging(args.verbose)
    try:
        return asyncio.run(run(args))
    except KeyboardInterrupt:
        return 0


def _run(args: argparse.Namespace) -> int:
    from kana_async._config import Network
    from kana_async._exceptions import ConnectError, KanaError, RequestTimeoutError

    try:
        if args.command != "stream":
            from kana_async._cli._term import require_rich

            require_rich()
        return asyncio.run(_handler(args.command)(args))
    except UsageError as exc:
        return _fail(str(exc), 2)
    except (ConnectError, RequestTimeoutError) as exc:
        network: Network | None = None
        try:
            from kana_async._cli._session import network_of

            network = network_of(args)
        except UsageError:
            network = None
        where = f"{network.name} ({network.rest_url})" if network is not None else "the network"
        return _fail(f"cannot reach {where}: {exc}", 1)
    except KanaError as exc:
        return _fail(str(exc), 1)
    except BrokenPipeError:
        _quiet_stdout()
        return 0
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        return _fail(exc.strerror or str(exc), 1)
