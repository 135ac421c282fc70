"""What the stream benchmarks' clients decode frames into, and how each touches an item.

* the plain structs (:data:`FRAME_TYPES`) have the SDK rows' fields and types (``Decimal``
  money): the hand-written baselines decode every frame into them;
* the lean structs (:data:`LEAN_TYPES`) keep only the touched fields (prices as float order
  keys): the lean floor's decode, touched by :func:`touch_lean`;
* a touch reads what a bot reads: the best bid's price of a book (a ``Decimal``; the baselines
  take the ``max`` of the bid prices, the SDK reads ``book.best_bid.price``) and the ``Decimal``
  size of every row.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

# -- baselines: plain structs with the SDK rows' fields and types ------------------------------


class Level(msgspec.Struct, gc=False):
    is_ask: bool
    price: Decimal
    size: Decimal
    market_id: str
    last_updated: int
    transaction_version: int


class Book(msgspec.Struct, gc=False):
    message: str
    data: list[Level]


class Position(msgspec.Struct, gc=False):
    address: str
    market_id: str
    size: Decimal
    entry_price: Decimal
    liq_price: Decimal
    margin: Decimal
    value: Decimal
    leverage: int
    is_long: bool
    last_updated: str
    trade_id: str
    sl: Decimal | None = None
    tp: Decimal | None = None


class Order(msgspec.Struct, gc=False):
    address: str
    order_id: str
    market_id: str
    size: Decimal
    price: Decimal
    order_value: Decimal
    status: str
    order_type: int
    is_market_order: bool
    leverage: int
    timestamp: int
    last_updated: int
    trade_id: str
    transaction_version: int


class Positions(msgspec.Struct, gc=False):
    message: str
    data: list[Position]


class Orders(msgspec.Struct, gc=False):
    message: str
    data: list[Order]


class LeanLevel(msgspec.Struct, gc=False):
    is_ask: bool
    price: float  # an order key only: the best bid's Decimal is made from this one float


class LeanBook(msgspec.Struct, gc=False):
    data: list[LeanLevel]


class LeanRow(msgspec.Struct, gc=False):
    size: Decimal


class LeanRows(msgspec.Struct, gc=False):
    data: list[LeanRow]


#: The least a msgspec decode can build and still give the touched numbers: each level's side
#: and price as a ``float`` (no ``Decimal`` per level; the best bid's ``Decimal`` is made from
#: its float, inexact in general, so this is a floor, not a client), each row's ``Decimal``
#: size (every other field skipped unparsed).
LEAN_TYPES: dict[str, type] = {
    "orderbook": LeanBook,
    "positions": LeanRows,
    "order_history": LeanRows,
}

FRAME_TYPES: dict[str, type] = {
    "orderbook": Book,
    "positions": Positions,
    "order_history": Orders,
}


def touch_plain(topic: str, frame: Any) -> list[Any]:
    """The items a reader of ``frame`` gets, touched (best bid of a book, size of a row)."""
    if topic == "orderbook":
        bids = [level.price for level in frame.data if not level.is_ask]
        return [max(bids) if bids else None]
    return [row.size for row in frame.data]


def touch_lean(topic: str, frame: Any) -> list[Any]:
    """:func:`touch_plain` of a lean frame: the best bid's ``Decimal`` from its float key."""
    if topic == "orderbook":
        bids = [level.price for level in frame.data if not level.is_ask]
        return [Decimal(repr(max(bids))) if bids else None]
    return [row.size for row in frame.data]


def touch_json(topic: str, msg: dict[str, Any]) -> int:
    if topic == "orderbook":
        bids = [Decimal(str(lv["price"])) for lv in msg["data"] if not lv["is_ask"]]
        max(bids)  # the best bid, as the other clients read it
        return 1
    return sum(1 for row in msg["data"] if Decimal(row["size"]))


def touch_sdk(topic: str, item: Any) -> Decimal | None:
    """What a bot reads of an SDK item: the best bid's price (a ``Decimal``), a row's size."""
    if topic == "orderbook":
        best = item.best_bid
        return None if best is None else best.price  # an empty book has no best bid
    return item.size
