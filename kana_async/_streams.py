"""StreamManager: every subscription of a client multiplexed over ONE websocket per URL.

Frame path (the reader task, per message; nothing here awaits, nothing is formatted or logged):

1. read the topic from the frame's leading ``{"message": "<topic>"`` bytes
   (:func:`~kana_async._codec.peek_message`); only a frame that does not start that way is decoded
   to find its ``message`` (which also classifies malformed JSON and wrong shapes);
2. find the wire subscription (topic, key). The key is read from the rows (``market_id`` /
   ``address``) only when this connection has subscribed the topic with more than one key; with a
   single key every frame of the topic is that key's (that answer is cached per topic until the
   subscriptions change);
3. wrap the frame in one lazy :class:`~kana_async._fanout.Batch` and push it to each subscriber.
   The batch is decoded by the first subscriber that reads it, once, in one pass over the frame's
   bytes, whatever the number of subscribers; frames that nobody reads (dropped snapshots,
   unsubscribed keys) are never decoded, and a bad frame that nobody reads is never counted.

Identical subscriptions (same topic and key) share one wire subscription. The protocol has no
unsubscribe: when the last subscriber of a key leaves, its frames are ignored and it is not
replayed on the next connection. When the last subscription of all leaves, the connection is
closed after ``StreamOptions.idle_linger`` seconds (unless a subscription arrives first); the next
subscription opens a new one (a fresh connection, not a reconnect: nobody was subscribed).
Re-subscribing a key the current connection already subscribed does not send a second subscribe
frame (the server would otherwise deliver duplicates).

Frames that cannot be used are skipped, counted in :meth:`StreamManager.statistics` under a kind,
and logged once per kind (at WARNING; later ones at DEBUG):

* ``malformed_json``: not JSON; ``unexpected_shape``: not ``{"message": str, "data": ...}``, rows
  of the wrong shape, or values that cannot be used (a ``NaN`` price); ``unknown_topic``: a
  ``message`` that is no known topic;
* ``server_error``: an ``{"message": "error"}`` frame (the server refused a subscription); logged
  at WARNING every time, since it answers something this client sent;
* ``unroutable``: a keyed topic carried by several keys on this connection sent a frame whose rows
  carry no key (e.g. ``"data": []``). It cannot be attributed, so it is dropped. (With a single
  key subscribed such a frame is delivered: an empty order book is then a valid snapshot.)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kana_async._codec import DecodeError, decode_error_kind, field_decoder, peek_message
from kana_async._exceptions import ClientStateError, SubscriptionClosedError
from kana_async._fanout import Batch, OverflowPolicy, Subscription
from kana_async._topics import TOPICS, RoutingKey, Topic, topic_for_message
from kana_async._ws import ConnectionState, StreamOptions, WSConnection
from kana_async.models.stream_events import Reconnected

__all__ = ["StreamManager", "StreamStatistics"]

logger = logging.getLogger("kana_async")


#: The slow path: the ``message`` of a frame that does not start with it.
_message_of = field_decoder("message", str)

KeySource = RoutingKey | Callable[[], Awaitable[RoutingKey]]


@dataclass(frozen=True, slots=True)
class StreamStatistics:
    """Counters of a :class:`StreamManager`.

    Attributes:
        state: the connection state.
        frames: messages received (all connections).
        delivered_frames: frames handed to at least one subscriber.
        ignored: frames of topics/keys nobody listens to any more.
        bad_frames: skipped frames by kind (see module docs).
        connects: successful connections; ``reconnects`` = those after the first.
        reconnects: re-established connections.
        failed_attempts: connection attempts that failed.
        wire_subscriptions: distinct (topic, key) subscriptions active.
        subscribers: active subscriptions (iterators).
        last_error: why the last connection ended or the last attempt failed.
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


class _Wire:
    """One (topic, key) subscription on the wire and its subscribers."""

    __slots__ = ("decode", "frame", "keep_latest", "key", "last", "subscribers", "topic")

    def __init__(self, manager: StreamManager, topic: Topic, key: RoutingKey) -> None:
        self.topic = topic
        self.key = key
        self.frame = topic.subscribe_frame(key)
        self.subscribers: list[Subscription[Any]] = []
        self.keep_latest = topic.policy is OverflowPolicy.KEEP_LATEST
        self.last: Batch[Any] | None = None  # latest frame of a keep-latest topic, for late joiners
        decode = manager._decode

        def decode_frame(frame: bytes) -> Sequence[Any] | None:
            return decode(topic, frame, key, frame)

        self.decode: Callable[[bytes], Sequence[Any] | None] = decode_frame


class _Counters:
    """Counters of the connections an idle close retired (added to the current one's)."""

    __slots__ = ("connects", "failed_attempts", "frames", "last_error", "reconnects")

    def __init__(self) -> None:
        self.frames = 0
        self.connects = 0
        self.reconnects = 0
        self.failed_attempts = 0
        self.last_error = ""


class StreamManager:
    """One websocket to ``url`` carrying every subscription; reconnects until closed.

    ``kana.streams`` owns one per client. It also works standalone (no client needed):
    ``mgr = StreamManager(url)``, ``mgr.subscribe("orderbook", 14)`` returns a
    :class:`~kana_async.Subscription`; ``await mgr.aclose()`` ends all of them. The connection
    opens with the first started subscription.

    Args:
        url: the websocket URL, e.g. ``wss://perpetuals-indexer-ws-develop.kanalabs.io/ws/``.
        options: connection tuning (:class:`~kana_async.StreamOptions`); ``None`` for the
            defaults.

    Attributes:
        url: as above.
        options: the options in use.
    """

    def __init__(self, url: str, *, options: StreamOptions | None = None) -> None:
        self.url = url
        self.options = options or StreamOptions()
        self._wires: dict[tuple[str, RoutingKey], _Wire] = {}
        self._routes: dict[str, dict[RoutingKey, _Wire]] = {}
        # keys subscribed on the current connection (server keeps sending them until it ends)
        self._sent: dict[str, set[RoutingKey]] = {}
        # message name -> its wire, for topics whose frames need no key lookup (see _route)
        self._fast: dict[str, _Wire] = {}
        self._conn: WSConnection | None = None
        self._closed = False
        # idle close: the pending timer, the close in progress, counters of closed connections
        self._idle_timer: asyncio.TimerHandle | None = None
        self._idle_close: asyncio.Task[None] | None = None
        self._retired = _Counters()
        self._delivered = 0
        self._ignored = 0
        self._bad: dict[str, int] = {}

    # -- public ------------------------------------------------------------------------------

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
            ValueError: ``topic`` is not a known topic, or ``buffer_size`` is negative.
            InvalidArgumentError: the key does not suit the topic (e.g. a key for
                ``live_funding_rate``, a negative market id).
            ArgumentTypeError: a market topic's key is not an ``int`` or a string of digits.
            InvalidAddressError: an account topic's key is not an address.
        """
        if self._closed:
            raise ClientStateError("the stream manager is closed")
        spec = TOPICS.get(topic)
        if spec is None:
            raise ValueError(f"unknown topic {topic!r}; known: {', '.join(sorted(TOPICS))}")
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
        """The connection state (``IDLE`` before the first subscription)."""
        if self._conn is None:
            return ConnectionState.CLOSED if self._closed else ConnectionState.IDLE
        return self._conn.state

    async def wait_for_state(self, *states: ConnectionState) -> ConnectionState:
        """Wait until the connection is in one of ``states``.

        Without a connection (none started yet, or closed for being idle) it returns at once if
        the current state (``IDLE`` / ``CLOSED``) is wanted.

        Args:
            *states: the :class:`~kana_async.ConnectionState` values to wait for.

        Returns:
            The state reached.

        Raises:
            ClientStateError: there is no connection and its state is not wanted: nothing
                would ever change it.
        """
        if self._conn is None:
            if self.state in states:
                return self.state
            raise ClientStateError("no subscription has started the connection yet")
        return await self._conn.wait_for_state(*states)

    def statistics(self) -> StreamStatistics:
        """Counters over every connection this manager opened. Never raises.

        Returns:
            A :class:`~kana_async.StreamStatistics`: frames received and delivered, skipped
            bad frames by kind, connects and reconnects, active subscriptions.
        """
        conn = self._conn
        old = self._retired
        return StreamStatistics(
            state=self.state,
            frames=old.frames + (conn.frames if conn else 0),
            delivered_frames=self._delivered,
            ignored=self._ignored,
            bad_frames=dict(self._bad),
            connects=old.connects + (conn.connects if conn else 0),
            reconnects=old.reconnects + (conn.reconnects if conn else 0),
            failed_attempts=old.failed_attempts + (conn.failed_attempts if conn else 0),
            wire_subscriptions=len(self._wires),
            subscribers=sum(len(w.subscribers) for w in self._wires.values()),
            last_error=conn.last_error if conn else old.last_error,
        )

    def reconnect(self, reason: str = "reconnect requested") -> None:
        """Drop the current connection now; it is re-established and resubscribed. Never raises.

        Event-topic subscribers then receive a :class:`~kana_async.Reconnected` notice. Without
        a connection it does nothing.

        Args:
            reason: why, for logs and :attr:`StreamStatistics.last_error`.
        """
        if self._conn is not None:
            self._conn.abort(reason)

    async def aclose(self) -> None:
        """Close the connection and end every subscription; idempotent. Never raises.

        Each open subscription's iterator raises :class:`~kana_async.SubscriptionClosedError`
        once it has drained what was buffered.
        """
        if self._closed:
            return
        self._closed = True
        self._cancel_idle_timer()
        conn, self._conn = self._conn, None
        error = SubscriptionClosedError("the stream was closed (its client closed)")
        for wire in list(self._wires.values()):
            for sub in wire.subscribers:
                sub._close(error)
        self._wires.clear()
        self._routes.clear()
        self._fast = {}
        if conn is not None:
            await conn.aclose()
        if self._idle_close is not None:
            await self._idle_close

    # -- subscriptions -----------------------------------------------------------------------

    async def _attach(self, sub: Subscription[Any], topic: Topic) -> None:
        self._cancel_idle_timer()
        if self._idle_close is not None:  # an idle connection is closing: let it finish first
            await asyncio.shield(self._idle_close)
        if self._closed:
            raise SubscriptionClosedError("the stream was closed (its client closed)")
        key = sub.key
        wire = self._wires.get((topic.name, key))
        if wire is None:
            wire = _Wire(self, topic, key)
            self._wires[(topic.name, key)] = wire
            self._routes.setdefault(topic.name, {})[key] = wire
            self._fast = {}
        elif wire.last is not None:
            sub._push(wire.last)
        wire.subscribers.append(sub)
        conn = self._connection()
        sent = self._sent.setdefault(topic.name, set())
        if conn.state is ConnectionState.CONNECTED and key not in sent:
            sent.add(key)
            self._fast = {}
            await conn.send(wire.frame)

    def _detach(self, sub: Subscription[Any]) -> None:
        wire = self._wires.get((sub.topic, sub.key))
        if wire is None or sub not in wire.subscribers:
            return
        wire.subscribers.remove(sub)
        if not wire.subscribers:
            self._fast = {}
            del self._wires[(sub.topic, sub.key)]
            routes = self._routes.get(sub.topic)
            if routes is not None:
                routes.pop(sub.key, None)
                if not routes:
                    del self._routes[sub.topic]
            if not self._wires:
                self._schedule_idle_close()

    # -- idle connection ---------------------------------------------------------------------

    def _schedule_idle_close(self) -> None:
        linger = self.options.idle_linger
        if linger is None or self._conn is None or self._closed or self._idle_timer is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # left outside the event loop: keep the connection
            return
        self._idle_timer = loop.call_later(linger, self._close_if_idle)

    def _cancel_idle_timer(self) -> None:
        timer, self._idle_timer = self._idle_timer, None
        if timer is not None:
            timer.cancel()

    def _close_if_idle(self) -> None:
        self._idle_timer = None
        conn = self._conn
        if self._wires or conn is None or self._closed:
            return
        logger.debug("websocket %s: no subscription left; closing the connection", self.url)
        self._conn = None
        self._sent = {}
        self._fast = {}
        self._idle_close = asyncio.get_running_loop().create_task(
            self._retire(conn), name=f"kana-ws-idle-close {self.url}"
        )

    async def _retire(self, conn: WSConnection) -> None:
        try:
            await conn.aclose()
        finally:
            old = self._retired
            old.frames += conn.frames
            old.connects += conn.connects
            old.reconnects += conn.reconnects
            old.failed_attempts += conn.failed_attempts
            old.last_error = conn.last_error or "closed: no subscription left"
            self._idle_close = None

    def _connection(self) -> WSConnection:
        conn = self._conn
        if conn is None:
            conn = self._conn = WSConnection(
                self.url,
                self.options,
                on_frame=self._on_frame,
                subscribe_frames=self._subscribe_frames,
                on_connected=self._on_connected,
                expect_traffic=self._expect_traffic,
            )
        conn.start()
        return conn

    # -- connection callbacks ----------------------------------------------------------------

    def _subscribe_frames(self) -> Sequence[bytes]:
        self._sent = {}
        self._fast = {}
        frames = []
        for wire in self._wires.values():
            self._sent.setdefault(wire.topic.name, set()).add(wire.key)
            frames.append(wire.frame)
        return frames

    def _on_connected(self, reconnects: int, downtime: float, reason: str) -> None:
        if not reconnects:
            return
        notice = Reconnected(reconnects=reconnects, downtime=downtime, reason=reason)
        for wire in self._wires.values():
            wire.last = None
            for sub in wire.subscribers:
                sub._count_reconnect()
                if wire.topic.events:
                    sub._notify(notice)

    def _expect_traffic(self) -> bool:
        return any(w.topic.expect_traffic for w in self._wires.values())

    def _on_frame(self, data: bytes) -> None:
        name = peek_message(data)
        wire = self._fast.get(name) if name is not None else None
        if wire is None:
            if name is None:
                try:
                    name = _message_of(data)
                except DecodeError as exc:
                    self._bad_frame(decode_error_kind(exc), exc, data)
                    return
            wire = self._route(name, data)
            if wire is None:
                return
        batch: Batch[Any] = Batch(data, wire.decode)
        if wire.keep_latest:
            wire.last = batch
        self._delivered += 1
        for sub in wire.subscribers:
            sub._push(batch)

    def _route(self, name: str, data: bytes) -> _Wire | None:
        """The wire a frame of topic ``name`` belongs to; ``None`` if none (counted)."""
        routes = self._routes.get(name)
        if routes is None:
            topic = topic_for_message(name)
            if topic is None:
                if name == "error":
                    self._server_error(data)
                else:
                    self._bad_frame("unknown_topic", None, data)
                return None
            routes = self._routes.get(topic.name)
            if routes is None:
                self._ignored += 1
                return None
        wire = next(iter(routes.values()))
        topic = wire.topic
        sent = self._sent.get(topic.name, ())
        if len(sent) <= 1:
            # at most one key on this connection: every frame of the topic is that key's
            found = routes.get(next(iter(sent), wire.key))
            if found is None:
                self._ignored += 1
            else:
                self._fast[name] = found
            return found
        try:
            key = topic.frame_route_key(data)
        except DecodeError as exc:
            self._bad_frame(decode_error_kind(exc), exc, data)
            return None
        if key is None:
            self._bad_frame("unroutable", None, data)
            return None
        found = routes.get(key)
        if found is None:
            self._ignored += 1
        return found

    def _decode(
        self, topic: Topic, raw: bytes, key: RoutingKey, data: bytes
    ) -> Sequence[Any] | None:
        """Decode one whole frame ``raw`` for ``key``; ``None`` (counted, logged) if unusable."""
        try:
            return topic.decode_frame(raw, key)
        except DecodeError as exc:
            self._bad_frame(decode_error_kind(exc), exc, data)
        except ArithmeticError as exc:  # e.g. a "NaN" price: the book cannot be ordered
            self._bad_frame("unexpected_shape", exc, data)
        return None

    def _server_error(self, data: bytes) -> None:
        """``{"message": "error", "data": [...]}``: the server refused something we sent."""
        self._bad["server_error"] = self._bad.get("server_error", 0) + 1
        logger.warning("websocket %s: the server reported an error: %r", self.url, data[:500])

    def _bad_frame(self, kind: str, exc: Exception | None, data: bytes) -> None:
        count = self._bad.get(kind, 0) + 1
        self._bad[kind] = count
        if count == 1:
            logger.warning(
                "websocket %s: skipped a frame (%s%s): %r; further %s frames are logged at DEBUG",
                self.url,
                kind,
                f": {exc}" if exc else "",
                data[:200],
                kind,
            )
        elif logger.isEnabledFor(logging.DEBUG):
            logger.debug("websocket %s: skipped a frame (%s): %r", self.url, kind, data[:200])
