"""StreamManager: every subscription of a client multiplexed over ONE websocket per URL.

Frame path (the reader task, per message; nothing here awaits):

1. decode the thin envelope ``{"message", "data"}`` with ``data`` kept raw;
2. find the topic; find the wire subscription (topic, key). The key is read from the rows
   (``market_id`` / ``address``) only when this connection has subscribed the topic with more
   than one key; with a single key every frame of the topic is that key's;
3. wrap ``data`` in one lazy :class:`~kana_async._fanout.Batch` and push it to each subscriber.
   The batch is decoded by the first subscriber that reads it, once, whatever the number of
   subscribers; frames that nobody reads (dropped snapshots, unsubscribed keys) are never decoded.

Identical subscriptions (same topic and key) share one wire subscription. The protocol has no
unsubscribe: when the last subscriber leaves, its frames are ignored and it is not replayed on the
next connection. Re-subscribing a key the current connection already subscribed does not send a
second subscribe frame (the server would otherwise deliver duplicates).

Frames that cannot be used are skipped, counted in :meth:`StreamManager.statistics` under a kind,
and logged once per kind (at WARNING; later ones at DEBUG):

* ``malformed_json``: not JSON; ``unexpected_shape``: not ``{"message": str, "data": ...}`` or rows
  of the wrong shape; ``unknown_topic``: a ``message`` that is no known topic;
* ``server_error``: an ``{"message": "error"}`` frame (the server refused a subscription); logged
  at WARNING every time, since it answers something this client sent;
* ``unroutable``: a keyed topic carried by several keys on this connection sent a frame whose rows
  carry no key (e.g. ``"data": []``). It cannot be attributed, so it is dropped. (With a single
  key subscribed such a frame is delivered: an empty order book is then a valid snapshot.)
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from kana_async._codec import decoder_for
from kana_async._exceptions import ClientStateError, SubscriptionClosedError
from kana_async._fanout import Batch, OverflowPolicy, Subscription
from kana_async._topics import TOPICS, RoutingKey, Topic, topic_for_message
from kana_async._ws import ConnectionState, StreamOptions, WSConnection
from kana_async.models.stream_events import Reconnected

__all__ = ["StreamManager", "StreamStatistics"]

logger = logging.getLogger("kana_async")


class _Envelope(msgspec.Struct, gc=False):
    message: str
    data: msgspec.Raw


_envelope_decoder = decoder_for(_Envelope)

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


@dataclass(eq=False)
class _Wire:
    """One (topic, key) subscription on the wire and its subscribers."""

    topic: Topic
    key: RoutingKey
    frame: bytes
    subscribers: list[Subscription[Any]] = field(default_factory=list)
    last: Batch[Any] | None = None  # latest frame of a keep-latest topic, for late joiners


class StreamManager:
    """One websocket to ``url`` carrying every subscription; reconnects until closed.

    Standalone (no client needed): ``mgr = StreamManager(url)``, ``mgr.subscribe("orderbook", 14)``
    returns a :class:`Subscription`; ``await mgr.aclose()`` ends all of them. The connection opens
    with the first started subscription.
    """

    def __init__(self, url: str, *, options: StreamOptions | None = None) -> None:
        self.url = url
        self.options = options or StreamOptions()
        self._wires: dict[tuple[str, RoutingKey], _Wire] = {}
        self._routes: dict[str, dict[RoutingKey, _Wire]] = {}
        # keys subscribed on the current connection (server keeps sending them until it ends)
        self._sent: dict[str, set[RoutingKey]] = {}
        self._conn: WSConnection | None = None
        self._closed = False
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
        """A new, not yet started subscription to ``topic`` for ``key``.

        ``key`` is a market id, a profile address, ``None`` (unkeyed topics), or an async callable
        returning one (resolved when the subscription starts). It is registered on the wire by
        ``async with`` / the first ``__anext__``.
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
        """Wait until the connection is in one of ``states`` (it must have been started)."""
        if self._conn is None:
            raise ClientStateError("no subscription has started the connection yet")
        return await self._conn.wait_for_state(*states)

    def statistics(self) -> StreamStatistics:
        """Counters: frames, bad frames by kind, reconnects, subscriptions."""
        conn = self._conn
        return StreamStatistics(
            state=self.state,
            frames=conn.frames if conn else 0,
            delivered_frames=self._delivered,
            ignored=self._ignored,
            bad_frames=dict(self._bad),
            connects=conn.connects if conn else 0,
            reconnects=conn.reconnects if conn else 0,
            failed_attempts=conn.failed_attempts if conn else 0,
            wire_subscriptions=len(self._wires),
            subscribers=sum(len(w.subscribers) for w in self._wires.values()),
            last_error=conn.last_error if conn else "",
        )

    def reconnect(self, reason: str = "reconnect requested") -> None:
        """Drop the current connection now; it is re-established and resubscribed."""
        if self._conn is not None:
            self._conn.abort(reason)

    async def aclose(self) -> None:
        """Close the connection and end every subscription; idempotent."""
        if self._closed:
            return
        self._closed = True
        conn, self._conn = self._conn, None
        error = SubscriptionClosedError("the stream was closed (its client closed)")
        for wire in list(self._wires.values()):
            for sub in wire.subscribers:
                sub._close(error)
        self._wires.clear()
        self._routes.clear()
        if conn is not None:
            await conn.aclose()

    # -- subscriptions -----------------------------------------------------------------------

    async def _attach(self, sub: Subscription[Any], topic: Topic) -> None:
        if self._closed:
            raise SubscriptionClosedError("the stream was closed (its client closed)")
        key = sub.key
        wire = self._wires.get((topic.name, key))
        if wire is None:
            wire = _Wire(topic, key, topic.subscribe_frame(key))
            self._wires[(topic.name, key)] = wire
            self._routes.setdefault(topic.name, {})[key] = wire
        elif wire.last is not None:
            sub._push(wire.last)
        wire.subscribers.append(sub)
        conn = self._connection()
        sent = self._sent.setdefault(topic.name, set())
        if conn.state is ConnectionState.CONNECTED and key not in sent:
            sent.add(key)
            await conn.send(wire.frame)

    def _detach(self, sub: Subscription[Any]) -> None:
        wire = self._wires.get((sub.topic, sub.key))
        if wire is None or sub not in wire.subscribers:
            return
        wire.subscribers.remove(sub)
        if not wire.subscribers:
            del self._wires[(sub.topic, sub.key)]
            routes = self._routes.get(sub.topic)
            if routes is not None:
                routes.pop(sub.key, None)
                if not routes:
                    del self._routes[sub.topic]

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
        try:
            envelope = _envelope_decoder.decode(data)
        except msgspec.ValidationError as exc:
            self._bad_frame("unexpected_shape", exc, data)
            return
        except msgspec.DecodeError as exc:
            self._bad_frame("malformed_json", exc, data)
            return
        routes = self._routes.get(envelope.message)
        if routes is None:
            topic = topic_for_message(envelope.message)
            if topic is None:
                if envelope.message == "error":
                    self._server_error(data)
                else:
                    self._bad_frame("unknown_topic", None, data)
                return
            routes = self._routes.get(topic.name)
            if routes is None:
                self._ignored += 1
                return
        found = routes.get(None) if len(routes) == 1 else None
        if found is None:
            found = self._route(routes, envelope, data)
            if found is None:
                return
        wire = found
        raw = envelope.data
        topic, key = wire.topic, wire.key
        batch: Batch[Any] = Batch(raw, lambda raw: self._decode(topic, raw, key, data))
        if topic.policy is OverflowPolicy.KEEP_LATEST:
            wire.last = batch
        self._delivered += 1
        for sub in wire.subscribers:
            sub._push(batch)

    def _route(
        self, routes: dict[RoutingKey, _Wire], envelope: _Envelope, data: bytes
    ) -> _Wire | None:
        wire = next(iter(routes.values()))
        sent = self._sent.get(wire.topic.name, ())
        if len(sent) <= 1:
            # only one key on this connection: every frame of the topic is that key's
            only = next(iter(sent), wire.key)
            found = routes.get(only)
            if found is None:
                self._ignored += 1
            return found
        try:
            key = wire.topic.route_key(envelope.data)
        except msgspec.DecodeError as exc:
            self._bad_frame("unexpected_shape", exc, data)
            return None
        if key is None:
            self._bad_frame("unroutable", None, data)
            return None
        found = routes.get(key)
        if found is None:
            self._ignored += 1
        return found

    def _decode(
        self, topic: Topic, raw: msgspec.Raw, key: RoutingKey, data: bytes
    ) -> Sequence[Any] | None:
        try:
            return topic.decode(raw, key)
        except msgspec.DecodeError as exc:
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
