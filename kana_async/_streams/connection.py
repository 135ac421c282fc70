"""One self-healing websocket connection (the socket library is behind its boundary module).

Everything above this module sees :class:`WSConnection` only. It reaches ``websockets`` through
:mod:`kana_async._streams.websocket` (asyncio or trio client), or, with
``StreamOptions(transport="aiohttp")``, aiohttp through
:mod:`kana_async._streams.aiohttp_websocket` (asyncio); :func:`socket_library` picks one, and
the library is imported on first connect.

:meth:`WSConnection.run` is one long-lived task (in the stream manager's task group) that
connects, (re)subscribes, reads frames and hands each one's raw bytes to a callback, and
reconnects until the connection is closed:

* **Backoff**: after a failed attempt or a lost connection it waits
  ``min(backoff_max, backoff_initial * backoff_factor**(n-1))``, reduced by up to ``jitter``
  (a fraction) at random, where ``n`` counts failures since the last frame was received.
* **Fatal refusals**: a handshake answered with a status that retrying will not change (400,
  401, 403, 404 and the other 4xx but 408, 425 and 429) or a malformed URL ends the loop with a
  :class:`~kana_async.StreamHandshakeRefusedError` handed to the owner.
* **Resubscribe**: on every (re)connect it asks its owner for the subscribe frames to send, and
  tells the owner once they are sent, before reading the first frame.
* **Keepalive**: a ping every ``ping_interval`` seconds; no pong within ``ping_timeout``
  drops the connection (then reconnect). This catches a stalled peer whose TCP is still open.
* **Staleness watchdog**: while the owner says traffic is expected (``expect_traffic``), a
  connection that delivers no frame for ``stale_timeout`` seconds is dropped and replaced.
* **Pause**: :meth:`WSConnection.pause` closes the socket and parks the loop in ``IDLE``
  (counters kept); :meth:`WSConnection.resume` connects again. The first connection after a
  resume is a fresh one, not a reconnect.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, NamedTuple

import anyio

from kana_async._exceptions import StreamHandshakeRefusedError
from kana_async._streams import websocket
from kana_async._streams.options import ConnectionState, StreamOptions
from kana_async._streams.websocket import MESSAGE_TOO_BIG, describe

if TYPE_CHECKING:
    from kana_async._streams.websocket import _Socket as Socket

__all__ = ["SocketLibrary", "WSConnection", "socket_library"]

logger = logging.getLogger("kana_async")


class SocketLibrary(NamedTuple):
    """What the connection loop uses of a websocket library's boundary module."""

    open_socket: Callable[[str, StreamOptions, dict[str, str]], AbstractAsyncContextManager[Any]]
    is_fatal: Callable[[BaseException], StreamHandshakeRefusedError | None]
    is_expected: Callable[[BaseException], bool]
    is_closed: Callable[[BaseException], bool]
    close_code: Callable[[BaseException], int | None]


def socket_library(options: StreamOptions) -> SocketLibrary:
    """The boundary module of the websocket library ``options.transport`` names. Never raises.

    Args:
        options: the stream options (``transport``: ``"websockets"`` or ``"aiohttp"``).

    Returns:
        Its connect function and error classifiers (the library itself loads on first connect).
    """
    if options.transport == "aiohttp":
        from kana_async._streams import aiohttp_websocket as aio

        return SocketLibrary(
            aio.open_socket, aio.is_fatal, aio.is_expected, aio.is_closed, aio.close_code
        )
    ws = websocket
    return SocketLibrary(ws.open_socket, ws.is_fatal, ws.is_expected, ws.is_closed, ws.close_code)


class WSConnection:
    """One websocket URL, connected and re-connected by :meth:`run`.

    Args:
        url: the websocket URL.
        options: tuning (:class:`~kana_async.StreamOptions`).
        on_frame: called with each received message's raw bytes, synchronously, as the socket
            parses it: on asyncio inside the event loop's protocol callback, outside any task. It
            must not block nor call into the async library (no ``anyio.current_time()``; setting
            an ``anyio.Event`` is fine).
        subscribe_frames: called on every (re)connect; returns the frames to send first.
        on_connected: called after those frames were sent, with ``(reconnects, downtime,
            reason)``; ``reconnects`` is 0 for a fresh connection (the first, or the first after
            a resume).
        on_fatal: called with the error when the server refuses the connection for good; the
            loop then parks in ``IDLE`` until :meth:`resume`.
        expect_traffic: called by the watchdog: whether silence now means a dead connection.
        headers: extra HTTP headers of the handshake (e.g. an API key).

    Attributes:
        url: as above.
        options: as above.
        connects: successful connections so far.
        reconnects: connections that replaced a lost one.
        failed_attempts: connection attempts that failed.
        oversized: messages refused for being larger than ``max_size`` (each one ends its
            connection, as the protocol requires; the loop reconnects), or skipped for arriving
            in more fragments than the socket accepts.
        last_error: why the last connection ended or the last attempt failed.
    """

    def __init__(
        self,
        url: str,
        options: StreamOptions,
        *,
        on_frame: Callable[[bytes], None],
        subscribe_frames: Callable[[], Sequence[bytes]],
        on_connected: Callable[[int, float, str], None],
        on_fatal: Callable[[StreamHandshakeRefusedError], None] = lambda exc: None,
        expect_traffic: Callable[[], bool] = lambda: False,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.url = url
        self.options = options
        self._on_frame = on_frame
        self._subscribe_frames = subscribe_frames
        self._on_connected = on_connected
        self._on_fatal = on_fatal
        self._expect_traffic = expect_traffic
        self._headers = dict(headers or {})
        self._lib = socket_library(options)
        self._state = ConnectionState.IDLE
        self._state_changed = anyio.Event()
        self._wanted = False
        self._resumed = anyio.Event()
        self._sock: Socket | None = None
        self._scope: anyio.CancelScope | None = None
        self._loop_scope: anyio.CancelScope | None = None
        self._drop_reason: str | None = None
        self._closing = False
        self._reading: Socket | None = None  # the socket _read hands frames from
        self._frames_read = 0  # frames of the sockets read before it
        self.connects = 0
        self.reconnects = 0
        self.failed_attempts = 0
        self.oversized = 0
        self.last_error = ""

    @property
    def frames(self) -> int:
        """Frames received over every connection so far (counted by the socket's sink)."""
        sock = self._reading
        return self._frames_read + (sock.frames if sock is not None else 0)

    # -- control -----------------------------------------------------------------------------

    @property
    def state(self) -> ConnectionState:
        """The current :class:`~kana_async.ConnectionState`."""
        return self._state

    @property
    def closing(self) -> bool:
        """True once :meth:`aclose` was called."""
        return self._closing

    def resume(self) -> None:
        """Ask the loop to connect (again, after a pause or a fatal refusal). Never raises."""
        if not self._wanted and not self._closing:
            self._wanted = True
            self._resumed.set()

    async def pause(self, reason: str = "paused: no subscription left") -> None:
        """Close the socket politely and park the loop in ``IDLE``; counters are kept.

        Waits at most ``close_timeout`` seconds for the closing handshake. Never raises.

        Args:
            reason: recorded as :attr:`last_error`.
        """
        self._wanted = False
        await self._close_socket(reason)

    async def aclose(self) -> None:
        """Close the socket politely and stop for good; idempotent. Never raises.

        The task running :meth:`run` returns soon after (its owner cancels it if it does not).
        """
        self._closing = True
        self._wanted = False
        self._resumed.set()
        await self._close_socket("closed")
        self._set_state(ConnectionState.CLOSED)

    async def _close_socket(self, reason: str) -> None:
        sock = self._sock
        if sock is None:
            if self._loop_scope is not None:  # connecting or in backoff: stop that
                self._loop_scope.cancel()
            return
        self._drop_reason = reason
        with anyio.move_on_after(self.options.close_timeout) as scope:
            try:
                await sock.close()
            except Exception:  # already broken: drop it below
                scope.cancel()
        if scope.cancelled_caught:
            self.abort(reason)

    async def wait_for_state(self, *states: ConnectionState) -> ConnectionState:
        """Wait until the state is one of ``states``. Never raises (it may wait forever).

        Args:
            *states: the states to wait for.

        Returns:
            The state reached.
        """
        while self._state not in states:
            await self._state_changed.wait()
        return self._state

    async def send(self, frame: bytes) -> bool:
        """Send ``frame`` now if connected. Never raises.

        Args:
            frame: a JSON text frame.

        Returns:
            ``True`` if it was sent; ``False`` if not connected (the owner's subscribe frames are
            sent on the next connect anyway).
        """
        sock = self._sock
        if sock is None or self._state is not ConnectionState.CONNECTED:
            return False
        try:
            await sock.send(frame)
        except Exception:  # closed underneath us: the reader reconnects
            return False
        return True

    def abort(self, reason: str = "aborted") -> None:
        """Drop the current connection at once; the loop reconnects. Never raises.

        Args:
            reason: recorded as :attr:`last_error`.
        """
        if self._sock is None:
            return
        self._drop_reason = reason
        self._sock.abort()
        if self._scope is not None:
            self._scope.cancel()

    def _stopping(self) -> bool:
        """Whether the loop should stop connecting (paused, refused or closed)."""
        return not self._wanted or self._closing

    def _set_state(self, state: ConnectionState) -> None:
        if state is not self._state:
            self._state = state
            event, self._state_changed = self._state_changed, anyio.Event()
            event.set()
            logger.debug("websocket %s: %s", self.url, state.value)

    # -- the loop ----------------------------------------------------------------------------

    async def run(self) -> None:
        """Connect, read and reconnect until :meth:`aclose`; parks while paused.

        Meant to run as one task of a task group; crashes of frame handling are logged and
        the frame skipped, so only a bug in this loop itself can end it with an error.

        Raises:
            Exception: only a bug in the loop itself (network failures are retried).
        """
        while not self._closing:
            if not self._wanted:
                self._set_state(ConnectionState.IDLE)
                self._resumed = anyio.Event()
                if not self._wanted:
                    await self._resumed.wait()
                continue
            with anyio.CancelScope() as self._loop_scope:
                await self._connect_loop()
            self._loop_scope = None
        self._set_state(ConnectionState.CLOSED)

    async def _connect_loop(self) -> None:
        """Connect and reconnect while wanted; returns when paused, closed or refused."""
        opts = self.options
        lib = self._lib
        failures = 0
        lost_at: float | None = None
        fresh = True
        while self._wanted and not self._closing:
            start_frames = self.frames
            delay = 0.0
            with anyio.CancelScope() as scope:
                self._scope = scope
                self._set_state(ConnectionState.CONNECTING)
                try:
                    async with lib.open_socket(self.url, opts, self._headers) as sock:
                        await self._serve(sock, lost_at, fresh)
                except Exception as exc:  # refused, DNS, TLS, timeout, handshake, bad URI...
                    if self._sock is not None:  # failed while serving, not connecting: a bug
                        raise
                    fatal = lib.is_fatal(exc)
                    if fatal is None and not lib.is_expected(exc):
                        logger.error(
                            "websocket %s: unexpected connect error", self.url, exc_info=exc
                        )
                    self.failed_attempts += 1
                    self.last_error = describe(exc)
                    if fatal is not None:
                        logger.error("websocket %s: %s", self.url, fatal)
                        self.last_error = str(fatal)
                        self._wanted = False
                        self._on_fatal(fatal)
                        return
                    failures += 1
                    if lost_at is None:
                        lost_at = anyio.current_time()
                    delay = opts.backoff(failures)
                    logger.info(
                        "websocket %s: connect failed (%s); retrying in %.2fs",
                        self.url,
                        self.last_error,
                        delay,
                    )
                    self._set_state(ConnectionState.BACKOFF)
                    await anyio.sleep(delay)
                    continue
                finally:
                    self._scope = None
                    if self._drop_reason is not None:
                        self.last_error = self._drop_reason
                    self._sock = None
                    self._drop_reason = None
                if self._stopping():
                    return
                fresh = False
                lost_at = anyio.current_time()
                failures = 0 if self.frames > start_frames else failures + 1
                delay = opts.backoff(failures) if failures else 0.0
                logger.warning(
                    "websocket %s lost (%s); reconnecting in %.2fs",
                    self.url,
                    self.last_error,
                    delay,
                )
                self._set_state(ConnectionState.BACKOFF)
                if delay:
                    self._scope = scope
                    try:
                        await anyio.sleep(delay)
                    finally:
                        self._scope = None
            if scope.cancelled_caught and not self._stopping():
                # aborted while serving (watchdog, keepalive, reconnect()): reconnect
                fresh = False
                lost_at = anyio.current_time()
                failures = 0 if self.frames > start_frames else failures + 1
                self._set_state(ConnectionState.BACKOFF)
                if failures:
                    await anyio.sleep(opts.backoff(failures))

    async def _serve(self, sock: Socket, lost_at: float | None, fresh: bool) -> None:
        """Subscribe and read until the connection ends."""
        self._sock = sock
        self._set_state(ConnectionState.CONNECTED)
        try:
            for frame in self._subscribe_frames():
                await sock.send(frame)
            self.connects += 1
            if not fresh:
                self.reconnects += 1
            downtime = anyio.current_time() - lost_at if lost_at is not None and not fresh else 0.0
            self._on_connected(0 if fresh else self.reconnects, downtime, self.last_error)
            async with anyio.create_task_group() as tg:
                if self.options.ping_interval is not None:
                    tg.start_soon(self._keepalive, sock, name=f"kana-ws-keepalive {self.url}")
                if self.options.stale_timeout is not None:
                    tg.start_soon(self._watchdog, name=f"kana-ws-watchdog {self.url}")
                try:
                    await self._read(sock)
                except Exception as exc:
                    if not self._lib.is_closed(exc):
                        raise
                    if self._lib.close_code(exc) == MESSAGE_TOO_BIG:
                        self.oversized += 1
                    self.last_error = self._drop_reason or describe(exc)
                finally:
                    tg.cancel_scope.cancel()
        except Exception as exc:
            if not self._lib.is_closed(exc):
                raise
            self.last_error = self._drop_reason or describe(exc)

    async def _read(self, sock: Socket) -> None:
        """Hand every message to ``on_frame`` as the socket parses it, until it ends (raises).

        The socket counts the frames and logs what ``on_frame`` raises (a bug downstream must
        not end the stream), so ``on_frame`` is its callback as it is: no wrapper per frame.
        """
        self._reading = sock
        try:
            await sock.serve(self._on_frame, self.url)
        finally:
            self._frames_read += sock.frames  # in the same step as the next line: counted once
            self._reading = None
            self.oversized += sock.skipped

    async def _keepalive(self, sock: Socket) -> None:
        interval = self.options.ping_interval
        timeout = self.options.ping_timeout
        assert interval is not None
        while True:
            await anyio.sleep(interval)
            try:
                pong = await sock.ping()
            except Exception:  # the connection is going away; the reader sees it
                return
            if timeout is None:
                continue
            with anyio.move_on_after(timeout) as scope:
                await pong()
            if scope.cancelled_caught:
                reason = f"no pong within {timeout:g}s (keepalive)"
                logger.warning("websocket %s: %s; reconnecting", self.url, reason)
                self.abort(reason)
                return

    async def _watchdog(self) -> None:
        timeout = self.options.stale_timeout
        assert timeout is not None
        tick = timeout / 8  # silence is noticed within timeout + tick
        seen = self.frames
        active = anyio.current_time()
        while True:
            await anyio.sleep(tick)
            now = anyio.current_time()
            if self.frames != seen or not self._expect_traffic():
                seen = self.frames
                active = now
                continue
            if now - active >= timeout:
                reason = f"no frame for {now - active:.1f}s (stale)"
                logger.warning("websocket %s: %s; reconnecting", self.url, reason)
                self.abort(reason)
                return
