"""The OrderBook view built from an ``orderbook`` frame."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kana_async._codec import decode
from kana_async.models.market_data import OrderBookLevel
from kana_async.models.orderbook import OrderBook

FRAME = b"""[
 {"market_id": "14", "is_ask": true,  "price": 5.80, "size": "3", "last_updated": 10,
  "transaction_version": 7},
 {"market_id": "14", "is_ask": false, "price": 5.70, "size": "2", "last_updated": 11,
  "transaction_version": 9},
 {"market_id": "14", "is_ask": true,  "price": 5.75, "size": "1.5", "last_updated": 12,
  "transaction_version": 8},
 {"market_id": "14", "is_ask": false, "price": 5.72, "size": "4"},
 {"market_id": "14", "is_ask": true,  "price": 5.80, "size": "0.5"}
]"""


def _book() -> OrderBook:
    return OrderBook.from_levels(decode(FRAME, list[OrderBookLevel]))


def test_sides_are_sorted_best_first_and_same_prices_merge() -> None:
    book = _book()
    assert book.market_id == 14
    assert [lv.price for lv in book.bids] == [Decimal("5.72"), Decimal("5.70")]
    assert [lv.price for lv in book.asks] == [Decimal("5.75"), Decimal("5.80")]
    assert book.asks[1].size == Decimal("3.5")  # 3 + 0.5 at 5.80
    assert all(isinstance(lv.price, Decimal) and isinstance(lv.size, Decimal) for lv in book.asks)
    assert book.last_updated == 12 and book.transaction_version == 9


def test_best_mid_spread_depth() -> None:
    book = _book()
    assert book.best_bid is not None and book.best_bid.price == Decimal("5.72")
    assert book.best_ask is not None and book.best_ask.price == Decimal("5.75")
    assert book.mid == Decimal("5.735")
    assert book.spread == Decimal("0.03")
    assert book.depth() == (Decimal("6"), Decimal("5.0"))
    assert book.depth(1) == (Decimal("4"), Decimal("1.5"))
    assert book.depth(0) == (Decimal(0), Decimal(0))
    with pytest.raises(ValueError):
        book.depth(-1)
    assert not book.is_empty


def test_prices_never_pass_through_float() -> None:
    levels = decode(
        b'[{"market_id":1,"is_ask":true,"price":0.1000000000000000055,"size":"1"}]',
        list[OrderBookLevel],
    )
    assert OrderBook.from_levels(levels).asks[0].price == Decimal("0.1000000000000000055")


def test_empty_and_one_sided_books() -> None:
    empty = OrderBook.from_levels([], market_id=14)
    assert empty.is_empty and empty.market_id == 14
    assert empty.best_bid is None and empty.best_ask is None
    assert empty.mid is None and empty.spread is None
    assert empty.depth() == (Decimal(0), Decimal(0))
    bids_only = OrderBook.from_levels(
        [OrderBookLevel(market_id=3, is_ask=False, price=Decimal(1), size=Decimal(2))]
    )
    assert bids_only.market_id == 3
    assert bids_only.best_bid is not None and bids_only.best_ask is None
    assert bids_only.mid is None and bids_only.spread is None


def test_crossed_book_has_negative_spread() -> None:
    book = OrderBook.from_levels(
        [
            OrderBookLevel(market_id=1, is_ask=False, price=Decimal("10"), size=Decimal(1)),
            OrderBookLevel(market_id=1, is_ask=True, price=Decimal("9"), size=Decimal(1)),
        ]
    )
    assert book.spread == Decimal(-1)
