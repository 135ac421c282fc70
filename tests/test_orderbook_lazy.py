"""Order books decoded lazily from ``orderbook`` frames: the same book as the eager ``Decimal`` one.

The reference is computed the eager way, independently of the lazy path: every level decoded
into ``Decimal`` by the JSON decoder, then sorted and merged by :meth:`OrderBook.from_levels`.
Frames are written as JSON text by hand, so prices keep the exact spelling a server could send
(``5.70``, ``"5.7"``, 20 digits).
"""

from __future__ import annotations

import pickle
from decimal import Decimal

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kana_async._codec import decode
from kana_async._streams import TOPICS
from kana_async._streams.book import book_of
from kana_async._streams.frames import BadFrame
from kana_async.models._book_wire import WireLevel
from kana_async.models.market_data import OrderBookLevel
from kana_async.models.orderbook import OrderBook

TOPIC = TOPICS["orderbook"]


def _row(price: str, size: str, *, ask: bool, version: int = 1, market: str = '"14"') -> str:
    """One level as JSON text; ``price`` and ``size`` are written exactly as given."""
    return (
        f'{{"market_id":{market},"is_ask":{"true" if ask else "false"},"price":{price},'
        f'"size":{size},"last_updated":{1747075649 + version},"transaction_version":{version}}}'
    )


def _frame(rows: list[str]) -> bytes:
    return ('{"message":"orderbook","data":[' + ",".join(rows) + "]}").encode()


def _lazy(rows: list[str], key: int | None = 14, kept: bool = True) -> OrderBook:
    """The book as the stream decodes it; ``kept=False``: built without the frame's JSON."""
    if kept:
        (book,) = TOPIC.decode_frame(_frame(rows), key)
    else:  # whole sides made level by level from the wire rows
        wire = decode(("[" + ",".join(rows) + "]").encode(), list[WireLevel])
        book = book_of(wire, key)
    assert isinstance(book, OrderBook)
    return book


def _eager(rows: list[str], key: int | None = 14) -> OrderBook:
    levels = decode(("[" + ",".join(rows) + "]").encode(), list[OrderBookLevel])
    return OrderBook.from_levels(levels, key)


def _assert_same(lazy: OrderBook, eager: OrderBook) -> None:
    # the best levels first, before the sides are built (the path that sorts nothing)
    assert lazy.best_bid == eager.best_bid and lazy.best_ask == eager.best_ask
    assert lazy.mid == eager.mid and lazy.spread == eager.spread
    assert lazy.last_updated == eager.last_updated
    assert lazy.transaction_version == eager.transaction_version
    assert lazy.market_id == eager.market_id and lazy.is_empty == eager.is_empty
    assert lazy.bids == eager.bids and lazy.asks == eager.asks
    assert [str(lv.price) for lv in lazy.bids + lazy.asks] == [
        str(lv.price) for lv in eager.bids + eager.asks
    ]  # the very spelling, not just the value
    assert lazy.depth() == eager.depth() and lazy.depth(2) == eager.depth(2)
    assert lazy == eager and eager == lazy and hash(lazy) == hash(eager)
    assert repr(lazy) == repr(eager) and lazy._repr_html_() == eager._repr_html_()


# -- hypothesis: random frames against the eager computation ----------------------------------

_plain = st.builds(
    lambda whole, frac, zeros: f"{whole}.{frac}{'0' * zeros}" if frac else str(whole),
    st.integers(min_value=0, max_value=10**6),
    st.sampled_from(["", "5", "57", "7", "75", "0001", "9999", "1234567890123"]),
    st.integers(min_value=0, max_value=3),
)
# prices that share a float but not a value (more than 15 significant digits)
_close = st.sampled_from(["0.1", "0.10000000000000000001", "0.09999999999999999999", "0.100"])
_price = st.one_of(_plain, _plain.map(lambda p: "-" + p), _close)
_size = st.one_of(_plain, st.sampled_from(["3", "0.5", "0", "229.64"]))


@st.composite
def _rows(draw: st.DrawFn) -> list[str]:
    rows = []
    for _ in range(draw(st.integers(min_value=0, max_value=14))):
        price, size = draw(_price), draw(_size)
        quoted_price = draw(st.booleans()) and draw(st.booleans())  # mostly numbers, as sent
        rows.append(
            _row(
                f'"{price}"' if quoted_price else price,
                size if draw(st.integers(0, 5)) == 0 else f'"{size}"',
                ask=draw(st.booleans()),
                version=draw(st.integers(min_value=0, max_value=9)),
            )
        )
    if draw(st.booleans()):  # as the exchange sends them: bids, then asks
        rows.sort(key=lambda r: '"is_ask":true' in r)
    return rows


@settings(max_examples=400, deadline=None, database=None)
@given(rows=_rows(), keyed=st.booleans(), kept=st.booleans())
def test_the_lazy_book_is_the_eager_decimal_book(rows: list[str], keyed: bool, kept: bool) -> None:
    key = 14 if keyed else None
    _assert_same(_lazy(rows, key, kept), _eager(rows, key))


@settings(max_examples=200, deadline=None, database=None)
@given(rows=_rows(), kept=st.booleans())
def test_reading_the_sides_first_gives_the_same_best_levels(rows: list[str], kept: bool) -> None:
    book, eager = _lazy(rows, kept=kept), _eager(rows)
    assert book.bids == eager.bids and book.asks == eager.asks
    assert book.best_bid == eager.best_bid and book.best_ask == eager.best_ask


_decimal_text = st.decimals(allow_nan=False, allow_infinity=False, places=None).map(
    lambda d: f"{d:f}"
)


@settings(max_examples=500, deadline=None, database=None)
@given(x=_decimal_text, y=_decimal_text)
def test_float_keys_never_reverse_an_order_and_equal_values_share_a_key(x: str, y: str) -> None:
    keys = msgspec.json.decode(f"[{x},{y}]".encode(), type=list[float])
    assert keys == [float(x), float(y)]  # the decoder rounds as correctly as float() does
    if keys[0] < keys[1]:
        assert Decimal(x) < Decimal(y)
    if Decimal(x) == Decimal(y):
        assert keys[0] == keys[1]


# -- what the wire may send ---------------------------------------------------------------------


@pytest.mark.parametrize("kept", [True, False])
def test_equal_prices_spelled_differently_merge(kept: bool) -> None:
    rows = [
        _row("5.7", '"1"', ask=False, version=3),
        _row("5.70", '"2.5"', ask=False, version=5),
        _row("5.69", '"1"', ask=False),
        _row("5.80", '"4"', ask=True),
    ]
    book = _lazy(rows, kept=kept)
    best = book.best_bid
    assert best is not None and best.price == Decimal("5.7") and best.size == Decimal("3.5")
    assert best.transaction_version == 5 and len(book.bids) == 2
    _assert_same(_lazy(rows, kept=kept), _eager(rows))


@pytest.mark.parametrize("kept", [True, False])
def test_prices_sharing_a_float_are_ordered_exactly_and_not_merged(kept: bool) -> None:
    low, high = "0.1", "0.10000000000000000001"
    assert float(low) == float(high) and Decimal(low) < Decimal(high)
    book = _lazy([_row(low, '"1"', ask=False), _row(high, '"2"', ask=False)], kept=kept)
    assert book.best_bid is not None and book.best_bid.price == Decimal(high)
    assert [lv.price for lv in book.bids] == [Decimal(high), Decimal(low)]
    asks = _lazy([_row(high, '"1"', ask=True), _row(low, '"2"', ask=True)], kept=kept)
    assert asks.best_ask is not None and asks.best_ask.price == Decimal(low)


def test_lax_numbers_are_read_exactly() -> None:
    book = _lazy(
        [
            _row('"5.70"', "2", ask=False),  # a quoted price, a numeric size
            _row("5.8e0", '".5"', ask=True),  # an exponent, a size without a leading digit
            _row("-0", '"1"', ask=False),
        ]
    )
    assert book.best_bid is not None and str(book.best_bid.price) == "5.70"
    assert book.best_bid.size == Decimal(2)
    assert book.best_ask is not None and book.best_ask.price == Decimal("5.8")
    assert book.best_ask.size == Decimal("0.5")
    assert str(book.bids[1].price) == "0"  # -0 read as the JSON decoder reads it


def test_only_plain_decimal_texts_take_the_lazy_path() -> None:
    plain = _lazy([_row("5.7", '"1"', ask=False), _row('"5.8"', "2", ask=True)])
    assert plain._bids is None and plain._asks is None  # nothing sorted or made yet
    for price in ("5.8e0", "1e-999999999", '" 5.8"'):  # exponents, spaces: the exact path
        book = _lazy([_row("5.7", '"1"', ask=False), _row(price, '"2"', ask=True)])
        assert book._bids is not None and book._asks is not None, price


@pytest.mark.parametrize(
    ("price", "size", "kind"),
    [
        ("5.7", '"Infinity"', "bad_number"),
        ("5.7", '"-Infinity"', "bad_number"),
        ("5.7", '"NaN"', "bad_number"),
        ("1e999", '"1"', "bad_number"),
        ('"1e400"', '"1"', "bad_number"),
        ("1" + "0" * 60, '"1"', "bad_number"),
        ("5.7", '"1' + "0" * 60 + '"', "bad_number"),
        ("5.7", '"abc"', "unexpected_shape"),
        ("5.7", '""', "unexpected_shape"),
        ("5.7", '"."', "unexpected_shape"),
        ("5.7", '"1.2.3"', "unexpected_shape"),
        ("5.7", '"1,2"', "unexpected_shape"),
        ("5.7", '"5-3"', "unexpected_shape"),
        ('"abc"', '"1"', "unexpected_shape"),
        ("true", '"1"', "unexpected_shape"),
        ("[5.7]", '"1"', "unexpected_shape"),
        ("5.7", "null", "unexpected_shape"),
    ],
)
def test_a_frame_a_property_could_fail_on_is_refused_when_decoded(
    price: str, size: str, kind: str
) -> None:
    rows = [_row("5.6", '"1"', ask=False), _row(price, size, ask=True)]
    with pytest.raises(BadFrame) as refused:
        TOPIC.decode_frame(_frame(rows), 14)
    assert refused.value.kind == kind


def test_a_level_without_a_side_or_a_usable_market_is_refused() -> None:
    no_side = '{"market_id":"14","price":5.7,"size":"1"}'
    with pytest.raises(BadFrame) as refused:
        TOPIC.decode_frame(_frame([no_side]), 14)
    assert refused.value.kind == "unexpected_shape"
    with pytest.raises(BadFrame):
        TOPIC.decode_frame(_frame([_row("5.7", '"1"', ask=True, market='"x"')]), 14)


# -- the view itself ----------------------------------------------------------------------------


def test_the_book_pickles_hashes_and_cannot_be_changed() -> None:
    book = _lazy([_row("5.7", '"1"', ask=False), _row("5.8", '"2"', ask=True)])
    again = pickle.loads(pickle.dumps(book))
    assert again == book and hash(again) == hash(book) and again.mid == Decimal("5.75")
    assert OrderBook(market_id=14, bids=book.bids, asks=book.asks) == book
    assert book != OrderBook(market_id=15, bids=book.bids, asks=book.asks)
    with pytest.raises(AttributeError):
        book.market_id = 15  # type: ignore[misc]
    with pytest.raises(AttributeError):
        book.bids = ()  # type: ignore[misc]
