"""``kana-async sim`` as a standalone venue: its network file, request log, ports, and a bot in
another process that connects using only what the README shows."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from kana_async import Network
from tests.cli_support import HANG, clean_env, cli, ok, one_line_error, start_venue

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _free_port_pair() -> int:
    """A port P such that P and P + 1 were both free a moment ago."""
    for _ in range(50):
        port = _free_port()
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise AssertionError("no two adjacent free ports")


def test_sim_prints_and_writes_the_network_it_serves(tmp_path: Path) -> None:
    venue = start_venue(tmp_path)
    try:
        printed = next(line for line in venue.banner if line.split()[:1] == ["network"])
        network = Network.from_file(venue.network_file)
        assert json.loads(printed.split(None, 1)[1]) == network.to_dict()
        assert network.name == "sim" and network.chain_id == 4
        assert network.markets["APT-USD"] == 1338
        rest = next(line.split()[1] for line in venue.banner if line.split()[:1] == ["REST"])
        node = next(line.split()[1] for line in venue.banner if line.split()[:1] == ["node"])
        assert (network.rest_url, network.node_url) == (rest, node)
        assert f"export KANA_NETWORK={venue.network_file}" in "".join(venue.banner)
        ok(cli("price", "APT-USD", network=venue.network_file))
    finally:
        out = venue.stop()
    assert "simulator stopped" in out
    assert venue.proc.returncode == 0


def test_sim_verbose_logs_one_line_per_request(tmp_path: Path) -> None:
    venue = start_venue(tmp_path, "-v")
    try:
        ok(cli("price", "1338", network=venue.network_file))
    finally:
        venue.stop()
    log = venue.stderr
    rest = Network.from_file(venue.network_file).rest_url.removeprefix("http://")
    for path in ("/getMarketPrice?marketId=1338", "/getLastPlacedPrice?marketId=1338"):
        lines = [line for line in log.splitlines() if f" GET {path} 200 " in line]
        assert len(lines) == 1, log
        assert re.search(rf"{re.escape(rest)} GET {re.escape(path)} 200 \d+\.\dms$", lines[0])


def test_sim_reports_a_busy_port_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ran = cli("sim", "--port", str(port), "--node-port", "0")
    line = one_line_error(ran)
    assert ran.returncode == 1
    assert line == (
        f"kana-async sim: port 127.0.0.1:{port} is already in use; stop the other process or "
        "pick another with --port / --node-port (0: any free port)"
    )


def test_sim_says_when_it_cannot_write_the_network_file(tmp_path: Path) -> None:
    ran = cli("sim", "--port", "0", "--network-file", str(tmp_path / "missing" / "n.json"))
    line = one_line_error(ran)
    assert ran.returncode == 1
    assert line == (
        f"kana-async sim: cannot write {tmp_path / 'missing' / 'n.json'}: No such file or directory"
    )


def test_sim_binds_the_node_port_it_is_given(tmp_path: Path) -> None:
    node_port = _free_port()
    venue = start_venue(tmp_path, "--node-port", str(node_port))
    try:
        network = Network.from_file(venue.network_file)
        assert network.node_url == f"http://127.0.0.1:{node_port}/v1"
    finally:
        venue.stop()


def test_a_fixed_rest_port_puts_the_node_on_the_next_port(tmp_path: Path) -> None:
    port = _free_port_pair()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kana_async", "sim", "--port", str(port), "--accounts", "0"],
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        banner = [proc.stdout.readline() for _ in range(4)]
    finally:
        proc.terminate()
        proc.communicate(timeout=HANG)
    assert banner[1].split() == ["REST", f"http://127.0.0.1:{port}"], banner
    assert banner[3].split() == ["node", f"http://127.0.0.1:{port + 1}/v1"], banner
    # The URL form of --network / KANA_NETWORK derives the same node URL.
    assert (
        Network.from_url(f"http://127.0.0.1:{port}").node_url == f"http://127.0.0.1:{port + 1}/v1"
    )


def _readme_block(marker: str) -> str:
    """The fenced code block right after ``<!-- marker -->`` in the README."""
    text = (ROOT / "README.md").read_text()
    found = re.search(rf"<!-- {marker} -->\s*```[a-z]*\n(.*?)```", text, re.DOTALL)
    assert found, f"README has no block marked {marker}"
    return found.group(1)


def test_a_bot_in_another_process_connects_the_way_the_readme_shows(tmp_path: Path) -> None:
    shell = _readme_block("standalone-sim-shell")
    assert "kana-async sim --network-file network.json" in shell
    assert "export KANA_NETWORK=network.json" in shell
    assert "export KANA_PRIVATE_KEY=" in shell
    bot = tmp_path / "bot.py"
    bot.write_text(_readme_block("standalone-sim-bot"))
    venue = start_venue(tmp_path)
    try:
        proc = subprocess.run(
            [sys.executable, str(bot)],
            cwd=tmp_path,
            env=clean_env(KANA_NETWORK="network.json", KANA_PRIVATE_KEY=venue.keys[0]),
            capture_output=True,
            text=True,
            timeout=HANG,
            check=False,
        )
    finally:
        venue.stop()
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("connected to sim at http://127.0.0.1:"), lines
    assert lines[1] == "trading balance: 100 USDT", lines
    assert lines[2].startswith("APT-USD mid "), lines


@pytest.mark.parametrize("command", ["sim", "demo"])
def test_sim_and_demo_still_have_help(command: str) -> None:
    assert "usage: kana-async " + command in ok(cli(command, "--help"))
