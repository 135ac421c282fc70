"""``kana-async record`` and ``kana-async sim --replay`` as subprocesses: record the session's
standalone simulator into a file, serve that file from a second simulator, read its book back
through the SDK; the simulator's model options (block interval, latency) and user mistakes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from kana_async import KanaClient, Network
from kana_async.recording import load_recording
from tests.cli_support import (
    HANG,
    MARKET,
    Venue,
    World,
    clean_env,
    cli,
    ok,
    one_line_error,
    start_venue,
)

Levels = list[tuple[Decimal, Decimal]]


@pytest.fixture(scope="module")
def recorded(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """20 frames of APT-USD's orderbook and recent_trades recorded from the session's sim."""
    path = tmp_path_factory.mktemp("recording") / "apt.jsonl"
    out = ok(
        cli(
            "record",
            "orderbook:APT-USD",
            f"recent_trades:{MARKET}",
            "--out",
            str(path),
            "--frames",
            "20",
            network=world.network,
        )
    )
    lines = out.splitlines()
    assert len(lines) == 1, out
    assert lines[0].startswith("recorded 20 frames in "), lines
    assert lines[0].endswith(f" s (orderbook APT-USD, recent_trades APT-USD) from sim to {path}"), (
        lines
    )
    yield path


def recorded_books(path: Path) -> list[tuple[Levels, Levels]]:
    """Every orderbook frame of the file as (bids, asks), read with json alone, merged by price."""
    books = []
    for line in path.read_text().splitlines()[1:]:
        frame = json.loads(line, parse_float=Decimal)["frame"]
        if frame["message"] != "orderbook":
            continue
        sides: tuple[dict[Decimal, Decimal], dict[Decimal, Decimal]] = ({}, {})
        for row in frame["data"]:
            side = sides[1] if row["is_ask"] else sides[0]
            price = Decimal(row["price"])
            side[price] = side.get(price, Decimal(0)) + Decimal(row["size"])
        bids = sorted(sides[0].items(), reverse=True)
        asks = sorted(sides[1].items())
        books.append((bids, asks))
    return books


def test_record_writes_the_chosen_topics_of_the_sim(recorded: Path, world: World) -> None:
    rec = load_recording(recorded)
    network = Network.from_file(world.network)
    assert rec.network == "sim" and rec.ws_url == network.ws_url
    assert rec.markets == dict(network.markets)
    assert rec.subscriptions == (("orderbook", MARKET), ("recent_trades", MARKET))
    assert len(rec.frames) == 20
    assert {f.topic for f in rec.frames} <= {"orderbook", "recent_trades"}
    assert all(f.key == MARKET for f in rec.frames)
    assert [f.t for f in rec.frames] == sorted(f.t for f in rec.frames)
    # The world's account rests bids at 4.000..4.002: they are part of the recorded book.
    bids, _asks = recorded_books(recorded)[0]
    assert {Decimal("4.000"), Decimal("4.001"), Decimal("4.002")} <= {p for p, _ in bids}


async def _book_of(network: Network) -> tuple[Levels, Levels]:
    async with KanaClient(network) as kana, kana.streams.orderbook(MARKET) as sub:
        async for book in sub:
            return (
                [(level.price, level.size) for level in book.bids],
                [(level.price, level.size) for level in book.asks],
            )
    raise AssertionError("the orderbook stream ended without a frame")


def _read_until(venue: Venue, marker: str) -> str:
    """The simulator's next stdout line containing ``marker`` (the lines are kept in banner)."""
    assert venue.proc.stdout is not None
    for line in venue.proc.stdout:
        venue.banner.append(line)
        if marker in line:
            return line
    raise AssertionError(f"the simulator ended without printing {marker!r}: {venue.banner}")


def test_sim_replays_the_recorded_book(recorded: Path, tmp_path: Path) -> None:
    books = recorded_books(recorded)
    assert books, "the recording has no orderbook frame"
    venue = start_venue(tmp_path, "--replay", str(recorded), "--replay-speed", "max")
    try:
        replay_line = next(line for line in venue.banner if line.split()[:1] == ["replay"])
        assert replay_line.split(None, 1)[1].rstrip() == (
            f"{recorded} (20 frames, {load_recording(recorded).duration:.1f} s recorded on sim; "
            "speed max) drives APT-USD"
        )
        finished = _read_until(venue, "replay   finished")
        assert finished.strip().startswith(f"replay   finished: {len(books)} books, "), finished
        book = asyncio.run(_book_of(Network.from_file(venue.network_file)))
    finally:
        venue.stop()
    # This simulator has another seed than the recorded one: its book is the recording's last.
    assert book == books[-1]


def test_sim_model_options_reach_the_simulator(recorded: Path, tmp_path: Path) -> None:
    venue = start_venue(
        tmp_path,
        "--seed",
        "9",
        "--replay",
        str(recorded),
        "--replay-speed",
        "2.5",
        "--replay-loop",
        "--block-interval",
        "0.25",
        "--latency",
        "realistic",
        "--latency-scale",
        "0.1",
        "-v",
    )
    try:
        ok(cli("price", "APT-USD", network=venue.network_file))
    finally:
        venue.stop()
    lines = {
        words[0]: words[1].rstrip()
        for words in (line.split(None, 1) for line in venue.banner if line.startswith("  "))
        if len(words) == 2
    }
    assert lines["replay"].endswith("speed 2.5x, loop) drives APT-USD"), lines
    assert lines["blocks"] == "every 0.25 s", lines
    assert lines["latency"] == (
        "realistic (seed 9, scale 0.1; REST 4 ms + jitter, node 6 ms + jitter, "
        "websocket 1.5 ms + jitter)"
    ), lines
    assert not any("finished" in line for line in venue.banner)  # a looping replay never ends
    assert " GET /getMarketPrice?marketId=1338 200 " in venue.stderr  # -v still logs requests


def test_latency_seed_can_be_given(tmp_path: Path) -> None:
    venue = start_venue(tmp_path, "--latency", "realistic:41")
    venue.stop()
    latency = next(line for line in venue.banner if line.split()[:1] == ["latency"])
    assert latency.split(None, 1)[1].startswith("realistic (seed 41, scale 1; REST 40 ms"), latency
    assert not any(line.split()[:1] == ["blocks"] for line in venue.banner)  # default: at once


def test_record_ends_with_a_valid_file_on_ctrl_c(world: World, tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "kana_async", "record", "orderbook:1338", "--out", str(path)],
        env=clean_env(KANA_NETWORK=str(world.network)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        while proc.poll() is None and (not path.exists() or path.read_text().count("\n") < 3):
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=0.05)  # until the header and two frames are on disk
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=HANG)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert err == ""
    frames = len(load_recording(path).frames)
    assert frames >= 2
    assert len(out.splitlines()) == 1, out
    assert out.startswith(f"recorded {frames} frames in "), out
    assert out.rstrip().endswith(f"(orderbook APT-USD) from sim to {path}; stopped by Ctrl-C")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["bogus:1"],
            "kana-async: error: argument TOPIC[:KEY]: unknown topic 'bogus' in 'bogus:1'; known: ",
        ),
        (["orderbook:"], "kana-async: error: argument TOPIC[:KEY]: empty KEY in 'orderbook:'"),
        (["orderbook"], "kana-async: error: orderbook needs a market: orderbook:APT-USD or "),
        (["orderbook:DOGE"], "kana-async: error: no market 'DOGE' on sim; known markets: "),
        (["live_funding_rate:1338"], "kana-async: error: live_funding_rate takes no KEY"),
        (["positions"], "kana-async: error: positions needs a profile address: "),
        (["positions:0xzz"], "kana-async: error: positions: address '0xzz' is not an Aptos"),
        (["orderbook:1338", "--frames", "0"], "kana-async: error: argument --frames: must be "),
    ],
)
def test_record_mistakes_are_one_line(
    world: World, tmp_path: Path, argv: list[str], message: str
) -> None:
    out = tmp_path / "never.jsonl"
    line = one_line_error(cli("record", *argv, "--out", str(out), network=world.network))
    assert line.startswith(message), line
    assert not out.exists()


def test_record_needs_out_and_a_writable_file(world: World, tmp_path: Path) -> None:
    line = one_line_error(cli("record", "orderbook:1338", network=world.network))
    assert line.startswith("kana-async: error: the following arguments are required: --out"), line
    missing = tmp_path / "no" / "such" / "dir.jsonl"
    line = one_line_error(
        cli("record", "orderbook:1338", "--out", str(missing), network=world.network)
    )
    assert line == f"kana-async: error: cannot write {missing}: No such file or directory"


def test_sim_refuses_a_bad_recording_in_one_line(tmp_path: Path) -> None:
    not_recording = tmp_path / "other.jsonl"
    not_recording.write_text('{"format": "something-else"}\n')
    broken = tmp_path / "broken.jsonl"
    broken.write_text(
        '{"format": "kana-async-recording", "version": 1, "network": "sim"}\n{"t": oops}\n'
    )
    for path, reason in (
        (tmp_path / "missing.jsonl", "No such file or directory"),
        (not_recording, "not a kana-async-recording file"),
        (broken, "line 2: not a recorded frame ("),
        (tmp_path, "Is a directory"),
    ):
        ran = cli("sim", "--port", "0", "--replay", str(path))
        line = one_line_error(ran)
        assert ran.returncode == 1
        assert line.startswith(f"kana-async sim: cannot replay {path}: {reason}"), line


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--replay-speed", "0"], "argument --replay-speed: must be more than 0 (or max): '0'"),
        (["--replay-speed", "fast"], "argument --replay-speed: not a speed: 'fast'"),
        (["--block-interval", "-1"], "argument --block-interval: must be 0 seconds or more"),
        (["--latency", "fast"], "argument --latency: unknown latency model 'fast'"),
        (["--latency", "realistic:x"], "argument --latency: not an integer seed: 'x'"),
    ],
)
def test_sim_option_mistakes_are_one_line(argv: list[str], message: str) -> None:
    ran = cli("sim", "--port", "0", *argv)
    line = one_line_error(ran)
    assert ran.returncode == 2
    assert line.startswith(f"kana-async: error: {message}"), line
