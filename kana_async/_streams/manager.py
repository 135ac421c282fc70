"""StreamManager: every subscription of a client multiplexed over ONE websocket per URL.

Identical subscriptions (same topic and key) share one wire subscription. The protocol has no
unsubscribe: when the last subscriber of a key leaves, its frames are ignored and it is not
replayed on the next connection. When the last subscription of all leaves, the connection is
paused after ``StreamOptions.idle_linger`` seconds (unless a subscription arrives first): its
socket closes, the connection object and its counters stay, and the next subscription connects
again (a fresh connection, not a reconnect: nobody was subscribed). Re-subscribing a key the
current connection already subscribed does not send a second subscribe frame.

Background work (the connection loop with its keepalive and watchdog, the idle timer) runs in
one anyio task group: one handed in with :meth:`StreamManager.start` (e.g. the client's), or
else the manager's own, hosted in a detached task started on first use. :meth:`aclose` cancels
it. A background task that crashes is logged at ERROR and ends every subscription with
:class:`~kana_async.StreamTaskError`; a refusal of the handshake that retrying will not change
ends them with :class:`~kana_async.StreamHandshakeRefusedError`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio
from anyio.abc import TaskGroup

from kana_async._backend import spawn_host
from kana_async._exceptions import (
    ArgumentTypeError,
    ClientStateError,
    InvalidArgumentError,
    StreamError,
    StreamHandshakeRefusedError,
    StreamTaskError,
    SubscriptionClosedError,
)
from kana_async._streams.connection import WSConnection
from kana_async._streams.options import ConnectionState, StreamOptions
from kana_async._streams.routing import Router
from kana_async._streams.subscription import OverflowPolicy, Subscription
from kana_async._streams.topics import TOPICS, RoutingKey, Topic
from kana_async.models.stream_events import Reconnected

__all__ = ["KeySource", "StreamManager", "StreamStatistics"]

logger = logging.getLogger("kana_async")

#: The largest ``buffer_size`` a subscription may ask for (frames).
_MAX_BUFFER = 1_000_000

#: A routing key, or an async function that returns one when the subscription starts.
KeySource = RoutingKey | Callable[[], Awaitable[RoutingKey]]


@dataclass(frozen=True, slots=True)
class StreamStatistics:
    """Counters of a :class:`StreamManager`, over every connection it opened.

    Attributes:
        state: the connection state.
        frames: messages received.
        delivered_frames: frames handed to at least one subscriber.
        ignored: frames of topics/keys nobody listens to any more.
        bad_frames: skipped frames by kind (``malformed_json``, ``unexpected_shape``,
            ``too_deep``, ``bad_number``, ``unknown_topic``, ``server_error``, ``unroutable``,
            ``too_large``: above ``StreamOptions.max_size``, which also ends the connection).
        connects: successful connections.
        reconnects: connections that replaced a lost one.
        failed_attempts: connection attempts that failed.
        wire_subscriptions: distinct (topic, key) subscriptions active.
        subscribers: active subscriptions (iterators).
        last_error: why the last connection ended or the last attempt failed.
        duplicates: rows not delivered because they had been delivered already (replays after
            a resubscribe).
        tasks: background tasks alive now (0 once closed).
    """

    state: ConnectionState
    frames: int
    delivered_frames: int
    ignored: int
    bad_frames: dict[str, int]
    connects: int
    reconnects: int
    failed_attempts: int
    wire_subscriptions: int
    subscribers: int
    last_error: str
    duplicates: int = 0
    tasks: int = 0


class StreamManager:
    """One websocket to ``url`` carrying every subscription; reconnects until closed.

    ``kana.streams`` owns one per client. It also works standalone (no client needed):
    ``mgr = StreamManager(url)``, ``mgr.subscribe("orderbook", 14)`` returns a
    :class:`~kana_async.Subscription`; ``await mgr.aclose()`` ends all of them. The connection
    opens with the first started subscription. It runs on asyncio and on trio.

    Args:
        url: the websocket URL, e.g. ``wss://perpetuals-indexer-ws-develop.kanalabs.io/ws/``.
        options: connection tuning (:class:`~kana_async.StreamOptions`); ``None`` for the
            defaults.
        headers: extra HTTP headers of the websocket handshake (e.g. ``{"x-api-key": ...}``).
        task_group: an anyio task group to run the background tasks in (e.g. the client's);
            ``None`` for the manager's own. The same as calling :meth:`start` with it.

    Attributes:
        url: as above.
        options: the options in use.
    """

    def __init__(
        self,
        url: str,
        *,
        options: StreamOptions | None = None,
        headers: dict[str, str] | None = None,
        task_group: TaskGroup | None = None,
    ) -> None:
        self.url = url
        self.options = options or StreamOptions()
        self._router = Router(url)
        self._conn = WSConnection(
            url,
            self.options,
            on_frame=self._router.on_frame,
            subscribe_frames=self._router.subscribe_frames,
            on_connected=self._on_connected,
            on_fatal=self._on_fatal,
            expect_traffic=self._expect_traffic,
            headers=headers,
        )
        self._outer: TaskGroup | None = task_group
        self._group: TaskGroup | None = None  # the running inner group
        self._host_ready: anyio.Event | None = None
        self._host_done: anyio.Event | None = None
        self._conn_running = False
        self._tasks = 0
        self._linger: anyio.CancelScope | None = None
        self._closed = False
        self._duplicates = 0

    # -- public ------------------------------------------------------------------------------

    def start(self, task_group: TaskGroup | None = None) -> None:
        """Run the background tasks in ``task_group`` from now on (no I/O, nothing started yet).

        Call it before the first subscription starts; the tasks are started on first use and
        cancelled by :meth:`aclose`, which must run before ``task_group`` exits.

        Args:
            task_group: an anyio task group; ``None`` keeps the manager's own.

        Raises:
            ClientStateError: the manager is closed, or its tasks already run elsewhere.
        """
        if self._closed:
            raise ClientStateError("the stream manager is closed")
        if self._host_ready is not None:
            raise ClientStateError("the stream manager's tasks are already running")
        self._outer = task_group

    def subscribe(
        self,
        topic: str,
        key: KeySource = None,
        *,
        policy: OverflowPolicy | None = None,
        buffer_size: int | None = None,
    ) -> Subscription[Any]:
        """A new, not yet started subscription to ``topic`` for ``key``; no I/O.

        It is registered on the wire by ``async with`` or its first ``__anext__``.

        Args:
            topic: the wire name: ``orderbook``, ``recent_trades``, ``best_price`` (keyed by
                market id); ``live_funding_rate`` (no key); ``positions``, ``trade_history``,
                ``open_orders``, ``order_history``, ``deposit_withdraw_history``,
                ``live_order_history``, ``live_trade_history`` (keyed by profile address).
            key: a market id, a profile address, ``None`` for unkeyed topics, or an async
                callable returning one (resolved when the subscription starts).
            policy: what a full buffer does; ``None`` for the topic's default.
            buffer_size: the most frames buffered for the reader; ``None`` (or 0) for the
                topic's default.

        Returns:
            The :class:`~kana_async.Subscription`, yielding the topic's rows (one
            :class:`~kana_async.OrderBook` per frame for ``orderbook``).

        Raises:
            ClientStateError: the manager is closed.
            InvalidArgumentError: (a ``ValueError``) ``topic`` is not a known topic,
                ``buffer_size`` is negative or above a million, or the key does not suit the
                topic (e.g. a key for ``live_funding_rate``, a negative market id).
            ArgumentTypeError: (a ``TypeError``) a market topic's key is not an ``int`` or a
                string of digits, ``buffer_size`` is not an ``int``, or ``policy`` is not an
                :class:`~kana_async.OverflowPolicy`.
            InvalidAddressError: an account topic's key is not an address.
        """
        if self._closed:
            raise ClientStateError("the stream manager is closed")
        spec = TOPICS.get(topic) if isinstance(topic, str) else None
        if spec is None:
            raise InvalidArgumentError(
                f"unknown topic {topic!r}; known: {', '.join(sorted(TOPICS))}"
            )
        if policy is not None and not isinstance(policy, OverflowPolicy):
            raise ArgumentTypeError(f"policy must be an OverflowPolicy, got {policy!r}")
        if buffer_size is not None and (
            isinstance(buffer_size, bool) or not isinstance(buffer_size, int)
        ):
            raise ArgumentTypeError(f"buffer_size must be an int or None, got {buffer_size!r}")
        if buffer_size is not None and not 0 <= buffer_size <= _MAX_BUFFER:
            raise InvalidArgumentError(
                f"buffer_size must be between 0 (the topic's default) and {_MAX_BUFFER}, "
                f"got {buffer_size}"
            )
        if not callable(key):
            key = spec.normalize_key(key)
        source = key

        async def start(sub: Subscription[Any]) -> None:
            resolved = await source() if callable(source) else source
            sub.key = spec.normalize_key(resolved)
            await self._attach(sub, spec)

        return Subscription(
            spec.name,
            None if callable(key) else key,
            policy=policy or spec.policy,
            buffer_size=buffer_size or spec.buffer_size,
            start=start,
            stop=self._detach,
        )

    @property
    def state(self) -> ConnectionState:
        """The connection state (``IDLE`` before the first subscription and while paused)."""
        if self._closed:
            return ConnectionState.CLOSED
        return self._conn.state

    async def wait_for_state(self, *states: ConnectionState) -> ConnectionState:
        """Wait until the connection is in one of ``states``.

        Args:
            *states: the :class:`~kana_async.ConnectionState` values to wait for.

        Returns:
            The state reached (at once if it is one of ``states`` already).

        Raises:
            ClientStateError: the connection is idle or closed, which ``states`` does not
                include: with no subscription started nothing would ever change that.
        """
        state = self.state
        if state in states:
            return state
        if state is ConnectionState.CLOSED or (
            state is ConnectionState.IDLE and not self._router.wires
        ):
            raise ClientStateError("no subscription has started the connection yet")
        return await self._conn.wait_for_state(*states)

    def statistics(self) -> StreamStatistics:
        """Counters over every connection this manager opened. Never raises.

        Returns:
            A :class:`~kana_async.StreamStatistics`: frames received and delivered, skipped
            bad frames by kind, repeats filtered, connects and reconnects, active subscriptions
            and background tasks.
        """
        conn = self._conn
        router = self._router
        return StreamStatistics(
            state=self.state,
            frames=conn.frames,
            delivered_frames=router.delivered,
            ignored=router.ignored,
            bad_frames=_with_oversized(router.bad, conn.oversized),
            connects=conn.connects,
            reconnects=conn.reconnects,
            failed_attempts=conn.failed_attempts,
            wire_subscriptions=len(router.wires),
            subscribers=sum(len(w.subscribers) for w in router.wires.values()),
            last_error=conn.last_error,
            duplicates=self._duplicates + router.duplicates(),
            tasks=self._tasks,
        )

    def reconnect(self, reason: str = "reconnect requested") -> None:
        """Drop the current connection now; it is re-established and resubscribed. Never raises.

        Event-topic subscribers then receive a :class:`~kana_async.Reconnected` notice. Without
        a connection it does nothing.

        Args:
            reason: why, for logs and :attr:`StreamStatistics.last_error`.
        """
        self._conn.abort(reason)

    async def aclose(self) -> None:
        """Close the connection, stop the background tasks, end every subscription.

        Idempotent. Each open subscription's iterator raises
        :class:`~kana_async.SubscriptionClosedError` once it has drained what was buffered.
        Waits at most ``close_timeout`` seconds for the closing handshake. Never raises.
        """
        if self._closed:
            return
        self._closed = True
        self._close_all(SubscriptionClosedError("the stream was closed (its client closed)"))
        with anyio.CancelScope(shield=True):
            await self._conn.aclose()
            group = self._group
            if group is not None:
                group.cancel_scope.cancel()
            if self._host_done is not None:
                with anyio.move_on_after(self.options.close_timeout + 1):
                    await self._host_done.wait()

    # -- background tasks --------------------------------------------------------------------

    async def _ensure_host(self) -> None:
        """Start the task group host if it is not running; wait until it runs."""
        ready = self._host_ready
        if ready is None:
            ready = self._host_ready = anyio.Event()
            self._host_done = anyio.Event()
            try:
                if self._outer is not None:
                    self._outer.start_soon(self._host, name=f"kana-ws-host {self.url}")
                else:
                    spawn_host(self._host, name=f"kana-ws-host {self.url}")
            except RuntimeError as exc:  # the task group is over, or no supported loop runs
                self._host_ready = self._host_done = None
                raise StreamTaskError(f"cannot start the stream's background tasks: {exc}") from exc
        await ready.wait()

    async def _host(self) -> None:
        """Hold the manager's task group open until :meth:`aclose` cancels it."""
        assert self._host_ready is not None and self._host_done is not None
        self._tasks += 1
        try:
            async with anyio.create_task_group() as group:
                self._group = group
                self._host_ready.set()
                if self._closed:
                    group.cancel_scope.cancel()
                await anyio.sleep_forever()
        except Exception as exc:
            self._crashed("the stream's task group", exc)
        finally:
            self._group = None
            self._tasks -= 1
            self._host_ready.set()
            self._host_done.set()

    def _spawn(self, fn: Callable[[], Awaitable[None]], name: str) -> None:
        group = self._group
        if group is None:
            raise StreamTaskError("the stream's background tasks are not running")

        async def guarded() -> None:
            self._tasks += 1
            try:
                await fn()
            except Exception as exc:
                self._crashed(name, exc)
            finally:
                self._tasks -= 1

        group.start_soon(guarded, name=f"kana-ws {name} {self.url}")

    def _crashed(self, what: str, exc: BaseException) -> None:
        logger.error("websocket %s: %s crashed", self.url, what, exc_info=exc)
        error = StreamTaskError(f"{what} of the websocket stream crashed: {exc!r}")
        error.__cause__ = exc
        self._close_all(error)

    async def _run_connection(self) -> None:
        try:
            await self._conn.run()
        finally:
            self._conn_running = False

    # -- subscriptions -----------------------------------------------------------------------

    async def _attach(self, sub: Subscription[Any], topic: Topic) -> None:
        if self._closed:
            raise SubscriptionClosedError("the stream was closed (its client closed)")
        await self._ensure_host()
        if self._closed or self._group is None:
            raise SubscriptionClosedError("the stream was closed (its client closed)")
        self._cancel_linger()
        router = self._router
        wire, created = router.wire(topic, sub.key)
        wire.add(sub)
        if not created and wire.last is not None:
            sub._push(wire.last)
        if not self._conn_running:
            self._conn_running = True
            self._spawn(self._run_connection, "reader")
        self._conn.resume()
        if self._conn.state is ConnectionState.CONNECTED and router.mark_sent(wire):
            sent = False
            try:
                sent = await self._conn.send(wire.frame)
            finally:
                if not sent:  # not connected after all, or cancelled: the next connect sends it
                    router.unmark_sent(wire)

    def _detach(self, sub: Subscription[Any]) -> None:
        router = self._router
        wire = router.wires.get((sub.topic, sub.key))
        if wire is None or sub not in wire.subscribers:
            return
        wire.subscribers.remove(sub)
        if not wire.subscribers:
            if wire.seen is not None:
                self._duplicates += wire.seen.duplicates
            router.remove(wire)
            if not router.wires:
                self._schedule_linger()

    def _close_all(self, error: StreamError) -> None:
        router = self._router
        for wire in list(router.wires.values()):
            for sub in list(wire.subscribers):
                sub._close(error)
            if wire.seen is not None:
                self._duplicates += wire.seen.duplicates
            router.remove(wire)

    # -- idle connection ---------------------------------------------------------------------

    def _schedule_linger(self) -> None:
        linger = self.options.idle_linger
        if linger is None or self._closed or self._group is None or self._linger is not None:
            return
        scope = self._linger = anyio.CancelScope()

        async def pause_when_idle() -> None:
            with scope:
                await anyio.sleep(linger)
                if not self._router.wires and not self._closed:
                    logger.debug("websocket %s: no subscription left; pausing", self.url)
                    await self._conn.pause()
            if self._linger is scope:
                self._linger = None

        self._spawn(pause_when_idle, "idle-timer")

    def _cancel_linger(self) -> None:
        scope, self._linger = self._linger, None
        if scope is not None:
            scope.cancel()

    # -- connection callbacks ----------------------------------------------------------------

    def _on_connected(self, reconnects: int, downtime: float, reason: str) -> None:
        if not reconnects:
            return
        notice = Reconnected(reconnects=reconnects, downtime=downtime, reason=reason)
        for wire in self._router.wires.values():
            wire.last = None
            for sub in wire.subscribers:
                sub._count_reconnect()
                if wire.topic.events:
                    sub._notify(notice)

    def _on_fatal(self, error: StreamHandshakeRefusedError) -> None:
        self._close_all(error)

    def _expect_traffic(self) -> bool:
        return any(w.topic.expect_traffic for w in self._router.wires.values())


def _with_oversized(bad: dict[str, int], oversized: int) -> dict[str, int]:
    counts = dict(bad)
    if oversized:
        counts["too_large"] = oversized
    return counts
