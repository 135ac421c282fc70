"""The websockets library behind one module: connect, send, receive, ping, close, classify.

``websockets`` is imported on first use, in the implementation that suits the running loop: its
asyncio client on asyncio (uvloop included), its trio client on trio. :func:`open_socket` yields a
small socket adapter with the same methods on both; :func:`is_fatal`, :func:`is_expected`,
:func:`is_closed` and :func:`close_code` classify what the library raises.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Protocol

import anyio

from kana_async._backend import current_backend
from kana_async._exceptions import StreamHandshakeRefusedError
from kana_async._streams.options import StreamOptions

__all__ = [
    "MESSAGE_TOO_BIG",
    "close_code",
    "describe",
    "is_closed",
    "is_expected",
    "is_fatal",
    "open_socket",
]

#: The close code of a message larger than the receiver accepts.
MESSAGE_TOO_BIG = 1009

#: 4xx answers that retrying may change: request timeout, too early, too many requests.
_RETRYABLE_4XX = frozenset({408, 425, 429})


class _Socket(Protocol):
    """What the connection loop uses of a websocket: the same on asyncio and trio."""

    async def send(self, frame: bytes) -> None:
        """Send one text frame (JSON bytes)."""

    async def recv(self) -> bytes:
        """The next message's raw bytes."""
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
        status = exc.response.status_code
        if 400 <= status < 500 and status not in _RETRYABLE_4XX:
            return StreamHandshakeRefusedError(
                f"the websocket server refused the connection with HTTP {status}"
                + (" (is the API key right?)" if status in (401, 403) else ""),
                status_code=status,
            )
        return None
    if isinstance(exc, InvalidURI | ValueError):
        return StreamHandshakeRefusedError(f"the websocket URL cannot be used: {exc}")
    return None


class _AsyncioSocket:
    __slots__ = ("_ws",)

    def __init__(self, ws: Any) -> None:
        self._ws = ws

    async def send(self, frame: bytes) -> None:
        await self._ws.send(frame, text=True)

    async def recv(self) -> bytes:
        data: bytes = await self._ws.recv(decode=False)
        return data

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
        "max_queue": 64,
        "additional_headers": headers or None,
        "proxy": None,
    }
    if current_backend() == "trio":
        from websockets.trio.client import connect as trio_connect

        async with trio_connect(url, **kwargs) as trio_ws:
            yield _TrioSocket(trio_ws)
        return
    from websockets.asyncio.client import connect as asyncio_connect

    ws = await asyncio_connect(url, **kwargs)
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
