"""Websocket connections of the hub: accept, queue and send frames, and the transport faults.

:class:`Connections` owns the sockets and the ``(topic, key) → connections`` index; what a frame
contains is decided by :class:`~kana_async.sim.ws.hub.WsHub`, which subclasses it and implements
:meth:`Connections.on_text`. Faults: ``faults.ws_malformed`` replaces the next N frames by
garbage, ``faults.ws_stall`` stops sending and pauses reading on every connection, a client more
than :data:`MAX_BACKLOG` frames behind is aborted.

With a :class:`~kana_async.sim.latency.LatencyModel` the frames of each connection are sent in
batches: the first frame queued on an idle connection waits one delay drawn from the connection's
own stream, every frame queued meanwhile joins that batch (at most ``WsBatching.max_batch``), and
after sending ``n`` frames the connection stays busy ``n × WsBatching.per_frame`` seconds. Order
is kept per connection; :attr:`Connections.batches` records ``(connection, delay, frames)``. A
batch the model fails (``Latency.error_probability``) aborts its connection instead.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import Iterable, Sequence
from typing import Any, Final

from aiohttp import WSMsgType, web

from kana_async.sim import wire
from kana_async.sim.faults import Faults
from kana_async.sim.latency import DelayStream, LatencyModel

__all__ = ["MAX_BACKLOG", "Conn", "Connections", "SubKey", "frame"]

log = logging.getLogger("kana_async.sim")

#: Frames a connection may have queued before it is considered dead and aborted.
MAX_BACKLOG: Final = 50_000
#: Batches :attr:`Connections.batches` remembers.
BATCH_LOG_SIZE: Final = 10_000
#: How often the stall fault is checked, seconds.
_FAULT_POLL: Final = 0.02

_GARBAGE: Final = (
    "{not json at all",
    '{"message": 42, "data": "nope"}',
    '["unexpected", "array"]',
)

#: ``(topic, key)``: a subscription (key: profile address, market id or ``""``).
SubKey = tuple[str, str]


class Conn:
    """One websocket connection: its subscriptions and its outgoing frame queue."""

    __slots__ = ("delays", "frames", "index", "subs", "transport", "wake", "writer", "ws")

    def __init__(
        self,
        ws: web.WebSocketResponse,
        transport: asyncio.Transport | None,
        *,
        index: int = 0,
        delays: DelayStream | None = None,
    ) -> None:
        self.ws = ws
        self.index = index
        self.delays = delays
        self.transport = transport
        self.subs: set[SubKey] = set()
        self.frames: collections.deque[str] = collections.deque()
        self.wake = asyncio.Event()
        self.writer: asyncio.Task[None] | None = None


def frame(topic: str, rows: Sequence[dict[str, Any]]) -> str:
    """The encoded ``{"message": topic, "data": rows}`` frame."""
    return wire.ENCODER.encode({"message": topic, "data": rows}).decode()


class Connections:
    """The hub's sockets, subscriptions index and send queues (see the module docstring)."""

    def __init__(self, faults: Faults, latency: LatencyModel | None = None) -> None:
        self.faults = faults
        self.latency = latency if latency is not None and latency.enabled else None
        #: ``(connection index, delay in seconds, frames sent)`` of the latest batches.
        self.batches: collections.deque[tuple[int, float, int]] = collections.deque(
            maxlen=BATCH_LOG_SIZE
        )
        self._accepted = 0
        self._conns: set[Conn] = set()
        self._subs: dict[SubKey, set[Conn]] = {}
        self._stalled = False
        self._watcher: asyncio.Task[None] | None = None
        self._malformed_counter = 0
        self.frames_sent = 0

    # -- lifecycle --------------------------------------------------------------------------

    def watch_faults(self) -> None:
        """Start watching the stall fault."""
        self._watcher = asyncio.create_task(self._watch_faults(), name="kana-sim-ws-faults")

    async def close_connections(self) -> None:
        """Stop watching faults and close every connection (abruptly when stalled)."""
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None
        await self.drop_connections(abrupt=self._stalled)

    async def drop_connections(self, abrupt: bool = False) -> int:
        """Close every connection: a clean close frame (1012), or ``abrupt`` TCP abort.

        Returns how many connections were dropped.
        """
        conns = list(self._conns)
        if abrupt or self._stalled:
            for conn in conns:
                if conn.transport is not None:
                    conn.transport.abort()
        else:
            await asyncio.gather(*(_close(conn) for conn in conns))
        return len(conns)

    @property
    def stalled(self) -> bool:
        """True while the ``ws_stall`` fault is in effect on the connections."""
        return self._stalled

    @property
    def connection_count(self) -> int:
        """Open websocket connections."""
        return len(self._conns)

    # -- connection handling ----------------------------------------------------------------

    def on_text(self, conn: Conn, text: str) -> None:
        """Handle one text frame from a client (the hub subscribes it)."""
        raise NotImplementedError

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """aiohttp handler of ``GET /ws/``."""
        ws = web.WebSocketResponse(compress=False, max_msg_size=1 << 20)
        await ws.prepare(request)
        index, self._accepted = self._accepted, self._accepted + 1
        delays = self.latency.ws_stream(index) if self.latency is not None else None
        conn = Conn(ws, request.transport, index=index, delays=delays)
        self._conns.add(conn)
        if self._stalled and conn.transport is not None:
            conn.transport.pause_reading()
        conn.writer = asyncio.create_task(self._write(conn), name="kana-sim-ws-writer")
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self.on_text(conn, msg.data)
                elif msg.type == WSMsgType.BINARY:
                    self.on_text(conn, msg.data.decode("utf-8", "replace"))
        finally:
            self._forget(conn)
            conn.writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await conn.writer
        return ws

    def add_subscription(self, conn: Conn, sub: SubKey) -> None:
        """Subscribe ``conn`` to ``sub``."""
        conn.subs.add(sub)
        self._subs.setdefault(sub, set()).add(conn)

    def _forget(self, conn: Conn) -> None:
        self._conns.discard(conn)
        for key in conn.subs:
            subs = self._subs.get(key)
            if subs is not None:
                subs.discard(conn)
                if not subs:
                    del self._subs[key]
        conn.subs.clear()
        conn.frames.clear()

    async def _write(self, conn: Conn) -> None:
        try:
            if conn.delays is not None and self.latency is not None:
                await self._write_batches(conn, conn.delays, self.latency)
            else:
                await self._write_now(conn)
        except (ConnectionError, RuntimeError) as exc:  # peer went away mid-send
            log.debug("websocket writer stopped: %s", exc)

    async def _write_now(self, conn: Conn) -> None:
        """Send ``conn``'s frames as soon as they are queued; never returns."""
        while True:
            await conn.wake.wait()
            conn.wake.clear()
            while conn.frames and not self._stalled:
                text = conn.frames.popleft()
                await conn.ws.send_str(text)
                self.frames_sent += 1

    async def _write_batches(self, conn: Conn, delays: DelayStream, model: LatencyModel) -> None:
        """Send ``conn``'s frames in delayed batches (see the module docstring); never returns."""
        batching = model.ws_batching
        while True:
            await conn.wake.wait()
            conn.wake.clear()
            while conn.frames and not self._stalled:
                delay, fails = delays.next_request()
                if delay > 0:
                    await asyncio.sleep(delay)
                if fails:  # the model drops this connection instead of sending the batch
                    self.batches.append((conn.index, delay, 0))
                    conn.frames.clear()
                    if conn.transport is not None:
                        conn.transport.abort()
                    return
                sent = 0
                while conn.frames and sent < batching.max_batch and not self._stalled:
                    await conn.ws.send_str(conn.frames.popleft())
                    sent += 1
                self.frames_sent += sent
                self.batches.append((conn.index, delay, sent))
                if sent and batching.per_frame > 0:
                    await asyncio.sleep(sent * batching.per_frame)

    async def _watch_faults(self) -> None:
        while True:
            stalled = self.faults.ws_stall
            if stalled != self._stalled:
                self._set_stalled(stalled)
            await asyncio.sleep(_FAULT_POLL)

    def _set_stalled(self, stalled: bool) -> None:
        self._stalled = stalled
        for conn in self._conns:
            if conn.transport is None or conn.transport.is_closing():
                continue
            if stalled:
                conn.transport.pause_reading()
                conn.frames.clear()
            else:
                conn.transport.resume_reading()
                conn.wake.set()

    # -- sending ----------------------------------------------------------------------------

    def publish(self, topic: str, key: str, rows: Sequence[dict[str, Any]]) -> None:
        """Send ``{"message": topic, "data": rows}`` to every subscriber of ``(topic, key)``."""
        if self._subs.get((topic, key)):
            self.publish_raw(topic, key, [frame(topic, rows)])

    def publish_raw(self, topic: str, key: str, frames: Iterable[str]) -> int:
        """Queue pre-encoded frames for every subscriber of ``(topic, key)``; returns the count."""
        conns = self._subs.get((topic, key))
        if not conns:
            return 0
        count = 0
        for text in frames:
            for conn in conns:
                self.enqueue(conn, text)
            count += 1
        return count

    def enqueue(self, conn: Conn, text: str) -> None:
        """Queue one frame for ``conn`` (applying the malformed / stall / backlog faults)."""
        if self._stalled:
            return
        if self.faults.ws_malformed > 0 and self.faults.take("ws_malformed"):
            text = _GARBAGE[self._malformed_counter % len(_GARBAGE)]
            self._malformed_counter += 1
        if len(conn.frames) >= MAX_BACKLOG:
            log.warning("websocket client too slow (%d frames queued); dropping it", MAX_BACKLOG)
            conn.frames.clear()
            if conn.transport is not None:
                conn.transport.abort()
            return
        conn.frames.append(text)
        conn.wake.set()


async def _close(conn: Conn) -> None:
    """Close one connection cleanly (1012), aborting it if the peer does not answer in time."""
    try:
        await asyncio.wait_for(conn.ws.close(code=1012, message=b"simulator restart"), 2.0)
    except Exception:
        if conn.transport is not None:
            conn.transport.abort()
