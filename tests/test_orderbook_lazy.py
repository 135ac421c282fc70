"""Order books decoded lazily from ``orderbook`` frames: the same book as the eager ``Decimal`` one.

The reference is computed the eager way, independently of the lazy path: every level decoded
into ``Decimal`` by a JSON decoder of the test's own, checked as every stream row is (finite, of
a magnitude at most ``10**40``), then sorted and merged by :meth:`OrderBook.from_levels`.
Frames are written as JSON text by hand, so prices keep the exact spelling a server could send
(``5.70``, ``"5.7"``, 20 digits, exponents).
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from decimal import Decimal

import msgspec
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kana_async._streams import TOPICS
from kana_async._streams import book as stream_book
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


def _data(rows: list[str], single: bool = False) -> bytes:
    """The ``data`` member: the levels as a list, or the only one alone (``single``)."""
    assert not single or len(rows) == 1
    return (rows[0] if single else "[" + ",".join(rows) + "]").encode()


def _frame(rows: list[str], single: bool = False) -> bytes:
    return b'{"message":"orderbook","data":' + _data(rows, single) + b"}"


def _lazy(
    rows: list[str], key: int | None = 14, whole: bool = True, single: bool = False
) -> OrderBook:
    """The book as the stream decodes it: from the whole frame, or from its ``data`` member."""
    if whole:
        (book,) = TOPIC.decode_frame(_frame(rows, single), key)
    else:
        (book,) = TOPIC.decode(_data(rows, single), key)
    assert isinstance(book, OrderBook)
    return book


_REFERENCE = msgspec.json.Decoder(list[OrderBookLevel] | OrderBookLevel, strict=False)


def _reference(rows: list[str], key: int | None = 14, single: bool = False) -> OrderBook | str:
    """The eager book, or the kind of ``BadFrame`` the frame must be refused with."""
    try:
        decoded = _REFERENCE.decode(_data(rows, single))
    except msgspec.ValidationError:
        return "unexpected_shape"
    levels = decoded if isinstance(decoded, list) else [decoded]
    for value in [lv.price for lv in levels] + [lv.size for lv in levels]:
        if not value.is_finite() or (value and value.adjusted() > 40):
            return "bad_number"
    return OrderBook.from_levels(levels, key)


def _eager(rows: list[str], key: int | None = 14) -> OrderBook:
    book = _reference(rows, key)
    assert isinstance(book, OrderBook), book
    return book


def _outcome(rows: list[str], key: int | None, whole: bool, single: bool) -> OrderBook | str:
    try:
        return _lazy(rows, key, whole, single)
    except BadFrame as refused:
        return refused.kind


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
@given(rows=_rows(), keyed=st.booleans(), whole=st.booleans())
def test_the_lazy_book_is_the_eager_decimal_book(rows: list[str], keyed: bool, whole: bool) -> None:
    key = 14 if keyed else None
    _assert_same(_lazy(rows, key, whole), _eager(rows, key))


@settings(max_examples=200, deadline=None, database=None)
@given(rows=_rows(), whole=st.booleans())
def test_reading_the_sides_first_gives_the_same_best_levels(rows: list[str], whole: bool) -> None:
    book, eager = _lazy(rows, whole=whole), _eager(rows)
    assert book.bids == eager.bids and book.asks == eager.asks
    assert book.best_bid == eager.best_bid and book.best_ask == eager.best_ask


# Numbers in every JSON spelling: exponents (either case, signs, zero-padded), -0, magnitudes
# around the key bound (1e30) and the row check's (1e40), too small for a float, too large for
# a Decimal's exponent, and 15+ significant digits whose floats are equal.
_exponent = st.builds(
    lambda mantissa, e, sign, pad, power: f"{mantissa}{e}{sign}{'0' * pad}{power}",
    st.sampled_from(["1", "5.7", "0.57", "57", "9.99999999999999999", "0"]),
    st.sampled_from(["e", "E"]),
    st.sampled_from(["", "+", "-"]),
    st.integers(min_value=0, max_value=25),
    st.integers(min_value=0, max_value=400),
)
_edge = st.sampled_from(
    [
        "-0", "0", "0.0", "-0.0", "1e29", "9.999999999999999e29", "999999999999999999999999999999",
        "1e30", "1e31", "1e50", "1e400", "-1e400", "1e-300", "1e-400", "5e-324",
        "1e-99999999999999999999", "0e99999999999999999999",
        "0.1", "0.10000000000000000001", "0.09999999999999999999", "5.70", "5.7", "5.8",
    ]
)  # fmt: skip
_number = st.one_of(_plain, _plain.map(lambda p: "-" + p), _exponent, _edge)
# strings the lax decoders may read or refuse, and values of the wrong type
_odd = st.sampled_from(
    [
        '"NaN"', '"nan"', '"-nan"', '"Infinity"', '"-Infinity"', '"inf"', '"INF"', '" 5.7"',
        '"5.7 "', '"+5"', '".5"', '"5."', '"1_0"', '"05"', '"abc"', '""', '"0x10"',
        "true", "null", "[5.7]", "{}", '{"a":1}',
    ]
)  # fmt: skip
_text = st.one_of(_number, _number.map(lambda n: f'"{n}"'), _odd)


@st.composite
def _wild_rows(draw: st.DrawFn) -> list[str]:
    rows = []
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        odd = draw(st.integers(0, 9)) == 0  # most frames are usable, so both paths are hit
        rows.append(
            _row(
                draw(_text if odd else st.one_of(_number, _number.map(lambda n: f'"{n}"'))),
                draw(_text) if odd and draw(st.booleans()) else f'"{draw(_size)}"',
                ask=draw(st.booleans()),
                version=draw(st.integers(min_value=0, max_value=9)),
            )
        )
    return rows


_BIG_TWICE = (
    '{"market_id":"14","is_ask":false,"price":0.57e41,"size":"3","last_updated":1747075649,'
    '"transaction_version":0}'
)


@settings(max_examples=600, deadline=None, database=None)
@given(rows=_wild_rows(), keyed=st.booleans(), whole=st.booleans(), single=st.booleans())
@example(rows=[_BIG_TWICE, _BIG_TWICE], keyed=False, whole=False, single=False)  # found: in range
def test_any_texts_give_the_eager_book_or_are_refused_as_the_eager_path_refuses(
    rows: list[str], keyed: bool, whole: bool, single: bool
) -> None:
    key = 14 if keyed else None
    rows = rows[:1] if single else rows
    expected = _reference(rows, key, single)
    got = _outcome(rows, key, whole, single)
    if isinstance(expected, str):
        assert got == expected
    else:
        assert isinstance(got, OrderBook), got
        _assert_same(got, expected)


_key_decode = msgspec.json.Decoder(list[WireLevel], strict=False).decode


@settings(max_examples=1000, deadline=None, database=None)
@given(
    text=st.one_of(
        st.text(alphabet="0123456789.-+eE", min_size=1, max_size=30),
        st.text(alphabet="0123456789.-+eEnaiftyNAIFTY_ x", max_size=12),
        _number,
    ),
    quoted=st.booleans(),
)
def test_a_text_read_as_a_key_is_a_decimal_of_that_float(text: str, quoted: bool) -> None:
    """What the lazy book relies on: every key the decoder accepts has a bounded ``Decimal``."""
    value = f'"{text}"' if quoted else text
    frame = f'[{{"market_id":14,"is_ask":true,"price":{value},"size":{value}}}]'.encode()
    try:
        (row,) = _key_decode(frame)
    except msgspec.DecodeError:
        return  # refused: such a frame takes the exact path
    exact = _REFERENCE.decode(frame)[0].price  # must not fail
    assert exact.is_finite() and 0 < exact < 10**30
    assert float(exact) == row.price == row.size


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


@pytest.mark.parametrize("whole", [True, False])
def test_equal_prices_spelled_differently_merge(whole: bool) -> None:
    rows = [
        _row("5.7", '"1"', ask=False, version=3),
        _row("5.70", '"2.5"', ask=False, version=5),
        _row("5.69", '"1"', ask=False),
        _row("5.80", '"4"', ask=True),
    ]
    book = _lazy(rows, whole=whole)
    best = book.best_bid
    assert best is not None and best.price == Decimal("5.7") and best.size == Decimal("3.5")
    assert best.transaction_version == 5 and len(book.bids) == 2
    _assert_same(_lazy(rows, whole=whole), _eager(rows))


@pytest.mark.parametrize("whole", [True, False])
def test_prices_sharing_a_float_are_ordered_exactly_and_not_merged(whole: bool) -> None:
    low, high = "0.1", "0.10000000000000000001"
    assert float(low) == float(high) and Decimal(low) < Decimal(high)
    book = _lazy([_row(low, '"1"', ask=False), _row(high, '"2"', ask=False)], whole=whole)
    assert book.best_bid is not None and book.best_bid.price == Decimal(high)
    assert [lv.price for lv in book.bids] == [Decimal(high), Decimal(low)]
    asks = _lazy([_row(high, '"1"', ask=True), _row(low, '"2"', ask=True)], whole=whole)
    assert asks.best_ask is not None and asks.best_ask.price == Decimal(low)


def test_asks_one_float_apart_are_ordered_by_their_own_floats() -> None:
    # two asks one float apart whose reciprocals are equal: a key made by arithmetic on the
    # price (such as 1 / price) would tie them and lose the order the floats keep
    low, high = "1.9", "1.9000000000000001"
    assert float(low) < float(high) and 1 / float(low) == 1 / float(high)
    rows = [_row("1.8", '"1"', ask=False), _row(high, '"1"', ask=True), _row(low, '"2"', ask=True)]
    book = _lazy(rows)
    assert book.best_ask is not None and book.best_ask.price == Decimal(low)
    assert book.best_ask.size == Decimal(2)
    _assert_same(_lazy(rows), _eager(rows))


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


def test_numbers_in_json_syntax_take_the_lazy_path_and_the_rest_the_exact_one() -> None:
    lazy = ("5.7", '"5.7"', "5.8e0", '"58E-1"', "1e-300", '"9.99e29"', "0.10000000000000000001")
    for price in lazy:
        book = _lazy([_row("5.6", '"1"', ask=False), _row(price, '"2"', ask=True)])
        assert book._bids is None and book._asks is None, price  # nothing sorted or made yet
        assert book.best_ask is not None and book.best_ask.price == Decimal(price.strip('"'))
        assert book._bids is None and book._asks is None, price  # still not
    # spaces, no leading digit, a zero or negative value, too small for a float: the exact path
    for price in ('" 5.8"', '".5"', "0", "-0", "-5.8", "1e-999999999", "1e30"):
        book = _lazy([_row("5.7", '"1"', ask=False), _row(price, '"2"', ask=True)])
        assert book._bids is not None and book._asks is not None, price
        assert book == _eager([_row("5.7", '"1"', ask=False), _row(price, '"2"', ask=True)])


@pytest.mark.parametrize("whole", [True, False])
def test_a_single_level_sent_alone_is_a_book(whole: bool) -> None:
    rows = [_row("5.7", '"1.5"', ask=True, version=4)]
    book = _lazy(rows, whole=whole, single=True)
    assert book.best_ask == OrderBookLevel(
        market_id=14,
        is_ask=True,
        price=Decimal("5.7"),
        size=Decimal("1.5"),
        last_updated=1747075653,
        transaction_version=4,
    )
    assert book.best_bid is None and book.mid is None
    _assert_same(_lazy(rows, whole=whole, single=True), _eager(rows))
    # refused as a list of it would be
    with pytest.raises(BadFrame) as refused:
        _lazy([_row('"NaN"', '"1"', ask=True)], whole=whole, single=True)
    assert refused.value.kind == "bad_number"


@pytest.mark.parametrize(
    "price",
    [
        "1e-99999999999999999999",  # a float 0.0, but no Decimal reads the exponent
        '"1e-99999999999999999999"',
        "0e99999999999999999999",
        "-1e-99999999999999999999",
    ],
)
def test_a_zero_whose_exponent_no_decimal_holds_is_refused_when_decoded(price: str) -> None:
    rows = [_row("5.6", '"1"', ask=False), _row(price, '"1"', ask=True)]
    with pytest.raises(BadFrame) as refused:
        TOPIC.decode_frame(_frame(rows), 14)
    assert refused.value.kind == "unexpected_shape"
    sizes = [_row("5.6", '"1"', ask=False), _row("5.8", price, ask=True)]
    with pytest.raises(BadFrame):
        TOPIC.decode_frame(_frame(sizes), 14)


def test_repeated_members_count_as_the_last_one_on_every_path() -> None:
    # the JSON decoders keep the last of a repeated member, the lean one as the exact ones
    level = _row("5.9", '"2"', ask=True).replace('"price":', '"price":"4.1","price":', 1)
    book = _lazy([_row("5.6", '"1"', ask=False), level])
    assert book == _eager([_row("5.6", '"1"', ask=False), level])
    best = book.best_ask
    assert best is not None and best.price == Decimal("5.9") and best.size == Decimal(2)
    assert [lv.price for lv in book.asks] == [Decimal("5.9")]
    assert book.mid == Decimal("5.75")
    # a first "data" of another shape: the levels' texts are still found
    data = '{"message":"orderbook","data":' + level + ',"data":[' + level + "]}"
    (again,) = TOPIC.decode_frame(data.encode(), 14)
    assert again.best_ask == best and again.asks == (best,)


# -- one level read from its own text, cut from the frame by its braces -----------------------


def _extra(row: str, member: str) -> str:
    """``row`` with one more member (unknown to the decoders) before its first."""
    return row.replace("{", "{" + member + ",", 1)


_FAKE = _row("9.9", '"1"', ask=False)  # shaped like a level, where no level is


@pytest.mark.parametrize("whole", [True, False])
@pytest.mark.parametrize(
    "rows",
    [
        # level-shaped objects nested in a level before the best one: they hold the openings
        # that counting braces from the start would take for the best level's
        [
            _extra(_row("5.6", '"1"', ask=False), f'"x":[{_FAKE},{_FAKE}]'),
            _row("5.7", '"2"', ask=False),
            _row("5.8", '"3"', ask=True),
        ],
        [_row("5.6", '"1"', ask=False), _extra(_row("5.7", '"2"', ask=False), f'"x":{_FAKE}')],
        # braces in strings: before the best level, and in it
        [_extra(_row("5.6", '"1"', ask=False), '"x":"{{}"'), _row("5.7", '"2"', ask=False)],
        [_extra(_row("5.7", '"2"', ask=False), '"x":"}, {"'), _row("5.6", '"1"', ask=False)],
        # a "}" in a string of a best level that is not the last: cut at its own last "}"
        [_extra(_row("5.7", '"2"', ask=False), '"x":"}"'), _row("5.8", '"1"', ask=True)],
    ],
)
def test_a_best_level_is_its_own_text_whatever_braces_the_frame_holds(
    rows: list[str], whole: bool
) -> None:
    _assert_same(_lazy(rows, whole=whole), _eager(rows))


def test_the_last_level_is_read_exactly_when_a_later_member_holds_brackets() -> None:
    # the cut of the last level ends at the "}" of the string after the list: its decode
    # fails, and the levels' texts find the level
    rows = [_row("5.6", '"1"', ask=False), _row("5.8", '"2"', ask=True)]
    (book,) = TOPIC.decode_frame(_frame(rows)[:-1] + b',"x":"}]"}', 14)
    assert isinstance(book, OrderBook)
    _assert_same(book, _eager(rows))


def test_a_plain_frame_reads_a_best_level_without_a_pass_over_every_level(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    passes: list[object] = []
    every_text = stream_book._frame_texts

    def counted(raw: object) -> object:
        passes.append(raw)
        return every_text(raw)

    monkeypatch.setattr(stream_book, "_frame_texts", counted)
    rows = [_row("5.6", '"1"', ask=False), _row("5.7", '"2"', ask=False)]
    rows += [_row("5.9", '"3"', ask=True), _row("5.8", '"4"', ask=True)]
    book, eager = _lazy(rows), _eager(rows)
    assert book.best_bid == eager.best_bid and book.best_ask == eager.best_ask
    assert passes == []  # each level cut from the frame
    nested = [_extra(rows[0], f'"x":{_FAKE}'), *rows[1:]]
    book, eager = _lazy(nested), _eager(nested)
    assert book.best_bid == eager.best_bid
    assert len(passes) == 1  # a brace no level opens: the texts of every level decide


def _nested(depth: int) -> list[str]:
    deep = '"x":' + "[" * depth + "]" * depth + ","
    return [
        _row("5.7", '"1"', ask=False).replace("{", "{" + deep, 1),
        _row("5.8", '"2"', ask=True).replace("{", "{" + deep, 1),
    ]


def test_a_level_nested_near_the_limit_is_read_from_deep_code_too() -> None:
    # the decoder's nesting limit counts the caller's frames: find the deepest frame the
    # stream accepts here, then read its levels from 150 calls deeper
    low, high = 1, 5000
    while low < high:
        mid = (low + high + 1) // 2
        try:
            _lazy(_nested(mid))
            low = mid
        except BadFrame:
            high = mid - 1
    rows = _nested(low)
    eager = _eager(rows)

    def deeper(calls: int, read: Callable[[], object]) -> object:
        return read() if calls == 0 else deeper(calls - 1, read)

    # each book decoded here, its levels read from deeper code (each read decodes its part)
    book = _lazy(rows)
    assert deeper(150, lambda: book.best_bid) == eager.best_bid
    assert deeper(150, lambda: book.best_ask) == eager.best_ask
    sides = _lazy(rows)
    assert deeper(150, lambda: sides.asks) == eager.asks
    assert sides.bids == eager.bids


@pytest.mark.parametrize(
    ("frame", "kind"),
    [
        (b'{"message":"orderbook","data":[{"market_id":"14","is_ask":true,', "malformed_json"),
        (b'{"message":"orderbook","data":[{"market_id":"14"', "malformed_json"),
        (b"not json", "malformed_json"),
        (b'{"message":"orderbook","data":5}', "unexpected_shape"),
        (b'{"message":"orderbook","data":[5]}', "unexpected_shape"),
        (b'{"message":"orderbook"}', "unexpected_shape"),
        (b'{"message":"orderbook","data":' + b"[" * 5000 + b"]" * 5000 + b"}", None),
    ],
)
def test_unusable_frames_are_classified_as_before(frame: bytes, kind: str | None) -> None:
    with pytest.raises(BadFrame) as refused:
        TOPIC.decode_frame(frame, 14)
    if kind is not None:
        assert refused.value.kind == kind
    else:  # too deep for the decoder, or a shape error: never anything but a BadFrame
        assert refused.value.kind in ("too_deep", "unexpected_shape")


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
