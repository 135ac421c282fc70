"""The instruction counter of the benchmarks: its parsing, its refusal without valgrind, and the
client run it counts (over loopback, against the real feed)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "instructions.py"

# What callgrind writes to stderr when the counted process exits (its own lines, as printed).
CALLGRIND_STDERR = """\
==3114== Callgrind, a call-graph generating cache profiler
==3114== Command: python benchmarks/instructions.py --read kana_async x1
==3114==
==3114== Events    : Ir
==3114== Collected : 1290843273
==3114==
==3114== I   refs:      1,290,843,273
"""


def _instructions() -> ModuleType:
    name = "_bench_instructions"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, SCRIPT)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def test_the_count_is_read_from_callgrinds_total_and_differenced_per_frame() -> None:
    counter = _instructions()
    assert counter.collected(CALLGRIND_STDERR) == 1_290_843_273
    assert counter.per_frame(1_290_843_273, 1_610_854_260, 2000) == 80_002.74675
    for broken in ("", "==1== Collected : 12\n==2== Collected : 13\n", "Collected : 12"):
        with pytest.raises(counter.SectionFailed):
            counter.collected(broken)


def test_without_valgrind_it_says_what_it_needs_and_exits_2() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--topic", "positions"],
        capture_output=True,
        text=True,
        env={"PATH": "", "PYTHONPATH": str(ROOT)},
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "needs valgrind on PATH" in done.stderr


@pytest.mark.parametrize("client", ["kana_async x1", "websockets+msgspec (plain struct)"])
def test_the_counted_run_reads_every_item_the_feed_sends(client: str) -> None:
    counter = _instructions()
    with counter.Feed() as feed:
        seen = counter.read(client, "positions", 40, feed.port)
    assert seen == counter.ws_feed.rows_in("positions", 40) > 40  # 1-3 rows a frame
