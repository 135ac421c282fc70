"""The websocket feed the stream benchmarks read: Kana-like frames and a server process.

Frames (shapes from pools of 256, cycled):

* ``orderbook``: ``{"message": "orderbook", "data": [16-26 levels of market 14]}``, ~2.8 KB,
  prices as JSON numbers and sizes as strings, as Kana's order-book frames carry them. Each
  frame is a whole book that replaces the last, so repeating the pool is what a quiet market
  looks like (the SDK does not filter snapshots);
* ``positions``: the documented (legacy) layout, ``data`` *before* ``message``, 1-3 position
  rows of one profile address, ~0.7 KB;
* ``order_history``: ``{"message": "order_history", "data": [1-2 order rows]}`` as documented.

Account frames are events a real server sends once each: frame ``i`` of a connection carries
update times, order ids, trade ids and transaction versions that grow with ``i`` and never come
back when the pool of shapes repeats (:class:`Template`). A feed that replayed the same order
rows would be filtered by the SDK as already delivered (as it should be) and the SDK's reader
would wait forever for rows the baselines counted.

The server (its own process, so its CPU is not counted) accepts a connection at
``/ws/?topic=T&n=N[&rate=R]``, waits for the client's first message (the subscription), then
sends N pre-framed frames of topic T: as fast as the client reads them (in ~1 MB writes), or
paced at R frames per second, in which case it records ``time.monotonic()`` just before each
frame's write and sends the list back over its pipe.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Hole:
    """A number of a frame that frame ``seq`` of a connection sets: ``base + step * seq + offset``.

    ``quoted``: written as a JSON string (ids, the positions' ``last_updated``) or a number.
    """

    base: int
    step: int
    offset: int
    quoted: bool


_MARK = re.compile(rb'"@@(\d+)@@"')


class Template:
    """One frame whose event fields (:class:`Hole`) grow with the frame's sequence number.

    Built from a JSON document whose hole values are the strings ``"@@k@@"`` (``k``: the index
    into ``holes``); :meth:`render` fills them in with one ``bytes %`` formatting.
    """

    def __init__(self, doc: Any, holes: list[Hole]) -> None:
        text = json.dumps(doc).encode().replace(b"%", b"%%")
        order = [int(m) for m in _MARK.findall(text)]
        if sorted(order) != list(range(len(holes))):
            raise ValueError("every hole must appear exactly once in the document")
        self.holes = [holes[k] for k in order]
        self.format = _MARK.sub(lambda m: b'"%d"' if holes[int(m.group(1))].quoted else b"%d", text)

    def render(self, seq: int) -> bytes:
        """The frame's JSON for sequence number ``seq`` (0 = the connection's first frame)."""
        return self.format % tuple(h.base + h.step * seq + h.offset for h in self.holes)


class _Holes:
    """Collects a template's holes while its document is built."""

    def __init__(self) -> None:
        self.holes: list[Hole] = []

    def __call__(self, base: int, step: int = 1, offset: int = 0, quoted: bool = True) -> str:
        self.holes.append(Hole(base, step, offset, quoted))
        return f"@@{len(self.holes) - 1}@@"


def positions_templates(rng: random.Random) -> list[Template]:
    """Position frames in the documented layout (``data`` first), 1-3 rows each."""
    templates = []
    for _ in range(POOL_SIZE):
        hole = _Holes()
        rows = []
        for _ in range(rng.randint(1, 3)):
            size = rng.randint(1, 5000)
            price = rng.uniform(4, 8)
            rows.append(
                {
                    "address": PROFILE,
                    "entry_price": f"{price:.4f}",
                    "is_long": rng.random() < 0.5,
                    "last_updated": hole(1739788459),
                    "leverage": rng.choice((2, 5, 10, 20)),
                    "liq_price": f"{price * 1.46:.12f}",
                    "margin": str(size * 3025),
                    "market_id": str(MARKET),
                    "size": str(size),
                    "sl": None,
                    "tp": None,
                    "trade_id": hole(16509835945970048696716),
                    "value": str(size * 6050),
                }
            )
        templates.append(Template({"data": rows, "message": "positions"}, hole.holes))
    return templates


def order_history_templates(rng: random.Random) -> list[Template]:
    """Order-history frames as documented, 1-2 rows each: every row a new order update."""
    templates = []
    for _ in range(POOL_SIZE):
        hole = _Holes()
        rows = []
        for k in range(rng.randint(1, 2)):
            size = rng.randint(1, 50)
            price = rng.uniform(4, 8)
            rows.append(
                {
                    "address": PROFILE,
                    "order_id": hole(11905620858892513160724480, 2, k),
                    "market_id": str(MARKET),
                    "order_type": rng.choice((1, 2, 9)),
                    "is_market_order": rng.random() < 0.3,
                    "size": str(size),
                    "price": f"{price:.8f}",
                    "order_value": f"{size * price:.8f}",
                    "leverage": 20,
                    "status": rng.choice(("Open", "Filled", "Cancelled")),
                    "timestamp": hole(1747075649, quoted=False),
                    "last_updated": hole(1747075650, quoted=False),
                    "trade_id": hole(737648402019497550020622, 2, k),
                    "transaction_version": hole(2713317408, quoted=False),
                }
            )
        templates.append(Template({"message": "order_history", "data": rows}, hole.holes))
    return templates


def frame_source(topic: str, seed: int = 7) -> Callable[[int], bytes]:
    """Frame ``seq`` of a connection to ``topic`` (JSON bytes), for any ``seq >= 0``."""
    rng = random.Random(seed)
    if topic == "orderbook":
        books = orderbook_pool(rng)
        return lambda seq: books[seq % POOL_SIZE]
    make = positions_templates if topic == "positions" else order_history_templates
    templates = make(rng)
    return lambda seq: templates[seq % POOL_SIZE].render(seq)


def pool(topic: str, seed: int = 7) -> list[bytes]:
    """The first :data:`POOL_SIZE` frames of a connection to ``topic`` (one of each shape)."""
    source = frame_source(topic, seed)
    return [source(seq) for seq in range(POOL_SIZE)]


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


def _framed_source(topic: str) -> Callable[[int], bytes]:
    """Websocket-framed frame ``seq`` of ``topic``; static frames are framed once."""
    if topic == "orderbook":
        framed = [_framed(p) for p in pool(topic)]
        return lambda seq: framed[seq % POOL_SIZE]
    source = frame_source(topic)
    return lambda seq: _framed(source(seq))


def server_main(pipe: Connection) -> None:
    """Child process entry point: serve until killed; the port goes first over ``pipe``."""
    asyncio.run(_serve(pipe))


async def _serve(pipe: Connection) -> None:
    from websockets.asyncio.server import ServerConnection, serve

    sources = {topic: _framed_source(topic) for topic in TOPICS}

    async def handler(ws: ServerConnection) -> None:
        query = parse_qs(urlsplit(ws.request.path if ws.request else "").query)
        topic = query.get("topic", ["orderbook"])[0]
        messages = int(query.get("n", ["1000"])[0])
        rate = float(query.get("rate", ["0"])[0])
        await ws.recv()  # the subscription
        frames = sources[topic]
        if rate > 0:
            pipe.send(await _paced(ws.transport, frames, messages, rate))
        else:
            await _burst(ws.transport, frames, messages)
        await ws.wait_closed()

    async with serve(
        handler, "127.0.0.1", 0, compression=None, ping_interval=None, max_size=None
    ) as server:
        pipe.send(server.sockets[0].getsockname()[1])
        await _orphaned()


async def _orphaned() -> None:
    """Return once the parent process is gone (killed by a test's timeout, say)."""
    parent = os.getppid()
    while os.getppid() == parent:  # noqa: ASYNC110
        await asyncio.sleep(0.5)


async def _burst(transport: Any, frames: Callable[[int], bytes], messages: int) -> None:
    chunk: list[bytes] = []
    size = 0
    for i in range(messages):
        frame = frames(i)
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


async def _paced(
    transport: Any, frames: Callable[[int], bytes], messages: int, rate: float
) -> list[float]:
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
        transport.write(frames(i))
    return sent
