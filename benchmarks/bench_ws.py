"""WebSocket benchmarks: ingest rate per topic, latency at a paced rate, memory over many frames.

The feed (``ws_feed.py``, its own process) sends Kana-like frames of one topic; every client of
``ws_clients.py`` connects, subscribes, reads its frames, touches every item and closes, in this
process. Rounds alternate the clients (order rotated each round). The floor clients (the socket
library alone) bound what any client on that library can reach: :func:`floor_notes` turns
them into a line per targeted ratio, from the same rounds. Run on its own::

    python benchmarks/bench_ws.py --topic orderbook --messages 20000 --rounds 3

or through ``python -m benchmarks``, which also runs the latency and memory measurements.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import statistics
import sys
import time
from typing import Any

import ws_feed
from _common import (
    Result,
    SectionFailed,
    deadline,
    median,
    paired_ratios,
    receive,
    rotated,
    run_bounded,
)
from ws_clients import (
    AIOHTTP_MSGSPEC,
    AIOHTTP_RECV,
    BARE,
    BARE_X4,
    CCXT,
    CLIENTS,
    DOCS,
    DOCS_FAST,
    FLOOR_RATE,
    FLOORS,
    FLOORS_OF,
    SDK_AIOHTTP,
    SDK_X1,
    SDK_X4,
    TARGETS,
    WS_RECV,
    Stamp,
    stream_counts,
)
from ws_floors import floor_notes
from ws_shapes import touch_sdk

__all__ = [
    "AIOHTTP_RECV",
    "BARE",
    "CCXT",
    "DOCS",
    "SDK_X1",
    "SDK_X4",
    "WS_RECV",
    "Feed",
    "floor_notes",
    "ingest",
    "latency",
    "rss",
    "rss_deadline",
    "rss_to_pipe",
]


class Feed:
    """The feed server process, started and stopped with ``with``."""

    def __enter__(self) -> Feed:
        ctx = mp.get_context("spawn")
        self.pipe, child = ctx.Pipe()
        self.process = ctx.Process(target=ws_feed.server_main, args=(child,), daemon=True)
        self.process.start()
        try:
            self.port: int = receive(self.pipe, 60, "the websocket feed's start")
        except SectionFailed:
            self.__exit__()
            raise
        return self

    def url(self, topic: str, n: int, rate: float = 0) -> str:
        return feed_url(self.port, topic, n, rate)

    def __exit__(self, *exc: object) -> None:
        self.process.kill()
        self.process.join(10)


def feed_url(port: int, topic: str, n: int, rate: float = 0) -> str:
    """The URL of ``n`` frames of ``topic`` from the feed at ``port`` (paced at ``rate``/s)."""
    query = f"topic={topic}&n={n}" + (f"&rate={rate:g}" if rate else "")
    return f"ws://127.0.0.1:{port}/ws/?{query}"


def run_checked(name: str, url: str, topic: str, n: int, items: int) -> None:
    """:func:`_run` of ``n`` frames that must deliver ``items`` items.

    Raises:
        SectionFailed: the client missed items or got stuck.
    """
    seen = _run(name, url, topic, n, items)
    if seen != items:
        raise SectionFailed(f"{name}: saw {seen} of {items} items of {topic}")


def _run(name: str, url: str, topic: str, n: int, items: int, stamp: Stamp = None) -> Any:
    """One run of client ``name``, bounded (its own deadline, then this one as a backstop)."""
    result = CLIENTS[name](url, topic, n, items, stamp)
    if not asyncio.iscoroutine(result):
        return result
    return run_bounded(result, deadline(n, FLOOR_RATE, base=45), f"{name} on {topic}")


def _timed_run(name: str, url: str, topic: str, n: int) -> tuple[float, float]:
    """(frames/s, CPU us per frame) of one run.

    Raises:
        SectionFailed: the client missed items or got stuck.
    """
    items = ws_feed.rows_in(topic, n)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    run_checked(name, url, topic, n, items)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return n / wall, cpu / n * 1e6


#: How many times the run's frames a floor client reads: its set-up (connect, close) then
#: weighs little in its cost per frame, which bounds what the others can reach (3, not more:
#: the whole command must stay within ~8 minutes on a loaded 2-core machine).
FLOOR_FRAMES = 3


def _frames(name: str, n: int, docs_n: int) -> int:
    if name in FLOORS:
        return n * FLOOR_FRAMES
    return docs_n if name == DOCS else n


def ingest(feed: Feed, topic: str, n: int, docs_n: int, rounds: int) -> Result:
    """Frames/s of every client on ``topic``; ratios of the SDK to each baseline per round."""
    names = list(CLIENTS)
    rates: dict[str, list[float]] = {name: [] for name in names}
    cpus: dict[str, list[float]] = {name: [] for name in names}
    targets = TARGETS.get(topic, {})
    # each targeted baseline's run has a run of the SDK client next to it, just before it in
    # even rounds and just after it in odd ones: its ratio is that pair's (the machine's load
    # moves within a round; these two runs share the same seconds)
    beside: dict[str, list[str]] = {}
    for ours, base in targets:
        beside.setdefault(base, []).append(ours)
    adjacent: dict[tuple[str, str], list[tuple[float, float]]] = {pair: [] for pair in targets}
    for name in names:  # warm-up: imports, first connection
        _timed_run(name, feed.url(topic, 50), topic, 50)

    def timed(name: str) -> float:
        frames = _frames(name, n, docs_n)
        return _timed_run(name, feed.url(topic, frames), topic, frames)[0]

    for round_ in range(rounds):
        for name in rotated(names, round_):
            sdks = beside.get(name, [])
            before = {ours: timed(ours) for ours in sdks} if round_ % 2 == 0 else {}
            frames = _frames(name, n, docs_n)
            rate, cpu = _timed_run(name, feed.url(topic, frames), topic, frames)
            rates[name].append(rate)
            cpus[name].append(cpu)
            for ours in sdks:
                mine = before[ours] if round_ % 2 == 0 else timed(ours)
                adjacent[(ours, name)].append((mine, rate))
    rows = []
    for name in names:
        r = rates[name]
        rows.append(
            [
                name,
                f"{_frames(name, n, docs_n):,}",
                f"{statistics.median(r):,.0f}",
                f"{min(r):,.0f}-{max(r):,.0f}",
                f"{1e6 / statistics.median(r):.2f}",
                f"{statistics.median(cpus[name]):.2f}",
            ]
        )
    cost = {name: [1e6 / r for r in rates[name]] for name in names}  # wall µs/frame per round
    headlines = []
    notes: dict[str, dict[str, str]] = {}
    for ours, base in (
        (SDK_X1, BARE),
        (SDK_X1, CCXT),
        (SDK_X1, DOCS),
        (SDK_X4, BARE_X4),
        (SDK_X4, BARE),
        (SDK_X1, AIOHTTP_MSGSPEC),
        (SDK_X1, DOCS_FAST),
        (SDK_AIOHTTP, AIOHTTP_MSGSPEC),
        (SDK_AIOHTTP, CCXT),
        (SDK_AIOHTTP, DOCS),
        (SDK_AIOHTTP, BARE),
        (SDK_AIOHTTP, SDK_X1),
    ):
        label = f"{ours} vs {base} (frames/s)"
        target = targets.get((ours, base), "")
        if target:  # the runs side by side
            mine, theirs = zip(*adjacent[(ours, base)], strict=True)
            paired = paired_ratios(mine, theirs)
            headlines.append((label, paired, target))
            references = [BARE, AIOHTTP_MSGSPEC]
            measured = (median(paired), FLOORS_OF[ours])
            notes[label] = floor_notes(cost, base, target, "µs/frame", references, cpus, measured)
        else:
            headlines.append((label, paired_ratios(rates[ours], rates[base]), target))
    for floor in FLOORS:
        headlines.append(
            (f"{floor} vs {BARE} (frames/s)", paired_ratios(rates[floor], rates[BARE]), "")
        )
    sizes = sorted(len(f) for f in ws_feed.pool(topic))
    return Result(
        title=f"WebSocket ingest, topic `{topic}`",
        description=(
            f"{n:,} frames a run ({docs_n:,} for the docs style, {n * FLOOR_FRAMES:,} for the "
            f"floors), {rounds} rounds; each targeted ratio pairs its baseline's run with a run "
            "of the SDK client right beside it (before it in even rounds, after it in odd ones), "
            "the others the clients' runs of the same round; frames median "
            f"{sizes[len(sizes) // 2]:,} B ({sizes[0]:,}-{sizes[-1]:,}); the feed sends as fast "
            "as the client reads. wall us/frame = 1 / frames/s (what the ratios compare); CPU = "
            "this process, all threads. The `floor:` rows are the socket library alone (no "
            "decode; websockets read through the SDK's sink, as the SDK reads it, cheaper than "
            "`recv`), websockets with the leanest msgspec decode of the touched fields, and "
            "websockets with the SDK's own per-frame work (decode, checks, repeat filter; no "
            "routing or iterator), and that work delivered to `async for` the cheapest way (a "
            "deque, one future, an async generator): no client on that library (no SDK doing "
            "that work behind that API) costs less CPU per frame, and no client on one thread "
            "reads more frames/s than 1 / its CPU per frame."
        ),
        headers=[
            "client",
            "frames",
            "frames/s (median)",
            "min-max",
            "wall us/frame",
            "CPU us/frame",
        ],
        rows=rows,
        ratios=headlines,
        notes=notes,
    )


LATENCY_CLIENTS = [SDK_X1, BARE, CCXT, *FLOORS]


def latency(feed: Feed, n: int, rate: float, rounds: int) -> Result:
    """p50/p99 latency (server write → client has the decoded, touched item) at a paced rate."""
    names = LATENCY_CLIENTS
    p50: dict[str, list[float]] = {name: [] for name in names}
    p99: dict[str, list[float]] = {name: [] for name in names}
    cpu_pct: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(rounds):
        for name in rotated(names, round_):
            received: list[float] = []

            def stamp(received: list[float] = received) -> None:
                received.append(time.monotonic())

            wall0, cpu0 = time.perf_counter(), time.process_time()
            seen = _run(name, feed.url("orderbook", n, rate), "orderbook", n, n, stamp)
            if seen != n or len(received) != n:
                raise SectionFailed(f"{name}: saw {seen} of {n} paced order-book frames")
            cpu_pct[name].append((time.process_time() - cpu0) / (time.perf_counter() - wall0) * 100)
            sent: list[float] = receive(feed.pipe, 60, "the feed's send times")
            lat = sorted((r - s) * 1e6 for r, s in zip(received, sent, strict=False))
            p50[name].append(lat[len(lat) // 2])
            p99[name].append(lat[min(len(lat) - 1, int(len(lat) * 0.99))])
    rows = [
        [
            name,
            f"{statistics.median(p50[name]):,.0f}",
            f"{statistics.median(p99[name]):,.0f}",
            f"{min(p50[name]):,.0f}-{max(p50[name]):,.0f}",
            f"{statistics.median(cpu_pct[name]):.0f}",
        ]
        for name in names
    ]
    label = f"p50 {SDK_X1} / {BARE} (lower is better)"
    target = "<= 1.2"
    latency_ratios = paired_ratios(p50[SDK_X1], p50[BARE])
    return Result(
        title=f"Latency, `orderbook` paced at {rate:,.0f} frames/s",
        description=(
            f"{n:,} frames a run, {rounds} rounds (medians of the per-run percentiles). Latency = "
            "the client's monotonic clock once the item is decoded and touched, minus the feed "
            "process's monotonic clock just before that frame's write, matched by index. The "
            "`floor:` rows stamp each frame as soon as the socket library hands it over."
        ),
        headers=["client", "p50 us", "p99 us", "p50 min-max", "client CPU % of a core"],
        rows=rows,
        ratios=[
            (label, latency_ratios, target),
            (f"p50 {SDK_X1} / {CCXT} (lower is better)", paired_ratios(p50[SDK_X1], p50[CCXT]), ""),
        ],
        notes={
            label: floor_notes(
                p50,
                BARE,
                target,
                "µs p50",
                [],
                measured=(median(latency_ratios), FLOORS_OF[SDK_X1]),
            )
        },
    )


def _rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def rss(feed: Feed, n: int) -> Result:
    """Resident memory of one SDK subscriber reading ``n`` order-book frames (sampled)."""
    samples: list[tuple[int, float]] = []
    every = max(1, n // 20)

    async def run() -> None:
        from kana_async import KanaClient, Network, StreamOptions

        network = Network(
            name="bench",
            rest_url="http://127.0.0.1:1",
            ws_url=feed.url("orderbook", n),
            node_url="http://127.0.0.1:1",
            chain_id=4,
            markets={"APT-USD": ws_feed.MARKET},
        )
        options = StreamOptions(compression=None, ping_interval=None, stale_timeout=None)
        async with KanaClient(network, stream_options=options) as kana:
            count = 0
            async with kana.streams.orderbook(ws_feed.MARKET, buffer_size=1024) as sub:
                try:
                    async with asyncio.timeout(seconds):
                        async for book in sub:
                            touch_sdk("orderbook", book)
                            count += 1
                            if count == 1 or count % every == 0:
                                samples.append((count, _rss_mb()))
                            if count == n:
                                return
                except TimeoutError:
                    pass
                raise SectionFailed(
                    f"memory: {count} of {n} order-book frames after {seconds:.0f} s; "
                    f"{stream_counts(kana)}"
                )

    seconds = deadline(n, RSS_FLOOR_RATE)
    t0 = time.perf_counter()
    run_bounded(run(), seconds + 30, "memory")
    wall = time.perf_counter() - t0
    first = samples[1][1] if len(samples) > 1 else samples[0][1]  # after the first batch
    peak = max(mb for _, mb in samples)
    rows = [
        [f"{count:,}", f"{mb:.1f}", f"{mb - first:+.1f}"]
        for count, mb in samples[:1] + samples[1 :: max(1, len(samples) // 10)]
    ]
    rows.append(
        [f"{samples[-1][0]:,} (end)", f"{samples[-1][1]:.1f}", f"{samples[-1][1] - first:+.1f}"]
    )
    return Result(
        title=f"Memory over {n:,} order-book frames",
        description=(
            f"One `kana.streams.orderbook` subscriber (every frame read), {wall:.0f} s; RSS of "
            "this "
            f"process sampled after the first frame and every {every:,} frames (a fresh "
            "interpreter). Growth from the sample after the first batch: "
            f"{samples[-1][1] - first:+.1f} MB at the end, {peak - first:+.1f} MB at the peak."
        ),
        headers=["frames read", "RSS MB", "vs after the first batch"],
        rows=rows,
        ratios=[("RSS growth after the first batch, MB", [samples[-1][1] - first], "<= 5")],
    )


#: The least frames/s of the memory run's one subscriber before it counts as stuck.
RSS_FLOOR_RATE = 1_000.0


def rss_deadline(n: int) -> float:
    """Seconds :func:`rss_to_pipe` may take for ``n`` frames, start-up included."""
    return deadline(n, RSS_FLOOR_RATE, base=120)


def rss_to_pipe(pipe: Any, n: int) -> None:
    """Process entry point: :func:`rss` with a feed of its own; the result goes to ``pipe``.

    A :class:`SectionFailed` is sent instead of a result when the run fails.
    """
    try:
        with Feed() as feed:
            result: Result | SectionFailed = rss(feed, n)
    except SectionFailed as exc:
        result = exc
    pipe.send(result)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--topic", choices=ws_feed.TOPICS, default="orderbook")
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--docs-messages", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    with Feed() as feed:
        result = ingest(feed, args.topic, args.messages, args.docs_messages, args.rounds)
    print(result.markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
