"""The websocket clients the stream benchmarks compare, and the names their tables use.

Every client has the signature ``(url, topic, frames, items, stamp=None) -> items seen``: it
connects, subscribes, reads ``frames`` frames (or ``items`` items, for the SDK), touches every
item and closes; ``stamp`` (the latency run) is called once per item as soon as it is touched.

* ``kana_async xK``: the SDK's public API, ``kana.streams.<topic>(...)`` with K subscribers of the
  same subscription (each gets every item: ``buffer_size`` = the run's items);
  ``kana_async x1 (aiohttp transport)``: the same with ``StreamOptions(transport="aiohttp")``,
  whose honest baseline is ``aiohttp+msgspec (plain struct)`` (the same library, same decode);
* ``websockets+msgspec (plain struct)``: one typed msgspec decode per frame into plain structs
  with the same fields and types the SDK's rows have (``Decimal`` money), on a websockets
  connection configured as the SDK's own (:data:`WS_OPTIONS`), the strongest hand-written
  baseline; ``x4 (asyncio.Queue)``: the same decode once, fanned out to 4 queues;
* ``ccxt style (aiohttp+json)``: ``aiohttp`` ``ws_connect`` + ``json.loads``;
* ``aiohttp+msgspec (plain struct)``: aiohttp's compiled frame reader with the plain-struct
  decode, text frames left as bytes (``decode_text=False``, msgspec checks the UTF-8): the
  strongest hand-written baseline on aiohttp, the one the SDK's aiohttp transport is held to;
* ``docs style (websocket-client)``: Kana's documented ``WebSocketApp`` with ``json.loads``,
  default settings (its pure-Python UTF-8 check included); ``+skip_utf8_validation``: the same
  loop without that check (no target, shows what the check costs);
* ``websockets recv alone (no decode)``: ``await ws.recv(decode=False)`` counted: what the
  hand-written websockets clients pay for the library (a reference, no target);
* the floors: ``floor: websockets frames alone (SDK sink)`` (websockets' asyncio client as the
  SDK reads it, its message queue replaced by the SDK's sink: cheaper than ``recv``, no future
  or task switch per message) and ``floor: aiohttp receive alone``: the socket library and
  nothing else; ``floor: websockets (SDK sink) + lean msgspec decode``: the same plus the least
  msgspec can decode to give the touched numbers (each level's side and a ``float`` price,
  the best bid's ``Decimal`` made from its float; each row's ``Decimal`` size);
  ``floor: SDK decode + checks + repeat filter (SDK sink)``: the same sink plus the SDK's
  own per-frame work (decode into its public types, its bounds and shape checks, its repeat
  filter on account topics), without routing, buffering or the async iterator;
  ``floor: SDK work + least async-iterator delivery (SDK sink)``: that work handed to
  ``async for`` the cheapest way (a deque, one future, an async generator yielding each
  item), the least any SDK with this API must add; ``floor: SDK decode + checks + repeat
  filter (SDK aiohttp socket)``: the SDK's own work on the SDK's aiohttp socket. No client on
  that library (or, for the SDK-work floors, no SDK doing that work behind that API) can read
  faster, which bounds every ratio the SDK can reach (see ``ws_floors.floor_notes``).

"Touch" reads what a bot reads: the best bid's price of a book (a ``Decimal``, computed by the
baselines as the ``max`` of the bid prices; the SDK's ``book.best_bid.price``) and the size
(a ``Decimal``) of a row.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import msgspec
import ws_feed
from _common import SectionFailed, deadline
from ws_shapes import FRAME_TYPES, LEAN_TYPES, touch_json, touch_lean, touch_plain, touch_sdk

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


def sdk(subscribers: int, transport: str = "websockets") -> Callable[..., Awaitable[int]]:
    """kana_async through its public API, ``subscribers`` readers of one subscription.

    ``transport`` is the ``StreamOptions.transport`` (the websocket library) it reads with.
    """

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
        options = StreamOptions(
            compression=None,
            ping_interval=None,
            stale_timeout=None,
            transport=transport,  # type: ignore[arg-type]
        )
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
                seen = 0  # a local count, as the other clients keep theirs; stored when done
                stamps = stamp if i == 0 else None
                try:
                    async with subs[i] as sub:
                        async for item in sub:
                            value = touch_sdk(topic, item)
                            if seen == 0 and not isinstance(value, Decimal | None):
                                raise SectionFailed(f"kana_async on {topic}: read {value!r}")
                            seen += 1
                            if stamps is not None:
                                stamps()
                            if seen == items:
                                return
                finally:
                    counts[i] = seen

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
    """``await ws.recv(decode=False)`` and nothing else: websockets read as the baselines read it.

    No decode, no touch: what the hand-written websockets clients pay per frame before any work
    is done with it (the SDK reads through its sink instead, see :func:`ws_sink_only`). Returns
    ``items`` once its ``n`` frames are in.
    """
    from websockets.asyncio.client import connect

    async with connect(url, **WS_OPTIONS) as ws:
        await ws.send(ws_feed.subscribe_message(topic))
        for _ in range(n):
            await ws.recv(decode=False)
            if stamp is not None:
                stamp()
    return items


async def _through_sink(
    url: str, topic: str, n: int, work: Callable[[bytes], int], transport: str = "websockets"
) -> int:
    """Read ``n`` frames through the SDK's own socket, each handed to ``work`` as it arrives.

    The SDK's own connection with the settings of the SDK's run: for websockets
    (``kana_async._streams.websocket.open_socket``) its asyncio client with the message queue
    replaced by the SDK's sink; for aiohttp (``kana_async._streams.aiohttp_websocket``) its
    ``receive()`` loop. Nothing of the SDK past it: no routing, no buffer, no task switch, no
    iterator. Returns the sum of what ``work`` returned.
    """
    from kana_async import StreamOptions
    from kana_async._streams.connection import socket_library

    options = StreamOptions(
        compression=None,
        ping_interval=None,
        stale_timeout=None,
        transport=transport,  # type: ignore[arg-type]
    )
    open_socket = socket_library(options).open_socket
    done = asyncio.Event()
    counts = [0, 0]  # frames, items

    def deliver(frame: bytes) -> None:
        counts[1] += work(frame)
        counts[0] += 1
        if counts[0] == n:
            done.set()

    async with open_socket(url, options, {}) as sock:
        await sock.send(ws_feed.subscribe_message(topic).encode())
        serving = asyncio.ensure_future(sock.serve(deliver, url))
        try:
            await done.wait()
        finally:
            serving.cancel()
            await asyncio.gather(serving, return_exceptions=True)
    return counts[1]


async def ws_sink_only(url: str, topic: str, n: int, items: int, stamp: Stamp = None) -> int:
    """The floor of websockets as the SDK reads it: frames out of its sink, nothing else.

    No decode, no touch. Cheaper than ``await ws.recv()`` (no future, no task switch per
    message), so it bounds the SDK, which reads this way. Returns ``items``.
    """

    def count(frame: bytes) -> int:
        if stamp is not None:
            stamp()
        return 0

    await _through_sink(url, topic, n, count)
    return items


async def ws_sink_lean(url: str, topic: str, n: int, items: int, stamp: Stamp = None) -> int:
    """Frames out of the SDK's sink + the leanest typed decode of the touched numbers, touched.

    The floor of any client on websockets and msgspec that gives a bot the same numbers as the
    others (the best bid's ``Decimal`` price, each row's ``Decimal`` size) and nothing more:
    levels are ordered by ``float`` keys and only the best bid becomes a ``Decimal``.
    """
    decode = msgspec.json.Decoder(LEAN_TYPES[topic], strict=False).decode

    def lean(frame: bytes) -> int:
        seen = len(touch_lean(topic, decode(frame)))
        if stamp is not None:
            stamp()
        return seen

    return await _through_sink(url, topic, n, lean)


def _sdk_rows(topic: str) -> Callable[[bytes], Any]:
    """``rows(frame)``: the SDK's own per-frame work, by the function its wire runs.

    A wire's ``decode_frame`` (the subscription's decoder bound once, then the repeat filter)
    decodes into the SDK's public types (``Decimal`` money; the lazy order book), refuses
    values a property or a sum could fail on (its bounds and shape checks), and drops rows
    already delivered (account topics). Every benchmark frame is usable, so it never returns
    ``None`` here.
    """
    from kana_async._streams.routing import Router
    from kana_async._streams.topics import TOPICS

    spec = TOPICS[topic]
    key = spec.normalize_key(ws_feed.MARKET if topic == "orderbook" else ws_feed.PROFILE)
    wire, _ = Router("bench").wire(spec, key)
    return wire.decode_frame


async def sdk_work(
    url: str,
    topic: str,
    n: int,
    items: int,
    stamp: Stamp = None,
    transport: str = "websockets",
) -> int:
    """Frames out of the SDK's sink + the SDK's own per-frame work on them, touched.

    What the SDK must do with every frame whatever its routing and delivery (:func:`_sdk_rows`),
    then the touch, in the sink's callback. Past this come routing, the subscriber's buffer,
    the wake-up and the async iterator (:func:`sdk_delivered` adds the least of those).
    ``transport`` is the SDK socket the frames come from (:func:`_through_sink`).
    """
    rows_of = _sdk_rows(topic)

    def work(frame: bytes) -> int:
        rows = rows_of(frame)
        for item in rows:
            touch_sdk(topic, item)
        if stamp is not None:
            stamp()
        return len(rows)

    return await _through_sink(url, topic, n, work, transport)


async def aiohttp_sdk_work(url: str, topic: str, n: int, items: int, stamp: Stamp = None) -> int:
    """:func:`sdk_work` on the SDK's aiohttp socket (``StreamOptions(transport="aiohttp")``).

    The floor of the SDK on aiohttp: its socket's ``receive()`` loop and its own per-frame
    work, no routing or iterator.
    """
    return await sdk_work(url, topic, n, items, stamp, transport="aiohttp")


async def sdk_delivered(url: str, topic: str, n: int, items: int, stamp: Stamp = None) -> int:
    """:func:`sdk_work` handed to ``async for`` as the SDK's API hands it: the least delivery.

    The sink's callback appends each frame to a deque and wakes the reader (one future) if it
    waits; the reader iterates an async generator that does the SDK's per-frame work on each
    frame when it reaches it and yields its items one by one, as ``async for item in sub`` gets
    them. No routing, no overflow policy, no notices, no counters, one subscriber: the least
    any SDK with this API and this work spends per frame.
    """
    rows_of = _sdk_rows(topic)
    loop = asyncio.get_running_loop()
    pending: deque[bytes] = deque()
    waiting: list[asyncio.Future[None] | None] = [None]

    def deliver(frame: bytes) -> int:
        pending.append(frame)
        waiter = waiting[0]
        if waiter is not None:
            waiting[0] = None
            waiter.set_result(None)
        return 0

    async def rows() -> AsyncIterator[Any]:
        while True:
            while pending:
                for item in rows_of(pending.popleft()):
                    yield item
            waiter = waiting[0] = loop.create_future()
            await waiter

    async def read() -> int:
        seen = 0
        if items == 0:
            return seen
        async for item in rows():
            touch_sdk(topic, item)
            seen += 1
            if stamp is not None:
                stamp()
            if seen == items:
                break
        return seen

    reader = asyncio.ensure_future(read())
    try:
        await _through_sink(url, topic, n, deliver)
        async with asyncio.timeout(deadline(n, FLOOR_RATE)):
            return await reader
    finally:
        reader.cancel()


async def aiohttp_receive_only(
    url: str, topic: str, n: int, items: int, stamp: Stamp = None
) -> int:
    """The floor of any aiohttp client: ``await ws.receive()``, text frames left as bytes."""
    import aiohttp

    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(url, compress=0, max_msg_size=0, decode_text=False) as ws,
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
    """aiohttp ``ws_connect`` (compiled frame reader) + the same typed msgspec decode.

    Text frames are left as bytes (``decode_text=False``): msgspec checks the UTF-8 as it
    decodes, so aiohttp's own decode to ``str`` would be work done twice.
    """
    import aiohttp

    decoder = msgspec.json.Decoder(FRAME_TYPES[topic])
    seen = 0
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(url, compress=0, max_msg_size=0, decode_text=False) as ws,
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
SDK_AIOHTTP = "kana_async x1 (aiohttp transport)"
BARE = "websockets+msgspec (plain struct)"
BARE_X4 = "websockets+msgspec x4 (asyncio.Queue)"
CCXT = "ccxt style (aiohttp+json)"
AIOHTTP_MSGSPEC = "aiohttp+msgspec (plain struct)"
DOCS = "docs style (websocket-client)"
DOCS_FAST = "docs style +skip_utf8_validation"
WS_RECV = "websockets recv alone (no decode)"
WS_SINK = "floor: websockets frames alone (SDK sink)"
WS_LEAN = "floor: websockets (SDK sink) + lean msgspec decode"
SDK_WORK = "floor: SDK decode + checks + repeat filter (SDK sink)"
SDK_DELIVERED = "floor: SDK work + least async-iterator delivery (SDK sink)"
AIOHTTP_RECV = "floor: aiohttp receive alone"
AIOHTTP_WORK = "floor: SDK decode + checks + repeat filter (SDK aiohttp socket)"

#: The issue's targets for the SDK's ratios, by topic and (ours, baseline).
TARGETS: dict[str, dict[tuple[str, str], str]] = {
    "orderbook": {
        (SDK_X1, BARE): ">= 0.85",
        (SDK_X1, CCXT): ">= 1.5",
        (SDK_X1, DOCS): ">= 30",
        (SDK_X4, BARE_X4): ">= 0.75",
        (SDK_AIOHTTP, AIOHTTP_MSGSPEC): ">= 0.85",
        (SDK_AIOHTTP, CCXT): ">= 1.5",
        (SDK_AIOHTTP, DOCS): ">= 30",
    },
    "positions": {
        (SDK_X1, BARE): ">= 0.85",
        (SDK_X1, CCXT): ">= 1.5",
        (SDK_AIOHTTP, AIOHTTP_MSGSPEC): ">= 0.85",
        (SDK_AIOHTTP, CCXT): ">= 1.5",
    },
}

CLIENTS: dict[str, Callable[..., Any]] = {
    SDK_X1: sdk(1),
    SDK_X4: sdk(4),
    SDK_AIOHTTP: sdk(1, "aiohttp"),
    BARE: bare,
    BARE_X4: bare_fanout,
    CCXT: ccxt_style,
    AIOHTTP_MSGSPEC: aiohttp_msgspec,
    DOCS: docs_style,
    DOCS_FAST: docs_style_skip_utf8,
    WS_RECV: ws_recv_only,
    WS_SINK: ws_sink_only,
    WS_LEAN: ws_sink_lean,
    SDK_WORK: sdk_work,
    SDK_DELIVERED: sdk_delivered,
    AIOHTTP_RECV: aiohttp_receive_only,
    AIOHTTP_WORK: aiohttp_sdk_work,
}

#: The floors that bound each SDK client: those on its socket library.
FLOORS_OF: dict[str, tuple[str, ...]] = {
    SDK_X1: (WS_SINK, WS_LEAN, SDK_WORK, SDK_DELIVERED),
    SDK_X4: (WS_SINK, WS_LEAN, SDK_WORK, SDK_DELIVERED),
    SDK_AIOHTTP: (AIOHTTP_RECV, AIOHTTP_WORK),
}

#: The floor clients: what each stands for in the lines that bound a ratio, and its library.
FLOORS: dict[str, tuple[str, str]] = {
    WS_SINK: ("websockets frames out of the SDK's sink alone (no decode)", "websockets"),
    WS_LEAN: (
        "websockets (SDK sink) + the leanest msgspec decode of the touched fields",
        "websockets",
    ),
    SDK_WORK: (
        "websockets (SDK sink) + the SDK's decode, checks and repeat filter "
        "(no routing, no iterator)",
        "the SDK's required per-frame work",
    ),
    SDK_DELIVERED: (
        "websockets (SDK sink) + the SDK's decode, checks and repeat filter + the least "
        "delivery to `async for` (a deque, a future, an async generator; no routing)",
        "the SDK's required per-frame work",
    ),
    AIOHTTP_RECV: ("aiohttp receive() alone (no decode)", "aiohttp"),
    AIOHTTP_WORK: (
        "aiohttp (the SDK's socket) + the SDK's decode, checks and repeat filter "
        "(no routing, no iterator)",
        "the SDK's required per-frame work on aiohttp",
    ),
}
