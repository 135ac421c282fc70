"""One self-healing websocket connection: the only module that imports ``websockets``.

:class:`WSConnection` runs a single background task that connects, (re)subscribes, reads frames
and hands each one's raw bytes to a callback, and reconnects for as long as it is open:

* **Backoff**: after a failed attempt or a lost connection it waits
  ``min(backoff_max, backoff_initial * backoff_factor**(n-1))``, reduced by up to ``jitter``
  (a fraction) at random, where ``n`` counts failures since the last frame was received.
* **Resubscribe**: on every (re)connect it asks its owner for the subscribe frames to send, and
  tells the owner once they are sent, before reading the first frame.
* **Keepalive**: protocol pings every ``ping_interval`` seconds; no pong within ``ping_timeout``
  closes the connection (then reconnect). This catches a stalled peer whose TCP is still open.
* **Staleness watchdog**: while the owner says traffic is expected (``expect_traffic``), a
  connection that delivers no frame for ``stale_timeout`` seconds is aborted and replaced.
* **State**: :attr:`WSConnection.state` is a :class:`ConnectionState`; observers may await
  :meth:`WSConnection.wait_for_state`.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

__all__ = ["ConnectionState", "StreamOptions", "WSConnection"]

logger = logging.getLogger("kana_async")


class ConnectionState(enum.Enum):
    """Where the websocket connection is in its life.

    Attributes:
        IDLE: not started yet (no subscription so far, or closed for being idle).
        CONNECTING: opening the TCP connection and the websocket handshake.
        CONNECTED: connected; subscriptions are (re)sent and frames are read.
        BACKOFF: lost or failed; waiting before the next attempt.
        CLOSED: closed for good (the client closed).
    """

    IDLE = "idle"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    BACKOFF = "backoff"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class StreamOptions:
    """Tuning of the websocket connection (``KanaClient(stream_options=...)``).

    Every duration is in seconds. The defaults suit Kana.

    Attributes:
        ping_interval: seconds between protocol pings (``None``: no pings).
        ping_timeout: seconds to wait for a pong before declaring the connection dead.
        stale_timeout: seconds of silence after which a connection that carries a
            steady-traffic topic (order book, best price) is replaced (``None``: no watchdog).
        open_timeout: seconds allowed for TCP connect + websocket handshake.
        close_timeout: seconds allowed for the closing handshake before the TCP is dropped.
        backoff_initial: first reconnect delay in seconds.
        backoff_max: longest reconnect delay in seconds.
        backoff_factor: growth of the delay per consecutive failure.
        jitter: fraction (0..1) by which each delay is randomly shortened.
        max_size: largest accepted message in bytes.
        compression: ``"deflate"`` to offer permessage-deflate, ``None`` to decline it.
        idle_linger: seconds the connection stays open after its last subscription left; then
            it is closed and the next subscription opens a new one (``None``: never close it).

    Raises:
        ValueError: ``backoff_initial`` is negative or above ``backoff_max``,
            ``backoff_factor`` is below 1, ``jitter`` is outside 0..1, ``stale_timeout`` is
            not positive, or ``idle_linger`` is negative.
    """

    ping_interval: float | None = 20.0
    ping_timeout: float | None = 20.0
    stale_timeout: float | None = 60.0
    open_timeout: float = 10.0
    close_timeout: float = 2.0
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    backoff_factor: float = 2.0
    jitter: float = 0.5
    max_size: int | None = 16 * 1024 * 1024
    compression: str | None = "deflate"
    idle_linger: float | None = 5.0

    def __post_init__(self) -> None:
        if self.backoff_initial < 0 or self.backoff_max < self.backoff_initial:
            raise ValueError("need 0 <= backoff_initial <= backoff_max")
        if self.backoff_factor < 1:
            raise ValueError("backoff_factor must be >= 1")
        if not 0 <= self.jitter <= 1:
            raise ValueError("jitter must be between 0 and 1")
        if self.stale_timeout is not None and self.stale_timeout <= 0:
            raise ValueError("stale_timeout must be positive or None")
        if self.idle_linger is not None and self.idle_linger < 0:
            raise ValueError("idle_linger must be >= 0 or None")

    def backoff(self, failures: int) -> float:
        """The jittered wait before the next connection attempt. Never raises.

        ``min(backoff_max, backoff_initial * backoff_factor ** (failures - 1))``, shortened
        at random by up to ``jitter`` of itself.

        Args:
            failures: consecutive failures so far (1 for the first).

        Returns:
            The wait in seconds.
        """
        base = min(self.backoff_max, self.backoff_initial * self.backoff_factor ** (failures - 1))
        return base * (1.0 - self.jitter * random.random())


class WSConnection:
    """One websocket URL, connected and re-connected in a background task.

    Args:
        url: the websocket URL.
        options: tuning (:class:`StreamOptions`).
        on_frame: called with each received message's raw bytes, synchronously, in the reader
            task; it must not block.
        subscribe_frames: called on every (re)connect; returns the frames to send first.
        on_connected: called after those frames were sent, with ``(reconnects, downtime,
            reason)``; ``reconnects`` is 0 for the first connection.
        expect_traffic: called by the watchdog: whether silence now means a dead connection.

    Attributes:
        frames: messages received so far.
        connects: successful connections so far.
        reconnects: connections after the first.
        failed_attempts: connection attempts that failed.
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
        expect_traffic: Callable[[], bool] = lambda: False,
    ) -> None:
        self.url = url
        self.options = options
        self._on_frame = on_frame
        self._subscribe_frames = subscribe_frames
        self._on_connected = on_connected
        self._expect_traffic = expect_traffic
        self._state = ConnectionState.IDLE
        self._state_changed = asyncio.Event()
        self._ws: ClientConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._stale_reason: str | None = None
        self.frames = 0
        self.connects = 0
        self.reconnects = 0
        self.failed_attempts = 0
        self.last_error = ""

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def state(self) -> ConnectionState:
        """The current :class:`ConnectionState`."""
        return self._state

    @property
    def closing(self) -> bool:
        """True once :meth:`aclose` was called."""
        return self._closing

    def start(self) -> None:
        """Start the background task (idempotent); does nothing once closing.

        Raises:
            RuntimeError: no event loop is running.
        """
        if self._task is None and not self._closing:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name=f"kana-ws {self.url}"
            )

    async def aclose(self) -> None:
        """Close the connection and stop reconnecting; idempotent. Never raises."""
        self._closing = True
        task, self._task = self._task, None
        ws = self._ws
        if ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), self.options.close_timeout + 1)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._set_state(ConnectionState.CLOSED)

    async def wait_for_state(self, *states: ConnectionState) -> ConnectionState:
        """Wait until the state is one of ``states``. Never raises (it may wait forever).

        Args:
            *states: the states to wait for.

        Returns:
            The state reached.
        """
        while self._state not in states:
            self._state_changed.clear()
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
        ws = self._ws
        if ws is None or self._state is not ConnectionState.CONNECTED:
            return False
        try:
            await ws.send(frame, text=True)
        except ConnectionClosed:
            return False
        return True

    def abort(self, reason: str = "aborted") -> None:
        """Drop the current connection at once; the loop reconnects. Never raises.

        Args:
            reason: recorded as :attr:`last_error`.
        """
        ws = self._ws
        if ws is not None:
            self.last_error = reason
            ws.transport.abort()

    # -- the loop ----------------------------------------------------------------------------

    def _set_state(self, state: ConnectionState) -> None:
        if state is not self._state:
            self._state = state
            self._state_changed.set()
            logger.debug("websocket %s: %s", self.url, state.value)

    async def _run(self) -> None:
        opts = self.options
        failures = 0
        lost_at: float | None = None
        loop = asyncio.get_running_loop()
        while not self._closing:
            self._set_state(ConnectionState.CONNECTING)
            try:
                ws = await connect(
                    self.url,
                    open_timeout=opts.open_timeout,
                    close_timeout=opts.close_timeout,
                    ping_interval=opts.ping_interval,
                    ping_timeout=opts.ping_timeout,
                    max_size=opts.max_size,
                    compression=opts.compression,
                    max_queue=64,
                )
            except Exception as exc:  # refused, DNS, TLS, timeout, handshake, bad URI...
                if not isinstance(exc, OSError | TimeoutError | InvalidHandshake | InvalidURI):
                    logger.error("websocket %s: unexpected connect error", self.url, exc_info=exc)
                failures += 1
                self.failed_attempts += 1
                self.last_error = _describe(exc)
                if lost_at is None:
                    lost_at = loop.time()
                delay = opts.backoff(failures)
                logger.info(
                    "websocket %s: connect failed (%s); retrying in %.2fs",
                    self.url,
                    self.last_error,
                    delay,
                )
                self._set_state(ConnectionState.BACKOFF)
                await asyncio.sleep(delay)
                continue
            got_frames = await self._serve(ws, lost_at)
            if self.closing:
                break
            lost_at = loop.time()
            failures = 0 if got_frames else failures + 1
            delay = opts.backoff(failures) if failures else 0.0
            logger.warning(
                "websocket %s lost (%s); reconnecting in %.2fs", self.url, self.last_error, delay
            )
            self._set_state(ConnectionState.BACKOFF)
            if delay:
                await asyncio.sleep(delay)
        self._set_state(ConnectionState.CLOSED)

    async def _serve(self, ws: ClientConnection, lost_at: float | None) -> bool:
        """Subscribe, read until the connection ends; True if any frame arrived."""
        loop = asyncio.get_running_loop()
        start_frames = self.frames
        watchdog: asyncio.Task[None] | None = None
        self._ws = ws
        try:
            self._set_state(ConnectionState.CONNECTED)
            for frame in self._subscribe_frames():
                await ws.send(frame, text=True)
            reconnect = self.connects > 0
            self.connects += 1
            if reconnect:
                self.reconnects += 1
            downtime = loop.time() - lost_at if lost_at is not None else 0.0
            self._on_connected(self.reconnects if reconnect else 0, downtime, self.last_error)
            if self.options.stale_timeout is not None:
                watchdog = loop.create_task(self._watchdog(ws), name=f"kana-ws-watchdog {self.url}")
            on_frame = self._on_frame
            recv = ws.recv
            while True:
                data = await recv(decode=False)
                self.frames += 1
                try:
                    on_frame(data)
                except Exception:  # a bug downstream must not kill the stream
                    logger.exception("websocket %s: error while handling a frame", self.url)
        except ConnectionClosed as exc:
            self.last_error = self._stale_reason or _describe(exc)
        finally:
            self._ws = None
            self._stale_reason = None
            if watchdog is not None:
                watchdog.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watchdog
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), self.options.close_timeout + 1)
        return self.frames > start_frames

    async def _watchdog(self, ws: ClientConnection) -> None:
        timeout = self.options.stale_timeout
        assert timeout is not None
        tick = timeout / 4
        seen = self.frames
        silent = 0.0
        while True:
            await asyncio.sleep(tick)
            if self.frames != seen or not self._expect_traffic():
                seen = self.frames
                silent = 0.0
                continue
            silent += tick
            if silent >= timeout:
                logger.warning("websocket %s: no frame for %.1fs; reconnecting", self.url, silent)
                self._stale_reason = f"no frame for {silent:.1f}s (stale)"
                ws.transport.abort()
                return


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
