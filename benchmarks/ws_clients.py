"""The websocket clients the stream benchmarks compare, and the names their tables use.

Every client has the signature ``(url, topic, frames, items, stamp=None) -> items seen``: it
connects, subscribes, reads ``frames`` frames (or ``items`` items, for the SDK), touches every
item and closes; ``stamp`` (the latency run) is called once per item as soon as it is touched.

* ``kana_async xK``: the SDK's public API, ``kana.streams.<topic>(...)`` with K subscribers of the
  same subscription (each gets every item: ``buffer_size`` = the run's items);
* ``websockets+msgspec (plain struct)``: one typed msgspec decode per frame into plain structs
  with the same fields and types the SDK's rows have (``Decimal`` money), on a websockets
  connection configured as the SDK's own (:data:`WS_OPTIONS`), the strongest hand-written
  baseline; ``x4 (asyncio.Queue)``: the same decode once, fanned out to 4 queues;
* ``ccxt style (aiohttp+json)``: ``aiohttp`` ``ws_connect`` + ``json.loads``;
* ``aiohttp+msgspec (plain struct)``: aiohttp's compiled frame reader with the plain-struct
  decode: what another socket library would give (no target; the SDK is built on websockets);
* ``docs style (websocket-client)``: Kana's documented ``WebSocketApp`` with ``json.loads``,
  default settings (its pure-Python UTF-8 check included); ``+skip_utf8_validation``: the same
  loop without that check (no target, shows what the check costs);
* ``floor: websockets recv alone`` / ``floor: aiohttp receive alone``: the socket library and
  nothing else (no decode, no touch); no client built on that library can read faster, which
  bounds every ratio the SDK can reach (see ``ws_floors.floor_notes``);
  ``floor: websockets + lean msgspec decode``: websockets and the least msgspec can decode to
  give the touched numbers (each level's side and price, each row's size): the floor of a
  websockets + msgspec client that hands a bot the same numbers (a faster JSON parser than
  msgspec would lower it).

"Touch" reads what a bot reads: the best bid's price of a book (a ``Decimal``, computed by the
baselines as the ``max`` of the bid prices; the SDK's ``book.best_bid.price``) and the size
(a ``Decimal``) of a row.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import msgspec
import ws_feed
from _common import SectionFailed, deadline
from ws_shapes import FRAME_TYPES, LEAN_TYPES, touch_json, touch_plain, touch_sdk

#: The least frames/s any client is allowed before its run counts as stuck (the docs style, the
#: slowest, reads over 1,000 a second on a loaded machine).
FLOOR_RATE = 200.0

# -- clients: (url, topic, frames, items) -> items seen; `stamp` (latency) gets each item's time


Stamp = Callable[[], None] | None


def stream_counts(kana: Any) -> str:
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
                        value = touch_sdk(topic, item)
                        if counts[i] == 0 and not isinstance(value, Decimal | None):
                            raise SectionFailed(f"kana_async on {topic}: read {value!r}")
                        counts[i] += 1
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
                    f"{seconds:.0f} s; {stream_counts(kana)}"
                ) from None
        return min(counts)

    return run


#: The websockets settings of the SDK's own connections (no compression, no size limit in the
#: benchmark, a queue of 64 frames), used by every hand-written websockets client here.
WS_OPTIONS: dict[str, Any] = {"compression": None, "max_size": None, "max_queue": 64}


async def ws_recv_only(url: str, topic: str, n: int, items: int, stamp: Stamp = None) -> int:
    """The floor of any websockets client: ``await ws.recv(decode=False)`` and nothing else.

    No decode, no touch: what the SDK's socket library costs per frame before any work is done
    with the frame. Returns ``items`` once its ``n`` frames are in.
    """
    from websockets.asyncio.client import connect

    async with connect(url, **WS_OPTIONS) as ws:
        await ws.send(ws_feed.subscribe_message(topic))
        for _ in range(n):
            await ws.recv(decode=False)
            if stamp is not None:
                stamp()
    return items


async def ws_lean(url: str, topic: str, n: int, items: int, stamp: Stamp = None) -> int:
    """websockets + the leanest typed decode that yields the touched numbers, touched.

    The floor of a client on websockets and msgspec that gives a bot the same numbers as the
    others (the best bid's ``Decimal`` price, each row's ``Decimal`` size) and nothing more.
    """
    from websockets.asyncio.client import connect

    decoder = msgspec.json.Decoder(LEAN_TYPES[topic])
    seen = 0
    async with connect(url, **WS_OPTIONS) as ws:
        await ws.send(ws_feed.subscribe_message(topic))
        for _ in range(n):
            seen += len(touch_plain(topic, decoder.decode(await ws.recv(decode=False))))
            if stamp is not None:
                stamp()
    return seen


async def aiohttp_receive_only(
    url: str, topic: str, n: int, items: int, stamp: Stamp = None
) -> int:
    """The floor of any aiohttp client: ``await ws.receive()`` (text frames arrive as ``str``)."""
    import aiohttp

    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(url, compress=0, max_msg_size=0) as ws,
    ):
        await ws.send_str(ws_feed.subscribe_message(topic))
        for _ in range(n):
            await ws.receive()
            if stamp is not None:
                stamp()
    return items


async def bare(url: str, topic: str, n: int, items: int, stamp: Stamp = None) -> int:
    """websockets + one typed msgspec decode per frame into plain structs."""
    from websockets.asyncio.client import connect

    decoder = msgspec.json.Decoder(FRAME_TYPES[topic])
    seen = 0
    async with connect(url, **WS_OPTIONS) as ws:
        await ws.send(ws_feed.subscribe_message(topic))
        for _ in range(n):
            seen += len(touch_plain(topic, decoder.decode(await ws.recv(decode=False))))
            if stamp is not None:
                stamp()
    return seen


async def bare_fanout(url: str, topic: str, n: int, items: int, stamp: Stamp = None) -> int:
    """websockets + msgspec, each frame decoded once and handed to 4 ``asyncio.Queue`` readers."""
    from websockets.asyncio.client import connect

    decoder = msgspec.json.Decoder(FRAME_TYPES[topic])
    queues: list[asyncio.Queue[Any]] = [asyncio.Queue() for _ in range(4)]
    counts = [0] * 4

    async def reader(i: int) -> None:
        while (frame := await queues[i].get()) is not None:
            counts[i] += len(touch_plain(topic, frame))

    tasks = [asyncio.ensure_future(reader(i)) for i in range(4)]
    async with connect(url, **WS_OPTIONS) as ws:
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

    decoder = msgspec.json.Decoder(FRAME_TYPES[topic])
    seen = 0
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(url, compress=0, max_msg_size=0) as ws,
    ):
        await ws.send_str(ws_feed.subscribe_message(topic))
        for _ in range(n):
            msg = await ws.receive()
            seen += len(touch_plain(topic, decoder.decode(msg.data)))
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
            seen += touch_json(topic, json.loads(msg.data))
            if stamp is not None:
                stamp()
    return seen


def docs_style(url: str, topic: str, n: int, items: int, stamp: Stamp = None) -> int:
    """websocket-client ``WebSocketApp``, callbacks on a thread, ``json.loads`` (Kana's docs)."""
    return _websocket_client(url, topic, n, skip_utf8_validation=False)


def docs_style_skip_utf8(url: str, topic: str, n: int, items: int, stamp: Stamp = None) -> int:
    """The docs' loop, ``run_forever(skip_utf8_validation=True)``: no pure-Python UTF-8 check."""
    return _websocket_client(url, topic, n, skip_utf8_validation=True)


def _websocket_client(url: str, topic: str, n: int, skip_utf8_validation: bool) -> int:
    import websocket

    seen = 0
    count = 0

    def on_open(app: Any) -> None:
        app.send(ws_feed.subscribe_message(topic))

    def on_message(app: Any, message: str) -> None:
        nonlocal seen, count
        seen += touch_json(topic, json.loads(message))
        count += 1
        if count == n:
            app.close()

    app = websocket.WebSocketApp(url, on_open=on_open, on_message=on_message)
    thread = threading.Thread(
        target=app.run_forever,
        kwargs={"skip_utf8_validation": skip_utf8_validation},
        daemon=True,
    )
    thread.start()
    seconds = deadline(n, FLOOR_RATE)
    thread.join(seconds)
    if thread.is_alive():
        app.close()
        thread.join(2)  # a daemon thread: it cannot outlive the process
        raise SectionFailed(
            f"websocket-client on {topic}: {count} of {n} frames after {seconds:.0f} s"
        )
    return seen


SDK_X1 = "kana_async x1"
SDK_X4 = "kana_async x4"
BARE = "websockets+msgspec (plain struct)"
BARE_X4 = "websockets+msgspec x4 (asyncio.Queue)"
CCXT = "ccxt style (aiohttp+json)"
AIOHTTP_MSGSPEC = "aiohttp+msgspec (plain struct)"
DOCS = "docs style (websocket-client)"
DOCS_FAST = "docs style +skip_utf8_validation"
WS_RECV = "floor: websockets recv alone"
WS_LEAN = "floor: websockets + lean msgspec decode"
AIOHTTP_RECV = "floor: aiohttp receive alone"

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
    DOCS_FAST: docs_style_skip_utf8,
    WS_RECV: ws_recv_only,
    WS_LEAN: ws_lean,
    AIOHTTP_RECV: aiohttp_receive_only,
}

#: The floor clients: what each stands for in the lines that bound a ratio, and its library.
FLOORS: dict[str, tuple[str, str]] = {
    WS_RECV: ("websockets recv alone (no decode)", "websockets"),
    WS_LEAN: ("websockets + the leanest msgspec decode of the touched fields", "websockets"),
    AIOHTTP_RECV: ("aiohttp receive() alone (no decode)", "aiohttp"),
}
