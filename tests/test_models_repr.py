"""Models print short and readable (plain decimals) and show as HTML tables in notebooks."""

from __future__ import annotations

from decimal import Decimal

from kana_async import MarketPrice, OrderBook, OrderHistoryEntry, OrderStatus, Position, Trade
from kana_async.models import OrderBookLevel, Transfer

ADDRESS = "0x" + "ab" * 31 + "cd"


def _level(price: str, size: str, *, ask: bool) -> OrderBookLevel:
    return OrderBookLevel(market_id=1338, is_ask=ask, price=Decimal(price), size=Decimal(size))


def test_a_model_repr_has_plain_decimals_and_skips_empty_fields() -> None:
    price = MarketPrice(best_ask_price=Decimal("5.756"), best_bid_price=Decimal("5.748"))
    assert repr(price) == "MarketPrice(best_ask_price=5.756, best_bid_price=5.748)"
    assert repr(MarketPrice()) == "MarketPrice()"
    trade = Trade(market_id=1338, size=Decimal("1.5"), price=Decimal("5.75E+0"), trade_id="42")
    assert repr(trade) == "Trade(market_id=1338, size=1.5, price=5.75, trade_id='42', leverage=0)"


def test_long_addresses_are_shortened_and_u128_ids_kept_whole() -> None:
    order = OrderHistoryEntry(
        address=ADDRESS,
        order_id=str(2**100 + 7),
        market_id=1338,
        size=Decimal(1),
        price=Decimal("4.000"),
        status=OrderStatus.PARTIALLY_FILLED,
    )
    text = repr(order)
    assert "address='0xababab…ababcd'" in text
    assert f"order_id='{2**100 + 7}'" in text
    assert "price=4.000" in text and "status=PARTIALLY_FILLED" in text
    assert "Decimal" not in text


def test_a_model_shows_as_an_html_table() -> None:
    position = Position(market_id=1338, size=Decimal("2.5"), is_long=True, address="<b>x</b>")
    page = position._repr_html_()
    assert page.startswith("<table><caption>Position</caption>")
    assert "<tr><td>size</td><td>2.5</td></tr>" in page
    assert "<tr><td>is_long</td><td>True</td></tr>" in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page
    assert "<td>tp</td>" not in page  # None fields are left out
    transfer = Transfer(amount=Decimal("100.000000"), is_deposit=True)
    assert "<tr><td>amount</td><td>100.000000</td></tr>" in transfer._repr_html_()


def test_the_order_book_repr_is_one_summary_line() -> None:
    book = OrderBook.from_levels(
        [
            _level("5.748", "3", ask=False),
            _level("5.747", "1", ask=False),
            _level("5.756", "1.5", ask=True),
        ]
    )
    assert repr(book) == (
        "OrderBook(market 1338: 2 bids, 1 asks, best 5.748 / 5.756, spread 0.008, mid 5.752)"
    )
    one_sided = OrderBook.from_levels([_level("5.748", "3", ask=False)])
    assert repr(one_sided) == "OrderBook(market 1338: 1 bids, 0 asks, best 5.748 / -)"
    assert repr(OrderBook(market_id=None)) == "OrderBook(market None: 0 bids, 0 asks)"


def test_the_order_book_shows_as_a_depth_table() -> None:
    book = OrderBook.from_levels(
        [
            _level("5.748", "3", ask=False),
            _level("5.747", "1", ask=False),
            _level("5.756", "1.5", ask=True),
        ]
    )
    page = book._repr_html_()
    assert "<caption>market 1338: spread 0.008, mid 5.752</caption>" in page
    assert "<th>bid size</th><th>bid</th><th>ask</th><th>ask size</th>" in page
    assert "<tr><td>3</td><td>5.748</td><td>5.756</td><td>1.5</td></tr>" in page
    assert "<tr><td>1</td><td>5.747</td><td></td><td></td></tr>" in page
    assert "spread -, mid -" in OrderBook(market_id=1338)._repr_html_()
