"""Every ``kana-async`` command, run as a subprocess against a standalone simulator process.

One ``kana-async sim`` serves the whole module. Before the tests, the SDK gives its first funded
account some history: a deposit, three resting limit buys well below the market and a market buy
(a position, trades and fills). Each test then runs the command line the way a user does, with
``KANA_NETWORK`` naming the network file the simulator wrote, and checks what it prints.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from kana_async import Account, KanaClient, Network, Side, __version__
from tests.cli_support import HANG, Venue, clean_env, cli, ok, one_line_error, start_venue
from tests.pty_support import run_in_pty

MARKET = 1338  # APT-USD


@dataclass
class World:
    """The module's simulator and what the SDK put into its first account."""

    venue: Venue
    key: str
    address: str
    empty_address: str
    resting: list[str]
    counts: dict[str, int]

    @property
    def network(self) -> Path:
        return self.venue.network_file


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


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    venue = start_venue(tmp_path_factory.mktemp("venue"), "--seed", "7", accounts=2)
    try:
        network = Network.from_file(venue.network_file)
        resting, counts = asyncio.run(_prepare(network, venue.keys[0]))
        addresses = [line.split()[1] for line in venue.banner if line.split()[:1] == ["account"]]
        yield World(venue, venue.keys[0], addresses[0], addresses[1], resting, counts)
    finally:
        venue.stop()


def _run(world: World, *argv: str, key: bool = True) -> str:
    return ok(cli(*argv, network=world.network, key=world.key if key else None))


# -- general -----------------------------------------------------------------------------------


def test_version() -> None:
    assert ok(cli("--version")).strip() == f"kana-async {__version__}"


def test_console_script_is_the_same_program() -> None:
    script = Path(sys.executable).with_name("kana-async")
    if not script.exists():  # pragma: no cover - only without an editable install
        pytest.fail(f"no console script next to {sys.executable}: pip install -e .")
    proc = subprocess.run(
        [str(script), "--version"], capture_output=True, text=True, env=clean_env(), check=False
    )
    assert proc.stdout.strip() == f"kana-async {__version__}"


def test_help_lists_every_command() -> None:
    out = ok(cli("--help"))
    for command in (
        "markets",
        "price",
        "book",
        "trades",
        "positions",
        "orders",
        "history",
        "stream",
        "place",
        "cancel",
        "demo",
        "sim",
    ):
        assert f"    {command}" in out, out


# -- market data -------------------------------------------------------------------------------


def test_markets_lists_every_market(world: World) -> None:
    out = _run(world, "markets", key=False)
    rows = {
        line.split()[1]: line.split()
        for line in out.splitlines()
        if line.split()[:1] and line.split()[0].isdigit()
    }
    assert {symbol: int(row[0]) for symbol, row in rows.items()} == {
        "APT-USD": 1338,
        "BTC-USD": 1339,
        "ETH-USD": 1340,
        "SOL-USD": 2387,
    }
    apt = rows["APT-USD"]
    bid, ask, tick, lot = (Decimal(v) for v in apt[2:6])
    assert bid < ask
    assert (tick, lot) == (Decimal("0.001"), Decimal("0.001"))
    assert "Decimal(" not in out


@pytest.mark.parametrize("market", ["APT-USD", "1338", "apt"])
def test_price_accepts_an_id_or_a_symbol(world: World, market: str) -> None:
    words = _run(world, "price", market, key=False).split()
    assert words[:2] == ["APT-USD", "(1338)"], words
    values = dict(zip(words[2::2], words[3::2], strict=True))
    bid, ask, mid = Decimal(values["bid"]), Decimal(values["ask"]), Decimal(values["mid"])
    assert bid < ask
    assert mid == (bid + ask) / 2
    assert Decimal(values["spread"]) == ask - bid


def _book_rows(out: str) -> list[list[Decimal]]:
    rows = []
    for line in out.splitlines():
        cells = line.split()
        if len(cells) == 4 and all(c[0].isdigit() for c in cells):
            rows.append([Decimal(c) for c in cells])
    return rows


def test_book_shows_depth_with_spread_and_mid(world: World) -> None:
    out = _run(world, "book", "APT-USD", "--depth", "3", key=False)
    head = out.splitlines()[0].split()
    values = dict(zip(head[2::2], head[3::2], strict=False))
    rows = _book_rows(out)
    assert 1 <= len(rows) <= 3, out
    best_bid, best_ask = rows[0][1], rows[0][2]
    assert Decimal(values["spread"]) == best_ask - best_bid
    assert Decimal(values["mid"]) == (best_bid + best_ask) / 2
    bids = [row[1] for row in rows]
    assert bids == sorted(bids, reverse=True)
    assert "BID SIZE" in out


def test_book_watch_redraws_in_place(world: World) -> None:
    screen = run_in_pty(
        [
            sys.executable,
            "-m",
            "kana_async",
            "book",
            "APT-USD",
            "--watch",
            "--count",
            "3",
            "--depth",
            "3",
        ],
        env=clean_env(KANA_NETWORK=str(world.network)),
    )
    assert screen.returncode == 0, screen.raw
    frames = screen.rows_of("APT-USD (1338)  spread")
    assert len(frames) >= 3, screen.raw  # the live view may draw its last frame once more
    assert len(set(frames)) == 1, f"each update should start on the same row: {frames}"
    assert set(re.findall(rb"updates (\d+)", screen.raw)) == {b"1", b"2", b"3"}
    assert screen.cursor_shown_at_exit, "the cursor must be given back"


def test_trades_shows_recent_trades(world: World) -> None:
    out = _run(world, "trades", "APT-USD", "--limit", "3", key=False)
    assert "APT-USD (1338): last 3 trades" in out
    rows = [line.split() for line in out.splitlines() if line[:3].strip().isdigit()]
    assert len(rows) == 3, out
    for time_of_day, price, size, trade_id in rows:
        assert time_of_day.count(":") == 2
        assert Decimal(price) > 0 and Decimal(size) > 0 and trade_id.isdigit()


def test_trades_watch_prints_trades_as_they_come(world: World) -> None:
    out = _run(world, "trades", "1338", "--watch", "--count", "2", key=False)
    lines = out.splitlines()
    assert lines[0] == "APT-USD (1338): trades as they happen (Ctrl-C to stop)"
    rows = [line.split() for line in lines[2:]]
    assert len(rows) == 2, out
    assert all(Decimal(row[1]) > 0 for row in rows)


# -- the account -------------------------------------------------------------------------------


def test_positions_shows_the_open_position(world: World) -> None:
    out = _run(world, "positions")
    assert f"Positions of {world.address}" in out
    rows = [line.split() for line in out.splitlines() if line.split()[:1] == ["1338"]]
    assert len(rows) == 1, out
    _market, side, size, entry = rows[0][:4]
    assert (side, Decimal(size)) == ("long", Decimal(1))
    assert Decimal(entry) > 4


def test_positions_of_another_wallet_by_address(world: World) -> None:
    for key in (False, True):  # --address wins over the key in the environment
        out = _run(world, "positions", "--address", world.empty_address, key=key)
        assert out.strip() == f"no open positions for {world.empty_address}"


def test_orders_lists_the_resting_orders(world: World) -> None:
    out = _run(world, "orders", "--market", "APT-USD")
    for order_id in world.resting:
        assert order_id in out, out
    prices = {
        Decimal(w)
        for w in out.split()
        if w[:1].isdigit() and w.count(".") <= 1 and w.replace(".", "").isdigit()
    }
    assert {Decimal("4"), Decimal("4.001"), Decimal("4.002")} <= prices


@pytest.mark.parametrize("kind", ["orders", "trades", "fills", "funding", "transfers"])
def test_history_jsonl_walks_every_page(world: World, kind: str) -> None:
    out = _run(world, "history", kind, "--format", "jsonl", "--page-size", "1")
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == world.counts[kind]
    if kind == "transfers":
        assert rows == [rows[0]] and rows[0]["is_deposit"] is True
        assert Decimal(rows[0]["amount"]) == 1000
    if kind == "orders":
        assert len(rows) == 4
        assert all(isinstance(row["order_id"], str) for row in rows)  # u128 ids stay exact


def test_history_csv_to_a_file(world: World, tmp_path: Path) -> None:
    target = tmp_path / "orders.csv"
    ran = cli(
        "history",
        "orders",
        "--format",
        "csv",
        "--out",
        str(target),
        "--page-size",
        "2",
        network=world.network,
        key=world.key,
    )
    ok(ran)
    assert ran.stderr.strip() == f"wrote 4 orders rows to {target}"
    with target.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 4
    assert {row["order_id"] for row in rows} >= set(world.resting)
    assert {Decimal(row["price"]) for row in rows} >= {Decimal(p) for p in ("4", "4.001", "4.002")}


def test_history_shows_a_progress_bar_across_pages_in_a_terminal(
    world: World, tmp_path: Path
) -> None:
    target = tmp_path / "orders.jsonl"
    screen = run_in_pty(
        [
            sys.executable,
            "-m",
            "kana_async",
            "history",
            "orders",
            "--format",
            "jsonl",
            "--out",
            str(target),
            "--page-size",
            "1",
        ],
        env=clean_env(KANA_NETWORK=str(world.network), KANA_PRIVATE_KEY=world.key),
        columns=120,
    )
    assert screen.returncode == 0, screen.raw
    for pages in (1, 2, 3, 4):
        assert f"history orders {pages} pages, {pages} rows" in screen.final_text, screen.raw
    assert f"wrote 4 orders rows to {target}" in screen.final_text
    assert len(target.read_text().splitlines()) == 4


def test_history_table(world: World) -> None:
    out = _run(world, "history", "orders", "--market", "APT-USD")
    assert f"orders history of {world.address}: 4 rows" in out
    assert "Open" in out


# -- streams -----------------------------------------------------------------------------------


def test_stream_prints_json_lines(world: World) -> None:
    out = _run(world, "stream", "orderbook", "APT-USD", "--count", "2", key=False)
    frames = [json.loads(line) for line in out.splitlines()]
    assert len(frames) == 2
    for frame in frames:
        assert frame["market_id"] == MARKET
        bid, ask = Decimal(frame["bids"][0]["price"]), Decimal(frame["asks"][0]["price"])
        assert Decimal(frame["mid"]) == (bid + ask) / 2


def test_stream_of_an_account_topic(world: World) -> None:
    out = _run(world, "stream", "open_orders", "--count", "3")
    ids = {json.loads(line)["order_id"] for line in out.splitlines()}
    assert ids <= set(world.resting) and len(ids) == 3


def _streaming(world: World) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "kana_async", "stream", "orderbook", "1338"],
        env=clean_env(KANA_NETWORK=str(world.network)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_stream_ends_quietly_when_the_reader_goes_away(world: World) -> None:
    proc = _streaming(world)
    assert proc.stdout is not None and proc.stderr is not None
    json.loads(proc.stdout.readline())
    proc.stdout.close()  # like `| head -n 1`
    assert proc.wait(timeout=HANG) == 0
    err = proc.stderr.read()
    proc.stderr.close()
    assert err == ""


def test_stream_ends_cleanly_on_ctrl_c(world: World) -> None:
    proc = _streaming(world)
    assert proc.stdout is not None
    json.loads(proc.stdout.readline())
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=HANG)
    assert proc.returncode == 130
    assert "Traceback" not in err and err == ""
    for line in out.splitlines():  # every line written is whole
        json.loads(line)


# -- trading -----------------------------------------------------------------------------------


def _orders(world: World) -> str:
    return _run(world, "orders")


def test_place_dry_run_submits_nothing(world: World) -> None:
    before = _orders(world)
    out = _run(
        world, "place", "APT-USD", "buy", "1", "--price", "4.5", "--leverage", "2", "--dry-run"
    )
    assert out.startswith("dry run: placed limit buy 1 APT-USD @ 4.5 (2x) would succeed")
    assert "nothing was submitted" in out
    assert _orders(world) == before


def test_place_then_cancel(world: World) -> None:
    out = _run(world, "place", "APT-USD", "long", "0.5", "--price", "4.2", "--leverage", "2")
    assert "placed limit long 0.5 APT-USD @ 4.2 (2x): committed at version" in out
    listed = _orders(world)
    new = [
        line.split()[1]
        for line in listed.splitlines()
        if line.split()[:1] == ["1338"] and Decimal(line.split()[2]) == Decimal("4.2")
    ]
    assert len(new) == 1, listed
    order_id = new[0]
    out = _run(world, "cancel", "APT-USD", order_id, "--side", "long")
    assert f"cancelled order {order_id} (long) in APT-USD: committed at version" in out
    assert order_id not in _orders(world)


def test_a_real_network_asks_first_and_refuses_without_a_terminal() -> None:
    ran = cli(
        "--network", "mainnet", "place", "APT-USD", "buy", "1", "--price", "5", key="0x" + "11" * 32
    )
    line = one_line_error(ran)
    assert line == (
        "kana-async: error: refusing to place limit buy 1 APT-USD @ 5 (1x) on mainnet "
        "without confirmation: pass --yes"
    )
    assert ran.returncode == 2


def test_a_real_network_prompt_answered_no_sends_nothing() -> None:
    screen = run_in_pty(
        [
            sys.executable,
            "-m",
            "kana_async",
            "--network",
            "mainnet",
            "cancel",
            "APT-USD",
            "7",
            "--side",
            "sell",
        ],
        env=clean_env(KANA_PRIVATE_KEY="0x" + "11" * 32),
        answer=b"n\n",
    )
    assert screen.returncode == 2, screen.raw
    assert "cancel order 7 (sell) in APT-USD on mainnet" in screen.final_text
    assert "not confirmed; nothing was sent" in screen.final_text


# -- mistakes ----------------------------------------------------------------------------------

_KEY = "0x" + "22" * 32


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["price", "DOGE-USD"], {}, "no market 'DOGE-USD' on sim; known markets: APT-USD (1338)"),
        (["book", "999"], {}, "no market with id 999 on sim"),
        (["place", "APT-USD", "buy", "lots"], {}, "not a number: 'lots'"),
        (["place", "APT-USD", "buy", "-1"], {}, "must be a positive number: '-1'"),
        (["cancel", "APT-USD", "12x", "--side", "buy"], {}, "not an order id"),
        (["positions"], {}, "positions needs a wallet: pass --address 0x… or set KANA_PRIVATE_KEY"),
        (["place", "APT-USD", "buy", "1"], {}, "place needs a private key: set KANA_PRIVATE_KEY"),
        (["orders"], {"KANA_PRIVATE_KEY": "zz"}, "KANA_PRIVATE_KEY does not hold a hex Ed25519"),
        (["history", "transfers", "--market", "1"], {"KANA_PRIVATE_KEY": _KEY}, "no --market"),
        (["history", "orders", "--out", "x"], {"KANA_PRIVATE_KEY": _KEY}, "--out needs --format"),
        (["stream", "orderbook"], {}, "stream orderbook needs a market"),
        (["book"], {}, "the following arguments are required: MARKET"),
        (["--network", "moon", "markets"], {}, "--network: unknown network 'moon'"),
        (["markets"], {"KANA_NETWORK": "/no/such/file"}, "KANA_NETWORK: unknown network"),
        (["--network", "http://127.0.0.1:9", "markets"], {}, "cannot reach 127.0.0.1:9"),
    ],
)
def test_a_user_mistake_is_one_line(
    world: World, argv: list[str], env: dict[str, str], message: str
) -> None:
    extra = {"KANA_NETWORK": str(world.network), **env}
    line = one_line_error(cli(*argv, env=extra))
    assert line.startswith("kana-async: error: "), line
    assert message in line, line


def test_without_rich_the_command_line_says_how_to_install_it() -> None:
    code = (
        "import sys; sys.modules['rich'] = None\n"
        "from kana_async._cli import main\n"
        "sys.exit(main(['markets']))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=clean_env(),
        check=False,
        timeout=HANG,
    )
    assert proc.returncode == 2
    assert proc.stderr == (
        "kana-async: error: the kana-async command line needs rich: pip install 'kana-async[cli]'\n"
    )


def test_no_key_is_ever_printed(world: World) -> None:
    outputs = [
        cli(*argv, network=world.network, key=world.key)
        for argv in (["orders"], ["positions"], ["history", "transfers"])
    ]
    for ran in outputs:
        ok(ran)
        assert world.key not in ran.stdout + ran.stderr
        assert world.key[2:] not in ran.stdout + ran.stderr
    assert os.environ.get("KANA_PRIVATE_KEY") != world.key
