"""aiohttp's websocket client behind one module: connect, send, receive, ping, close, classify.

The opt-in socket of ``StreamOptions(transport="aiohttp")`` (asyncio only; the ``aiohttp``
extra). It offers what :mod:`kana_async._streams.websocket` offers for ``websockets`` (the same
socket adapter methods and the same four classifiers), so the connection loop runs unchanged
over either. aiohttp parses frames in compiled code: per message it costs a fraction of what
``websockets``' pure-Python parser costs.

Messages are read with ``receive()`` in the serving task and handed to the reader's callback
at once (aiohttp's own queue pauses reading from the socket while it is full). Pings and pongs
are handled here, not by aiohttp: a server's ping is answered as it is read, and each pong
releases the keepalive's waiters. Every way the connection ends surfaces as
:class:`SocketClosed` (with the close code this side sent, e.g. 1009 for a message above
``max_size``), which :func:`is_closed` recognises.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any, NoReturn
from urllib.parse import urlsplit

import anyio

from kana_async._backend import current_backend
from kana_async._exceptions import StreamHandshakeRefusedError
from kana_async._secret import LogSafeText, SecretText
from kana_async._streams.options import StreamOptions
from kana_async._streams.refusals import refused_status, refused_url

__all__ = [
    "SocketClosed",
    "close_code",
    "is_closed",
    "is_expected",
    "is_fatal",
    "open_socket",
]

logger = logging.getLogger("kana_async")


class SocketClosed(Exception):
    """The aiohttp websocket connection ended (closed by either side, dropped or failed).

    Args:
        detail: how it ended, for logs and statistics.
        sent: the close code this side sent, if any (1009: a message above ``max_size``).

    Attributes:
        sent: as above.
    """

    def __init__(self, detail: str, sent: int | None = None) -> None:
        super().__init__(detail)
        self.sent = sent


class _Unsupported(Exception):
    """The running event loop cannot run aiohttp (trio)."""


class _AiohttpSocket:
    """The socket adapter over one ``aiohttp.ClientWebSocketResponse``."""

    __slots__ = ("_pongs", "_ws", "frames")

    def __init__(self, ws: Any) -> None:
        self._ws = ws
        self._pongs: list[anyio.Event] = []
        self.frames = 0

    @property
    def skipped(self) -> int:
        """Always 0: aiohttp joins fragments itself, bounded by ``max_size`` alone."""
        return 0

    async def send(self, frame: bytes) -> None:
        from aiohttp import WSMsgType

        await self._ws.send_frame(frame, WSMsgType.TEXT)

    async def serve(self, deliver: Callable[[bytes], None], name: str) -> NoReturn:
        from aiohttp import WSMsgType

        text, binary, ping, pong = WSMsgType.TEXT, WSMsgType.BINARY, WSMsgType.PING, WSMsgType.PONG
        ws = self._ws
        receive = ws.receive
        while True:
            msg = await receive()
            kind = msg.type
            if kind is text or kind is binary:
                self.frames += 1
                try:
                    deliver(msg.data)
                except Exception:  # a bug downstream must not end the connection
                    logger.exception("websocket %s: error while handling a frame", name)
            elif kind is ping:
                await ws.pong(msg.data)
            elif kind is pong:
                waiting, self._pongs = self._pongs, []
                for event in waiting:
                    event.set()
            else:
                raise self._ended(msg)

    def _ended(self, msg: Any) -> SocketClosed:
        """The error for the message that ended ``receive()`` (close, closing, closed, error)."""
        code = self._ws.close_code
        if isinstance(msg.data, BaseException):  # ERROR: aiohttp closed with its code
            detail = f"{type(msg.data).__name__}: {msg.data}"
            sent = getattr(msg.data, "code", None)
        else:
            detail = f"closed with code {code}" if code is not None else "connection lost"
            if msg.extra:
                detail += f" ({msg.extra})"
            sent = None
        return SocketClosed(detail, sent if isinstance(sent, int) else None)

    async def ping(self) -> Callable[[], Any]:
        event = anyio.Event()
        self._pongs.append(event)
        await self._ws.ping()
        return event.wait

    async def close(self) -> None:
        await self._ws.close()  # after abort() it fails to write at once and releases all

    def abort(self) -> None:
        """Shut the TCP connection down at once (the reader sees it end). Never raises."""
        sock = self._ws.get_extra_info("socket")
        if sock is not None:
            with suppress(OSError):  # already gone
                sock.shutdown(socket.SHUT_RDWR)


@asynccontextmanager
async def open_socket(
    url: str, options: StreamOptions, headers: dict[str, str]
) -> AsyncIterator[_AiohttpSocket]:
    """Connect with aiohttp's websocket client (one session per connection).

    Keepalive is left to the caller (aiohttp's heartbeat and automatic pongs are off); on
    leaving, the socket is closed politely within ``close_timeout`` seconds, or dropped.

    Args:
        url: the ``ws://`` or ``wss://`` URL.
        options: timeouts, ``max_size`` and ``compression``.
        headers: extra HTTP headers of the handshake.

    Yields:
        The connected socket adapter (send, serve, ping, close, abort).

    Raises:
        Exception: what aiohttp raises for a failed attempt (classify it with :func:`is_fatal`
            and :func:`is_expected`).
    """
    if current_backend() != "asyncio":
        raise _Unsupported("StreamOptions(transport='aiohttp') runs on asyncio only")
    if urlsplit(url).scheme not in ("ws", "wss"):  # aiohttp would upgrade an http:// URL too
        raise ValueError(f"{url!r:.100} is not a ws:// or wss:// URL")
    import aiohttp

    session = aiohttp.ClientSession(trust_env=False)
    try:
        with anyio.fail_after(options.open_timeout):
            ws = await session.ws_connect(
                url,
                headers=_writable(headers) or None,
                autoclose=True,
                autoping=False,
                heartbeat=None,
                timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=options.close_timeout),
                max_msg_size=options.max_size or 0,
                compress=15 if options.compression == "deflate" else 0,
                decode_text=False,
            )
        sock = _AiohttpSocket(ws)
        try:
            yield sock
        except BaseException:
            sock.abort()
            raise
        finally:
            with anyio.CancelScope(shield=True), anyio.move_on_after(options.close_timeout):
                await sock.close()
            sock.abort()
    finally:
        with anyio.CancelScope(shield=True):
            await session.close()


def _writable(headers: dict[str, str]) -> dict[str, str]:
    """The handshake headers as aiohttp writes them: with ``str()`` of each value.

    A masked value (:class:`~kana_async._secret.LogSafeText`, whose ``str()`` is masked for
    the logs of the default library) becomes a :class:`~kana_async._secret.SecretText`: its
    ``str()`` is the text aiohttp writes, its ``repr`` stays masked.
    """
    return {
        name: SecretText(format(value)) if isinstance(value, LogSafeText) else value
        for name, value in headers.items()
    }


def is_fatal(exc: BaseException) -> StreamHandshakeRefusedError | None:
    """Whether a failed connection attempt will fail the same way every time. Never raises.

    Args:
        exc: what the attempt raised.

    Returns:
        The :class:`~kana_async.StreamHandshakeRefusedError` to end the subscriptions with, or
        ``None`` for a transient failure (refused TCP, DNS, timeout, 5xx, a dropped handshake).
    """
    if isinstance(exc, _Unsupported):
        return StreamHandshakeRefusedError(str(exc))
    from aiohttp import InvalidURL, WSServerHandshakeError

    if isinstance(exc, WSServerHandshakeError):
        return refused_status(exc.status)
    if isinstance(exc, InvalidURL | ValueError):
        return refused_url(exc)
    return None


def is_expected(exc: BaseException) -> bool:
    """Whether a failed attempt failed in one of the ways networks fail. Never raises.

    Args:
        exc: what the attempt raised.

    Returns:
        ``True`` for refused TCP, DNS, TLS, timeouts and handshake failures; ``False`` when a
        bug is suspected.
    """
    from aiohttp import ClientError

    return isinstance(exc, OSError | TimeoutError | ClientError) or is_closed(exc)


def close_code(exc: BaseException) -> int | None:
    """The close code this side sent when ``exc`` ended the connection. Never raises.

    Args:
        exc: a connection-closed error.

    Returns:
        The code (e.g. 1009 for a message above ``max_size``), or ``None``.
    """
    return exc.sent if isinstance(exc, SocketClosed) else None


def is_closed(exc: BaseException) -> bool:
    """Whether ``exc`` says the connection ended (any way). Never raises.

    Args:
        exc: what a send or receive raised.

    Returns:
        ``True`` for :class:`SocketClosed`, aiohttp's connection errors (a send on a closing
        connection) and anyio's broken or closed resource errors.
    """
    from aiohttp import ClientConnectionError

    return isinstance(
        exc,
        SocketClosed
        | ClientConnectionError
        | ConnectionError
        | anyio.BrokenResourceError
        | anyio.ClosedResourceError,
    )
