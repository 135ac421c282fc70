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

# The head of a callgrind dump (`--dump-before`), as callgrind writes one: its cost summary lines.
CALLGRIND_DUMP = """\
# callgrind format
version: 1
creator: callgrind-3.19.0
pid: 3114
cmd:  python benchmarks/instructions.py --read kana_async x1
part: 2

desc: I1 cache:
desc: Timerange: Basic block 94611 - 1290843273
desc: Trigger: --dump-before=os_getppid

positions: line
events: Ir
summary: {n}

fl=(1) ???
fn=(1) 0x0000000000108090
0 3
totals: {n}
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


def test_the_count_is_read_from_callgrinds_phase_dumps_and_differenced_per_frame(
    tmp_path: Path,
) -> None:
    counter = _instructions()
    assert counter.totals(CALLGRIND_DUMP.format(n=1_290_843_273)) == 1_290_843_273
    assert counter.per_frame(1_290_843_273, 1_610_854_260, 2000) == 80_002.74675
    for broken in ("", "totals: 12\ntotals: 13\n", "summary: 12\n", "totals: twelve\n"):
        with pytest.raises(counter.SectionFailed):
            counter.totals(broken)
    out = tmp_path / "callgrind.out"
    # the parts in the order callgrind numbers them, not the order a directory lists them
    for part, n in ((10, 30), (2, 20), (1, 10)):
        (tmp_path / f"callgrind.out.{part}").write_text(CALLGRIND_DUMP.format(n=n))
    out.write_text(CALLGRIND_DUMP.format(n=99))  # the final dump at exit is not a phase
    with pytest.raises(counter.SectionFailed, match=r"wrote parts \[1, 2, 10\]"):
        counter.phase_counts(out)  # three parts, but not the three phases
    (tmp_path / "callgrind.out.10").unlink()
    with pytest.raises(counter.SectionFailed, match=r"wrote parts \[1, 2\]"):
        counter.phase_counts(out)
    (tmp_path / "callgrind.out.3").write_text(CALLGRIND_DUMP.format(n=30))
    assert counter.phase_counts(out) == [10, 20, 30]


def test_each_target_is_judged_by_what_its_baseline_executes_over_the_target() -> None:
    counter = _instructions()
    sdk, bare, lean, work = counter.SDK_X1, counter.BARE, counter.WS_LEAN, counter.SDK_WORK
    ccxt = sys.modules["ws_clients"].CCXT
    targets = {(sdk, bare): ">= 0.8", (sdk, ccxt): ">= 1.5"}
    assert counter.counted_clients(list(targets)) == [sdk, bare, lean, work, ccxt]
    costs = {sdk: 110_000.0, bare: 80_000.0, lean: 40_000.0, work: 99_000.0, ccxt: 90_000.0}
    near, far = counter.verdict_rows(costs, targets, "topic")
    assert near[0] == f"topic: {sdk} vs {bare} (frames/s) >= 0.8"
    assert near[1] == f"<= 100,000 ({bare}: 80,000)"  # 80,000 / 0.8
    assert near[2] == "110,000 ⇒ 0.73x"
    assert f"{lean}: 40,000 ⇒ at most 2.00x" in near[3]
    assert f"{work}: 99,000 ⇒ at most 0.81x" in near[3]
    # 99,000 is within the 100,000 the target allows: 1,000 left, not out of reach
    assert near[4] == (
        "within reach of websockets (60,000 left past its floor); within reach of the SDK's "
        "required per-frame work (1,000 left past its floor)"
    )
    assert far[1] == f"<= 60,000 ({ccxt}: 90,000)"
    assert far[4] == (
        "within reach of websockets (20,000 left past its floor); "
        "**out of reach with the SDK's required per-frame work**"
    )
    # a floor the SDK client itself executes fewer instructions than bounds nothing
    cheaper = {**costs, sdk: 95_000.0}
    assert counter.verdict_rows(cheaper, targets, "topic")[1][4] == (
        "within reach of websockets (20,000 left past its floor); "
        "no bound from the SDK's required per-frame work (the SDK client executed fewer)"
    )
    # latency targets (lower is better) are not judged by instructions
    assert counter.verdict_rows(costs, {(sdk, bare): "<= 1.2"}, "topic") == []


def test_without_valgrind_the_section_says_so_and_counts_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    counter = _instructions()
    monkeypatch.setenv("PATH", "")
    result = counter.section("positions", 20, 1)
    assert result.title == "Instruction counts, topic `positions` (callgrind)"
    assert "`valgrind` is not on PATH" in result.description
    assert result.rows == [] and result.ratios == []


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


def test_the_counted_process_marks_each_phase_after_its_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    counter = _instructions()
    calls: list[object] = []
    monkeypatch.setattr(counter, "read", lambda name, topic, n, port: calls.append(n))
    monkeypatch.setattr(counter.os, "getppid", lambda: calls.append("mark"))
    counter.read_phases("kana_async x1", "positions", 7, 1)
    # a warm-up run (not counted), then N and 3N, each followed by the mark callgrind dumps at
    assert calls == [7, "mark", 7, "mark", 21, "mark"]
