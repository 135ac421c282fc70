"""The one benchmark command runs end to end on tiny inputs and writes a complete results file."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from kana_async._streams.dedup import SeenRows
from kana_async._streams.topics import TOPICS

ROOT = Path(__file__).resolve().parent.parent

SECTION_TITLES = [
    "## Targets",
    "## WebSocket ingest, topic `orderbook`",
    "## WebSocket ingest, topic `positions`",
    "## WebSocket ingest, topic `order_history`",
    "## Latency, `orderbook` paced at 5,000 frames/s",
    "## REST reads at the SDK's default concurrency",
    "## REST: where the CPU goes (profile)",
    "## Orders: 3 limit orders from one account, 0 ms latency",
    "## Orders: 3 limit orders from one account, 10 ms latency",
    "## Import time",
    "## Memory over 2,000 order-book frames",
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
