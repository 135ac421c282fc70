"""WebSocket ingest benchmark: the usual client styles and kana_async's StreamManager, side by side.

A local ``websockets`` server (a separate process, so its CPU is not counted) pushes pre-framed
Kana-like ``orderbook`` frames (~2.8 KB, flat lists of levels from both sides, no compression) as
fast as the client reads them, in ~1 MB writes; the client asks for its frame count in the URL
(``?n=``). Every client below connects, subscribes, reads its frames, touches the result and
closes, all in this process:

* ``official-style``: what Kana's docs show: ``websocket-client``'s ``WebSocketApp`` with
  callbacks on a thread and ``json.loads`` per message, default settings (pure-Python UTF-8
  validation of every text frame); fewer frames (``--official-messages``), rates are per frame;
* ``official-style +skip_utf8``: the same with ``run_forever(skip_utf8_validation=True)``;
* ``ccxt-style (aiohttp+json)``: ``aiohttp`` ``ws_connect`` + ``json.loads``;
* ``websockets + json``: ``recv()`` (str) then ``json.loads`` (the usual hand-rolled asyncio loop);
* ``websockets + msgspec typed``: ``recv(decode=False)`` then one typed msgspec decode into
  ``OrderBookLevel`` rows (Decimal prices and sizes);
* ``websockets + msgspec + OrderBook``: the same plus the sorted ``OrderBook`` view: exactly the
  typed result a ``kana.streams.orderbook`` subscriber receives. This is the reference for our
  overhead (``x1 / this`` is printed at the end);
* ``StreamManager x1`` / ``x4``: a kana_async subscription (1 or 4 subscribers of one order book),
  every frame delivered (``buffer_size`` = frames), each frame decoded once into an ``OrderBook``;
* ``StreamManager keep-latest``: the default order-book policy: the reader never waits for the
  subscriber; snapshots it had no time for are replaced and never decoded (items seen < frames);
* ``limit: websockets raw recv``: ``recv(decode=False)`` only, the socket library's ceiling.

Rates are frames per second of wall time; CPU is this process's CPU time (all threads) per frame.
Rounds alternate the clients (order rotated every round) and medians are printed, with ratios to
the official style. Run: ``python benchmarks/bench_ws.py`` (short) or ``--messages 50000
--rounds 5`` (steadier); ``--clients`` picks a subset by name prefix.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import random
import statistics
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp  # the `bench` extra
import msgspec
import websocket  # websocket-client, the `bench` extra
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

from kana_async._codec import decoder_for
from kana_async._streams import OverflowPolicy, StreamManager, StreamOptions
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


def server_main(pipe: Connection) -> None:
    """Child process: after a connection's first message, send it the ``?n=`` frames it asked."""
    asyncio.run(_serve(pipe))


async def _serve(pipe: Connection) -> None:
    framed = [_framed(p) for p in make_pool()]

    async def handler(ws: ServerConnection) -> None:
        query = parse_qs(urlsplit(ws.request.path if ws.request else "").query)
        messages = int(query.get("n", ["1000"])[0])
        await ws.recv()
        transport = ws.transport
        chunk: list[bytes] = []
        size = 0
        for i in range(messages):
            frame = framed[i % POOL_SIZE]
            chunk.append(frame)
            size += len(frame)
            if size >= 1 << 20 or i == messages - 1:
                if transport.is_closing():
                    return
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


# -- clients: each reads n frames from url and returns how many results it saw ----------------


class _Frame(msgspec.Struct, gc=False):
    message: str
    data: list[OrderBookLevel]


def _official(url: str, n: int, *, skip_utf8: bool) -> int:
    """websocket-client ``WebSocketApp``, callbacks on a thread, ``json.loads`` (Kana's docs)."""
    seen = 0
    count = 0

    def on_open(app: Any) -> None:
        app.send(SUBSCRIBE)

    def on_message(app: Any, message: str) -> None:
        nonlocal seen, count
        msg = json.loads(message)
        seen += len(msg["data"]) > 0 and msg["data"][0]["price"] > 0
        count += 1
        if count == n:
            app.close()

    app = websocket.WebSocketApp(url, on_open=on_open, on_message=on_message)
    kwargs = {"skip_utf8_validation": True} if skip_utf8 else {}
    thread = threading.Thread(target=app.run_forever, kwargs=kwargs, daemon=True)
    thread.start()
    thread.join()
    return seen


def client_official(url: str, n: int) -> int:
    """Kana's documented style, default settings."""
    return _official(url, n, skip_utf8=False)


def client_official_skip_utf8(url: str, n: int) -> int:
    """Kana's documented style with ``skip_utf8_validation=True``."""
    return _official(url, n, skip_utf8=True)


async def client_aiohttp_json(url: str, n: int) -> int:
    """ccxt-style: aiohttp ``ws_connect`` + ``json.loads``."""
    seen = 0
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(url, compress=0, max_msg_size=0) as ws,
    ):
        await ws.send_str(SUBSCRIBE)
        for _ in range(n):
            msg = await ws.receive()
            data = json.loads(msg.data)
            seen += len(data["data"]) > 0 and data["data"][0]["price"] > 0
    return seen


async def client_json(url: str, n: int) -> int:
    """websockets + json.loads."""
    seen = 0
    async with connect(url, compression=None, max_size=None) as ws:
        await ws.send(SUBSCRIBE)
        for _ in range(n):
            msg = json.loads(await ws.recv())
            seen += len(msg["data"]) > 0 and msg["data"][0]["price"] > 0
    return seen


async def client_msgspec(url: str, n: int) -> int:
    """websockets + one typed msgspec decode per frame."""
    decoder = decoder_for(_Frame)
    seen = 0
    async with connect(url, compression=None, max_size=None) as ws:
        await ws.send(SUBSCRIBE)
        for _ in range(n):
            frame = decoder.decode(await ws.recv(decode=False))
            seen += len(frame.data) > 0 and frame.data[0].price > 0
    return seen


async def client_msgspec_book(url: str, n: int) -> int:
    """websockets + typed msgspec decode + the same sorted ``OrderBook`` view we build."""
    decoder = decoder_for(_Frame)
    seen = 0
    async with connect(url, compression=None, max_size=None) as ws:
        await ws.send(SUBSCRIBE)
        for _ in range(n):
            frame = decoder.decode(await ws.recv(decode=False))
            book = OrderBook.from_levels(frame.data, 14)
            seen += book.best_bid is not None
    return seen


async def client_raw(url: str, n: int) -> int:
    """websockets ``recv(decode=False)`` only: the ceiling of the socket library."""
    seen = 0
    async with connect(url, compression=None, max_size=None) as ws:
        await ws.send(SUBSCRIBE)
        for _ in range(n):
            seen += len(await ws.recv(decode=False)) > 0
    return seen


def client_manager(subscribers: int, keep_latest: bool = False) -> Callable[[str, int], Any]:
    """kana_async StreamManager with ``subscribers`` readers of one order book."""

    async def run(url: str, n: int) -> int:
        options = StreamOptions(compression=None, ping_interval=None, stale_timeout=None)
        mgr = StreamManager(url, options=options)
        kw: dict[str, Any] = {}
        if not keep_latest:
            kw = {"policy": OverflowPolicy.DROP_OLDEST, "buffer_size": n}
        subs = [mgr.subscribe("orderbook", 14, **kw) for _ in range(subscribers)]
        counts = [0] * subscribers

        async def read(i: int) -> None:
            async with subs[i] as sub:
                async for book in sub:
                    counts[i] += book.best_bid is not None
                    if counts[i] == n:
                        return

        tasks = [asyncio.ensure_future(read(i)) for i in range(subscribers)]
        if keep_latest:  # the reader never sees every frame: stop once all have arrived
            while mgr.statistics().frames < n:  # noqa: ASYNC110 - benchmark poll
                await asyncio.sleep(0.002)
            for sub in subs:
                await sub.aclose()
        await asyncio.gather(*tasks)
        await mgr.aclose()
        return min(counts)

    return run


@dataclass(frozen=True)
class Client:
    """One benchmarked client."""

    name: str
    run: Callable[[str, int], Awaitable[int] | int]
    official: bool = False  # runs fewer frames (--official-messages)
    limit: bool = False  # not a usable client, a ceiling


CLIENTS = [
    Client("official-style (websocket-client)", client_official, official=True),
    Client("official-style +skip_utf8_validation", client_official_skip_utf8),
    Client("ccxt-style (aiohttp+json)", client_aiohttp_json),
    Client("websockets+json", client_json),
    Client("websockets+msgspec typed", client_msgspec),
    Client("websockets+msgspec+OrderBook", client_msgspec_book),
    Client("StreamManager x1 (every frame)", client_manager(1)),
    Client("StreamManager x4 (every frame)", client_manager(4)),
    Client("StreamManager x1 keep-latest", client_manager(1, keep_latest=True)),
    Client("limit: websockets raw recv", client_raw, limit=True),
]
OFFICIAL = CLIENTS[0].name
OFFICIAL_SKIP = CLIENTS[1].name
REFERENCE = "websockets+msgspec+OrderBook"
OURS_X1 = "StreamManager x1 (every frame)"


def measure(client: Client, url: str, n: int) -> tuple[float, float, int]:
    """(frames/s, CPU seconds per frame, results the client saw) of one run."""
    url = f"{url}?n={n}"
    wall0, cpu0 = time.perf_counter(), time.process_time()
    result = client.run(url, n)
    seen = asyncio.run(result) if isinstance(result, Awaitable) else result  # type: ignore[arg-type]
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return n / wall, cpu / n, seen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--messages", type=int, default=20_000, help="frames per run")
    parser.add_argument(
        "--official-messages",
        type=int,
        default=2_000,
        help="frames per run of the default official style (slow: ~1.4k frames/s)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="runs per client (median)")
    parser.add_argument(
        "--clients", nargs="*", default=None, help="only clients whose name starts with these"
    )
    args = parser.parse_args(argv)
    clients = [
        c
        for c in CLIENTS
        if args.clients is None or any(c.name.startswith(p) for p in args.clients)
    ]
    if not clients:
        parser.error("no client matches --clients")

    pool = make_pool()
    sizes = sorted(len(p) for p in pool)
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=server_main, args=(child,), daemon=True)
    server.start()
    results: dict[str, list[tuple[float, float, int]]] = {c.name: [] for c in clients}
    counts = {c.name: args.official_messages if c.official else args.messages for c in clients}
    try:
        url = f"ws://127.0.0.1:{parent.recv()}/ws/"
        for r in range(args.rounds):
            order = clients[r % len(clients) :] + clients[: r % len(clients)]
            for client in order:
                results[client.name].append(measure(client, url, counts[client.name]))
    finally:
        server.terminate()
        server.join()

    rate = {name: statistics.median(r[0] for r in runs) for name, runs in results.items()}
    cpu = {name: statistics.median(r[1] for r in runs) for name, runs in results.items()}
    print(
        f"orderbook frames: {POOL_SIZE} in pool, median {sizes[len(sizes) // 2]} B "
        f"({sizes[0]}-{sizes[-1]}); {args.messages:,} frames per run "
        f"({args.official_messages:,} for the default official style), {args.rounds} rounds "
        f"(medians); Python {sys.version.split()[0]}; CPU = this process, all threads"
    )
    columns = ["msgs/s", "CPU us/msg", "x official", "x less CPU", "x +skip_utf8", "items seen"]
    width = max(len(c.name) + len(f" [n={counts[c.name]:,}]") for c in clients)
    header = f"| {'client':<{width}} | " + " | ".join(f"{c:>12}" for c in columns) + " |"
    print(header)
    print("|" + "|".join("-" * len(c) for c in header.split("|")[1:-1]) + "|")
    for client in clients:
        name = client.name
        seen = min(r[2] for r in results[name])
        label = f"{name} [n={counts[name]:,}]"
        cells = [
            f"{rate[name]:,.0f}",
            f"{cpu[name] * 1e6:.2f}",
            _ratio(rate, name, OFFICIAL),
            _ratio(cpu, OFFICIAL, name),
            _ratio(rate, name, OFFICIAL_SKIP),
            f"{seen:,}",
        ]
        print(f"| {label:<{width}} | " + " | ".join(f"{c:>12}" for c in cells) + " |")
    if OURS_X1 in rate and REFERENCE in rate:
        print(
            f"\n{OURS_X1} vs {REFERENCE} (same typed result): "
            f"rate {rate[OURS_X1] / rate[REFERENCE]:.2f}x, "
            f"CPU per frame {cpu[OURS_X1] / cpu[REFERENCE]:.2f}x "
            f"(+{(cpu[OURS_X1] - cpu[REFERENCE]) * 1e6:.2f} us)"
        )
    return 0


def _ratio(values: dict[str, float], top: str, bottom: str) -> str:
    if top not in values or bottom not in values:
        return "-"
    return f"{values[top] / values[bottom]:.2f}x"


if __name__ == "__main__":
    raise SystemExit(main())
