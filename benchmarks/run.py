"""Every benchmark in one command; writes ``benchmarks/RESULTS.md``.

::

    python -m benchmarks                  # the full run (6-8 minutes on 2 cores)
    python benchmarks/run.py --quick --output /tmp/RESULTS.md   # tiny sizes, a few seconds

Sections: websocket ingest of the ``orderbook``, ``positions`` and ``order_history`` topics (1 and
4 subscribers, with the socket libraries' floors), latency at a paced 5,000 frames/s, where the
SDK's stream time goes (profile), REST reads at the SDK's default concurrency
(both transports) and where their CPU goes, 200 concurrent orders against the same sent one at
a time (0 and 10 ms of latency), import time, memory over 1,000,000 order-book frames, and the
``positions`` targets by instruction count (callgrind, where valgrind is installed). Each
section measures its baselines side by side in the same minutes, rounds alternating; the file
opens with the date, commit, machine and library versions, then every targeted ratio and whether
it was met.
"""

from __future__ import annotations

import argparse
import datetime
import multiprocessing
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # the scripts import their neighbours (`python -m benchmarks`)
    sys.path.insert(0, str(HERE))

import bench_import  # noqa: E402
import bench_rest  # noqa: E402
import bench_trading  # noqa: E402
import bench_ws  # noqa: E402
import instructions  # noqa: E402
import profile_rest  # noqa: E402
import profile_ws  # noqa: E402
from _common import Result, SectionFailed, notes_table, receive  # noqa: E402

LIBRARIES = (
    "kana-async", "httpx", "httpcore", "h11", "anyio", "sniffio", "websockets", "msgspec",
    "aiohttp", "httpx-aiohttp", "aptos-sdk", "websocket-client", "requests",
)  # fmt: skip


@dataclass(frozen=True)
class Sizes:
    """How much each section measures."""

    ws_frames: int
    ws_account_frames: int
    docs_frames: int
    ws_rounds: int
    latency_frames: int
    latency_rate: float
    latency_rounds: int
    rest_requests: int
    docs_requests: int
    rest_rounds: int
    profile_requests: int
    orders: int
    order_rounds: int
    import_rounds: int
    rss_frames: int
    count_frames: int
    count_targets: int | None  # the first this many positions targets are counted; None: all


FULL = Sizes(
    ws_frames=8_000, ws_account_frames=20_000, docs_frames=1_000, ws_rounds=10,
    latency_frames=10_000, latency_rate=5_000, latency_rounds=3,
    rest_requests=500, docs_requests=100, rest_rounds=7, profile_requests=500,
    orders=200, order_rounds=3, import_rounds=12, rss_frames=1_000_000,
    count_frames=1_000, count_targets=None,
)  # fmt: skip
QUICK = Sizes(
    ws_frames=300, ws_account_frames=300, docs_frames=50, ws_rounds=1,
    latency_frames=200, latency_rate=5_000, latency_rounds=1,
    rest_requests=20, docs_requests=5, rest_rounds=1, profile_requests=20,
    orders=3, order_rounds=1, import_rounds=1, rss_frames=2_000,
    count_frames=20, count_targets=1,
)  # fmt: skip

SECTIONS = (
    "ws", "latency", "wsprofile", "rest", "profile", "orders", "import", "rss", "instructions",
)  # fmt: skip


def sections(sizes: Sizes) -> dict[str, Callable[[], list[Result]]]:
    """The runnable sections, by name."""

    def ws() -> list[Result]:
        with bench_ws.Feed() as feed:
            return [
                bench_ws.ingest(
                    feed,
                    topic,
                    sizes.ws_frames if topic == "orderbook" else sizes.ws_account_frames,
                    sizes.docs_frames,
                    sizes.ws_rounds,
                )
                for topic in ("orderbook", "positions", "order_history")
            ]

    def latency() -> list[Result]:
        with bench_ws.Feed() as feed:
            return [
                bench_ws.latency(
                    feed, sizes.latency_frames, sizes.latency_rate, sizes.latency_rounds
                )
            ]

    def wsprofile() -> list[Result]:
        frames = {"orderbook": sizes.ws_frames, "positions": sizes.ws_account_frames}
        with bench_ws.Feed() as feed:
            return [profile_ws.package_profile(feed, frames)]

    def rest() -> list[Result]:
        return [bench_rest.run_all(sizes.rest_requests, sizes.docs_requests, sizes.rest_rounds)]

    def profile() -> list[Result]:
        clients = [
            bench_rest.SDK_HTTPX,
            bench_rest.SDK_AIOHTTP,
            bench_rest.HTTPX,
            bench_rest.AIOHTTP,
        ]
        return [profile_rest.package_profile(clients, sizes.profile_requests, 2)]

    def orders() -> list[Result]:
        return [
            bench_trading.run_all(sizes.orders, sizes.order_rounds, latency, docs=False)
            for latency in (0.0, 10.0)
        ]

    def imports() -> list[Result]:
        return [bench_import.run_all(sizes.import_rounds)]

    def rss() -> list[Result]:
        # a fresh interpreter: the sections before it grew this one's heap
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        process = ctx.Process(target=bench_ws.rss_to_pipe, args=(child, sizes.rss_frames))
        process.start()
        try:
            result = receive(parent, bench_ws.rss_deadline(sizes.rss_frames), "memory")
        finally:
            process.join(30)
            if process.is_alive():
                process.kill()
                process.join(10)
        if isinstance(result, SectionFailed):
            raise result
        return [result]

    def counted() -> list[Result]:
        return [instructions.section("positions", sizes.count_frames, sizes.count_targets)]

    return {
        "ws": ws,
        "latency": latency,
        "wsprofile": wsprofile,
        "rest": rest,
        "profile": profile,
        "orders": orders,
        "import": imports,
        "rss": rss,
        "instructions": counted,
    }


def _git(*args: str) -> str:
    try:
        out = subprocess.run(
            ["git", *args], cwd=HERE, check=True, capture_output=True, text=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.strip()


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _versions() -> str:
    parts = []
    for name in LIBRARIES:
        try:
            parts.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            parts.append(f"{name} not installed")
    return ", ".join(parts)


def header(started: datetime.datetime, took: float, sizes_name: str) -> str:
    """The file's opening lines: when, what, where."""
    commit = _git("rev-parse", "HEAD")
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    if dirty and dirty != "unknown":
        commit += " (with uncommitted changes)"
    return "\n".join(
        [
            "# Benchmark results",
            "",
            f"- Date: {started:%Y-%m-%d %H:%M:%S} UTC; the run took {took:.0f} s "
            f"({sizes_name} sizes)",
            f"- Commit: {commit}",
            f"- Machine: {os.cpu_count()} cores ({_cpu_model()}), {platform.platform()}; "
            "everything on 127.0.0.1, servers in their own processes",
            f"- Python: {platform.python_version()} ({sys.implementation.name})",
            f"- Libraries: {_versions()}",
            "- Command: `python -m benchmarks` (see `benchmarks/README.md`)",
            "",
            "Ratios are medians of per-round ratios (both sides measured in the same round), "
            "with their min-max across rounds.",
            "",
        ]
    )


def targets_table(results: list[Result]) -> str:
    """Every targeted ratio of the run, its value and whether the target was met."""
    lines = [
        "## Targets",
        "",
        "| ratio | value | target | met |",
        "|---|---:|---:|:---:|",
    ]
    for result in results:
        for label, value, target, met in result.verdicts():
            lines.append(f"| {result.title}: {label} | {value} | {target} | {met} |")
    bounds = [
        (f"{result.title}: {label}", notes)
        for result in results
        for label, notes in result.unmet_notes()
    ]
    if bounds:
        lines += [
            "",
            "### Targets not met: the most the socket library and the SDK's own work allow",
            "",
            "A `floor:` client reads with the socket library and does nothing else (websockets "
            "read through the SDK's frame sink, as the SDK reads it), or only the least work a "
            "client of its kind must do: the leanest decode of the touched numbers, or the SDK's "
            "own per-frame work (its decode into the public types, its bounds and shape checks, "
            "its repeat filter; no routing, buffer or async iterator), and that work handed to "
            "`async for` the cheapest way (a deque, one future, an async generator). No such "
            "client (the SDK included) spends less CPU per frame, and a client on one thread "
            "reads at most 1 / (its CPU per frame) frames/s: the baseline's wall µs/frame (1 / "
            "its frames/s) over the floor's CPU µs/frame, round by round, is the best frames/s "
            "ratio any of them can reach (for latency: the floor's p50 over the baseline's is the "
            "lowest). Where that bound misses the target, the target is out of reach with that "
            "library (or with the SDK's guarantees as they cost today); elsewhere the verdict "
            "says how many µs per frame the rest may take (the stream profile shows where the "
            "SDK's go). A floor whose bound the SDK client itself passed beside the baseline (the "
            "floor's runs and the baseline's are apart, and the noise between them can be larger "
            "than the gap) bounds nothing in that run, and its verdict says so. Costs are medians "
            "over the rounds. The SDK bounds a frame's `Decimal` values by a second msgspec decode "
            "that reads them as bounded floats, in C, and checks them one by one in Python only "
            "when that decode cannot vouch for them, because msgspec cannot bound a `Decimal` as "
            "it decodes one (its numeric constraints take `int` and `float` fields only; "
            "`Meta(lt=...)` on a `Decimal` is a `TypeError` in msgspec 0.23). The section "
            "`Instruction counts` judges the `positions` targets again by instructions per "
            "frame, which the noise between runs barely moves.",
            "",
            notes_table(bounds),
        ]
    return "\n".join([*lines, ""])


def main(argv: list[str] | None = None) -> int:
    """Run the chosen sections and write the results file; 1 if a section failed, else 0."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run)")
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--only", nargs="*", choices=SECTIONS, default=None)
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    chosen = args.only or list(SECTIONS)
    started = datetime.datetime.now(datetime.UTC)
    t0 = time.perf_counter()
    results: list[Result] = []
    failures: list[str] = []
    runnable = sections(sizes)
    for name in chosen:
        section_start = time.perf_counter()
        print(f"[benchmarks] {name} ...", file=sys.stderr, flush=True)
        try:
            results.extend(runnable[name]())
        except SectionFailed as exc:  # every wait is bounded: a stuck client ends up here
            failures.append(f"## Section `{name}` FAILED\n\n{exc}\n")
            print(f"[benchmarks] {name} FAILED: {exc}", file=sys.stderr, flush=True)
            continue
        print(
            f"[benchmarks] {name} took {time.perf_counter() - section_start:.0f} s",
            file=sys.stderr,
            flush=True,
        )
    took = time.perf_counter() - t0
    text = "\n".join(
        [
            header(started, took, "quick" if args.quick else "full"),
            *failures,
            targets_table(results),
            *(r.markdown() for r in results),
        ]
    )
    args.output.write_text(text)
    print(f"[benchmarks] wrote {args.output} in {took:.0f} s", file=sys.stderr)
    if failures:
        print(f"[benchmarks] {len(failures)} section(s) FAILED", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
