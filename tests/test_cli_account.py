"""``kana-async`` as a subprocess: the account, history export, streams and trading.

The commands run against the session's standalone simulator (the ``world`` fixture of
:mod:`tests.cli_support`), whose first account holds a position, three resting orders, trades
and a deposit.
"""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from tests.cli_support import (
    HANG,
    MARKET,
    World,
    clean_env,
    cli,
    ok,
    one_line_error,
    run_ok,
)
from tests.pty_support import run_in_pty

# -- the account -------------------------------------------------------------------------------


def test_positions_shows_the_open_position(world: World) -> None:
    out = run_ok(world, "positions")
    assert f"Positions of {world.address}" in out
    rows = [line.split() for line in out.splitlines() if line.split()[:1] == ["1338"]]
    assert len(rows) == 1, out
    _market, side, size, entry = rows[0][:4]
    assert (side, Decimal(size)) == ("long", Decimal(1))
    assert Decimal(entry) > 4


def test_positions_of_another_wallet_by_address(world: World) -> None:
    for key in (False, True):  # --address wins over the key in the environment
        out = run_ok(world, "positions", "--address", world.empty_address, key=key)
        assert out.strip() == f"no open positions for {world.empty_address}"


def test_positions_and_orders_as_json(world: World) -> None:
    positions = [json.loads(line) for line in run_ok(world, "positions", "--json").splitlines()]
    assert [(p["market_id"], p["size"], p["trade_side"]) for p in positions] == [
        (MARKET, "1", True)
    ]
    orders = [json.loads(line) for line in run_ok(world, "orders", "--json").splitlines()]
    assert sorted(o["order_id"] for o in orders) == sorted(world.resting)
    empty = run_ok(world, "orders", "--json", "--address", world.empty_address, key=False)
    assert empty == ""


def test_orders_lists_the_resting_orders(world: World) -> None:
    out = run_ok(world, "orders", "--market", "APT-USD")
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
    out = run_ok(world, "history", kind, "--format", "jsonl", "--page-size", "1")
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
    out = run_ok(world, "history", "orders", "--market", "APT-USD")
    assert f"orders history of {world.address}: 4 rows" in out
    assert "Open" in out


# -- streams -----------------------------------------------------------------------------------


def test_stream_prints_json_lines(world: World) -> None:
    out = run_ok(world, "stream", "orderbook", "APT-USD", "--count", "2", key=False)
    frames = [json.loads(line) for line in out.splitlines()]
    assert len(frames) == 2
    for frame in frames:
        assert frame["market_id"] == MARKET
        bid, ask = Decimal(frame["bids"][0]["price"]), Decimal(frame["asks"][0]["price"])
        assert Decimal(frame["mid"]) == (bid + ask) / 2


def test_stream_of_an_account_topic(world: World) -> None:
    out = run_ok(world, "stream", "open_orders", "--count", "3")
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


def _trader(world: World, *argv: str) -> str:
    return ok(cli(*argv, network=world.network, key=world.trader_key))


def _orders(world: World) -> str:
    return _trader(world, "orders")


def test_place_dry_run_submits_nothing(world: World) -> None:
    before = _orders(world)
    out = _trader(
        world, "place", "APT-USD", "buy", "1", "--price", "4.5", "--leverage", "2", "--dry-run"
    )
    assert out.startswith("dry run: placed limit buy 1 APT-USD @ 4.5 (2x) would succeed")
    assert "nothing was submitted" in out
    assert _orders(world) == before


def test_place_then_cancel(world: World) -> None:
    out = _trader(world, "place", "APT-USD", "long", "0.5", "--price", "4.2", "--leverage", "2")
    assert "placed limit long 0.5 APT-USD @ 4.2 (2x): committed at version" in out
    printed = out.strip().rsplit(", order id ", 1)[1]  # the id from the chain's event
    listed = _orders(world)
    new = [
        line.split()[1]
        for line in listed.splitlines()
        if line.split()[:1] == ["1338"] and Decimal(line.split()[2]) == Decimal("4.2")
    ]
    assert new == [printed], listed
    order_id = new[0]
    out = _trader(world, "cancel", "APT-USD", order_id)  # no --side: the SDK finds it
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
