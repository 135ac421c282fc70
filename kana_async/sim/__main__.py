"""``python -m kana_async.sim``: run the local Kana exchange as a standalone venue.

Prints the REST / websocket / node URLs and a funded test account, then serves until Ctrl-C
(or SIGTERM). Bots in other processes point a custom ``Network`` at the printed URLs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence

__all__ = ["add_arguments", "main", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The simulator's command-line options (shared with ``python -m kana_async sim``)."""
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default loopback)")
    parser.add_argument("--port", type=int, default=8080, help="REST + websocket port (0: any)")
    parser.add_argument("--node-port", type=int, default=0, help="fake Aptos node port (0: any)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the maker and the accounts")
    parser.add_argument("--api-key", default=None, help="require this x-api-key on REST calls")
    parser.add_argument(
        "--no-market-maker", action="store_true", help="do not run the house market maker"
    )
    parser.add_argument("--accounts", type=int, default=1, help="funded accounts to print")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")


async def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; returns the exit status."""
    from kana_async.sim.server import Simulator

    sim = Simulator(
        seed=args.seed,
        api_key=args.api_key,
        market_maker=not args.no_market_maker,
        host=args.host,
        port=args.port,
        node_port=args.node_port,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    async with sim:
        net = sim.network
        out = sys.stdout
        out.write("Kana simulator running (Ctrl-C to stop)\n")
        out.write(f"  REST     {net.rest_url}\n")
        out.write(f"  WS       {net.ws_url}\n")
        out.write(f"  node     {net.node_url}\n")
        out.write(f"  chain id {net.chain_id}\n")
        out.write(f"  markets  {', '.join(f'{k}={v}' for k, v in net.markets.items())}\n")
        if args.api_key:
            out.write("  api key  required (x-api-key)\n")
        for _ in range(max(0, args.accounts)):
            account = sim.new_account()
            out.write(f"  account  {account.address}\n")
            out.write(f"    private key {account.private_key_hex}\n")
            out.write(f"    profile     {account.profile_address}\n")
        out.flush()
        await stop.wait()
    sys.stdout.write("simulator stopped\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m kana_async.sim``."""
    parser = argparse.ArgumentParser(
        prog="python -m kana_async.sim", description="Run the local Kana Perps simulator."
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    try:
        return asyncio.run(run(args))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
