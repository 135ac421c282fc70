"""The websockets library behind one module: connect, send, receive, ping, close, classify.

``websockets`` is imported on first use, in the implementation that suits the running loop: its
asyncio client on asyncio (uvloop included), its trio client on trio. :func:`open_socket` yields a
small socket adapter with the same methods on both; :func:`is_fatal`, :func:`is_expected`,
:func:`is_closed` and :func:`close_code` classify what the library raises.

Messages are not read with the library's ``recv``: its connection hands every received data frame
to a :class:`FrameSink` in place of its own message queue, which joins fragments and gives each
whole message's bytes to the reader's callback at once, in the step that parsed it off the
socket (no queue, no task switch per message). Until the reader attaches (while the subscribe
frames go out) messages wait in the sink, which pauses reading from the socket past
:data:`PENDING_HIGH` of them, as the library's own queue does.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import cache
from typing import Any, Final, NoReturn, Protocol

import anyio

from kana_async._backend import current_backend
from kana_async._exceptions import StreamHandshakeRefusedError
from kana_async._streams.options import StreamOptions
from kana_async._streams.refusals import refused_status, refused_url

__all__ = [
    "MAX_FRAGMENTS",
    "MESSAGE_TOO_BIG",
    "PENDING_HIGH",
    "FrameSink",
    "close_code",
    "describe",
    "is_closed",
    "is_expected",
    "is_fatal",
    "open_socket",
]

logger = logging.getLogger("kana_async")

#: The close code of a message larger than the receiver accepts.
MESSAGE_TOO_BIG = 1009

#: The most fragments one message may come in; a message in more is skipped (and counted).
MAX_FRAGMENTS: Final = 4096

#: Messages waiting for the reader to attach above which reading from the socket pauses.
PENDING_HIGH: Final = 64


class _Socket(Protocol):
    """What the connection loop uses of a websocket: the same on asyncio and trio, and on aiohttp.

    The aiohttp adapter (:mod:`kana_async._streams.aiohttp_websocket`) offers the same methods.
    """

    async def send(self, frame: bytes) -> None:
        """Send one text frame (JSON bytes)."""

    async def serve(self, deliver: Callable[[bytes], None], name: str) -> NoReturn:
        """Hand every message's raw bytes to ``deliver`` until the connection ends, then raise.

        An error ``deliver`` raises is logged (as ``name``'s) and the next message delivered.
        """
        ...

    @property
    def frames(self) -> int:
        """Messages handed to ``deliver`` so far."""
        ...

    @property
    def skipped(self) -> int:
        """Messages skipped for arriving in more than :data:`MAX_FRAGMENTS` fragments."""
        ...

    async def ping(self) -> Callable[[], Any]:
        """Send a ping; returns an async function that waits for its pong."""
        ...

    async def close(self) -> None:
        """The closing handshake."""

    def abort(self) -> None:
        """Drop the TCP connection at once where the library allows it (asyncio)."""


def is_fatal(exc: BaseException) -> StreamHandshakeRefusedError | None:
    """Whether a failed connection attempt will fail the same way every time. Never raises.

    Args:
        exc: what the attempt raised.

    Returns:
        The :class:`~kana_async.StreamHandshakeRefusedError` to end the subscriptions with, or
        ``None`` for a transient failure (refused TCP, DNS, timeout, 5xx, a dropped handshake).
    """
    from websockets.exceptions import InvalidStatus, InvalidURI

    if isinstance(exc, InvalidStatus):
        return refused_status(exc.response.status_code)
    if isinstance(exc, InvalidURI | ValueError):
        return refused_url(exc)
    return None


class FrameSink:
    """Whole messages out of the library's data frames, handed to a callback as they arrive.

    It stands in for the library's message queue (the connection calls :meth:`put` with each
    data frame and :meth:`close` at its end). Before :meth:`attach` messages are kept, and
    reading is paused through ``pause`` while more than :data:`PENDING_HIGH` wait; after
    :meth:`detach` they are dropped. Never blocks, never raises: an error of the callback is
    logged and the next message delivered (a bug downstream must not end the connection).

    Args:
        pause: stops reading from the socket.
        resume: starts reading again.

    Attributes:
        closed: whether the connection ended.
        frames: messages handed to the callback so far.
        skipped: messages dropped for arriving in more than :data:`MAX_FRAGMENTS` fragments.
    """

    __slots__ = (
        "_deliver",
        "_name",
        "_parts",
        "_pause",
        "_paused",
        "_pending",
        "_resume",
        "closed",
        "frames",
        "skipped",
    )

    def __init__(self, pause: Callable[[], Any], resume: Callable[[], Any]) -> None:
        self._pause = pause
        self._resume = resume
        self._paused = False
        self._parts: list[Any] = []
        self._pending: deque[bytes] | None = deque()
        self._deliver: Callable[[bytes], None] | None = None
        self._name = ""
        self.closed = False
        self.frames = 0
        self.skipped = 0

    def put(self, frame: Any) -> None:
        """Take one data frame (a whole message, or a fragment of one). Never raises.

        Args:
            frame: the library's frame (``data`` and ``fin``).
        """
        parts = self._parts
        if frame.fin and not parts:
            data = frame.data
            if type(data) is not bytes:
                data = bytes(data)
        else:
            if len(parts) > MAX_FRAGMENTS:  # already too many: drop fragments until the last
                if frame.fin:
                    parts.clear()
                return
            parts.append(frame.data)
            if not frame.fin:
                if len(parts) > MAX_FRAGMENTS:
                    self.skipped += 1
                return
            data = b"".join(parts)
            parts.clear()
        deliver = self._deliver
        if deliver is not None:
            self.frames += 1
            try:
                deliver(data)
            except Exception:  # a bug downstream must not end the connection
                self._failed()
            return
        pending = self._pending
        if pending is not None:
            pending.append(data)
            if len(pending) > PENDING_HIGH and not self._paused:
                self._paused = True
                self._pause()

    def attach(self, deliver: Callable[[bytes], None], name: str = "") -> None:
        """Hand the waiting messages, and every later one as it arrives, to ``deliver``.

        Never raises.

        Args:
            deliver: called with each message's bytes; it must not block. What it raises is
                logged, and the next message delivered all the same.
            name: the connection's name (its URL) in those log lines.
        """
        self._name = name
        pending, self._pending = self._pending, None
        while pending:
            self.frames += 1
            try:
                deliver(pending.popleft())
            except Exception:  # as in put()
                self._failed()
        self._deliver = deliver
        if self._paused:
            self._paused = False
            self._resume()

    def _failed(self) -> None:
        """Log the error the callback just raised (called from its ``except`` block)."""
        logger.exception("websocket %s: error while handling a frame", self._name)

    def detach(self) -> None:
        """Drop every later message (the reader is gone). Never raises."""
        self._deliver = None
        self._pending = None
        if self._paused:
            self._paused = False
            self._resume()

    def close(self) -> None:
        """The connection ended (called by the library). Never raises."""
        self.closed = True
        self._parts.clear()


@cache
def _data_to_sink() -> type[Any]:
    """A mixin for the library's client connections: data frames straight to their sink.

    The library hands each event to the client's ``process_event``, which passes every frame
    after the handshake to the connection's, which puts data frames in the message queue (our
    sink): two calls per frame. The mixin puts a data frame after the handshake in the sink
    itself and leaves every other event (the handshake response, control frames) to them.
    """
    from websockets.frames import DATA_OPCODES, Frame

    class DataToSink:
        sink: FrameSink
        response: Any

        def process_event(self, event: Any) -> None:
            if type(event) is Frame and event.opcode in DATA_OPCODES and self.response is not None:
                self.sink.put(event)
            else:
                super().process_event(event)  # type: ignore[misc]

    return DataToSink


@cache
def _asyncio_connection() -> type[Any]:
    """The library's asyncio client connection, with a :class:`FrameSink` as its queue."""
    from websockets.asyncio.client import ClientConnection

    class SinkConnection(_data_to_sink(), ClientConnection):  # type: ignore[misc]
        sink: FrameSink

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self.sink = FrameSink(transport.pause_reading, transport.resume_reading)
            self.recv_messages = self.sink  # type: ignore[assignment]

    return SinkConnection


@cache
def _trio_connection() -> type[Any]:
    """The library's trio client connection, with a :class:`FrameSink` as its queue."""
    from websockets.trio.client import ClientConnection

    class SinkConnection(_data_to_sink(), ClientConnection):  # type: ignore[misc]
        sink: FrameSink

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.sink = FrameSink(self.pause_reading, self.resume_reading)
            self.recv_messages = self.sink  # type: ignore[assignment]

    return SinkConnection


class _AsyncioSocket:
    __slots__ = ("_ws",)

    def __init__(self, ws: Any) -> None:
        self._ws = ws

    async def send(self, frame: bytes) -> None:
        await self._ws.send(frame, text=True)

    async def serve(self, deliver: Callable[[bytes], None], name: str) -> NoReturn:
        sink: FrameSink = self._ws.sink
        sink.attach(deliver, name)
        try:
            await self._ws.wait_closed()
        finally:
            sink.detach()
        raise self._ws.close_exc

    @property
    def frames(self) -> int:
        return self._ws.sink.frames  # type: ignore[no-any-return]

    @property
    def skipped(self) -> int:
        return self._ws.sink.skipped  # type: ignore[no-any-return]

    async def ping(self) -> Callable[[], Any]:
        waiter = await self._ws.ping()

        async def pong() -> None:
            await waiter

        return pong

    async def close(self) -> None:
        await self._ws.close()

    def abort(self) -> None:
        self._ws.transport.abort()


class _TrioSocket(_AsyncioSocket):
    __slots__ = ()

    async def ping(self) -> Callable[[], Any]:
        event = await self._ws.ping()
        return event.wait  # type: ignore[no-any-return]

    async def close(self) -> None:
        await self._ws.aclose()

    def abort(self) -> None:  # trio: the serving scope is cancelled instead
        pass


@asynccontextmanager
async def open_socket(
    url: str, options: StreamOptions, headers: dict[str, str]
) -> AsyncIterator[_Socket]:
    """Connect with the websockets client of the running loop.

    Keepalive is left to the caller (the library's own is turned off); on leaving, the socket
    is closed politely within ``close_timeout`` seconds, or dropped.

    Args:
        url: the ``ws://`` or ``wss://`` URL.
        options: timeouts, ``max_size`` and ``compression``.
        headers: extra HTTP headers of the handshake.

    Yields:
        The connected socket adapter (send, recv, ping, close, abort).

    Raises:
        Exception: what the library raises for a failed attempt (classify it with
            :func:`is_fatal` and :func:`is_expected`).
    """
    kwargs: dict[str, Any] = {
        "open_timeout": options.open_timeout,
        "close_timeout": options.close_timeout,
        "ping_interval": None,  # keepalive is ours (see WSConnection._keepalive)
        "ping_timeout": None,
        "max_size": options.max_size,
        "compression": options.compression,
        "additional_headers": headers or None,
        "proxy": None,
    }
    if current_backend() == "trio":
        from websockets.trio.client import connect as trio_connect

        async with trio_connect(url, create_connection=_trio_connection(), **kwargs) as trio_ws:
            yield _TrioSocket(trio_ws)
        return
    from websockets.asyncio.client import connect as asyncio_connect

    ws = await asyncio_connect(url, create_connection=_asyncio_connection(), **kwargs)
    sock = _AsyncioSocket(ws)
    try:
        yield sock
    except BaseException:
        sock.abort()
        raise
    finally:
        with anyio.CancelScope(shield=True), anyio.move_on_after(options.close_timeout):
            await ws.close()
        sock.abort()


def is_expected(exc: BaseException) -> bool:
    """Whether a failed attempt failed in one of the ways networks fail. Never raises.

    Args:
        exc: what the attempt raised.

    Returns:
        ``True`` for refused TCP, DNS, TLS, timeouts and handshake failures; ``False`` when a
        bug is suspected.
    """
    from websockets.exceptions import InvalidHandshake

    return isinstance(exc, OSError | TimeoutError | InvalidHandshake) or is_closed(exc)


def close_code(exc: BaseException) -> int | None:
    """The close code this side sent when ``exc`` ended the connection. Never raises.

    Args:
        exc: a connection-closed error.

    Returns:
        The code (e.g. :data:`MESSAGE_TOO_BIG`), or ``None``.
    """
    sent = getattr(exc, "sent", None)
    code = getattr(sent, "code", None)
    return code if isinstance(code, int) else None


def is_closed(exc: BaseException) -> bool:
    """Whether ``exc`` says the connection ended (any way). Never raises.

    Args:
        exc: what a send or receive raised.

    Returns:
        ``True`` for the library's connection-closed errors and anyio's broken or closed
        resource errors.
    """
    from websockets.exceptions import ConnectionClosed

    return isinstance(exc, ConnectionClosed | anyio.BrokenResourceError | anyio.ClosedResourceError)


def describe(exc: BaseException) -> str:
    """``"TypeName: text"`` of an error, for logs and statistics. Never raises.

    Args:
        exc: the error.

    Returns:
        The readable text.
    """
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
