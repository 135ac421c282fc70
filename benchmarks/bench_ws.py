"""WebSocket ingest benchmark: baselines and kana_async's StreamManager, side by side.

A local ``websockets`` server (a separate process, so its CPU is not counted) pushes pre-framed
Kana-like ``orderbook`` frames (~2.8 KB, flat lists of levels) as fast as the client reads them,
in ~1 MB writes. Each client below connects, subscribes, reads ``--messages`` frames and closes:

* ``websockets + json.loads``: ``recv()`` (str) then ``json.loads`` (the usual hand-rolled loop);
* ``websockets + msgspec typed``: ``recv(decode=False)`` then one typed msgspec decode;
* ``websockets + msgspec + OrderBook``: the same, plus building the sorted ``OrderBook`` view
  (what a subscriber of ``kana.streams.orderbook`` receives);
* ``StreamManager xN``: a kana_async subscription (``N`` subscribers of one order book, every
  frame delivered: ``buffer_size=--messages``), each frame decoded once into an ``OrderBook``;
* ``StreamManager keep-latest``: the default order-book policy: the reader never waits for the
  subscriber; old snapshots are replaced and never decoded.

Rates are source frames per second of wall time; CPU is this process's CPU time per frame. Rounds
alternate clients; medians are printed. Run: ``python benchmarks/bench_ws.py --messages 20000``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from multiprocessing.connection import Connection
from typing import Any

import msgspec
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

from kana_async._codec import decoder_for
from kana_async._fanout import OverflowPolicy
from kana_async._streams import StreamManager
from kana_async._ws import StreamOptions
from kana_async.models.market_data import OrderBookLevel
from kana_async.models.orderbook import OrderBook

SUBSCRIBE = json.dumps({"topic": "orderbook", "market_id": "14"})
POOL_SIZE = 256


def make_pool(seed: int = 7) -> list[bytes]:
    """Kana-like orderbook frames: 16-26 levels, both sides, median ~2.8 KB."""
    rng = random.Random(seed)
    frames = []
    for i in range(POOL_SIZE):
        mid = 5.75 + rng.uniform(-0.05, 0.05)
        levels = []
        for side in (False, True):
            for k in range(rng.randint(8, 13)):
                price = mid + (k + 1) * 0.0013 * (1 if side else -1)
                levels.append(
                    {
                        "market_id": "14",
                        "is_ask": side,
                        "price": round(price, 4),
                        "size": f"{rng.uniform(0.1, 900):.2f}",
                        "last_updated": 1747075649 + i,
                        "transaction_version": 2713317408 + i,
                    }
                )
        frames.append(json.dumps({"message": "orderbook", "data": levels}).encode())
    return frames


def _framed(payload: bytes) -> bytes:
    n = len(payload)
    if n < 126:
        header = bytes([0x81, n])
    elif n < 1 << 16:
        header = bytes([0x81, 126]) + n.to_bytes(2, "big")
    else:
        header = bytes([0x81, 127]) + n.to_bytes(8, "big")
    return header + payload


def server_main(pipe: Connection, messages: int) -> None:
    """Child process: serve pre-framed frames to each connection after its first message."""
    asyncio.run(_serve(pipe, messages))


async def _serve(pipe: Connection, messages: int) -> None:
    framed = [_framed(p) for p in make_pool()]

    async def handler(ws: ServerConnection) -> None:
        await ws.recv()
        transport = ws.transport
        chunk: list[bytes] = []
        size = 0
        for i in range(messages):
            frame = framed[i % POOL_SIZE]
            chunk.append(frame)
            size += len(frame)
            if size >= 1 << 20 or i == messages - 1:
                transport.write(b"".join(chunk))
                chunk.clear()
                size = 0
                while transport.get_write_buffer_size() > 4 << 20:  # noqa: ASYNC110
                    await asyncio.sleep(0.0005)
        await ws.wait_closed()

    async with serve(
        handler, "127.0.0.1", 0, compression=None, ping_interval=None, max_size=None
    ) as server:
        pipe.send(server.sockets[0].getsockname()[1])
        await asyncio.Future()


# -- clients ---------------------------------------------------------------------------------


class _Frame(msgspec.Struct, gc=False):
    message: str
    data: list[OrderBookLevel]


async def client_json(url: str, n: int) -> int:
    """websockets + json.loads."""
    touched = 0
    async with connect(url, compression=None, max_size=None) as ws:
        await ws.send(SUBSCRIBE)
        for _ in range(n):
            msg = json.loads(await ws.recv())
            touched += len(msg["data"]) > 0 and msg["data"][0]["price"] > 0
    return touched


async def client_msgspec(url: str, n: int) -> int:
    """websockets + one typed msgspec decode per frame."""
    decoder = decoder_for(_Frame)
    touched = 0
    async with connect(url, compression=None, max_size=None) as ws:
        await ws.send(SUBSCRIBE)
        for _ in range(n):
            frame = decoder.decode(await ws.recv(decode=False))
            touched += len(frame.data) > 0 and frame.data[0].price > 0
    return touched


async def client_msgspec_book(url: str, n: int) -> int:
    """websockets + typed msgspec decode + the same sorted ``OrderBook`` view we build."""
    decoder = decoder_for(_Frame)
    touched = 0
    async with connect(url, compression=None, max_size=None) as ws:
        await ws.send(SUBSCRIBE)
        for _ in range(n):
            frame = decoder.decode(await ws.recv(decode=False))
            book = OrderBook.from_levels(frame.data, 14)
            touched += book.best_bid is not None
    return touched


def client_manager(subscribers: int, keep_latest: bool = False) -> Callable[[str, int], Any]:
    """kana_async StreamManager with ``subscribers`` readers of one order book."""

    async def run(url: str, n: int) -> int:
        mgr = StreamManager(url, options=StreamOptions(compression=None, ping_interval=None))
        kw: dict[str, Any] = {}
        if not keep_latest:
            kw = {"policy": OverflowPolicy.DROP_OLDEST, "buffer_size": n}
        subs = [mgr.subscribe("orderbook", 14, **kw) for _ in range(subscribers)]
        counts = [0] * subscribers
        done = asyncio.Event()

        async def read(i: int) -> None:
            sub = subs[i]
            async with sub:
                async for book in sub:
                    counts[i] += book.best_bid is not None
                    if counts[i] == n:
                        return
                    if done.is_set() and not sub.statistics().buffered:
                        return

        tasks = [asyncio.ensure_future(read(i)) for i in range(subscribers)]
        while mgr.statistics().frames < n:  # noqa: ASYNC110 - benchmark poll, 1 ms
            await asyncio.sleep(0.001)
        done.set()
        for sub in subs:  # wake keep-latest readers waiting on an empty buffer
            if not sub.statistics().buffered:
                await sub.aclose()
        await asyncio.gather(*tasks)
        await mgr.aclose()
        return min(counts)

    return run


CLIENTS: dict[str, Callable[[str, int], Awaitable[int]]] = {
    "websockets + json.loads": client_json,
    "websockets + msgspec typed": client_msgspec,
    "websockets + msgspec + OrderBook": client_msgspec_book,
    "StreamManager x1 (every frame)": client_manager(1),
    "StreamManager x4 (every frame)": client_manager(4),
    "StreamManager x1 keep-latest": client_manager(1, keep_latest=True),
}


async def measure(
    client: Callable[[str, int], Awaitable[int]], url: str, n: int
) -> tuple[float, float, int]:
    """(msgs/s, CPU seconds per message, items the client saw)."""
    wall0, cpu0 = time.perf_counter(), time.process_time()
    seen = await client(url, n)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return n / wall, cpu / n, seen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=20_000, help="frames per run")
    parser.add_argument("--rounds", type=int, default=3, help="runs per client (median)")
    args = parser.parse_args(argv)
    n = args.messages

    pool = make_pool()
    sizes = sorted(len(p) for p in pool)
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=server_main, args=(child, n), daemon=True)
    server.start()
    try:
        port = parent.recv()
        url = f"ws://127.0.0.1:{port}/ws/"
        results: dict[str, list[tuple[float, float, int]]] = {name: [] for name in CLIENTS}
        names = list(CLIENTS)
        for r in range(args.rounds):
            order = names[r % len(names) :] + names[: r % len(names)]
            for name in order:
                results[name].append(asyncio.run(measure(CLIENTS[name], url, n)))
    finally:
        server.terminate()
        server.join()

    print(
        f"orderbook frames: {POOL_SIZE} in pool, median {sizes[len(sizes) // 2]} B "
        f"({sizes[0]}-{sizes[-1]}); {n} frames per run, {args.rounds} rounds; "
        f"Python {sys.version.split()[0]}"
    )
    base_rate = statistics.median(r[0] for r in results[names[0]])
    base_cpu = statistics.median(r[1] for r in results[names[0]])
    header = (
        f"| {'client':<34} | {'msgs/s':>9} | {'CPU us/msg':>10} | {'x rate':>6} | "
        f"{'x less CPU':>10} | {'items seen':>10} |"
    )
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    for name in names:
        rate = statistics.median(r[0] for r in results[name])
        cpu = statistics.median(r[1] for r in results[name])
        seen = min(r[2] for r in results[name])
        print(
            f"| {name:<34} | {rate:>9,.0f} | {cpu * 1e6:>10.2f} | {rate / base_rate:>5.2f}x | "
            f"{base_cpu / cpu:>9.2f}x | {seen:>10,} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
