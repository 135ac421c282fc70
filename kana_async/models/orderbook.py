"""A read-only order-book view built from one ``orderbook`` websocket frame (a full snapshot).

A book decoded from a frame is lazy: it keeps the frame's JSON and one key row per level (side,
ints, and ``float`` order keys for price and size: :mod:`kana_async.models._book_wire`), and
makes ``Decimal`` values only for what is read. The best bid and ask are found from the keys
without sorting either side, and only that level's price and size are decoded from its text;
``bids`` and ``asks`` are decoded, sorted and merged on first use, in one decode of the frame.
Everything computed is cached, so the book costs its full price once at most, and every value
is the exact ``Decimal`` of the text the server sent.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from operator import attrgetter
from typing import Any, Final

from kana_async.models._base import html_table, plain
from kana_async.models._book_wire import WireLevel
from kana_async.models.market_data import OrderBookLevel

__all__ = ["OrderBook", "lazy_book"]

_UNSET: Final[Any] = object()  # a cache slot not computed yet (None is a value)
_Levels = tuple[OrderBookLevel, ...]
#: ``(decode all levels, decode level i of n)`` of a lazy book's JSON.
_Decoders = tuple[
    Callable[[Any], Iterable[OrderBookLevel]], Callable[[Any, int, int], OrderBookLevel]
]
_new: Final = object.__new__
#: The best-ask key of a bid row, the best-bid key of an ask row: beyond every price of the side.
_NO_ASK: Final = float("inf")
_NO_BID: Final = -1.0


class OrderBook:
    """Both sides of a market's book, best price first.

    ``bids`` are sorted by price descending, ``asks`` ascending; levels at the same price are
    merged (sizes added, the newest ``last_updated`` / ``transaction_version`` kept). All prices
    and sizes are :class:`~decimal.Decimal`. The view is immutable, compares equal to a book
    with the same market and levels, hashes, pickles, and prints short.

    Args:
        market_id: the market, or ``None`` for an empty frame that named none.
        bids: buy levels, highest price first (kept as given).
        asks: sell levels, lowest price first (kept as given).

    Attributes:
        market_id: the market, or ``None`` for an empty frame that named none.
    """

    __slots__ = (
        "_asks",
        "_best_ask",
        "_best_bid",
        "_bids",
        "_decoders",
        "_market_id",
        "_mid",
        "_raw",
        "_rows",
        "_spread",
    )

    def __init__(
        self,
        *,
        market_id: int | None,
        bids: Iterable[OrderBookLevel] = (),
        asks: Iterable[OrderBookLevel] = (),
    ) -> None:
        self._market_id = market_id
        self._rows: Sequence[WireLevel] = ()
        self._raw: Any = None
        self._decoders: _Decoders | None = None
        self._bids: _Levels | None = tuple(bids)
        self._asks: _Levels | None = tuple(asks)
        self._best_bid: Any = _UNSET
        self._best_ask: Any = _UNSET
        self._mid: Any = _UNSET
        self._spread: Any = _UNSET

    @classmethod
    def from_levels(
        cls, levels: Iterable[OrderBookLevel], market_id: int | None = None
    ) -> OrderBook:
        """Build the view from a frame's flat list of levels (both sides mixed, any order).

        One pass splits the sides, each side is sorted once (already-sorted input costs one
        comparison per level) and merged only when two levels share a price.

        Args:
            levels: the frame's levels; prices in quote currency, sizes in base asset.
            market_id: the market; ``None`` takes it from the first level (and stays ``None``
                for an empty frame).

        Returns:
            The book, bids highest first and asks lowest first.

        Never raises.
        """
        bids: list[OrderBookLevel] = []
        asks: list[OrderBookLevel] = []
        add_bid, add_ask = bids.append, asks.append
        for level in levels:
            if level.is_ask:
                add_ask(level)
            else:
                add_bid(level)
        bids.sort(key=_price, reverse=True)
        asks.sort(key=_price)
        if market_id is None and (bids or asks):
            market_id = (bids or asks)[0].market_id
        return cls(market_id=market_id, bids=_merged(bids), asks=_merged(asks))

    # -- the lazy parts --------------------------------------------------------------------

    def _decode_sides(self) -> None:
        """Build both sides, and the market if it is not known, from the frame's JSON."""
        assert self._decoders is not None  # a lazy book always has its frame
        levels = _redecoded(self._decoders[0], self._raw)
        book = OrderBook.from_levels(levels, self._market_id)
        self._market_id, self._bids, self._asks = book._market_id, book._bids, book._asks

    def _best(self, ask: bool) -> OrderBookLevel | None:
        """The best level of a side: by the keys when one is best, else by the whole side.

        The keys are one per row, the row's ``price`` float for a row of the side and a value
        no price of it takes for the others (``inf`` for asks, whose prices are below
        :data:`~kana_async.models._book_wire.KEY_BOUND`; ``-1.0`` for bids, whose prices are
        above zero): made of the rows' own floats, no new float per row. A unique extreme key
        is the row of the extreme price, as the float order argument of
        :mod:`kana_async.models._book_wire` says; a shared one (two prices of the same float)
        is settled exactly by the whole side.
        """
        built = self._asks if ask else self._bids
        if built is not None:
            return built[0] if built else None
        if ask:
            keys = [row.price if row.is_ask else _NO_ASK for row in self._rows]
            best = min(keys, default=_NO_ASK)
            if best == _NO_ASK:
                return None
        else:
            keys = [_NO_BID if row.is_ask else row.price for row in self._rows]
            best = max(keys, default=_NO_BID)
            if best == _NO_BID:
                return None
        if keys.count(best) > 1:  # another row has the best key: settled exactly by the side
            return (self.asks if ask else self.bids)[0]
        # the level's Decimal price and size decoded from its own text now
        assert self._decoders is not None  # a lazy book always has its frame
        level: OrderBookLevel = _redecoded(
            self._decoders[1], self._raw, keys.index(best), len(keys)
        )
        return level

    # -- the public view ---------------------------------------------------------------------

    @property
    def market_id(self) -> int | None:
        """The market, or ``None`` for an empty frame that named none."""
        return self._market_id

    @property
    def bids(self) -> _Levels:
        """Buy levels, highest price first, equal prices merged."""
        if self._bids is None:
            self._decode_sides()
        assert self._bids is not None
        return self._bids

    @property
    def asks(self) -> _Levels:
        """Sell levels, lowest price first, equal prices merged."""
        if self._asks is None:
            self._decode_sides()
        assert self._asks is not None
        return self._asks

    @property
    def last_updated(self) -> int | None:
        """Newest ``last_updated`` (unix seconds) among the levels, if any level has one."""
        levels: Iterable[Any] = self._rows if self._bids is None else (*self.bids, *self.asks)
        return max((u for lv in levels if (u := lv.last_updated) is not None), default=None)

    @property
    def transaction_version(self) -> int | None:
        """Newest ``transaction_version`` among the levels, if any level has one."""
        levels: Iterable[Any] = self._rows if self._bids is None else (*self.bids, *self.asks)
        return max((v for lv in levels if (v := lv.transaction_version) is not None), default=None)

    @property
    def best_bid(self) -> OrderBookLevel | None:
        """The highest bid, or ``None`` when there are no bids."""
        if self._best_bid is _UNSET:
            self._best_bid = self._best(False)
        best: OrderBookLevel | None = self._best_bid
        return best

    @property
    def best_ask(self) -> OrderBookLevel | None:
        """The lowest ask, or ``None`` when there are no asks."""
        if self._best_ask is _UNSET:
            self._best_ask = self._best(True)
        best: OrderBookLevel | None = self._best_ask
        return best

    @property
    def mid(self) -> Decimal | None:
        """``(best bid + best ask) / 2``, or ``None`` unless both sides have a level."""
        if self._mid is _UNSET:
            bid, ask = self.best_bid, self.best_ask
            self._mid = None if bid is None or ask is None else (bid.price + ask.price) / 2
        mid: Decimal | None = self._mid
        return mid

    @property
    def spread(self) -> Decimal | None:
        """``best ask - best bid`` (negative if crossed); ``None`` if a side is empty."""
        if self._spread is _UNSET:
            bid, ask = self.best_bid, self.best_ask
            self._spread = None if bid is None or ask is None else ask.price - bid.price
        spread: Decimal | None = self._spread
        return spread

    @property
    def is_empty(self) -> bool:
        """True when neither side has a level."""
        if self._bids is None:
            return not self._rows
        return not self._bids and not self.asks

    def depth(self, levels: int | None = None) -> tuple[Decimal, Decimal]:
        """How much rests near the top of the book.

        Args:
            levels: how many of the best levels of each side to count; ``None`` counts all.

        Returns:
            ``(total bid size, total ask size)`` in base asset.

        Raises:
            ValueError: ``levels`` is negative.
        """
        if levels is not None and levels < 0:
            raise ValueError(f"levels must be >= 0, got {levels}")
        bids = self.bids if levels is None else self.bids[:levels]
        asks = self.asks if levels is None else self.asks[:levels]
        return sum((lv.size for lv in bids), Decimal(0)), sum((lv.size for lv in asks), Decimal(0))

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, OrderBook)
        return (
            self._market_id == other._market_id
            and self.bids == other.bids
            and self.asks == other.asks
        )

    def __hash__(self) -> int:
        return hash((self._market_id, self.bids, self.asks))

    def __reduce__(self) -> tuple[Any, tuple[int | None, _Levels, _Levels]]:
        return _restored, (self._market_id, self.bids, self.asks)

    def __repr__(self) -> str:
        best = ""
        bids, asks = self.bids, self.asks
        if bids or asks:
            bid = plain(bids[0].price) if bids else "-"
            ask = plain(asks[0].price) if asks else "-"
            best = f", best {bid} / {ask}"
        extra = ""
        if self.spread is not None and self.mid is not None:
            extra = f", spread {plain(self.spread)}, mid {plain(self.mid)}"
        return (
            f"OrderBook(market {self._market_id}: {len(bids)} bids, {len(asks)} asks{best}{extra})"
        )

    def _repr_html_(self, levels: int = 10) -> str:
        """The best ``levels`` of each side side by side, with spread and mid in the caption."""
        rows = []
        bids, asks = self.bids[:levels], self.asks[:levels]
        for i in range(max(len(bids), len(asks))):
            bid = bids[i] if i < len(bids) else None
            ask = asks[i] if i < len(asks) else None
            rows.append(
                [
                    plain(bid.size) if bid else "",
                    plain(bid.price) if bid else "",
                    plain(ask.price) if ask else "",
                    plain(ask.size) if ask else "",
                ]
            )
        spread = "-" if self.spread is None else plain(self.spread)
        mid = "-" if self.mid is None else plain(self.mid)
        caption = f"market {self._market_id}: spread {spread}, mid {mid}"
        return html_table(["bid size", "bid", "ask", "ask size"], rows, caption=caption)


def lazy_book(
    rows: Sequence[WireLevel], market_id: int | None, raw: Any, decoders: _Decoders
) -> OrderBook:
    """The lazy book of an accepted frame (used by the stream decoder).

    Args:
        rows: the frame's key rows, both sides mixed, in the frame's order; their ``price``
            floats are order keys only (see :mod:`kana_async.models._book_wire`).
        market_id: the market; ``None`` takes it from the first best level, as
            :meth:`OrderBook.from_levels` does.
        raw: the frame's JSON, from which its levels are decoded when read.
        decoders: ``(levels, level)``: a function that decodes all of ``raw``'s levels into
            :class:`OrderBookLevel` at once (used when a whole side is read: one decode in C
            makes every ``Decimal`` faster than level by level), and one that decodes level
            ``i`` of ``n`` alone, ``level(raw, i, n)``, ``i`` counted in ``rows``' order (used
            when one level is read).

    Returns:
        The book; nothing is sorted and no ``Decimal`` is made yet (unless ``market_id`` is
        ``None``: the sides are then built to find it).

    Raises:
        RecursionError: only when ``market_id`` is ``None``, for JSON nested as deep as the
            decoder's limit (see :func:`_redecoded`).
    """
    book: OrderBook = _new(OrderBook)
    book._rows = rows
    book._raw = raw
    book._decoders = decoders
    book._market_id = market_id
    book._bids = book._asks = None
    book._best_bid = book._best_ask = book._mid = book._spread = _UNSET
    if market_id is None and rows:  # as from_levels finds it (rare: no subscription key)
        book._decode_sides()
    return book


def _redecoded(decode: Callable[..., Any], data: Any, *args: Any) -> Any:
    """``decode(data, *args)`` of JSON the stream decoded before: here, or on a fresh stack.

    Raises:
        RecursionError: nested too deep even on a fresh stack (see :func:`_on_fresh_stack`).
        msgspec.DecodeError: never for a frame the stream accepted.
    """
    try:
        return decode(data, *args)
    except RecursionError:
        return _on_fresh_stack(decode, data, *args)


def _on_fresh_stack(decode: Callable[..., Any], data: Any, *args: Any) -> Any:
    """``decode(data, *args)`` run on a new thread, for JSON nested too deep for the caller's stack.

    The decoder's nesting limit counts the calling code's frames too: a frame the stream
    decoded near that limit may not decode again when a level is read from deeper code. A
    new thread starts with an almost empty stack, shallower than the stream reader's.

    Raises:
        RecursionError: too deep even there (only for JSON nested as deep as the limit).
    """
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(decode(data, *args))
        except RecursionError as exc:
            out.append(exc)

    worker = threading.Thread(target=run, name="kana-orderbook-decode")
    worker.start()
    worker.join()
    if isinstance(out[0], RecursionError):
        raise out[0]
    return out[0]


def _restored(market_id: int | None, bids: _Levels, asks: _Levels) -> OrderBook:
    """The book a pickle stored (its market and both sides, already sorted and merged)."""
    return OrderBook(market_id=market_id, bids=bids, asks=asks)


_price = attrgetter("price")


def _merged(levels: list[OrderBookLevel]) -> _Levels:
    """``levels`` (sorted by price) with equal prices merged into one level."""
    previous = None
    for level in levels:
        price = level.price
        if price == previous:
            break
        previous = price
    else:
        return tuple(levels)
    out: list[OrderBookLevel] = []
    for level in levels:
        if out and out[-1].price == level.price:
            last = out[-1]
            out[-1] = OrderBookLevel(
                market_id=level.market_id,
                is_ask=level.is_ask,
                price=level.price,
                size=last.size + level.size,
                last_updated=_newest(last.last_updated, level.last_updated),
                transaction_version=_newest(last.transaction_version, level.transaction_version),
            )
        else:
            out.append(level)
    return tuple(out)


def _newest(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if a >= b else b
