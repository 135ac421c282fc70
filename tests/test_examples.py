"""Every script in ``examples/`` runs and says what it should, so the examples never rot.

The examples run as users run them: ``python examples/<name>.py`` in a fresh interpreter, against
their in-process simulator (one also against a standalone ``python -m kana_async.sim`` venue).
The slow ones are started together when the module's first test needs them, then each test
waits for its own process; the only deadlines are generous ones that prevent hangs.
"""

from __future__ import annotations

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

from kana_async import Network
from tests.cli_support import start_venue

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
HANG = 120  # seconds: only there to turn a hang into a failure


@dataclass
class Finished:
    """A finished example process."""

    returncode: int
    stdout: str
    stderr: str


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KANA_PRIVATE_KEY", "KANA_API_KEY")}
    env["PYTHONWARNINGS"] = "error"
    env.update(extra)
    return env


def _start(
    argv: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, *argv],
        cwd=cwd,
        env=_env(**(env or {})),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc: subprocess.Popen[str]) -> Finished:
    try:
        out, err = proc.communicate(timeout=HANG)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"{proc.args!r} hung:\n{out}\n{err}")
    return Finished(proc.returncode, out, err)


def _run(argv: list[str], env: dict[str, str] | None = None) -> Finished:
    return _finish(_start(argv, env))


def _example(name: str) -> str:
    return str(EXAMPLES / name)


#: The slower runs, started at once (they mostly wait on sockets and timers).
_BATCH = {
    "place_and_cancel": [_example("place_and_cancel.py"), "--seconds", "60"],
    "orderbook_watch": [_example("orderbook_watch.py"), "--seconds", "1.5", "--every", "0.1"],
    "grid_bot": [_example("grid_bot.py"), "--seconds", "3", "--chaos", "--levels", "2"],
    "risk_monitor": [
        _example("risk_monitor.py"),
        *("--seconds", "1", "--every", "0.25", "--alert-pct", "15"),
    ],
    "pytest": [
        "-m",
        "pytest",
        "examples/test_bot_with_simulator.py",
        "-q",
        "-p",
        "no:cacheprovider",
    ],
}


@pytest.fixture(scope="module")
def batch() -> Iterator[dict[str, subprocess.Popen[str]]]:
    """Start every slow example together; kill whatever is left at the end."""
    procs = {name: _start(argv) for name, argv in _BATCH.items()}
    try:
        yield procs
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
            proc.communicate()


def _assert_ok(result: Finished, *expected: str) -> None:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    for line in expected:
        assert line in result.stdout, f"missing {line!r} in:\n{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr


def test_place_and_cancel(batch: dict[str, subprocess.Popen[str]]) -> None:
    result = _finish(batch["place_and_cancel"])
    _assert_ok(
        result,
        "venue: in-process simulator",
        "market APT-USD (id 1338)",
        "deposit 100 USDT: committed",
        "trading balance: 100 USDT",
        "limit buy 0.500 @",
        "open order ",
        "cancelled 1 order(s): committed",
        "now: 0\n",
        "market buy 0.500: committed",
        "position LONG: 0.5 @",
        "closed at market: committed",
        "open positions now: 0",
    )


def test_orderbook_watch(batch: dict[str, subprocess.Popen[str]]) -> None:
    result = _finish(batch["orderbook_watch"])
    _assert_ok(
        result,
        "watching APT-USD (id 1338) for 1.5 s",
        "book  bid ",
        "spread 0.0",
        "statistics: state CONNECTED",
        "reconnects 0, bad frames 0",
        "orderbook: delivered ",
        "recent_trades: delivered ",
    )
    delivered = re.search(r"orderbook: delivered (\d+)", result.stdout)
    assert delivered is not None and int(delivered.group(1)) >= 1


def test_grid_bot_survives_chaos_and_cleans_up(batch: dict[str, subprocess.Popen[str]]) -> None:
    result = _finish(batch["grid_bot"])
    _assert_ok(
        result,
        "deposited 1000 USDT",
        "grid: 2 x 2 orders of 0.500 APT-USD, 0.005 apart",
        "placed LONG 0.500 @",
        "placed SHORT 0.500 @",
        "outcome unknown for",
        "committed, not re-placing",
        "chaos: dropped 1 websocket connection(s)",
        "reconnected after",
        "shutdown: open orders left 0;",
    )
    summary = re.search(r"placed (\d+), fills \d+, resyncs \d+, reconnects (\d+)", result.stdout)
    assert summary is not None, result.stdout
    assert int(summary.group(1)) >= 4
    assert int(summary.group(2)) >= 1


def test_risk_monitor_reports_pnl_and_distance_to_liquidation(
    batch: dict[str, subprocess.Popen[str]],
) -> None:
    result = _finish(batch["risk_monitor"])
    _assert_ok(
        result,
        "opened a 5x long of 2 APT-USD to watch",
        "watching 1 position(s), alert under 15% from liquidation",
    )
    line = re.compile(
        r"APT-USD long 2 @ (?P<entry>\S+)  mark (?P<mark>\S+)  pnl (?P<pnl>\S+)  "
        r"liq (?P<liq>\S+) \((?P<pct>\S+)% away\)  (?P<verdict>ok|ALERT)"
    )
    checks = [m.groupdict() for m in line.finditer(result.stdout)]
    assert len(checks) >= 2, result.stdout
    for check in checks:
        entry, mark, liq = (Decimal(check[k]) for k in ("entry", "mark", "liq"))
        assert Decimal(check["pnl"]) == ((mark - entry) * 2).quantize(Decimal("0.0001"))
        pct = ((mark - liq) / mark * 100).quantize(Decimal("0.1"))
        assert Decimal(check["pct"]) == pct
        assert check["verdict"] == ("ALERT" if pct < 15 else "ok")
    assert f"checks {len(checks)}, alerts " in result.stdout


def test_bot_tests_pass_when_run_explicitly(batch: dict[str, subprocess.Popen[str]]) -> None:
    result = _finish(batch["pytest"])
    _assert_ok(result, "4 passed")


def test_bot_tests_are_not_collected_by_the_project_run() -> None:
    from tomllib import loads

    config = loads((ROOT / "pyproject.toml").read_text())
    assert config["tool"]["pytest"]["ini_options"]["testpaths"] == ["tests"]
    assert not (ROOT / "tests" / "test_bot_with_simulator.py").exists()


def test_place_and_cancel_against_a_standalone_venue(tmp_path: Path) -> None:
    venue = _start(["-m", "kana_async.sim", "--port", "0", "--seed", "3"], cwd=tmp_path)
    try:
        assert venue.stdout is not None
        printed: dict[str, str] = {}
        for line in venue.stdout:
            words = line.split()
            if words[:1] in (["REST"], ["node"]):
                printed[words[0]] = words[1]
            elif words[:2] == ["private", "key"]:
                printed["key"] = words[2]
                break
        assert set(printed) == {"REST", "node", "key"}, printed
        result = _run(
            [
                _example("place_and_cancel.py"),
                "--rest-url",
                printed["REST"],
                "--node-url",
                printed["node"],
            ],
            {"KANA_PRIVATE_KEY": printed["key"]},
        )
    finally:
        venue.send_signal(signal.SIGTERM)
        out, _ = venue.communicate(timeout=HANG)
    _assert_ok(result, "venue: standalone at http://127.0.0.1:", "open positions now: 0")
    assert printed["key"] not in result.stdout + result.stderr, "the key was printed"
    assert venue.returncode == 0
    assert "simulator stopped" in out


def test_an_example_finds_a_standalone_venue_through_kana_network(tmp_path: Path) -> None:
    venue = start_venue(tmp_path)
    try:
        result = _run(
            [_example("place_and_cancel.py")],
            {"KANA_NETWORK": str(venue.network_file), "KANA_PRIVATE_KEY": venue.keys[0]},
        )
    finally:
        venue.stop()
    rest = Network.from_file(venue.network_file).rest_url
    _assert_ok(result, f"venue: sim at {rest}", "market APT-USD (id 1338)", "open positions now: 0")
    assert venue.keys[0] not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["place_and_cancel.py", "--network", "testnet"], "KANA_PRIVATE_KEY is not set"),
        (["grid_bot.py", "--rest-url", "http://127.0.0.1:9"], "--rest-url needs --node-url"),
        (["risk_monitor.py", "--network", "moon"], "unknown network 'moon'"),
        (["orderbook_watch.py", "--market", "DOGE-USD"], "no market 'DOGE-USD' on sim"),
        (["grid_bot.py", "--network", "sim", "--seconds", "-"], "invalid float value"),
        (["grid_bot.py", "--deposit", "lots"], "not a number: 'lots'"),
        (["place_and_cancel.py", "--deposit", "-5"], "not a non-negative amount"),
        (["grid_bot.py", "--levels", "0"], "must be at least 1"),
    ],
)
def test_bad_options_fail_before_trading(argv: list[str], message: str) -> None:
    argv[0] = _example(argv[0])
    result = _run(argv)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert "committed" not in result.stdout


def test_grid_bot_cancels_its_orders_on_ctrl_c() -> None:
    bot = _start([_example("grid_bot.py"), "--seconds", "60", "--levels", "1"])
    assert bot.stdout is not None
    seen = []
    for line in bot.stdout:  # wait until it has orders on the book
        seen.append(line)
        if line.startswith("placed "):
            break
    bot.send_signal(signal.SIGINT)
    result = _finish(bot)
    out = "".join(seen) + result.stdout
    assert result.returncode == 130, f"{out}\n{result.stderr}"
    assert "shutdown: open orders left 0;" in out, out
    assert "interrupted" in result.stderr
    assert "Traceback" not in result.stderr, result.stderr
