"""Per-subscriber buffers and the :class:`Subscription` async iterator.

The websocket reader hands every routed frame to each subscriber with :meth:`Subscription._push`,
which never blocks and never awaits: a slow subscriber can only ever hurt itself. What happens when
a subscriber's bounded buffer is full is its :class:`OverflowPolicy`:

* ``KEEP_LATEST`` (snapshot topics: order book, funding, best price): the oldest snapshot is
  replaced; counted in ``dropped``.
* ``DROP_OLDEST`` (public trades): the oldest frame is dropped and the gap counted in ``dropped``.
* ``FAIL`` (private event topics): the subscriber keeps what it has, sees it all, and then
  :class:`~kana_async.SlowConsumerError` is raised from ``__anext__`` (``dropped`` = frames lost).

What is buffered is a frame still undecoded: its bytes, when the subscription is its wire's
only subscriber (decoded by the wire's decoder when read), or a :class:`Batch`
shared by all subscribers of the frame and decoded at most once, by the first subscriber that
reaches it. Either way a frame nobody reads is never decoded. Notices (e.g.
:class:`~kana_async.models.stream_events.Reconnected`) are buffered in order with the frames
and never count against the bound.

``__anext__`` is cancel-safe: an item leaves the buffer only in the same step in which it is
returned, so cancelling a waiting ``__anext__`` loses nothing. One task reads a subscription: a
second task calling ``__anext__`` while the first waits gets
:class:`~kana_async.ConcurrentReadError` at once. Waiting works on asyncio (a bare future, the
cheapest wake-up) and trio (``anyio.Event``) alike.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Generic, TypeVar

import msgspec

from kana_async._backend import WakeUp, wake_up_factory
from kana_async._exceptions import (
    ConcurrentReadError,
    InvalidArgumentError,
    SlowConsumerError,
    SubscriptionClosedError,
)

__all__ = ["Batch", "OverflowPolicy", "Subscription", "SubscriptionStatistics"]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

_UNDECODED: Any = object()


class OverflowPolicy(enum.Enum):
    """What a subscriber's full buffer does with one more frame.

    Attributes:
        KEEP_LATEST: drop the oldest buffered snapshot for the new one, counted in
            ``dropped`` (the default of snapshot topics: order book, funding, best price).
        DROP_OLDEST: drop the oldest buffered frame and count the gap in ``dropped`` (the
            default of public trades).
        FAIL: stop buffering, let the subscriber drain what it has, then raise
            :class:`~kana_async.SlowConsumerError` (the default of private account topics).
    """

    KEEP_LATEST = "keep_latest"
    DROP_OLDEST = "drop_oldest"
    FAIL = "fail"


class Batch(msgspec.Struct, Generic[T_co], eq=False):
    """One frame's payload, decoded lazily and at most once, shared by every subscriber.

    ``decode`` turns the raw payload into the items subscribers see, or returns ``None`` when the
    frame is unusable (the decoder counts and logs that); the outcome is cached either way. A
    struct, so that making one (once per received frame) runs in C (tracked by the garbage
    collector: its decoder refers to the router that holds the latest batch).

    Args:
        _raw: the frame's undecoded payload (given positionally, as every argument here).
        _decode: turns ``_raw`` into the items, or ``None``.
        _items: the items if already decoded (:meth:`of`); by default not yet.
    """

    _raw: Any
    _decode: Callable[[Any], Sequence[T_co] | None]
    _items: Any = _UNDECODED

    @classmethod
    def of(cls, items: Sequence[T_co]) -> Batch[T_co]:
        """A batch that is already decoded. Never raises.

        Args:
            items: the items subscribers see.

        Returns:
            The batch.
        """
        return cls(None, _no_decode, items)

    @property
    def decoded(self) -> bool:
        """Whether :meth:`items` has already run."""
        return self._items is not _UNDECODED

    def items(self) -> Sequence[T_co] | None:
        """The decoded items; decodes on the first call only. Never raises.

        Returns:
            The items, or ``None`` for an unusable frame.
        """
        items = self._items
        if items is _UNDECODED:
            items = self._items = self._decode(self._raw)
            self._raw = None
        return items  # type: ignore[no-any-return]


def _no_decode(raw: Any) -> None:
    return None


@dataclass(frozen=True, slots=True)
class SubscriptionStatistics:
    """A snapshot of one subscription's counters.

    Attributes:
        topic: wire topic name.
        key: routing key (market id, profile address or ``None``).
        policy: the overflow policy.
        buffer_size: the bound on buffered frames.
        buffered: frames waiting to be read now.
        delivered: items returned by the iterator so far.
        dropped: frames lost to overflow (the gap counter).
        reconnects: reconnects of the underlying connection while subscribed.
        closed: whether the subscription no longer receives frames.
    """

    topic: str
    key: int | str | None
    policy: OverflowPolicy
    buffer_size: int
    buffered: int
    delivered: int
    dropped: int
    reconnects: int
    closed: bool


class Subscription(Generic[T]):
    """A typed async iterator over one topic (and key) of the shared websocket connection.

    Use it as ``async with ... as sub: async for item in sub:``; leaving the block unsubscribes.
    Iterating without ``async with`` starts it on the first ``__anext__``; then call
    :meth:`aclose` (closing the client also closes it). Iteration ends (``StopAsyncIteration``)
    once the subscription is closed by :meth:`aclose`; it raises
    :class:`~kana_async.SubscriptionClosedError` if its client closes underneath it and
    :class:`~kana_async.SlowConsumerError` after draining if its ``FAIL`` buffer overflowed.

    Subscriptions come from ``kana.streams`` (or ``StreamManager.subscribe``); users do not
    construct them.

    Args:
        topic: the websocket topic's wire name, e.g. ``"orderbook"``.
        key: the routing key: a market id, a profile address, or ``None`` for unkeyed topics
            (and until a key looked up at start is known).
        policy: what a full buffer does (:class:`OverflowPolicy`).
        buffer_size: the most frames buffered for the reader, at least 1.
        start: the coroutine function that registers the subscription on the connection.
        stop: the function that unregisters it.

    Attributes:
        topic: as above.
        key: as above.
        policy: as above.
        buffer_size: as above.

    Raises:
        InvalidArgumentError: ``buffer_size`` is below 1.
    """

    def __init__(
        self,
        topic: str,
        key: int | str | None,
        *,
        policy: OverflowPolicy,
        buffer_size: int,
        start: Callable[[Subscription[T]], Awaitable[None]] | None = None,
        stop: Callable[[Subscription[T]], None] | None = None,
    ) -> None:
        if buffer_size < 1:
            raise InvalidArgumentError(f"buffer_size must be at least 1, got {buffer_size}")
        self.topic = topic
        self.key = key
        self.policy = policy
        self.buffer_size = buffer_size
        self._start = start
        self._stop = stop
        self._buffer: deque[Batch[T] | bytes | _Notice] = deque()
        self._frames = 0  # frames in _buffer (notices do not count against the bound)
        # a buffered frame's bytes into its items (None: unusable); the wire's decoder, set when
        # the subscription joins its wire
        self._decode: Callable[[bytes], Sequence[T] | None] = _no_decode
        self._current: Sequence[T] = ()
        self._pos = 0
        self._waiter: WakeUp | None = None  # set once, then dropped, to wake the reader
        self._wake_up: Callable[[], WakeUp] | None = None  # the running loop's kind, looked up once
        self._reading = False  # a task is waiting in __anext__
        self._started = False
        self._closed = False
        self._error: BaseException | None = None
        self._overflowed = False
        self._delivered = 0
        self._dropped = 0
        self._reconnects = 0

    # -- producer side (the websocket reader; never blocks) ---------------------------------

    def _push(self, batch: Batch[T] | bytes) -> None:
        """Buffer one frame (its bytes, or a batch shared with other subscribers) according to
        the policy."""
        if self._closed:
            return
        if self._overflowed:
            self._dropped += 1
            return
        if self._frames >= self.buffer_size:
            if self.policy is OverflowPolicy.FAIL:
                self._overflowed = True
                self._dropped += 1
                self._wake()
                return
            self._drop_oldest_frame()
        self._buffer.append(batch)
        self._frames += 1
        waiter = self._waiter  # inlined _wake(): this runs for every frame
        if waiter is not None:
            self._waiter = None  # woken once: later frames of the same read need no wake-up
            waiter.set()

    def _notify(self, notice: object) -> None:
        """Buffer a notice (never dropped, never counted against the bound)."""
        if self._closed or self._overflowed:
            return
        self._buffer.append(_Notice(notice))
        self._wake()

    def _count_reconnect(self) -> None:
        """Count one reconnect of the underlying connection."""
        self._reconnects += 1

    def _close(self, error: BaseException | None = None) -> None:
        """Stop receiving; the iterator ends after the buffer drains (or raises ``error``)."""
        if self._closed:
            return
        self._closed = True
        self._error = error
        self._wake()

    def _drop_oldest_frame(self) -> None:
        buffer = self._buffer
        for i, entry in enumerate(buffer):
            if type(entry) is not _Notice:
                del buffer[i]
                self._frames -= 1
                self._dropped += 1
                return

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            waiter.set()

    # -- consumer side -----------------------------------------------------------------------

    async def start(self) -> None:
        """Register with the connection; ``async with`` and the first ``__anext__`` call it.

        Idempotent. When it fails or is cancelled half-way the subscription is closed and
        leaves nothing registered.

        Raises:
            SubscriptionClosedError: the subscription was already closed, or its client
                closed while it was starting.
            StreamTaskError: the stream's background tasks could not be started (the task
                group handed in is no longer running).
            KanaError: looking up the default profile address failed (an ``APIError`` or
                ``TransportError`` of ``GET /getProfileAddress``).
        """
        if self._started:
            return
        if self._closed:
            raise SubscriptionClosedError(f"subscription to {self.topic} is closed")
        self._started = True
        if self._start is not None:
            try:
                await self._start(self)
            except BaseException:  # failed or cancelled half-way: leave no registration behind
                self._close()
                self._finish()
                raise

    async def __aenter__(self) -> Subscription[T]:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __aiter__(self) -> Subscription[T]:
        return self

    async def __anext__(self) -> T:
        """The next item: a row, a snapshot or a notice, waiting for one if none is buffered.

        Returns:
            The next item.

        Raises:
            StopAsyncIteration: the subscription was closed with :meth:`aclose`.
            SubscriptionClosedError: its client closed underneath it.
            SlowConsumerError: a ``FAIL`` buffer overflowed (raised once the buffer is drained).
            StreamHandshakeRefusedError: the server refused the connection for good.
            StreamTaskError: a background task of the stream crashed.
            ConcurrentReadError: another task is already waiting on this subscription.
        """
        if self._reading:
            raise ConcurrentReadError(
                f"another task is already reading this subscription to {self.topic}; "
                "open one subscription per reader"
            )
        buffer = self._buffer
        while True:
            # the rest of the frame being read first, then the next buffered entry: the two
            # steps of almost every call, with as few attribute reads as they need
            current = self._current
            pos = self._pos
            if pos < len(current):
                self._pos = pos + 1
                return current[pos]
            if buffer:
                entry = buffer.popleft()
                if type(entry) is bytes:  # a frame of this subscriber alone: the common case
                    self._frames -= 1
                    items = self._decode(entry)
                elif type(entry) is _Notice:
                    self._delivered += 1
                    return entry.value  # type: ignore[return-value]
                else:  # a frame shared with other subscribers
                    self._frames -= 1
                    items = entry.items()  # type: ignore[union-attr]  # a Batch
                if not items:  # an unusable frame (None), or one of no rows: skipped
                    continue
                self._delivered += len(items)  # less what is unread (statistics())
                if len(items) > 1:
                    self._current = items
                    self._pos = 1
                return items[0]  # a snapshot frame or a single row: the common case
            if not self._started:
                await self.start()
                continue
            if self._overflowed:
                self._finish()
                raise SlowConsumerError(
                    f"subscriber of {self.topic} ({self.key}) fell behind: its buffer of "
                    f"{self.buffer_size} frames overflowed and {self._dropped} frame(s) were lost;"
                    " resync over REST and subscribe again (or read faster / raise buffer_size)",
                    dropped=self._dropped,
                )
            if self._closed:
                if self._error is not None:
                    raise self._error
                raise StopAsyncIteration
            if self._reading:
                raise ConcurrentReadError(
                    f"another task is already reading this subscription to {self.topic}; "
                    "open one subscription per reader"
                )
            make = self._wake_up
            if make is None:
                make = self._wake_up = wake_up_factory()
            waiter = self._waiter = make()
            self._reading = True
            try:
                await waiter.wait()
            finally:
                self._waiter = None
                self._reading = False

    def _finish(self) -> None:
        self._closed = True
        if self._stop is not None:
            stop, self._stop = self._stop, None
            stop(self)

    async def aclose(self) -> None:
        """Unsubscribe and drop what is buffered; idempotent. Never raises.

        Other subscriptions of the same topic and key are not affected. A waiting or later
        ``__anext__`` ends the iteration (``StopAsyncIteration``).
        """
        self._buffer.clear()
        self._frames = 0
        self._delivered -= self._unread()
        self._current = ()
        self._pos = 0
        self._close()
        self._finish()

    # -- introspection -----------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """Whether the subscription no longer receives frames."""
        return self._closed or self._overflowed

    @property
    def dropped(self) -> int:
        """Frames lost to overflow so far (the gap counter)."""
        return self._dropped

    def statistics(self) -> SubscriptionStatistics:
        """A snapshot of this subscription's counters. Never raises.

        Returns:
            A :class:`SubscriptionStatistics`: frames buffered now, items delivered, frames
            dropped to overflow, reconnects seen, and whether it is closed.
        """
        return SubscriptionStatistics(
            topic=self.topic,
            key=self.key,
            policy=self.policy,
            buffer_size=self.buffer_size,
            buffered=self._frames,
            delivered=self._delivered - self._unread(),
            dropped=self._dropped,
            reconnects=self._reconnects,
            closed=self.closed,
        )

    def _unread(self) -> int:
        """Items of the frame being read not returned yet (counted in ``_delivered`` already)."""
        return max(len(self._current) - self._pos, 0)

    def __repr__(self) -> str:
        state = "closed" if self.closed else ("open" if self._started else "new")
        return f"<Subscription {self.topic} key={self.key!r} {state}>"


class _Notice:
    """A buffered out-of-band item (e.g. ``Reconnected``)."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value
