"""Running ``kana-async`` as a user does: a subprocess against a standalone simulator process.

:func:`start_venue` starts ``python -m kana_async sim --network-file ...`` and reads the funded
accounts it prints; :func:`cli` runs one command with ``KANA_NETWORK`` pointing at the file.
The ``world`` fixture is one such simulator for the whole session, whose first account the SDK
has given some history: a deposit, three resting limit buys well below the market and a market
buy (a position, trades and fills). The only deadlines are generous ones that turn a hang into a
failure.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest

from kana_async import Account, KanaClient, Network, Side

HANG = 120  # seconds: only there to turn a hang into a failure


@dataclass
class Venue:
    """A running ``kana-async sim`` and what it printed."""

    proc: subprocess.Popen[str]
    network_file: Path
    keys: list[str] = field(default_factory=list)
    banner: list[str] = field(default_factory=list)

    stderr: str = ""

    def stop(self) -> str:
        """SIGTERM, then the rest of its stdout (its whole stderr lands in :attr:`stderr`)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            out, self.stderr = self.proc.communicate(timeout=HANG)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, self.stderr = self.proc.communicate()
        return out


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without the caller's keys or network, warnings as errors, wide tables."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("KANA_PRIVATE_KEY", "KANA_API_KEY", "KANA_NETWORK", "COLUMNS")
    }
    env["PYTHONWARNINGS"] = "error"
    env["COLUMNS"] = "200"
    env.update(extra)
    return env


def start_venue(directory: Path, *extra: str, accounts: int = 1) -> Venue:
    """Start a standalone simulator writing its network to ``directory/network.json``."""
    network_file = directory / "network.json"
    argv = [
        sys.executable,
        "-m",
        "kana_async",
        "sim",
        "--port",
        "0",
        "--network-file",
        str(network_file),
        "--accounts",
        str(accounts),
        *extra,
    ]
    proc = subprocess.Popen(
        argv,
        cwd=directory,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    venue = Venue(proc, network_file)
    assert proc.stdout is not None
    for line in proc.stdout:
        venue.banner.append(line)
        words = line.split()
        if words[:2] == ["private", "key"]:
            venue.keys.append(words[2])
            if len(venue.keys) == accounts:
                break
    if len(venue.keys) != accounts:
        venue.stop()
        raise AssertionError(f"the simulator did not start: {venue.banner}")
    return venue


@dataclass
class Ran:
    """A finished command."""

    returncode: int
    stdout: str
    stderr: str


def cli(
    *argv: str,
    network: Path | str | None = None,
    key: str | None = None,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
) -> Ran:
    """Run ``python -m kana_async ARGV`` with ``KANA_NETWORK`` / ``KANA_PRIVATE_KEY`` set."""
    extra = dict(env or {})
    if network is not None:
        extra["KANA_NETWORK"] = str(network)
    if key is not None:
        extra["KANA_PRIVATE_KEY"] = key
    proc = subprocess.run(
        [sys.executable, "-m", "kana_async", *argv],
        env=clean_env(**extra),
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=HANG,
        check=False,
    )
    return Ran(proc.returncode, proc.stdout, proc.stderr)


def ok(ran: Ran) -> str:
    """The stdout of a command that must have succeeded without a traceback."""
    assert ran.returncode == 0, f"exit {ran.returncode}\n{ran.stdout}\n{ran.stderr}"
    assert "Traceback" not in ran.stderr, ran.stderr
    return ran.stdout


def one_line_error(ran: Ran) -> str:
    """The single stderr line of a command that must have failed as a user mistake."""
    assert ran.returncode != 0, f"expected a failure:\n{ran.stdout}\n{ran.stderr}"
    assert "Traceback" not in ran.stderr, ran.stderr
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1, ran.stderr
    return lines[0]


MARKET = 1338  # APT-USD


@dataclass
class World:
    """The session's simulator and what the SDK put into its accounts.

    ``key`` / ``address``: the account with history (never traded by the tests, so its counts
    hold in any test order); ``empty_address``: a wallet with nothing; ``trader_key``: an account
    with 100 USDT deposited for the tests that place and cancel.
    """

    venue: Venue
    key: str
    address: str
    empty_address: str
    resting: list[str]
    counts: dict[str, int]
    trader_key: str

    @property
    def network(self) -> Path:
        return self.venue.network_file


async def _fund(network: Network, key: str) -> None:
    async with KanaClient(network, account=Account.from_hex(key)) as kana:
        await kana.trading.deposit(Decimal("100"))


async def _prepare(network: Network, key: str) -> tuple[list[str], dict[str, int]]:
    async with KanaClient(network, account=Account.from_hex(key)) as kana:
        await kana.trading.deposit(Decimal("1000"))
        for price in ("4.000", "4.001", "4.002"):
            await kana.trading.place_limit_order(
                MARKET, side=Side.LONG, size=Decimal("1"), price=Decimal(price), leverage=2
            )
        await kana.trading.place_market_order(MARKET, side=Side.LONG, size=Decimal("1"), leverage=2)
        resting = [o.order_id for o in await kana.portfolio.open_orders(MARKET)]
        history = kana.history
        counts = {
            "orders": len(await history.iter_orders().collect()),
            "trades": len(await history.iter_trades().collect()),
            "fills": len(await history.iter_fills().collect()),
            "funding": len(await history.iter_funding().collect()),
            "transfers": len(await history.iter_transfers().collect()),
        }
    return resting, counts


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    venue = start_venue(tmp_path_factory.mktemp("venue"), "--seed", "7", accounts=3)
    try:
        network = Network.from_file(venue.network_file)
        resting, counts = asyncio.run(_prepare(network, venue.keys[0]))
        asyncio.run(_fund(network, venue.keys[2]))
        addresses = [line.split()[1] for line in venue.banner if line.split()[:1] == ["account"]]
        yield World(
            venue, venue.keys[0], addresses[0], addresses[1], resting, counts, venue.keys[2]
        )
    finally:
        venue.stop()


def run_ok(world: World, *argv: str, key: bool = True) -> str:
    """Run a command against ``world`` (with its key unless ``key=False``); its stdout."""
    return ok(cli(*argv, network=world.network, key=world.key if key else None))
