"""What a committed transaction did to orders, read from its on-chain events.

Each record is one Kana ``perpetual_core`` event converted to human units with the market's
parameters: sizes in base asset, prices and fees in quote currency. Order ids are u128 values
kept as their exact decimal strings; ``order_type`` is Kana's raw integer code. Timestamps are
unix seconds.
"""

from __future__ import annotations

from decimal import Decimal

from kana_async.models._base import Model
from kana_async.models.enums import Direction, Side

__all__ = ["OrderCancelled", "OrderFilled", "OrderPlaced", "TransactionEvents"]


def _side(side: Side) -> str:
    return "long" if side is Side.LONG else "short"


def _direction(direction: Direction) -> str:
    return "open" if direction is Direction.OPEN else "close"


class OrderPlaced(Model, frozen=True):
    """An order the exchange accepted (``PlaceOrderEvent``), before any fill of it.

    Attributes:
        market_id: the market.
        order_id: the new order's u128 id, exact, as a decimal string.
        side: long or short.
        direction: whether it opens/increases or closes/reduces a position.
        order_type: Kana's raw order-type code.
        size: the order's size in base asset.
        price: the limit price in quote currency; ``None`` for a market order.
        leverage: the leverage it was placed with.
        restriction: the raw limit-order restriction code (0 none, 1 fill-or-abort, 3 post-only).
        profile_address: the trading profile that owns the order.
        timestamp: when it was placed, unix seconds.
    """

    market_id: int
    order_id: str
    side: Side
    direction: Direction
    order_type: int
    size: Decimal
    price: Decimal | None
    leverage: int
    restriction: int
    profile_address: str
    timestamp: int

    @property
    def is_market(self) -> bool:
        """Whether it is a market order (placed without a price)."""
        return self.price is None

    def __repr__(self) -> str:
        at = "market" if self.price is None else f"@ {self.price}"
        return (
            f"OrderPlaced(market {self.market_id}, {_side(self.side)} "
            f"{_direction(self.direction)} {self.size} {at} x{self.leverage}, "
            f"id {self.order_id})"
        )


class OrderFilled(Model, frozen=True):
    """One side of a match (``FillEvent``): a match yields one for the taker and one for the maker.

    Attributes:
        market_id: the market.
        order_id: the filled order's u128 id, exact, as a decimal string.
        side: the filled order's side.
        direction: the filled order's direction.
        order_type: Kana's raw order-type code.
        size: the size filled by this match, in base asset.
        price: the match price in quote currency.
        fee: the fee charged to ``profile_address`` for this fill, in quote currency.
        is_maker: whether the filled order was the resting (maker) one.
        trade_id: the match's id, exact, as a decimal string.
        profile_address: the trading profile that owns the order.
        timestamp: when it matched, unix seconds.
    """

    market_id: int
    order_id: str
    side: Side
    direction: Direction
    order_type: int
    size: Decimal
    price: Decimal
    fee: Decimal
    is_maker: bool
    trade_id: str
    profile_address: str
    timestamp: int

    def __repr__(self) -> str:
        role = "maker" if self.is_maker else "taker"
        return (
            f"OrderFilled(market {self.market_id}, {_side(self.side)} "
            f"{_direction(self.direction)} {self.size} @ {self.price} {role}, fee {self.fee}, "
            f"id {self.order_id}, trade {self.trade_id})"
        )


class OrderCancelled(Model, frozen=True):
    """An order removed from the book without filling (``CancelOrderEvent``).

    Emitted for explicit cancels and for any remainder the exchange removes itself (the unfilled
    rest of a market order, an order removed to prevent a self-trade).

    Attributes:
        market_id: the market.
        order_id: the removed order's u128 id, exact, as a decimal string.
        side: the removed order's side.
        order_type: Kana's raw order-type code.
        profile_address: the trading profile that owned the order.
        timestamp: when it was removed, unix seconds.
    """

    market_id: int
    order_id: str
    side: Side
    order_type: int
    profile_address: str
    timestamp: int

    def __repr__(self) -> str:
        return f"OrderCancelled(market {self.market_id}, {_side(self.side)}, id {self.order_id})"


class TransactionEvents(Model, frozen=True):
    """The order events of one committed transaction, each kind in the order they happened.

    Attributes:
        placed: orders the transaction placed.
        filled: fills; one per side of every match (filter by ``profile_address`` for one's own).
        cancelled: orders it removed from the book.
        unknown: how many events were skipped unread: other kinds (margin, asset transfers,
            the order-book layer's own events...) and order events whose fields could not be
            read or whose market was not known.
        ignored: how many order events were read but left out because they belong to another
            package or another trading profile than the one asked for.
    """

    placed: tuple[OrderPlaced, ...] = ()
    filled: tuple[OrderFilled, ...] = ()
    cancelled: tuple[OrderCancelled, ...] = ()
    unknown: int = 0
    ignored: int = 0

    @property
    def placed_ids(self) -> tuple[str, ...]:
        """The ids of the placed orders, in order."""
        return tuple(event.order_id for event in self.placed)

    @property
    def cancelled_ids(self) -> tuple[str, ...]:
        """The ids of the removed orders, in order."""
        return tuple(event.order_id for event in self.cancelled)

    def __repr__(self) -> str:
        return (
            f"TransactionEvents(placed={len(self.placed)}, filled={len(self.filled)}, "
            f"cancelled={len(self.cancelled)}, unknown={self.unknown}, ignored={self.ignored})"
        )
