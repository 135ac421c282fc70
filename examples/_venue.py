"""Where the examples trade: an in-process simulator (default), a standalone venue, or testnet.

Every example takes the same options::

    python examples/place_and_cancel.py            # an in-process Simulator, a funded account
    kana-async sim --network-file network.json     # elsewhere: a standalone venue; then
    KANA_NETWORK=network.json KANA_PRIVATE_KEY=0x... python examples/place_and_cancel.py
    KANA_PRIVATE_KEY=0x... python examples/place_and_cancel.py \\
        --rest-url http://127.0.0.1:8080 --node-url http://127.0.0.1:8081/v1   # or by URL
    KANA_PRIVATE_KEY=0x... KANA_API_KEY=... python examples/place_and_cancel.py --network testnet

``open_venue`` hands back an open :class:`~kana_async.KanaClient` (with a signing account) and the
market id to use; it closes everything on the way out. The private key is read from the
environment and never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from kana_async import Account, KanaClient, KanaError, Network

if TYPE_CHECKING:
    from kana_async.sim import Simulator

__all__ = [
    "UsageError",
    "Venue",
    "add_venue_arguments",
    "amount",
    "open_venue",
    "positive",
    "run_main",
    "say",
]


def say(text: str) -> None:
    """Print a line right away (the tests read the output of a running process)."""
    print(text, flush=True)


def add_venue_arguments(parser: argparse.ArgumentParser, *, seconds: float) -> None:
    """The options every example shares."""
    parser.add_argument(
        "--seconds", type=float, default=seconds, help=f"how long to run (default {seconds:g})"
    )
    parser.add_argument(
        "--network",
        default=os.environ.get("KANA_NETWORK") or "sim",
        help="sim (default unless KANA_NETWORK is set): an in-process simulator; testnet / "
        "mainnet: the real exchange (needs KANA_PRIVATE_KEY and KANA_API_KEY); a REST URL or a "
        "network file (kana-async sim --network-file) for a standalone venue",
    )
    parser.add_argument(
        "--rest-url", help="a standalone venue's REST URL (python -m kana_async.sim)"
    )
    parser.add_argument("--ws-url", help="its websocket URL (default: derived from --rest-url)")
    parser.add_argument("--node-url", help="its Aptos node URL, ending in /v1")
    parser.add_argument("--chain-id", type=int, default=4, help="its chain id (simulator: 4)")
    parser.add_argument("--market", default="APT-USD", help="market symbol or id (APT-USD)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the in-process simulator")


def amount(text: str) -> Decimal:
    """An argparse type: a non-negative decimal amount (money never goes through float)."""
    try:
        value = Decimal(text)
    except ArithmeticError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value.is_finite() or value < 0:
        raise argparse.ArgumentTypeError(f"not a non-negative amount: {text!r}")
    return value


def positive(text: str) -> int:
    """An argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


@dataclass
class Venue:
    """An open client, the market to trade and, for the in-process venue, the simulator."""

    kana: KanaClient
    market_id: int
    sim: Simulator | None = None


@contextlib.asynccontextmanager
async def open_venue(args: argparse.Namespace, *, trading: bool = True) -> AsyncIterator[Venue]:
    """Start (or connect to) the venue ``args`` names and open a client on it.

    ``trading=False``: market data only, no private key needed for a remote venue.
    """
    if args.rest_url is None and args.network == "sim":
        from kana_async.sim import Simulator

        async with Simulator(seed=args.seed, tick_interval=0.1) as sim:
            funded = sim.new_account(apt=Decimal("10"), usdt=Decimal("10000"))
            test_account = Account.from_hex(funded.private_key_hex)
            say(f"venue: in-process simulator at {sim.network.rest_url}")
            async with KanaClient(sim.network, account=test_account) as kana:
                yield Venue(kana, _market(sim.network, args.market), sim)
        return
    network = _remote_network(args)
    account: Account | None = None
    if trading:
        try:
            account = Account.from_env()  # KANA_PRIVATE_KEY
        except KanaError as exc:
            raise UsageError(f"{exc} (trading on {network.name} needs a private key)") from None
    say(f"venue: {network.name} at {network.rest_url}")
    async with KanaClient(network, account=account) as kana:  # API key from KANA_API_KEY
        yield Venue(kana, await _remote_market(kana, args.market))


def _remote_network(args: argparse.Namespace) -> Network:
    if args.rest_url is None:
        try:
            return Network.resolve(args.network)  # testnet, mainnet, a URL or a network file
        except KanaError as exc:
            raise UsageError(str(exc)) from None
    if args.node_url is None:
        raise UsageError("--rest-url needs --node-url too (the venue prints both)")
    rest = args.rest_url.rstrip("/")
    ws = args.ws_url or rest.replace("http", "ws", 1) + "/ws/"
    return Network(
        name="standalone",
        rest_url=rest,
        ws_url=ws,
        node_url=args.node_url,
        chain_id=args.chain_id,
        markets={"APT-USD": 1338, "BTC-USD": 1339, "ETH-USD": 1340, "SOL-USD": 2387},
    )


async def _remote_market(kana: KanaClient, market: str) -> int:
    """The market id on a remote venue; a bare URL names no markets, so ask the venue."""
    if market.isdigit() or kana.network.markets:
        return _market(kana.network, market)
    wanted = market.upper().split("-", 1)[0]
    for info in await kana.markets.all():
        if info.symbol.split("-", 1)[0] == wanted:
            return info.market_id
    raise UsageError(f"no market {market!r} on {kana.network.name}")


def _market(network: Network, market: str) -> int:
    if market.isdigit():
        return int(market)
    try:
        return network.market_id(market)
    except KeyError as exc:
        raise UsageError(exc.args[0]) from None


class UsageError(Exception):
    """Bad options: reported on stderr with exit status 2, before anything is traded."""


def run_main(main: Coroutine[Any, Any, None]) -> int:
    """``asyncio.run(main)``; a :class:`UsageError` exits 2 and Ctrl-C exits 130."""
    try:
        asyncio.run(main)
    except UsageError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    return 0
