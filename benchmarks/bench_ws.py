"""WebSocket benchmarks: ingest rate per topic, latency at a paced rate, memory over many frames.

The feed (``ws_feed.py``, its own process) sends Kana-like frames of one topic; every client
here connects, subscribes, reads its frames, touches every item and closes, in this process:

* ``kana_async xK``: the SDK's public API, ``kana.streams.<topic>(...)`` with K subscribers of the
  same subscription (each gets every item: ``buffer_size`` = the run's items);
* ``websockets+msgspec (plain struct)``: one typed msgspec decode per frame into plain structs
  with the same fields and types the SDK's rows have (``Decimal`` money), the strongest
  hand-written baseline; ``x4 (asyncio.Queue)``: the same decode once, fanned out to 4 queues;
* ``ccxt style (aiohttp+json)``: ``aiohttp`` ``ws_connect`` + ``json.loads``;
* ``aiohttp+msgspec (plain struct)``: aiohttp's compiled frame reader with the plain-struct
  decode: what another socket library would give (no target; the SDK is built on websockets);
* ``docs style (websocket-client)``: Kana's documented ``WebSocketApp`` with ``json.loads``,
  default settings; fewer frames, rates are per frame.

"Touch" reads what a bot reads: the best bid of a book (a ``Decimal``), the size of a row.
Rounds alternate the clients (order rotated each round). Run on its own::

    python benchmarks/bench_ws.py --topic orderbook --messages 20000 --rounds 3

or through ``python -m benchmarks``, which also runs the latency and memory measurements.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import statistics
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import msgspec
import ws_feed
from _common import Result, SectionFailed, deadline, paired_ratios, receive, rotated, run_bounded

#: The least frames/s any client is allowed before its run counts as stuck (the docs style, the
#: slowest, reads over 1,000 a second on a loaded machine).
FLOOR_RATE = 200.0

# -- baselines: plain structs with the SDK rows' fields and types ------------------------------


class _Level(msgspec.Struct, gc=False):
    is_ask: bool
    price: Decimal
    size: Decimal
    market_id: str
    last_updated: int
    transaction_version: int


class _Book(msgspec.Struct, gc=False):
    message: str
    data: list[_Level]


class _Position(msgspec.Struct, gc=False):
    address: str
    market_id: str
    size: Decimal
    entry_price: Decimal
    liq_price: Decimal
    margin: Decimal
    value: Decimal
    leverage: int
    is_long: bool
    last_updated: str
    trade_id: str
    sl: Decimal | None = None
    tp: Decimal | None = None


class _Order(msgspec.Struct, gc=False):
    address: str
    order_id: str
    market_id: str
    size: Decimal
    price: Decimal
    order_value: Decimal
    status: str
    order_type: int
    is_market_order: bool
    leverage: int
    timestamp: int
    last_updated: int
    trade_id: str
    transaction_version: int


class _Positions(msgspec.Struct, gc=False):
    message: str
    data: list[_Position]


class _Orders(msgspec.Struct, gc=False):
    message: str
    data: list[_Order]


_FRAME_TYPES: dict[str, type] = {
    "orderbook": _Book,
    "positions": _Positions,
    "order_history": _Orders,
}


def _touch_plain(topic: str, frame: Any) -> list[Any]:
    """The items a reader of ``frame`` gets, touched (best bid of a book, size of a row)."""
    if topic == "orderbook":
        bids = [level.price for level in frame.data if not level.is_ask]
        return [max(bids) if bids else None]
    return [row.size for row in frame.data]


def _touch_json(topic: str, msg: dict[str, Any]) -> int:
    if topic == "orderbook":
        bids = [Decimal(str(lv["price"])) for lv in msg["data"] if not lv["is_ask"]]
        max(bids)  # the best bid, as the other clients read it
        return 1
    return sum(1 for row in msg["data"] if Decimal(row["size"]))


# -- clients: (url, topic, frames, items) -> items seen; `stamp` (latency) gets each item's time


Stamp = Callable[[], None] | None


def _stream_counts(kana: Any) -> str:
    """What the SDK's stream counted: why a reader may have seen fewer items than were sent."""
    st = kana.streams.statistics()
    return (
        f"the stream received {st.frames} frames, filtered {st.duplicates} repeated rows, "
        f"skipped bad frames {st.bad_frames}, last error {st.last_error!r}"
    )


def sdk(subscribers: int) -> Callable[..., Awaitable[int]]:
    """kana_async through its public API, ``subscribers`` readers of one subscription."""

    async def run(url: str, topic: str, n: int, items: int, stamp: Stamp = None) -> int:
        from kana_async import KanaClient, Network, StreamOptions

        network = Network(
            name="bench",
            rest_url="http://127.0.0.1:1",
            ws_url=url,
            node_url="http://127.0.0.1:1",
            chain_id=4,
            markets={"APT-USD": ws_feed.MARKET},
        )
        options = StreamOptions(compression=None, ping_interval=None, stale_timeout=None)
        async with KanaClient(network, stream_options=options) as kana:
            if topic == "orderbook":
                subs = [
                    kana.streams.orderbook(ws_feed.MARKET, buffer_size=items)
                    for _ in range(subscribers)
                ]
            else:
                method = getattr(kana.streams, topic)
                subs = [method(ws_feed.PROFILE, buffer_size=items) for _ in range(subscribers)]
            counts = [0] * subscribers
            seconds = deadline(n, FLOOR_RATE)

            async def read(i: int) -> None:
                async with subs[i] as sub:
                    async for item in sub:
                        ok = item.best_bid is not None if topic == "orderbook" else item.size
                        counts[i] += 1 if ok is not None else 0
                        if stamp is not None and i == 0:
                            stamp()
                        if counts[i] == items:
                            return

            try:
                async with asyncio.timeout(seconds):
                    await asyncio.gather(*(read(i) for i in range(subscribers)))
            except TimeoutError:
                raise SectionFailed(
                    f"kana_async x{subscribers} on {topic}: {counts} of {items} items after "
                    f"{seconds:.0f} s; {_stream_counts(kana)}"
                ) from None
        return min(counts)

    return run


async def bare(url: str, topic: str, n: int, items: int, stamp: Stamp = None) -> int:
    """websockets + one typed msgspec decode per frame into plain structs."""
    from websockets.asyncio.client import connect

    decoder = msgspec.json.Decoder(_FRAME_TYPES[topic])
    seen = 0
    async with connect(url, compression=None, max_size=None) as ws:
        await ws.send(ws_feed.subscribe_message(topic))
        for _ in range(n):
            seen += len(_touch_plain(topic, decoder.decode(await ws.recv(decode=False))))
            if stamp is not None:
                stamp()
    return seen


async def bare_fanout(url: str, topic: str, n: int, items: int, stamp: Stamp = None) -> int:
    """websockets + msgspec, each frame decoded once and handed to 4 ``asyncio.Queue`` readers."""
    from websockets.asyncio.client import connect

    decoder = msgspec.json.Decoder(_FRAME_TYPES[topic])
    queues: list[asyncio.Queue[Any]] = [asyncio.Queue() for _ in range(4)]
    counts = [0] * 4

    async def reader(i: int) -> None:
        while (frame := await queues[i].get()) is not None:
            counts[i] += len(_touch_plain(topic, frame))

    tasks = [asyncio.ensure_future(reader(i)) for i in range(4)]
    async with connect(url, compression=None, max_size=None) as ws:
        await ws.send(ws_feed.subscribe_message(topic))
        for _ in range(n):
            frame = decoder.decode(await ws.recv(decode=False))
            for q in queues:
                q.put_nowait(frame)
    for q in queues:
        q.put_nowait(None)
    await asyncio.gather(*tasks)
    return min(counts)


async def aiohttp_msgspec(url: str, topic: str, n: int, items: int, stamp: Stamp = None) -> int:
    """aiohttp ``ws_connect`` (compiled frame reader) + the same typed msgspec decode."""
    import aiohttp

    decoder = msgspec.json.Decoder(_FRAME_TYPES[topic])
    seen = 0
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(url, compress=0, max_msg_size=0) as ws,
    ):
        await ws.send_str(ws_feed.subscribe_message(topic))
        for _ in range(n):
            msg = await ws.receive()
            seen += len(_touch_plain(topic, decoder.decode(msg.data)))
            if stamp is not None:
                stamp()
    return seen


async def ccxt_style(url: str, topic: str, n: int, items: int, stamp: Stamp = None) -> int:
    """aiohttp ``ws_connect`` + ``json.loads`` (how ccxt-style clients read)."""
    import aiohttp

    seen = 0
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(url, compress=0, max_msg_size=0) as ws,
    ):
        await ws.send_str(ws_feed.subscribe_message(topic))
        for _ in range(n):
            msg = await ws.receive()
            seen += _touch_json(topic, json.loads(msg.data))
            if stamp is not None:
                stamp()
    return seen


def docs_style(url: str, topic: str, n: int, items: int, stamp: Stamp = None) -> int:
    """websocket-client ``WebSocketApp``, callbacks on a thread, ``json.loads`` (Kana's docs)."""
    import websocket

    seen = 0
    count = 0

    def on_open(app: Any) -> None:
        app.send(ws_feed.subscribe_message(topic))

    def on_message(app: Any, message: str) -> None:
        nonlocal seen, count
        seen += _touch_json(topic, json.loads(message))
        count += 1
        if count == n:
            app.close()

    app = websocket.WebSocketApp(url, on_open=on_open, on_message=on_message)
    thread = threading.Thread(target=app.run_forever, daemon=True)
    thread.start()
    seconds = deadline(n, FLOOR_RATE)
    thread.join(seconds)
    if thread.is_alive():
        app.close()
        thread.join(2)  # a daemon thread: it cannot outlive the process
        raise SectionFailed(f"docs style on {topic}: {count} of {n} frames after {seconds:.0f} s")
    return seen


SDK_X1 = "kana_async x1"
SDK_X4 = "kana_async x4"
BARE = "websockets+msgspec (plain struct)"
BARE_X4 = "websockets+msgspec x4 (asyncio.Queue)"
CCXT = "ccxt style (aiohttp+json)"
AIOHTTP_MSGSPEC = "aiohttp+msgspec (plain struct)"
DOCS = "docs style (websocket-client)"

#: The issue's targets for the SDK's ratios, by topic and (ours, baseline).
TARGETS: dict[str, dict[tuple[str, str], str]] = {
    "orderbook": {
        (SDK_X1, BARE): ">= 0.85",
        (SDK_X1, CCXT): ">= 1.5",
        (SDK_X1, DOCS): ">= 30",
        (SDK_X4, BARE_X4): ">= 0.75",
    },
    "positions": {(SDK_X1, BARE): ">= 0.85", (SDK_X1, CCXT): ">= 1.5"},
}

CLIENTS: dict[str, Callable[..., Any]] = {
    SDK_X1: sdk(1),
    SDK_X4: sdk(4),
    BARE: bare,
    BARE_X4: bare_fanout,
    CCXT: ccxt_style,
    AIOHTTP_MSGSPEC: aiohttp_msgspec,
    DOCS: docs_style,
}


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
        query = f"topic={topic}&n={n}" + (f"&rate={rate:g}" if rate else "")
        return f"ws://127.0.0.1:{self.port}/ws/?{query}"

    def __exit__(self, *exc: object) -> None:
        self.process.kill()
        self.process.join(10)


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
    seen = _run(name, url, topic, n, items)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    if seen != items:
        raise SectionFailed(f"{name}: saw {seen} of {items} items of {topic}")
    return n / wall, cpu / n * 1e6


def ingest(feed: Feed, topic: str, n: int, docs_n: int, rounds: int) -> Result:
    """Frames/s of every client on ``topic``; ratios of the SDK to each baseline per round."""
    names = list(CLIENTS)
    rates: dict[str, list[float]] = {name: [] for name in names}
    cpus: dict[str, list[float]] = {name: [] for name in names}
    for name in names:  # warm-up: imports, first connection
        _timed_run(name, feed.url(topic, 50), topic, 50)
    for round_ in range(rounds):
        for name in rotated(names, round_):
            frames = docs_n if name == DOCS else n
            rate, cpu = _timed_run(name, feed.url(topic, frames), topic, frames)
            rates[name].append(rate)
            cpus[name].append(cpu)
    rows = []
    for name in names:
        r = rates[name]
        rows.append(
            [
                name,
                f"{docs_n if name == DOCS else n:,}",
                f"{statistics.median(r):,.0f}",
                f"{min(r):,.0f}-{max(r):,.0f}",
                f"{statistics.median(cpus[name]):.2f}",
            ]
        )
    targets = TARGETS.get(topic, {})
    headlines = [
        (
            f"{ours} vs {base} (frames/s)",
            paired_ratios(rates[ours], rates[base]),
            targets.get((ours, base), ""),
        )
        for ours, base in (
            (SDK_X1, BARE),
            (SDK_X1, CCXT),
            (SDK_X1, DOCS),
            (SDK_X4, BARE_X4),
            (SDK_X4, BARE),
            (SDK_X1, AIOHTTP_MSGSPEC),
        )
    ]
    sizes = sorted(len(f) for f in ws_feed.pool(topic))
    return Result(
        title=f"WebSocket ingest, topic `{topic}`",
        description=(
            f"{n:,} frames a run ({docs_n:,} for the docs style), {rounds} rounds; frames median "
            f"{sizes[len(sizes) // 2]:,} B ({sizes[0]:,}-{sizes[-1]:,}); the feed sends as fast "
            "as the client reads. CPU = this process, all threads."
        ),
        headers=["client", "frames", "frames/s (median)", "min-max", "CPU us/frame"],
        rows=rows,
        ratios=headlines,
    )


def latency(feed: Feed, n: int, rate: float, rounds: int) -> Result:
    """p50/p99 latency (server write → client has the decoded, touched item) at a paced rate."""
    names = [SDK_X1, BARE, CCXT]
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
            if seen != n:
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
    return Result(
        title=f"Latency, `orderbook` paced at {rate:,.0f} frames/s",
        description=(
            f"{n:,} frames a run, {rounds} rounds (medians of the per-run percentiles). Latency = "
            "the client's monotonic clock once the item is decoded and touched, minus the feed "
            "process's monotonic clock just before that frame's write, matched by index."
        ),
        headers=["client", "p50 us", "p99 us", "p50 min-max", "client CPU % of a core"],
        rows=rows,
        ratios=[
            (
                f"p50 {SDK_X1} / {BARE} (lower is better)",
                paired_ratios(p50[SDK_X1], p50[BARE]),
                "<= 1.2",
            ),
            (f"p50 {SDK_X1} / {CCXT} (lower is better)", paired_ratios(p50[SDK_X1], p50[CCXT]), ""),
        ],
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
                            count += book.best_bid is not None
                            if count == 1 or count % every == 0:
                                samples.append((count, _rss_mb()))
                            if count == n:
                                return
                except TimeoutError:
                    pass
                raise SectionFailed(
                    f"memory: {count} of {n} order-book frames after {seconds:.0f} s; "
                    f"{_stream_counts(kana)}"
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
