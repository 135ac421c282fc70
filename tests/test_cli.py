"""``kana-async`` as a subprocess: version, help, market data, and user mistakes (one line each).

The commands run against the session's standalone simulator (the ``world`` fixture of
:mod:`tests.cli_support`) with ``KANA_NETWORK`` naming the network file it wrote.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from kana_async import __version__
from tests.cli_support import (
    HANG,
    World,
    clean_env,
    cli,
    ok,
    one_line_error,
    run_ok,
)
from tests.pty_support import run_in_pty

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
        "record",
        "place",
        "cancel",
        "demo",
        "sim",
    ):
        assert f"    {command}" in out, out


# -- market data -------------------------------------------------------------------------------


def test_markets_lists_every_market(world: World) -> None:
    out = run_ok(world, "markets", key=False)
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
    words = run_ok(world, "price", market, key=False).split()
    assert words[:2] == ["APT-USD", "(1338)"], words
    values = dict(zip(words[2::2], words[3::2], strict=True))
    bid, ask, mid = Decimal(values["bid"]), Decimal(values["ask"]), Decimal(values["mid"])
    assert bid < ask
    assert mid == (bid + ask) / 2
    assert Decimal(values["spread"]) == ask - bid


def test_markets_and_price_as_json(world: World) -> None:
    rows = [json.loads(line) for line in run_ok(world, "markets", "--json", key=False).splitlines()]
    assert [(r["market_id"], r["symbol"]) for r in rows] == [
        (1338, "APT-USD"),
        (1339, "BTC-USD"),
        (1340, "ETH-USD"),
        (2387, "SOL-USD"),
    ]
    assert rows[0]["tick"] == "0.001" and Decimal(rows[0]["best_bid"]) < Decimal(
        rows[0]["best_ask"]
    )
    price = json.loads(run_ok(world, "price", "APT-USD", "--json", key=False))
    bid, ask = Decimal(price["bid"]), Decimal(price["ask"])
    assert Decimal(price["mid"]) == (bid + ask) / 2 and Decimal(price["spread"]) == ask - bid


def _book_rows(out: str) -> list[list[Decimal]]:
    rows = []
    for line in out.splitlines():
        cells = line.split()
        if len(cells) == 4 and all(c[0].isdigit() for c in cells):
            rows.append([Decimal(c) for c in cells])
    return rows


def test_book_shows_depth_with_spread_and_mid(world: World) -> None:
    out = run_ok(world, "book", "APT-USD", "--depth", "3", key=False)
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


def test_ctrl_c_ends_a_live_view_cleanly(world: World) -> None:
    screen = run_in_pty(
        [sys.executable, "-m", "kana_async", "book", "APT-USD", "--watch"],
        env=clean_env(KANA_NETWORK=str(world.network)),
        interrupt_after=b"updates 2",
    )
    assert screen.returncode == 130, screen.raw
    assert b"Traceback" not in screen.raw and b"error" not in screen.raw
    assert screen.cursor_shown_at_exit


def test_watching_without_a_terminal_prints_each_update_below_the_last(world: World) -> None:
    out = run_ok(world, "book", "1338", "--watch", "--count", "2", "--depth", "1", key=False)
    heads = [line for line in out.splitlines() if line.startswith("APT-USD (1338)  spread")]
    assert [head.rsplit(None, 1)[-1] for head in heads] == ["1", "2"], out
    assert "\x1b[" not in out  # no cursor moves or colours in a pipe


def test_trades_shows_recent_trades(world: World) -> None:
    out = run_ok(world, "trades", "APT-USD", "--limit", "3", key=False)
    assert "APT-USD (1338): last 3 trades" in out
    rows = [line.split() for line in out.splitlines() if line[:3].strip().isdigit()]
    assert len(rows) == 3, out
    for time_of_day, price, size, trade_id in rows:
        assert time_of_day.count(":") == 2
        assert Decimal(price) > 0 and Decimal(size) > 0 and trade_id.isdigit()


def test_trades_watch_prints_trades_as_they_come(world: World) -> None:
    out = run_ok(world, "trades", "1338", "--watch", "--count", "2", key=False)
    lines = out.splitlines()
    assert lines[0] == "APT-USD (1338): trades as they happen (Ctrl-C to stop)"
    rows = [line.split() for line in lines[2:]]
    assert len(rows) == 2, out
    assert all(Decimal(row[1]) > 0 for row in rows)


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
        (
            ["history", "orders", "--format", "csv", "--out", "/no/such/dir/x.csv"],
            {"KANA_PRIVATE_KEY": _KEY},
            "cannot write /no/such/dir/x.csv: No such file or directory",
        ),
        (["stream", "weather"], {}, "argument TOPIC: invalid choice: 'weather'"),
        (["orders"], {"KANA_PRIVATE_KEY": "zz"}, "KANA_PRIVATE_KEY does not hold a hex Ed25519"),
        (["history", "transfers", "--market", "1"], {"KANA_PRIVATE_KEY": _KEY}, "no --market"),
        (["history", "orders", "--out", "x"], {"KANA_PRIVATE_KEY": _KEY}, "--out needs --format"),
        (["stream", "orderbook"], {}, "stream orderbook needs a market"),
        (["book"], {}, "the following arguments are required: MARKET"),
        (["--network", "moon", "markets"], {}, "--network: unknown network 'moon'"),
        (["markets"], {"KANA_NETWORK": "/no/such/file"}, "KANA_NETWORK: unknown network"),
        (["--network", "http://127.0.0.1:9", "markets"], {}, "cannot reach 127.0.0.1:9"),
        (
            ["--network", "http://127.0.0.1:9", "stream", "live_funding_rate"],
            {},
            "(http://127.0.0.1:9): websocket ws://127.0.0.1:9/ws/ failed 3 times",
        ),
    ],
)
def test_a_user_mistake_is_one_line(
    world: World, argv: list[str], env: dict[str, str], message: str
) -> None:
    extra = {"KANA_NETWORK": str(world.network), **env}
    line = one_line_error(cli(*argv, env=extra))
    assert line.startswith("kana-async: error: "), line
    assert message in line, line


def test_an_exchange_refusal_is_one_line(world: World) -> None:
    empty_key = world.venue.keys[1]  # gas but no deposit: no margin for an order
    ran = cli(
        "place", "APT-USD", "buy", "1", "--price", "4.5", network=world.network, key=empty_key
    )
    line = one_line_error(ran)
    assert ran.returncode == 1
    assert line.startswith("kana-async: error: transaction 0x")
    assert "aborted with E_INSUFFICIENT_MARGIN" in line


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
        "kana-async: error: the kana-async command line needs rich: "
        "pip install rich (kana-async's 'cli' extra)\n"
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
