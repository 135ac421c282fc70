"""A read-only order-book view built from one ``orderbook`` websocket frame (a full snapshot)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from operator import attrgetter

from kana_async.models._base import Model, html_table, plain
from kana_async.models.market_data import OrderBookLevel

__all__ = ["OrderBook"]


class OrderBook(Model, frozen=True):
    """Both sides of a market's book, best price first.

    ``bids`` are sorted by price descending, ``asks`` ascending; levels at the same price are
    merged (sizes added). All prices and sizes are :class:`~decimal.Decimal`.

    Attributes:
        market_id: the market, or ``None`` for an empty frame that named none.
        bids: buy levels, highest price first.
        asks: sell levels, lowest price first.
    """

    market_id: int | None
    bids: tuple[OrderBookLevel, ...] = ()
    asks: tuple[OrderBookLevel, ...] = ()

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

    @property
    def last_updated(self) -> int | None:
        """Newest ``last_updated`` (unix seconds) among the levels, if any level has one."""
        return max(
            (u for lv in (*self.bids, *self.asks) if (u := lv.last_updated) is not None),
            default=None,
        )

    @property
    def transaction_version(self) -> int | None:
        """Newest ``transaction_version`` among the levels, if any level has one."""
        return max(
            (v for lv in (*self.bids, *self.asks) if (v := lv.transaction_version) is not None),
            default=None,
        )

    @property
    def best_bid(self) -> OrderBookLevel | None:
        """The highest bid, or ``None`` when there are no bids."""
        return self.bids[0] if self.bids else None

    @property
    def best_ask(self) -> OrderBookLevel | None:
        """The lowest ask, or ``None`` when there are no asks."""
        return self.asks[0] if self.asks else None

    @property
    def mid(self) -> Decimal | None:
        """``(best bid + best ask) / 2``, or ``None`` unless both sides have a level."""
        if not self.bids or not self.asks:
            return None
        return (self.bids[0].price + self.asks[0].price) / 2

    @property
    def spread(self) -> Decimal | None:
        """``best ask - best bid`` (negative if crossed); ``None`` if a side is empty."""
        if not self.bids or not self.asks:
            return None
        return self.asks[0].price - self.bids[0].price

    @property
    def is_empty(self) -> bool:
        """True when neither side has a level."""
        return not self.bids and not self.asks

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

    def __repr__(self) -> str:
        best = ""
        if self.bids or self.asks:
            bid = plain(self.bids[0].price) if self.bids else "-"
            ask = plain(self.asks[0].price) if self.asks else "-"
            best = f", best {bid} / {ask}"
        extra = ""
        if self.spread is not None and self.mid is not None:
            extra = f", spread {plain(self.spread)}, mid {plain(self.mid)}"
        return (
            f"OrderBook(market {self.market_id}: {len(self.bids)} bids, "
            f"{len(self.asks)} asks{best}{extra})"
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
        caption = f"market {self.market_id}: spread {spread}, mid {mid}"
        return html_table(["bid size", "bid", "ask", "ask size"], rows, caption=caption)


_price = attrgetter("price")


def _merged(levels: list[OrderBookLevel]) -> tuple[OrderBookLevel, ...]:
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
