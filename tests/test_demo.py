"""The README's main command: ``python -m kana_async demo`` runs a session and exits 0."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from kana_async.__main__ import main


def test_demo_runs_and_exits_zero() -> None:
    env = dict(os.environ, PYTHONWARNINGS="error")
    proc = subprocess.run(
        [sys.executable, "-m", "kana_async", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for line in (
        "Starting the local Kana exchange",
        "Market APT-USD (id 1338)",
        "Best bid",
        "Live order book",
        "Depositing 1000 USDT",
        "trading balance: 1000 USDT",
        "Placing a limit buy",
        "open orders now: 0",
        "position LONG: 1 APT",
        "open positions now: 0",
        "History:",
        "[stream orders]",
        "Demo finished",
    ):
        assert line in out, f"missing {line!r} in demo output:\n{out}"
    assert "Traceback" not in proc.stderr


def test_cli_without_a_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "demo" in capsys.readouterr().out


def test_cli_rejects_unknown_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["fly"])
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
