"""The one benchmark command runs end to end on tiny inputs and writes a complete results file."""

from __future__ import annotations

import asyncio
import importlib.util
import multiprocessing
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from kana_async._streams.dedup import SeenRows
from kana_async._streams.topics import TOPICS

ROOT = Path(__file__).resolve().parent.parent

SECTION_TITLES = [
    "## Targets",
    "## WebSocket ingest, topic `orderbook`",
    "## WebSocket ingest, topic `positions`",
    "## WebSocket ingest, topic `order_history`",
    "## Latency, `orderbook` paced at 5,000 frames/s",
    "## Streams: where the SDK's time goes (profile)",
    "## REST reads at the SDK's default concurrency",
    "## REST: where the CPU goes (profile)",
    "## Orders: 3 limit orders from one account, 0 ms latency",
    "## Orders: 3 limit orders from one account, 10 ms latency",
    "## Import time",
    "## Memory over 2,000 order-book frames",
    "## Instruction counts, topic `positions` (callgrind)",
]


def _ws_feed() -> ModuleType:
    name = "_bench_ws_feed"
    if name not in sys.modules:
        path = ROOT / "benchmarks" / "ws_feed.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while it loads
        spec.loader.exec_module(module)
    return sys.modules[name]


def test_feed_account_frames_are_never_repeats_of_delivered_rows() -> None:
    # The SDK drops rows it delivered already; a feed that cycles its pool of frames would make
    # its reader wait for rows the baselines counted. Past the pool's end every row is new.
    feed = _ws_feed()
    n = 2 * feed.POOL_SIZE + 7
    for name in ("positions", "order_history"):
        topic = TOPICS[name]
        key = topic.normalize_key(feed.PROFILE)
        seen = SeenRows(topic.identity())
        source = feed.frame_source(name)
        delivered = sum(len(seen.fresh(topic.decode_frame(source(i), key))) for i in range(n))
        assert seen.duplicates == 0, name
        assert delivered == feed.rows_in(name, n) > n, name


def test_a_stuck_reader_fails_its_section_with_what_the_stream_counted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # one more item than the feed sends: without a bound the SDK's reader would wait forever
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import _common
    import bench_ws
    import ws_clients
    import ws_feed

    def short(units: int, per_second: float, base: float = 30.0) -> float:
        return base / 30

    monkeypatch.setattr(bench_ws, "deadline", short)
    monkeypatch.setattr(ws_clients, "deadline", short)
    rows = ws_feed.rows_in("order_history", 3)
    with bench_ws.Feed() as feed:
        url = feed.url("order_history", 3)
        with pytest.raises(_common.SectionFailed) as failed:
            bench_ws._run(bench_ws.SDK_X1, url, "order_history", 3, rows + 1)
    message = str(failed.value)
    assert f"kana_async x1 on order_history: [{rows}] of {rows + 1} items after 1 s" in message
    assert "received 3 frames, filtered 0 repeated rows, skipped bad frames {}" in message


def test_bounded_waits_end_with_a_section_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import _common

    async def never() -> None:
        await asyncio.Event().wait()

    with pytest.raises(_common.SectionFailed, match="never: not done after 0 s"):
        _common.run_bounded(never(), 0.05, "never")
    ours, theirs = multiprocessing.Pipe()
    with pytest.raises(_common.SectionFailed, match="silent: nothing after 0 s"):
        _common.receive(ours, 0.05, "silent")
    theirs.close()
    with pytest.raises(_common.SectionFailed, match="closed: the other process is gone"):
        _common.receive(ours, 0.05, "closed")


def test_benchmark_command_writes_results(tmp_path: Path) -> None:
    output = tmp_path / "RESULTS.md"
    repo_file = ROOT / "benchmarks" / "RESULTS.md"
    before = repo_file.stat().st_mtime_ns if repo_file.exists() else None
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    text = output.read_text()
    after = repo_file.stat().st_mtime_ns if repo_file.exists() else None
    assert after == before  # the repository's results file is left alone
    for line in ("- Date: ", "- Commit: ", "- Machine: ", "- Python: ", "- Libraries: "):
        assert line in text
    assert re.search(r"- Commit: [0-9a-f]{40}", text)
    assert "httpx 0." in text and "websockets " in text
    for title in SECTION_TITLES:
        assert title in text, title
    # every targeted ratio has a measured median and a verdict
    targets = text.split("## Targets", 1)[1].split("\n## ", 1)[0]
    verdicts = re.findall(
        r"\| (-?\d+\.\d\d)(?:x| MB) \((-?\d+\.\d\d)-(-?\d+\.\d\d)\) \| ([<>]=) ", targets
    )
    assert len(verdicts) >= 14
    for median, low, high, _ in verdicts:
        assert float(low) <= float(median) <= float(high)
    # the tables carry numbers, not placeholders: one row per client in the REST section
    rest = text.split("## REST reads", 1)[1].split("\n## ", 1)[0]
    for client in (
        "kana_async (httpx, default)",
        "kana_async (aiohttp transport)",
        "aiohttp, <=10",
    ):
        assert re.search(re.escape(client) + r"[^|]*\|\s+\d+ \|\s+[\d,]+ \|", rest), client
    # every stream target the run missed is bounded by the socket libraries' floors, measured
    # in the same rounds: what the target needs, and each floor's cost and best ratio
    unmet = re.findall(
        r"^\| ((?:WebSocket ingest|Latency)[^|]*) \| [^|]+ \| [<>]= [\d.]+ \| \*\*no\*\* \|$",
        targets,
        re.MULTILINE,
    )
    bounds = targets.split("### Targets not met", 1)[-1] if unmet else ""
    for label in unmet:
        floor = r"\| (?:p50 )?([\d.]+) µs[^|]* ⇒ (?:at most|no lower than) (\d+\.\d\d)x [^|]+"
        row = re.search(re.escape(label) + r" \| <= [\d.]+ µs[^|]+" + floor + floor, bounds)
        assert row, label
        assert all(float(v) > 0 for v in row.groups()), label
    for topic in ("orderbook", "positions", "order_history"):
        ingest = text.split(f"## WebSocket ingest, topic `{topic}`", 1)[1].split("\n## ", 1)[0]
        for client in (
            "floor: websockets frames alone (SDK sink)",
            "floor: SDK decode + checks + repeat filter (SDK sink)",
            "floor: aiohttp receive alone",
            "websockets recv alone (no decode)",
        ):
            assert re.search(re.escape(client) + r"\s+\|\s+[\d,]+ \|\s+[\d,]+ \|", ingest), client
    # the stream profile splits each topic's µs per frame by package, the SDK's own included
    profile = text.split("## Streams: where the SDK's time goes", 1)[1].split("\n## ", 1)[0]
    for package in ("websockets", "kana_async/_streams", "all (unprofiled run)"):
        assert re.search(
            r"\| " + re.escape(package) + r"\s+\|\s+[\d.]+ \|\s+[\d.]+ \|\s+[\d.]+ \|\s+[\d.]+ \|",
            profile,
        ), package
