"""Routing: each received frame to the wire subscription (topic, key) it belongs to.

Frame path (per message, in the step that parsed it off the socket; nothing here awaits):

1. read the topic from the frame's leading ``{"message": "<topic>"`` bytes
   (:func:`~kana_async._codec.peek_message`) or, in the documented layout where ``data`` comes
   first, from its trailing ``"message": "<topic>"}`` bytes (:func:`peek_trailing_message`);
   either way the frame is decoded later in one pass over its bytes. A frame laid out otherwise
   (``message`` in the middle) is decoded once into a
   :class:`~kana_async._streams.frames.FrameEnvelope` whose ``data`` stays undecoded bytes;
2. find the wire subscription (topic, key). The key is read from the rows (``market_id`` /
   ``address``) only when this connection has subscribed the topic with more than one key; with a
   single key every frame of the topic is that key's (that answer is cached per topic until the
   subscriptions change);
3. push the undecoded rows to each subscriber: a wire's only subscriber buffers the frame's
   bytes as they are and decodes them with the wire's decoder when it reads them; several
   subscribers (or the envelope's ``data``) share one lazy
   :class:`~kana_async._streams.subscription.Batch`, decoded by the first subscriber that reads
   it, once, whatever the number of subscribers. Frames that nobody reads are never decoded,
   and a bad frame that nobody reads is never counted. Decoding drops rows the wire
   subscription already delivered (:class:`~kana_async._streams.dedup.SeenRows`).

Frames that cannot be used are skipped, counted in :attr:`Router.bad` under a kind, and logged
once per kind (at WARNING; later ones at DEBUG):

* ``malformed_json``: not JSON; ``unexpected_shape``: not ``{"message": str, "data": ...}`` or
  rows of the wrong shape; ``too_deep``: nested deeper than the decoder allows; ``bad_number``:
  an infinite, NaN, over-long or out-of-range number, or an id that is no integer;
  ``unknown_topic``: a ``message`` that is no known topic;
* ``server_error``: an ``{"message": "error"}`` frame (the server refused a subscription); logged
  at WARNING every time, since it answers something this client sent;
* ``unroutable``: a keyed topic carried by several keys on this connection sent a frame whose rows
  carry no key (e.g. ``"data": []``). It cannot be attributed, so it is dropped. (With a single
  key subscribed such a frame is delivered: an empty order book is then a valid snapshot.)
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from typing import Any

from kana_async._codec import decoder_for, leading_message, peek_message
from kana_async._streams.dedup import SeenRows
from kana_async._streams.frames import BadFrame, FrameEnvelope, guarded
from kana_async._streams.subscription import Batch, OverflowPolicy, Subscription
from kana_async._streams.topics import RoutingKey, Topic, topic_for_message

__all__ = ["Router", "Wire", "peek_trailing_message"]

logger = logging.getLogger("kana_async")

_envelope = decoder_for(FrameEnvelope).decode

# `"message": "<topic>"}` closing a frame, from the last `"message"` on.
_TRAILING_MESSAGE = re.compile(rb'"message"\s*:\s*"([A-Za-z0-9_.\-]{1,64})"\s*\}\s*')
_BLANKS = b" \t\r\n"
_MEMBER_START = b",{"


_MAX_FAST = 64  # routes cached in Router._fast (leading prefixes and tails included)
_MAX_LEAD_SIZES = 4  # lengths of cached leading prefixes tried on every frame


def _tail_of(data: bytes) -> bytes | None:
    """A frame's routing tail: its bytes from two before its last ``"message"``. Never raises.

    Returns:
        ``None`` for a frame that does not end as the documented ``..., "message": "<topic>"}``
        layout does (with ``"}``); else the tail, or ``b""`` when no ``"message"`` starts two
        bytes or more into the frame.
    """
    if not data.endswith(b'"}'):
        return None
    at = data.rfind(b'"message"')
    return data[at - 2 :] if at >= 2 else b""


def _member_starts_in(tail: bytes) -> bool:
    """Whether the member ``"message"`` at ``tail[2:]`` starts within ``tail[:2]``."""
    return tail[1] in _MEMBER_START or (tail[1] in _BLANKS and tail[0] in _MEMBER_START)


def peek_trailing_message(frame: bytes) -> str | None:
    """The ``message`` of a frame that *ends* with ``"message": "<name>"}``. Never raises.

    A cheap look at the last bytes only: the last ``"message"`` must be the key of the frame's
    last member (preceded by ``,`` or ``{``, so it is not inside a string or a longer key) and
    its value a plain name, followed by the closing brace of the frame. In valid JSON that
    member belongs to the outermost object; whether the rest is valid is the decoders' check.

    Args:
        frame: a websocket frame's raw bytes.

    Returns:
        The topic name, or ``None``, meaning "decode the frame to find out".
    """
    at = frame.rfind(b'"message"')
    if at <= 0:
        return None
    match = _TRAILING_MESSAGE.fullmatch(frame, at)
    if match is None:
        return None
    before = at - 1
    while before > 0 and frame[before] in _BLANKS:
        before -= 1
    if frame[before] not in _MEMBER_START:
        return None
    return match[1].decode("ascii")


class Wire:
    """One (topic, key) subscription on the wire and its subscribers.

    Args:
        router: the router that counts this wire's bad frames.
        topic: the topic.
        key: the canonical routing key.

    Attributes:
        topic: as above.
        key: as above.
        frame: the subscribe frame sent for it.
        subscribers: the subscriptions reading it.
        keep_latest: whether late joiners get the latest frame (snapshot topics).
        last: the latest frame of a keep-latest topic, for late joiners (a batch, or the
            frame's bytes when it had one subscriber).
        seen: the filter of rows already delivered (``None`` for snapshot topics).
        decode_frame: decodes a whole frame into items (``None`` if unusable; counted).
        decode_data: decodes a frame's undecoded ``data`` into items (``None`` if unusable).
    """

    __slots__ = (
        "decode_data",
        "decode_frame",
        "frame",
        "keep_latest",
        "key",
        "last",
        "seen",
        "subscribers",
        "topic",
    )

    def __init__(self, router: Router, topic: Topic, key: RoutingKey) -> None:
        self.topic = topic
        self.key = key
        self.frame = topic.subscribe_frame(key)
        self.subscribers: list[Subscription[Any]] = []
        self.keep_latest = topic.policy is OverflowPolicy.KEEP_LATEST
        self.last: Batch[Any] | bytes | None = None
        identity = topic.identity()
        self.seen = SeenRows(identity) if identity is not None else None
        seen = self.seen
        bad = router.bad_frame

        rows_of_frame = topic.frame_decoder(key)
        rows_of_data = topic.decode

        def decode_frame(frame: bytes) -> Sequence[Any] | None:
            try:
                items = rows_of_frame(frame)
            except BadFrame as exc:
                bad(exc.kind, exc, frame)
                return None
            return seen.fresh(items) if seen is not None else items

        def decode_data(data: Any) -> Sequence[Any] | None:
            try:
                items = rows_of_data(data, key)
            except BadFrame as exc:
                bad(exc.kind, exc, bytes(data))
                return None
            return seen.fresh(items) if seen is not None else items

        self.decode_frame: Callable[[bytes], Sequence[Any] | None] = decode_frame
        self.decode_data: Callable[[Any], Sequence[Any] | None] = decode_data

    def add(self, sub: Subscription[Any]) -> None:
        """Add a subscriber; the frames it alone gets it decodes with :attr:`decode_frame`.

        Never raises.

        Args:
            sub: the subscription (of this wire's topic and key).
        """
        sub._decode = self.decode_frame
        self.subscribers.append(sub)


class Router:
    """Routes frames to wires and counts what it could not route.

    Args:
        url: the websocket URL, for log lines.

    Attributes:
        wires: every wire subscription by (topic, key).
        routes: wires by topic name, then key.
        sent: keys subscribed on the current connection, by topic name.
        delivered: frames handed to at least one subscriber.
        ignored: frames of topics or keys nobody listens to any more.
        bad: skipped frames by kind.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.wires: dict[tuple[str, RoutingKey], Wire] = {}
        self.routes: dict[str, dict[RoutingKey, Wire]] = {}
        self.sent: dict[str, set[RoutingKey]] = {}
        # message name -> its wire, for topics whose frames need no key lookup (see _route);
        # also a frame's trailing bytes (from two before its last `"message"`) -> that wire,
        # for tails peek_trailing_message read as a fast topic's
        self._fast: dict[str | bytes, Wire] = {}
        # the lengths of the leading prefixes cached in _fast (a frame's first bytes are looked
        # up at each; a length whose prefixes were dropped only costs a missed lookup)
        self._lead_sizes: tuple[int, ...] = ()
        # the _fast entry that routed the latest frame: (its leading prefix or its tail, whether
        # a tail, the wire). A stream's next frame is most often laid out alike, and a
        # startswith / endswith of the same bytes is the lookup's verdict, cheaper
        self._last: tuple[bytes, bool, Wire] | None = None
        self.delivered = 0
        self.ignored = 0
        self.bad: dict[str, int] = {}

    # -- the wire table ----------------------------------------------------------------------

    def _forget_routes(self) -> None:
        """Drop every cached route (the wires or what this connection subscribed changed)."""
        self._fast = {}
        self._last = None

    def wire(self, topic: Topic, key: RoutingKey) -> tuple[Wire, bool]:
        """The wire for (topic, key), created if needed. Never raises.

        Args:
            topic: the topic.
            key: the canonical routing key.

        Returns:
            ``(wire, created)``.
        """
        wire = self.wires.get((topic.name, key))
        if wire is not None:
            return wire, False
        wire = Wire(self, topic, key)
        self.wires[(topic.name, key)] = wire
        self.routes.setdefault(topic.name, {})[key] = wire
        self._forget_routes()
        return wire, True

    def mark_sent(self, wire: Wire) -> bool:
        """Record that ``wire``'s subscribe frame goes out on this connection. Never raises.

        Args:
            wire: the wire.

        Returns:
            ``False`` if it was already sent on this connection (do not send it twice).
        """
        sent = self.sent.setdefault(wire.topic.name, set())
        if wire.key in sent:
            return False
        sent.add(wire.key)
        self._forget_routes()
        return True

    def unmark_sent(self, wire: Wire) -> None:
        """Undo :meth:`mark_sent` for a frame that did not go out. Never raises.

        Args:
            wire: the wire.
        """
        self.sent.get(wire.topic.name, set()).discard(wire.key)
        self._forget_routes()

    def remove(self, wire: Wire) -> None:
        """Forget a wire nobody reads any more (its frames are ignored from now on).

        Never raises.

        Args:
            wire: the wire.
        """
        self._forget_routes()
        self.wires.pop((wire.topic.name, wire.key), None)
        routes = self.routes.get(wire.topic.name)
        if routes is not None:
            routes.pop(wire.key, None)
            if not routes:
                del self.routes[wire.topic.name]

    def subscribe_frames(self) -> Sequence[bytes]:
        """Every wire's subscribe frame, for a new connection; marks them sent. Never raises.

        Returns:
            The frames.
        """
        self.sent = {}
        self._forget_routes()
        frames = []
        for wire in self.wires.values():
            self.sent.setdefault(wire.topic.name, set()).add(wire.key)
            frames.append(wire.frame)
        return frames

    # -- frames ------------------------------------------------------------------------------

    def on_frame(self, data: bytes) -> None:
        """Route one received frame to its subscribers (or count why not). Never raises.

        Args:
            data: the frame's raw bytes.
        """
        last = self._last
        if last is not None and (data.endswith(last[0]) if last[1] else data.startswith(last[0])):
            wire: Wire | None = last[2]
        else:
            wire = self._cached_route(data)
        if wire is not None:  # the common case: a frame laid out as the topic's last one
            subscribers = wire.subscribers
            # one subscriber (the common case) buffers the frame itself and decodes it with the
            # wire's decoder when it reads it; several share one batch, decoded once
            entry: Batch[Any] | bytes = (
                data if len(subscribers) == 1 else Batch(data, wire.decode_frame)
            )
        else:
            routed = self._slow_route(data)
            if routed is None:
                return
            wire, entry = routed
            subscribers = wire.subscribers
        # every subscriber of the wire gets the frame (the one copy of this step, inlined:
        # it runs for every frame)
        if wire.keep_latest:
            wire.last = entry
        self.delivered += 1
        for sub in subscribers:
            sub._push(entry)

    def _cached_route(self, data: bytes) -> Wire | None:
        """The wire a cached leading prefix or tail routes ``data`` to (remembered as the last
        hit), or ``None``. Never raises."""
        fast = self._fast
        tail = _tail_of(data)
        if tail is not None:
            # a tail that peek_trailing_message read before (its verdict depends on these
            # bytes only)
            wire = fast.get(tail) if tail else None
            if wire is not None:
                self._last = (tail, True, wire)
            return wire
        for size in self._lead_sizes:
            # the frame opens with the very bytes of a `{"message": "<topic>",` prefix
            # that leading_message read before (its verdict depends on these bytes only)
            lead = data[:size]
            wire = fast.get(lead)
            if wire is not None:
                self._last = (lead, False, wire)
                return wire
        return None

    def _slow_route(self, data: bytes) -> tuple[Wire, Batch[Any]] | None:
        """The wire and batch of a frame no cached prefix or tail routes; ``None``: counted.

        Reads the frame's topic (from its first or last bytes, else by decoding its envelope
        once), finds its wire, and caches how to recognise the next frame laid out alike.
        """
        fast = self._fast
        lead = None  # a leading prefix to cache: only for frames that do not end as a tail
        tail = _tail_of(data)
        if tail is not None:
            name = peek_trailing_message(data)
            if name is None:
                tail = b""
                name = peek_message(data)
        else:
            lead = leading_message(data)
            name = lead[1] if lead is not None else peek_trailing_message(data)
        wire = fast.get(name) if name is not None else None
        if wire is not None:
            if len(fast) < _MAX_FAST:
                if lead is not None:
                    fast[lead[0]] = wire
                    if len(lead[0]) not in self._lead_sizes:
                        self._lead_sizes = (*self._lead_sizes, len(lead[0]))[-_MAX_LEAD_SIZES:]
                elif tail and _member_starts_in(tail):  # (None and b"" are not tails)
                    fast[tail] = wire
            return wire, Batch(data, wire.decode_frame)
        payload: Any = None
        if name is None:  # not the usual layout: decode the envelope, once
            try:
                envelope = guarded(lambda: _envelope(data))
            except BadFrame as exc:
                self.bad_frame(exc.kind, exc, data)
                return None
            if envelope.message is None:
                self.bad_frame("unexpected_shape", None, data)
                return None
            name = envelope.message
            payload = envelope.data
        wire = self._route(name, data, payload)
        if wire is None:
            return None
        if payload is None:
            return wire, Batch(data, wire.decode_frame)
        return wire, Batch(payload, wire.decode_data)

    def _route(self, name: str, data: bytes, payload: Any) -> Wire | None:
        """The wire a frame of topic ``name`` belongs to; ``None`` if none (counted)."""
        routes = self.routes.get(name)
        if routes is None:
            topic = topic_for_message(name)
            if topic is None:
                if name == "error":
                    self._server_error(data)
                else:
                    self.bad_frame("unknown_topic", None, data)
                return None
            routes = self.routes.get(topic.name)
            if routes is None:
                self.ignored += 1
                return None
        wire = next(iter(routes.values()))
        topic = wire.topic
        sent = self.sent.get(topic.name, ())
        if len(sent) <= 1:
            # at most one key on this connection: every frame of the topic is that key's
            found = routes.get(next(iter(sent), wire.key))
            if found is None:
                self.ignored += 1
            elif payload is None:
                self._fast[name] = found
            return found
        try:
            key = topic.frame_route_key(data) if payload is None else topic.route_key(payload)
        except BadFrame as exc:
            self.bad_frame(exc.kind, exc, data)
            return None
        if key is None:
            self.bad_frame("unroutable", None, data)
            return None
        found = routes.get(key)
        if found is None:
            self.ignored += 1
        return found

    def _server_error(self, data: bytes) -> None:
        """``{"message": "error", "data": [...]}``: the server refused something we sent."""
        self.bad["server_error"] = self.bad.get("server_error", 0) + 1
        logger.warning("websocket %s: the server reported an error: %r", self.url, data[:500])

    def bad_frame(self, kind: str, exc: Exception | None, data: bytes) -> None:
        """Count a skipped frame and log it (the first of its kind at WARNING). Never raises.

        Args:
            kind: why it was skipped (a statistics key).
            exc: the error that says more, if any.
            data: the frame (its first 200 bytes are logged).
        """
        count = self.bad.get(kind, 0) + 1
        self.bad[kind] = count
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

    def duplicates(self) -> int:
        """Rows filtered out as repeats, over the current wires. Never raises.

        Returns:
            The count.
        """
        return sum(w.seen.duplicates for w in self.wires.values() if w.seen is not None)
