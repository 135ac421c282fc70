"""The websocket feed the stream benchmarks read: Kana-like frames and a server process.

Frames (pools of 256, cycled):

* ``orderbook``: ``{"message": "orderbook", "data": [16-26 levels of market 14]}``, ~2.8 KB,
  prices as JSON numbers and sizes as strings, as Kana's order-book frames carry them;
* ``positions``: the documented (legacy) layout, ``data`` *before* ``message``, 1-3 position
  rows of one profile address, ~0.7 KB;
* ``order_history``: ``{"message": "order_history", "data": [1-2 order rows]}`` as documented.

The server (its own process, so its CPU is not counted) accepts a connection at
``/ws/?topic=T&n=N[&rate=R]``, waits for the client's first message (the subscription), then
sends N pre-framed frames of topic T: as fast as the client reads them (in ~1 MB writes), or
paced at R frames per second, in which case it records ``time.monotonic()`` just before each
frame's write and sends the list back over its pipe.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from multiprocessing.connection import Connection
from typing import Any
from urllib.parse import parse_qs, urlsplit

POOL_SIZE = 256
MARKET = 14
PROFILE = "0x4d6dc68e391e86991e58ab4d548b7e92872430d1f51bc666fe0c206bad7ff770"
TOPICS = ("orderbook", "positions", "order_history")


def orderbook_pool(rng: random.Random) -> list[bytes]:
    """Order-book frames: 16-26 levels, both sides, median ~2.8 KB."""
    frames = []
    for i in range(POOL_SIZE):
        mid = 5.75 + rng.uniform(-0.05, 0.05)
        levels = []
        for side in (False, True):
            for k in range(rng.randint(8, 13)):
                price = mid + (k + 1) * 0.0013 * (1 if side else -1)
                levels.append(
                    {
                        "market_id": str(MARKET),
                        "is_ask": side,
                        "price": round(price, 4),
                        "size": f"{rng.uniform(0.1, 900):.2f}",
                        "last_updated": 1747075649 + i,
                        "transaction_version": 2713317408 + i,
                    }
                )
        frames.append(json.dumps({"message": "orderbook", "data": levels}).encode())
    return frames


def positions_pool(rng: random.Random) -> list[bytes]:
    """Position frames in the documented layout (``data`` first), 1-3 rows each."""
    frames = []
    for i in range(POOL_SIZE):
        rows = []
        for _ in range(rng.randint(1, 3)):
            size = rng.randint(1, 5000)
            price = rng.uniform(4, 8)
            rows.append(
                {
                    "address": PROFILE,
                    "entry_price": f"{price:.4f}",
                    "is_long": rng.random() < 0.5,
                    "last_updated": str(1739788459 + i),
                    "leverage": rng.choice((2, 5, 10, 20)),
                    "liq_price": f"{price * 1.46:.12f}",
                    "margin": str(size * 3025),
                    "market_id": str(MARKET),
                    "size": str(size),
                    "sl": None,
                    "tp": None,
                    "trade_id": str(16509835945970048696716 + i),
                    "value": str(size * 6050),
                }
            )
        frames.append(json.dumps({"data": rows, "message": "positions"}).encode())
    return frames


def order_history_pool(rng: random.Random) -> list[bytes]:
    """Order-history frames as documented, 1-2 rows each."""
    frames = []
    for i in range(POOL_SIZE):
        rows = []
        for k in range(rng.randint(1, 2)):
            size = rng.randint(1, 50)
            price = rng.uniform(4, 8)
            rows.append(
                {
                    "address": PROFILE,
                    "order_id": str(11905620858892513160724480 + 2 * i + k),
                    "market_id": str(MARKET),
                    "order_type": rng.choice((1, 2, 9)),
                    "is_market_order": rng.random() < 0.3,
                    "size": str(size),
                    "price": f"{price:.8f}",
                    "order_value": f"{size * price:.8f}",
                    "leverage": 20,
                    "status": rng.choice(("Open", "Filled", "Cancelled")),
                    "timestamp": 1747075649 + i,
                    "last_updated": 1747075650 + i,
                    "trade_id": str(737648402019497550020622 + i),
                    "transaction_version": 2713317408 + i,
                }
            )
        frames.append(json.dumps({"message": "order_history", "data": rows}).encode())
    return frames


def pool(topic: str, seed: int = 7) -> list[bytes]:
    """The frame pool of ``topic``."""
    rng = random.Random(seed)
    return {"orderbook": orderbook_pool, "positions": positions_pool}.get(
        topic, order_history_pool
    )(rng)


def rows_in(topic: str, n: int) -> int:
    """How many items a reader of ``n`` frames of ``topic`` receives (rows; books: frames)."""
    if topic == "orderbook":
        return n
    counts = [len(json.loads(f)["data"]) for f in pool(topic)]
    full, rest = divmod(n, POOL_SIZE)
    return full * sum(counts) + sum(counts[:rest])


def subscribe_message(topic: str) -> str:
    """What a hand-written client sends to subscribe (Kana's documented messages)."""
    if topic == "orderbook":
        return json.dumps({"topic": "orderbook", "market_id": str(MARKET)})
    return json.dumps({"topic": topic, "address": PROFILE})


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
    """Child process entry point: serve until killed; the port goes first over ``pipe``."""
    asyncio.run(_serve(pipe))


async def _serve(pipe: Connection) -> None:
    from websockets.asyncio.server import ServerConnection, serve

    framed = {topic: [_framed(p) for p in pool(topic)] for topic in TOPICS}

    async def handler(ws: ServerConnection) -> None:
        query = parse_qs(urlsplit(ws.request.path if ws.request else "").query)
        topic = query.get("topic", ["orderbook"])[0]
        messages = int(query.get("n", ["1000"])[0])
        rate = float(query.get("rate", ["0"])[0])
        await ws.recv()  # the subscription
        frames = framed[topic]
        if rate > 0:
            pipe.send(await _paced(ws.transport, frames, messages, rate))
        else:
            await _burst(ws.transport, frames, messages)
        await ws.wait_closed()

    async with serve(
        handler, "127.0.0.1", 0, compression=None, ping_interval=None, max_size=None
    ) as server:
        pipe.send(server.sockets[0].getsockname()[1])
        await asyncio.Future()


async def _burst(transport: Any, frames: list[bytes], messages: int) -> None:
    chunk: list[bytes] = []
    size = 0
    for i in range(messages):
        frame = frames[i % POOL_SIZE]
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


async def _paced(transport: Any, frames: list[bytes], messages: int, rate: float) -> list[float]:
    sent: list[float] = []
    start = time.monotonic()
    for i in range(messages):
        due = start + i / rate
        now = time.monotonic()
        if due > now:
            await asyncio.sleep(due - now)
        if transport.is_closing():
            break
        sent.append(time.monotonic())
        transport.write(frames[i % POOL_SIZE])
    return sent
