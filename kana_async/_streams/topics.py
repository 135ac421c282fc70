"""The websocket topic table: one entry per topic Kana's websocket serves.

Each :class:`Topic` says how to subscribe (wire name and subscribe frame), what a frame's rows
decode to, how frames are routed (by ``market_id``, by profile ``address``, or not at all), the
default overflow policy and buffer bound, whether subscribers are told about reconnects, and
whether the staleness watchdog may expect steady traffic from it.

Decoding is guarded (:mod:`kana_async._streams.frames`): a frame that cannot be used raises
:class:`~kana_async._streams.frames.BadFrame`, never anything else; ids sent as JSON numbers are
accepted and kept as exact strings.

Routing keys are canonical: market ids are ``int``; addresses are ``0x`` + 64 lowercase hex digits
(the wire may drop leading zeros, as the profile address in Kana's own examples does).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Final, cast

import msgspec

from kana_async._address import normalize_address as _normalize_address
from kana_async._codec import decoder_for, encode, field_decoder, holder_decoder
from kana_async._exceptions import InvalidAddressError, InvalidArgumentError
from kana_async._streams.book import books_of
from kana_async._streams.bounds import bounds_decoder
from kana_async._streams.dedup import identity_for
from kana_async._streams.frames import (
    DECODE_FAILURES,
    ID_FIELDS,
    bad_frame_of,
    guarded,
    ids_as_strings,
    row_checker,
    shape_checker,
)
from kana_async._streams.subscription import OverflowPolicy
from kana_async._validation import check_market_id
from kana_async.models._book_wire import WireLevel
from kana_async.models.account import Transfer
from kana_async.models.market_data import BestPrice, FundingRate
from kana_async.models.orders import OpenOrder, OrderHistoryEntry
from kana_async.models.positions import Position
from kana_async.models.trades import Trade

__all__ = [
    "TOPICS",
    "KeyKind",
    "RoutingKey",
    "Topic",
    "normalize_address",
    "topic_for_message",
]

#: A canonical routing key: market id, profile address, or ``None`` for unkeyed topics.
RoutingKey = int | str | None

_address_cache: dict[str, str] = {}


def normalize_address(value: str) -> str:
    """An address as ``0x`` + 64 lowercase hex digits, cached (the reader sees few addresses).

    Args:
        value: an address string.

    Returns:
        The canonical address.

    Raises:
        InvalidAddressError: ``value`` is not an Aptos address.
        ArgumentTypeError: ``value`` is not a string.
    """
    cached = _address_cache.get(value)
    if cached is not None:
        return cached
    canonical = _normalize_address(value, what="address")
    if len(_address_cache) < 4096:
        _address_cache[value] = canonical
    return canonical


def normalize_market_id(value: object) -> int:
    """A market id as ``int`` (accepts ``14`` or ``"14"``), not checked against a market list.

    Args:
        value: the market id.

    Returns:
        The id.

    Raises:
        InvalidArgumentError: the id is negative or larger than a u64.
        ArgumentTypeError: ``value`` is not an ``int`` or a string of digits.
    """
    return check_market_id(value)


class KeyKind(enum.Enum):
    """How a topic's frames are routed to subscriptions.

    Attributes:
        NONE: not keyed: one subscription per connection (``live_funding_rate``).
        MARKET: by the rows' ``market_id``.
        ADDRESS: by the rows' (profile) ``address``.
    """

    NONE = "none"
    MARKET = "market_id"
    ADDRESS = "address"


class _MarketKey(msgspec.Struct, gc=False):
    market_id: int | None = None


class _AddressKey(msgspec.Struct, gc=False):
    address: str | None = None


@dataclass(frozen=True, slots=True)
class Topic:
    """One websocket topic.

    Attributes:
        name: the wire name, sent as ``topic`` and echoed as ``message``.
        key: how frames are routed.
        row_type: the model each row of ``data`` decodes to.
        policy: default overflow policy of a subscriber.
        buffer_size: default bound (frames) of a subscriber's buffer.
        events: subscribers receive a :class:`~kana_async.models.stream_events.Reconnected`
            notice after every reconnect (event topics, where a gap means lost events).
        expect_traffic: a live subscription should produce frames steadily, so the staleness
            watchdog may reconnect a connection that carries it and goes silent.
        snapshot: each frame is one whole order book (yield one ``OrderBook`` per frame) instead
            of rows (yield each row).
        aliases: other ``message`` values the server has been seen to use for this topic.
    """

    name: str
    key: KeyKind
    row_type: type[Any]
    policy: OverflowPolicy
    buffer_size: int
    events: bool
    expect_traffic: bool = False
    snapshot: bool = False
    aliases: tuple[str, ...] = ()
    _rows_decoder: Any = field(default=None, repr=False, compare=False)
    _key_decoder: Any = field(default=None, repr=False, compare=False)
    _frame_keys: Any = field(default=None, repr=False, compare=False)
    _has_ids: bool = field(default=False, repr=False, compare=False)
    _check: Any = field(default=None, repr=False, compare=False)
    _items_of_frame: Any = field(default=None, repr=False, compare=False)
    _items_of_data: Any = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_check", row_checker(cast(Hashable, self.row_type)))
        fields = set(self.row_type.__struct_fields__)
        object.__setattr__(self, "_has_ids", any(name in fields for name in ID_FIELDS))
        rows_type: Any = list[self.row_type] | self.row_type  # type: ignore[name-defined]
        object.__setattr__(self, "_rows_decoder", decoder_for(rows_type).decode)
        frame_holder = holder_decoder("data", rows_type)  # the rows at `.data`: no wrapper
        object.__setattr__(self, "_items_of_frame", self._rows_reader(frame_holder, member=True))
        object.__setattr__(self, "_items_of_data", self._rows_reader(self._rows_decoder))
        keys_type: Any = None
        if self.key is KeyKind.MARKET:
            keys_type = list[_MarketKey] | _MarketKey
        elif self.key is KeyKind.ADDRESS:
            keys_type = list[_AddressKey] | _AddressKey
        if keys_type is not None:
            object.__setattr__(self, "_key_decoder", decoder_for(keys_type).decode)
            object.__setattr__(self, "_frame_keys", field_decoder("data", keys_type))

    def normalize_key(self, value: object) -> RoutingKey:
        """Turn a user-supplied key into the canonical routing key.

        Args:
            value: a market id, a profile address, or ``None`` for unkeyed topics.

        Returns:
            The routing key: an ``int`` market id, a canonical address, or ``None``.

        Raises:
            InvalidArgumentError: a key for an unkeyed topic, or an out-of-range market id.
            InvalidAddressError: an account topic's key is not an address string.
            ArgumentTypeError: a market topic's key is not an ``int`` or a string of digits.
        """
        if self.key is KeyKind.NONE:
            if value is not None:
                raise InvalidArgumentError(f"topic {self.name} takes no market or address")
            return None
        if self.key is KeyKind.MARKET:
            return normalize_market_id(value)
        if not isinstance(value, str):
            raise InvalidAddressError(f"{self.name} needs a profile address, got {value!r}")
        return normalize_address(value)

    def subscribe_frame(self, key: RoutingKey) -> bytes:
        """The JSON subscribe message for ``key``.

        ``{"topic": name}``, plus ``"market_id": "<id>"`` (a string) or ``"address":
        "<profile address>"`` for keyed topics. Never raises.

        Args:
            key: the canonical routing key.

        Returns:
            The frame's JSON bytes.
        """
        if self.key is KeyKind.NONE:
            return encode({"topic": self.name})
        return encode({"topic": self.name, self.key.value: str(key)})

    def route_key(self, data: bytes) -> RoutingKey:
        """Read the routing key from a frame's ``data`` member.

        Args:
            data: the ``data`` member's JSON bytes.

        Returns:
            The key of the first row that carries one, or ``None``.

        Raises:
            BadFrame: ``data`` is not rows of the expected shape.
        """
        return self._key_of(guarded(lambda: self._key_decoder(data)))

    def frame_route_key(self, frame: bytes) -> RoutingKey:
        """:meth:`route_key` of a whole ``{"message", "data"}`` frame.

        Args:
            frame: the whole frame's JSON bytes.

        Returns:
            The key of the first row that carries one, or ``None``.

        Raises:
            BadFrame: the frame is not JSON, or its ``data`` is not rows of the right shape.
        """
        return self._key_of(guarded(lambda: self._frame_keys(frame)))

    def _key_of(self, decoded: Any) -> RoutingKey:
        rows = decoded if isinstance(decoded, list) else (decoded,)
        if self.key is KeyKind.MARKET:
            for row in rows:
                if row.market_id is not None:
                    return int(row.market_id)  # decoded as int: exact, bounded by the frame
            return None
        for row in rows:
            if row.address:
                try:
                    return normalize_address(row.address)
                except InvalidAddressError:
                    return None
        return None

    def decode(self, data: bytes, key: RoutingKey) -> Sequence[Any]:
        """The items subscribers see for a frame's ``data`` member.

        Args:
            data: the ``data`` member's JSON bytes.
            key: the subscription's routing key (the market id of an order book).

        Returns:
            The rows, or one ``OrderBook`` for a snapshot topic.

        Raises:
            BadFrame: ``data`` is unusable (malformed, wrong shape, too deep, a bad number).
        """
        if self.snapshot:
            return books_of(False, _book_market(key), data)
        return self._items_of_data(data)  # type: ignore[no-any-return]

    def decode_frame(self, frame: bytes, key: RoutingKey) -> Sequence[Any]:
        """:meth:`decode` of a whole ``{"message", "data"}`` frame, in one pass over its bytes.

        Args:
            frame: the whole frame's JSON bytes.
            key: the subscription's routing key.

        Returns:
            The rows, or one ``OrderBook`` for a snapshot topic.

        Raises:
            BadFrame: the frame is unusable (malformed, wrong shape, too deep, a bad number).
        """
        return self.frame_decoder(key)(frame)

    def frame_decoder(self, key: RoutingKey) -> Callable[[bytes], Sequence[Any]]:
        """The most direct function for :meth:`decode_frame` with one key (a wire's hot path).

        Snapshot topics get a function straight to the book decoder; row topics (whose rows do
        not depend on the key) one function made once per topic. Never raises; the function it
        returns raises as :meth:`decode_frame` does.

        Args:
            key: the subscription's routing key.

        Returns:
            ``decode(frame) -> items``.
        """
        if not self.snapshot:
            return self._items_of_frame  # type: ignore[no-any-return]
        return partial(books_of, True, _book_market(key))

    def _rows_reader(self, decoder: Any, *, member: bool = False) -> Callable[[Any], list[Any]]:
        """``read(raw) -> rows``: ``decoder``'s rows as a list, checked; raises ``BadFrame``.

        The one step from bytes to the rows subscribers see (a hot path: one call, the decode
        in C, then the checks). ``member``: ``decoder`` returns a holder with the rows at
        ``.data`` (:func:`~kana_async._codec.holder_decoder`), and ``raw`` is a whole frame. A
        frame the typed decode refuses is tried once more with its ids turned into strings
        (ids sent as JSON numbers) before it is called bad. The rows' numbers are vouched for
        by the bounds decoder (:mod:`~kana_async._streams.bounds`, in C), and checked value by
        value only when it cannot vouch for them.
        """
        check = self._check  # every check, numbers value by value included
        bounds = bounds_decoder(cast(Hashable, self.row_type), member)
        shape = shape_checker(cast(Hashable, self.row_type)) if bounds is not None else check
        has_ids = self._has_ids

        def rows_of(decoded: Any) -> list[Any]:
            if member:
                decoded = decoded.data
            return decoded if type(decoded) is list else [decoded]

        def retried(raw: Any, failure: Exception) -> list[Any]:
            exc = bad_frame_of(failure)
            if exc.kind != "unexpected_shape" or not has_ids:
                raise exc from None
            fixed = ids_as_strings(raw)  # ids sent as JSON numbers?
            if fixed is None:
                raise exc from None
            rows = rows_of(guarded(lambda: decoder(fixed)))
            if check is not None:
                check(rows)
            return rows

        def read(raw: Any) -> list[Any]:
            try:
                decoded = decoder(raw)
            except DECODE_FAILURES as failure:
                return retried(raw, failure)
            if member:  # rows_of(decoded), inlined: this runs for every frame
                decoded = decoded.data
            rows = decoded if type(decoded) is list else [decoded]
            if bounds is not None:
                try:
                    bounds(raw)
                except Exception:  # a number it cannot vouch for: the exact check settles it
                    check(rows)
                    return rows
            if shape is not None:
                shape(rows)
            return rows

        return read

    def identity(self) -> Any:
        """How this topic's rows are told apart when filtering repeats. Never raises.

        Returns:
            A function from a row to a hashable identity, or ``None`` for snapshot topics
            (whose frames replace each other and are never filtered).
        """
        return None if self.policy is OverflowPolicy.KEEP_LATEST else identity_for(self.name)


def _book_market(key: RoutingKey) -> int | None:
    """The market id a snapshot topic's books carry: the key if it is one, else ``None`` (the
    book then takes it from its first best level)."""
    return key if type(key) is int else None


def _account(name: str, row_type: type[Any]) -> Topic:
    return Topic(name, KeyKind.ADDRESS, row_type, OverflowPolicy.FAIL, 1024, events=True)


#: Every topic Kana's websocket serves, by wire name.
TOPICS: Final[dict[str, Topic]] = {
    t.name: t
    for t in (
        _account("positions", Position),
        _account("trade_history", Trade),
        _account("open_orders", OpenOrder),
        _account("order_history", OrderHistoryEntry),
        _account("deposit_withdraw_history", Transfer),
        _account("live_order_history", OrderHistoryEntry),
        _account("live_trade_history", Trade),
        Topic(
            "orderbook",
            KeyKind.MARKET,
            WireLevel,
            OverflowPolicy.KEEP_LATEST,
            1,
            events=False,
            expect_traffic=True,
            snapshot=True,
        ),
        Topic("recent_trades", KeyKind.MARKET, Trade, OverflowPolicy.DROP_OLDEST, 256, events=True),
        Topic(
            "live_funding_rate",
            KeyKind.NONE,
            FundingRate,
            OverflowPolicy.KEEP_LATEST,
            1,
            events=False,
        ),
        Topic(
            "best_price",
            KeyKind.MARKET,
            BestPrice,
            OverflowPolicy.KEEP_LATEST,
            1,
            events=False,
            expect_traffic=True,
            aliases=("bestPrice",),
        ),
    )
}

_BY_MESSAGE: Final[dict[str, Topic]] = {
    name: topic for topic in TOPICS.values() for name in (topic.name, *topic.aliases)
}


def topic_for_message(message: str) -> Topic | None:
    """The topic a server frame's ``message`` names (its wire name or an alias). Never raises.

    Args:
        message: the frame's ``message``.

    Returns:
        The :class:`Topic`, or ``None`` if unknown.
    """
    return _BY_MESSAGE.get(message)
