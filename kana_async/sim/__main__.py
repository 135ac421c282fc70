"""``python -m kana_async.sim`` (also ``kana-async sim``): the local Kana exchange as a standalone
venue.

Prints the REST / websocket / node URLs, the network as one line of JSON, and funded test
accounts, then serves until Ctrl-C (or SIGTERM). ``--network-file PATH`` also writes the network
to a file; a bot in another process loads it with ``Network.from_file(PATH)`` (or
``KANA_NETWORK=PATH``). ``-v`` logs one line per HTTP request, REST and node alike.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import json
import logging
import re
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

__all__ = ["add_arguments", "main", "run"]

#: The standalone venue's REST + websocket port; its node listens on the next port up.
DEFAULT_PORT = 8080


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The simulator's command-line options (shared with ``python -m kana_async sim``)."""
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default loopback)")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="REST + websocket port (0: any free port)"
    )
    parser.add_argument(
        "--node-port",
        type=int,
        default=None,
        help="fake Aptos node port (default: --port + 1, or any free port when --port is 0)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the maker and the accounts")
    parser.add_argument("--api-key", default=None, help="require this x-api-key on REST calls")
    parser.add_argument(
        "--no-market-maker", action="store_true", help="do not run the house market maker"
    )
    parser.add_argument("--accounts", type=int, default=1, help="funded accounts to print")
    parser.add_argument(
        "--network-file",
        type=Path,
        default=None,
        metavar="PATH",
        help="also write the network as JSON to PATH (Network.from_file / KANA_NETWORK read it)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log one line per request")


def node_port_of(args: argparse.Namespace) -> int:
    """The node port to bind: ``--node-port``, else ``--port + 1`` (0 when ``--port`` is 0)."""
    if args.node_port is not None:
        return int(args.node_port)
    return int(args.port) + 1 if args.port else 0


def configure_logging(verbose: bool) -> None:
    """``-v``: timestamped INFO lines on stderr (one per request); else warnings only."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(message)s",
        stream=sys.stderr,
    )


async def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Serve until interrupted; returns the exit status (1 when a port cannot be bound)."""
    from kana_async.sim.server import Simulator

    out = out or sys.stdout
    sim = Simulator(
        seed=args.seed,
        api_key=args.api_key,
        market_maker=not args.no_market_maker,
        host=args.host,
        port=args.port,
        node_port=node_port_of(args),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await sim.start()
    except OSError as exc:
        sys.stderr.write(f"kana-async sim: {_bind_error(exc, args)}\n")
        return 1
    try:
        net = sim.network
        if args.network_file is not None:
            try:
                net.write_file(args.network_file)
            except OSError as exc:
                sys.stderr.write(
                    f"kana-async sim: cannot write {args.network_file}: {exc.strerror}\n"
                )
                return 1
        out.write("Kana simulator running (Ctrl-C to stop)\n")
        out.write(f"  REST     {net.rest_url}\n")
        out.write(f"  WS       {net.ws_url}\n")
        out.write(f"  node     {net.node_url}\n")
        out.write(f"  chain id {net.chain_id}\n")
        out.write(f"  markets  {', '.join(f'{k}={v}' for k, v in net.markets.items())}\n")
        out.write(f"  network  {json.dumps(net.to_dict(), separators=(',', ':'))}\n")
        if args.network_file is not None:
            out.write(
                f"  network file {args.network_file} (export KANA_NETWORK={args.network_file})\n"
            )
        if args.api_key:
            out.write("  api key  required (x-api-key)\n")
        for _ in range(max(0, args.accounts)):
            account = sim.new_account()
            out.write(f"  account  {account.address}\n")
            out.write(f"    private key {account.private_key_hex}\n")
            out.write(f"    profile     {account.profile_address}\n")
        out.flush()
        await stop.wait()
    finally:
        await sim.aclose()
    out.write("simulator stopped\n")
    out.flush()
    return 0


def _bind_error(exc: OSError, args: argparse.Namespace) -> str:
    """One line for a server that could not listen (port in use, bad host, no permission)."""
    found = re.search(r"\(['\"]?([^'\",]+)['\"]?, (\d+)\)", str(exc))
    where = f"{found.group(1)}:{found.group(2)}" if found else f"{args.host}"
    if exc.errno == errno.EADDRINUSE:
        return (
            f"port {where} is already in use; stop the other process or pick another "
            "with --port / --node-port (0: any free port)"
        )
    if exc.errno == errno.EACCES:
        return f"no permission to listen on {where}; use a port above 1023"
    reason = exc.strerror or str(exc)
    return f"cannot listen on {where}: {reason}"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m kana_async.sim``."""
    parser = argparse.ArgumentParser(
        prog="python -m kana_async.sim", description="Run the local Kana Perps simulator."
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    try:
        return asyncio.run(run(args))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
