"""Decoding Kana's on-chain order events into typed records in human units."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kana_async._aptos.events import committed_events, decode_events, package_of
from kana_async._exceptions import ResponseDecodeError
from kana_async.models.enums import Direction, Side
from kana_async.models.events import OrderCancelled, OrderFilled, OrderPlaced, TransactionEvents
from kana_async.models.markets import MarketInfo

MAINNET_TX = (
    Path(__file__).parent
    / "data"
    / "spec_examples"
    / "chain"
    / "cancel_multiple_orders.mainnet.json"
)
KANA = "0x7a38039fffd016adcac2c53795ee49325e5ec6fddf3bf02651c09f9a583655a6"
ECONIA = "0xc0deb00c405f84c85dc13442e305df75d1288100cdd82675695f6148c7ece51c"
MAINNET_PROFILE = "0x14fc6539a79b3cb8eedaae6243b561a9cd176c9f3ddde7655a9ad49d87f01e61"
PKG = "0xabc"  # a short-form package address, as the simulator may write it
PKG_LONG = "0x" + "0" * 61 + "abc"
ALICE = "0x" + "a1" * 32
BOB = "0x" + "b2" * 32

# 0.001 base per lot (100000 / 10**8), prices in 10**-3, fees in 10**-6.
MARKET = MarketInfo(
    market_id=1338,
    base_name="APT/USDC",
    base_decimals=8,
    quote_decimals=6,
    quote_precision=3,
    lot_size=100000,
    tick_size=1,
    min_lots=500,
    max_leverage=20,
    maintenance_margin=250,
)


def event(
    name: str, data: dict[str, Any], package: str = PKG, module: str = "perpetual_core"
) -> dict[str, Any]:
    return {
        "guid": {"creation_number": "0", "account_address": "0x" + "0" * 64},
        "sequence_number": "0",
        "type": f"{package}::{module}::{name}",
        "data": data,
    }


def place_data(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "__variant__": "V1",
        "market_id": "1338",
        "order_id": "340282366920938463463374607431768211455",  # 2**128 - 1
        "order_type": 1,
        "trade_side": True,
        "direction": False,
        "size": "1500",
        "price": "5500",
        "leverage": "3",
        "restriction": 3,
        "profile_address": ALICE,
        "timestamp": "1753165487",
    }
    data.update(over)
    return data


def fill_data(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "__variant__": "V1",
        "market_id": "1338",
        "order_id": "18446744073709551616",  # 2**64
        "order_type": 2,
        "trade_side": False,
        "direction": True,
        "size": "250",
        "price": "5501",
        "fee": "2750",
        "is_maker": False,
        "trade_id": "99999999999999999999999",
        "profile_address": BOB,
        "timestamp": "1753165488",
    }
    data.update(over)
    return data


def cancel_data(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "__variant__": "V1",
        "market_id": "1338",
        "order_id": "7",
        "order_type": 4,
        "profile_address": ALICE,
        "timestamp": "1753165489",
        "trade_side": False,
    }
    data.update(over)
    return data


def encode(events: list[Any]) -> bytes:
    return json.dumps(events).encode()


# -- the real mainnet transaction ------------------------------------------------------------


def test_mainnet_cancel_transaction() -> None:
    tx = json.loads(MAINNET_TX.read_bytes())
    raw = msgspec.json.decode(MAINNET_TX.read_bytes(), type=dict[str, msgspec.Raw])["events"]
    package = package_of(tx["payload"]["function"])
    assert package == KANA

    decoded = decode_events(raw, {}, package=package)

    assert decoded.cancelled == (
        OrderCancelled(
            market_id=15,
            order_id="161668980614256490457451450",
            side=Side.LONG,
            order_type=3,
            profile_address=MAINNET_PROFILE,
            timestamp=1753165487,
        ),
        OrderCancelled(
            market_id=15,
            order_id="161668999059311546803014681",
            side=Side.SHORT,
            order_type=4,
            profile_address=MAINNET_PROFILE,
            timestamp=1753165487,
        ),
    )
    assert decoded.cancelled_ids == ("161668980614256490457451450", "161668999059311546803014681")
    assert decoded.placed == () and decoded.filled == ()
    # two Econia user::CancelOrderEvent, a quote and a base burn, a withdraw and a deposit
    assert decoded.unknown == 6
    assert decoded.ignored == 0
    assert (
        repr(decoded) == "TransactionEvents(placed=0, filled=0, cancelled=2, unknown=6, ignored=0)"
    )
    assert (
        repr(decoded.cancelled[1])
        == "OrderCancelled(market 15, short, id 161668999059311546803014681)"
    )


def test_mainnet_events_as_decoded_list_and_filters() -> None:
    events = json.loads(MAINNET_TX.read_bytes())["events"]
    assert (
        decode_events(events, {}).cancelled_ids == decode_events(encode(events), {}).cancelled_ids
    )
    other_package = decode_events(events, {}, package=ECONIA)
    assert other_package.cancelled == () and other_package.ignored == 2
    other_profile = decode_events(events, {}, profile_address=ALICE)
    assert other_profile.cancelled == () and other_profile.ignored == 2
    # the profile filter compares canonical addresses: upper case is the same profile
    own = decode_events(events, {}, profile_address=MAINNET_PROFILE.upper().replace("0X", "0x"))
    assert len(own.cancelled) == 2


# -- place and fill events (the contract shared with the simulator) --------------------------


def test_place_fill_cancel_in_human_units() -> None:
    events = [
        event("PlaceOrderEvent", place_data()),
        event("FillEvent", fill_data()),
        event("FillEvent", fill_data(is_maker=True, profile_address=ALICE, fee="0")),
        event("CancelOrderEvent", cancel_data()),
    ]
    decoded = decode_events(encode(events), {1338: MARKET}, package=PKG_LONG)

    assert decoded.placed == (
        OrderPlaced(
            market_id=1338,
            order_id="340282366920938463463374607431768211455",
            side=Side.LONG,
            direction=Direction.OPEN,
            order_type=1,
            size=Decimal("1.5"),
            price=Decimal("5.5"),
            leverage=3,
            restriction=3,
            profile_address=ALICE,
            timestamp=1753165487,
        ),
    )
    assert decoded.filled[0] == OrderFilled(
        market_id=1338,
        order_id="18446744073709551616",
        side=Side.SHORT,
        direction=Direction.CLOSE,
        order_type=2,
        size=Decimal("0.25"),
        price=Decimal("5.501"),
        fee=Decimal("0.00275"),
        is_maker=False,
        trade_id="99999999999999999999999",
        profile_address=BOB,
        timestamp=1753165488,
    )
    assert decoded.filled[1].is_maker and decoded.filled[1].fee == 0
    assert decoded.cancelled_ids == ("7",)
    assert decoded.placed_ids == ("340282366920938463463374607431768211455",)
    assert (decoded.unknown, decoded.ignored) == (0, 0)
    assert str(decoded.placed[0].size) == "1.5" and str(decoded.filled[0].fee) == "0.00275"
    assert repr(decoded.placed[0]) == (
        "OrderPlaced(market 1338, long open 1.5 @ 5.5 x3, "
        "id 340282366920938463463374607431768211455)"
    )
    assert repr(decoded.filled[0]) == (
        "OrderFilled(market 1338, short close 0.25 @ 5.501 taker, fee 0.00275, "
        "id 18446744073709551616, trade 99999999999999999999999)"
    )


def test_market_order_has_no_price_and_restriction_defaults_to_zero() -> None:
    data = place_data(price="0")
    del data["restriction"]
    (placed,) = decode_events(encode([event("PlaceOrderEvent", data)]), MARKET).placed
    assert placed.price is None and placed.is_market
    assert placed.restriction == 0
    assert "market x3" in repr(placed)


def test_profile_filter_keeps_one_side_of_a_match() -> None:
    events = [
        event("FillEvent", fill_data(profile_address=BOB)),
        event("FillEvent", fill_data(profile_address=ALICE, is_maker=True)),
    ]
    mine = decode_events(encode(events), MARKET, profile_address=ALICE)
    assert [f.profile_address for f in mine.filled] == [ALICE]
    assert mine.ignored == 1 and mine.unknown == 0


def test_other_package_is_ignored_not_decoded() -> None:
    events = [event("PlaceOrderEvent", place_data(), package="0xdead")]
    decoded = decode_events(encode(events), MARKET, package=PKG)
    assert decoded.placed == () and decoded.ignored == 1
    assert decode_events(encode(events), MARKET).placed_ids == (place_data()["order_id"],)


def test_order_event_of_an_unknown_market_is_counted() -> None:
    decoded = decode_events(encode([event("PlaceOrderEvent", place_data(market_id="1"))]), MARKET)
    assert decoded.placed == () and decoded.unknown == 1


def test_ids_as_json_integers_stay_exact() -> None:
    big = 2**64 + 12345  # above 2**53 and 2**64: float or int64 would lose it
    body = encode([event("CancelOrderEvent", cancel_data())]).replace(
        b'"order_id": "7"', b'"order_id": %d' % big
    )
    assert decode_events(body, MARKET).cancelled_ids == (str(big),)
    assert decode_events(json.loads(body), MARKET).cancelled_ids == (str(big),)


def test_exact_sizes_beyond_the_decimal_context() -> None:
    # u64 lots times a large lot size: 39 significant digits, more than Decimal's default 28
    info = msgspec.structs.replace(MARKET, lot_size=10**19 + 1, base_decimals=30)
    lots = 2**64 - 1
    (placed,) = decode_events(
        encode([event("PlaceOrderEvent", place_data(size=str(lots)))]), info
    ).placed
    assert Fraction(placed.size) == Fraction(lots * (10**19 + 1), 10**30)


# -- malformed input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("PlaceOrderEvent", place_data(order_type="x")),
        ("PlaceOrderEvent", place_data(order_type=True)),
        ("PlaceOrderEvent", place_data(order_type=256)),
        ("PlaceOrderEvent", place_data(order_type=1.0)),
        ("PlaceOrderEvent", place_data(trade_side="true")),
        ("PlaceOrderEvent", place_data(trade_side=1)),
        ("PlaceOrderEvent", place_data(direction=None)),
        ("PlaceOrderEvent", place_data(size="-5")),
        ("PlaceOrderEvent", place_data(size="1e3")),
        ("PlaceOrderEvent", place_data(size="1.5")),
        ("PlaceOrderEvent", place_data(size=" 15")),
        ("PlaceOrderEvent", place_data(size="18446744073709551616")),  # 2**64
        ("PlaceOrderEvent", place_data(price=[1])),
        ("PlaceOrderEvent", place_data(leverage={"v": 1})),
        (
            "PlaceOrderEvent",
            place_data(order_id="340282366920938463463374607431768211456"),
        ),  # 2**128
        ("PlaceOrderEvent", place_data(order_id="")),
        ("PlaceOrderEvent", place_data(order_id="0x10")),
        ("PlaceOrderEvent", place_data(order_id="1" * 1_000_000)),
        ("PlaceOrderEvent", place_data(profile_address="alice")),
        ("PlaceOrderEvent", place_data(profile_address=7)),
        ("PlaceOrderEvent", place_data(timestamp="1" * 21)),
        ("PlaceOrderEvent", {k: v for k, v in place_data().items() if k != "size"}),
        ("FillEvent", fill_data(is_maker="false")),
        ("FillEvent", fill_data(fee="-1")),
        ("FillEvent", fill_data(trade_id=None)),
        ("FillEvent", {k: v for k, v in fill_data().items() if k != "fee"}),
        ("CancelOrderEvent", cancel_data(market_id="1" * 1_000_000)),
        ("CancelOrderEvent", {k: v for k, v in cancel_data().items() if k != "trade_side"}),
        ("CancelOrderEvent", [1, 2, 3]),
        ("CancelOrderEvent", "data"),
    ],
)
def test_malformed_order_event_is_skipped_and_counted(name: str, data: Any) -> None:
    events = [event(name, data), event("CancelOrderEvent", cancel_data(order_id="8"))]
    decoded = decode_events(encode(events), MARKET)
    assert decoded.cancelled_ids == ("8",)
    assert decoded.placed == () and decoded.filled == ()
    assert decoded.unknown == 1


def test_huge_json_numbers_are_counted_without_hanging() -> None:
    digits = b"1" * 1_000_000
    body = b'[{"type": "0x1::perpetual_core::CancelOrderEvent", "data": {"__variant__": "V1", '
    body += b'"market_id": ' + digits + b', "order_id": ' + digits + b', "order_type": 4, '
    body += b'"profile_address": "0x1", "timestamp": 1e1000000, "trade_side": true}}]'
    decoded = decode_events(body, MARKET)
    assert decoded.cancelled == () and decoded.unknown == 1


@pytest.mark.parametrize(
    "element",
    [
        5,
        "CancelOrderEvent",
        None,
        [],
        {"type": 5, "data": {}},
        {"type": "0x1::perpetual_core::CancelOrderEvent"},
        {"data": cancel_data()},
        {"type": "perpetual_core::CancelOrderEvent", "data": cancel_data()},
        {"type": "0x1::perpetual_core::CancelOrderEvent<u8>", "data": cancel_data()},
        {"type": "0x1::other::CancelOrderEvent", "data": cancel_data()},
        {"type": "0x1::perpetual_core::LiquidationEvent", "data": cancel_data()},
        {
            "type": "0x1::perpetual_core::CancelOrderEvent",
            "data": cancel_data(extra=[[[[[[[[[]]]]]]]]]),
        },
    ],
)
def test_odd_events_are_counted_not_raised(element: Any) -> None:
    decoded = decode_events(encode([element]), MARKET)
    kept = len(decoded.cancelled)
    assert kept + decoded.unknown == 1
    # only the last one (unknown nested field) is a readable cancel
    assert kept == (1 if isinstance(element, dict) and "extra" in element.get("data", {}) else 0)


def test_deep_nesting_inside_an_event_is_a_typed_error() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    body = b'[{"type": "0x1::perpetual_core::CancelOrderEvent", "data": ' + deep + b"}]"
    with pytest.raises(ResponseDecodeError, match="nest"):
        decode_events(body, MARKET)
    nested: list[Any] = []
    inner = nested
    for _ in range(100_000):
        inner.append([])
        inner = inner[0]
    with pytest.raises(ResponseDecodeError):
        decode_events([nested], MARKET)


@pytest.mark.parametrize(
    "events",
    [
        b'{"type": "x"}',
        b"null",
        b"5",
        b'"[]"',
        b"[1, 2",
        b"not json",
        b"",
        5,
        None,
        {"a": 1},
        [object()],
    ],
)
def test_not_a_list_is_a_response_decode_error(events: Any) -> None:
    with pytest.raises(ResponseDecodeError):
        decode_events(events, MARKET)


def test_committed_events_keep_the_called_package_and_never_raise() -> None:
    events = [
        event("PlaceOrderEvent", place_data(order_id="1")),
        event("PlaceOrderEvent", place_data(order_id="2"), package="0xdead"),
        event("PlaceOrderEvent", place_data(order_id="3", profile_address=BOB)),
    ]
    function = f"{PKG}::perpetual_scripts::place_limit_order"
    decoded = committed_events(encode(events), MARKET, function=function, profile_address=ALICE)
    assert decoded.placed_ids == ("1",) and decoded.ignored == 2
    # a function id that names no package: every package is kept
    assert committed_events(encode(events), MARKET, function="?").placed_ids == ("1", "2", "3")
    for broken in (b"null", b"[" * 5000, b"{}", b""):
        assert committed_events(broken, MARKET, function=function) == TransactionEvents(unknown=1)


def test_package_of() -> None:
    assert package_of(f"{KANA}::perpetual_scripts::cancel_multiple_orders") == KANA
    assert package_of("0x1::aptos_account::transfer") == "0x" + "0" * 63 + "1"
    assert package_of("not a function") is None
    assert package_of("0x1::m") is None


# -- properties ------------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**200), max_value=2**200)
    | st.text(max_size=20)
    | st.sampled_from(["0", "7", "1338", "-1", "1e3", ALICE, "0x1"]),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
u128 = st.integers(min_value=0, max_value=2**128 - 1)


@settings(max_examples=150, deadline=None)
@given(order_id=u128, as_int=st.booleans(), side=st.booleans(), order_type=st.integers(0, 255))
def test_cancel_ids_round_trip_exactly(
    order_id: int, as_int: bool, side: bool, order_type: int
) -> None:
    data = cancel_data(
        order_id=order_id if as_int else str(order_id), trade_side=side, order_type=order_type
    )
    (cancelled,) = decode_events(encode([event("CancelOrderEvent", data)]), MARKET).cancelled
    assert cancelled.order_id == str(order_id)
    assert cancelled.side is (Side.LONG if side else Side.SHORT)
    assert cancelled.order_type == order_type


@settings(max_examples=150, deadline=None)
@given(
    lots=st.integers(0, 2**64 - 1),
    ticks=st.integers(1, 2**64 - 1),
    fee=st.integers(0, 2**64 - 1),
    lot_size=st.integers(1, 10**12),
    base_decimals=st.integers(0, 30),
    quote_decimals=st.integers(0, 30),
    quote_precision=st.integers(0, 30),
)
def test_units_convert_exactly(
    lots: int,
    ticks: int,
    fee: int,
    lot_size: int,
    base_decimals: int,
    quote_decimals: int,
    quote_precision: int,
) -> None:
    info = msgspec.structs.replace(
        MARKET,
        lot_size=lot_size,
        base_decimals=base_decimals,
        quote_decimals=quote_decimals,
        quote_precision=quote_precision,
    )
    data = fill_data(size=str(lots), price=str(ticks), fee=str(fee))
    (fill,) = decode_events(encode([event("FillEvent", data)]), info).filled
    assert Fraction(fill.size) == Fraction(lots * lot_size, 10**base_decimals)
    assert Fraction(fill.price) == Fraction(ticks, 10**quote_precision)
    assert Fraction(fill.fee) == Fraction(fee, 10**quote_decimals)


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(["PlaceOrderEvent", "FillEvent", "CancelOrderEvent"]),
    field=st.sampled_from(sorted(set(place_data()) | set(fill_data()))),
    value=json_values,
    junk=st.lists(json_values, max_size=3),
)
def test_fuzzed_events_never_raise_and_are_all_counted(
    name: str, field: str, value: Any, junk: list[Any]
) -> None:
    data = {"PlaceOrderEvent": place_data, "FillEvent": fill_data, "CancelOrderEvent": cancel_data}[
        name
    ]()
    data[field] = value
    events = [event(name, data), *junk]
    decoded = decode_events(encode(events), MARKET)  # a JSON list never raises
    total = len(decoded.placed) + len(decoded.filled) + len(decoded.cancelled)
    assert total + decoded.unknown + decoded.ignored == len(events)
    for record in (*decoded.placed, *decoded.filled, *decoded.cancelled):
        assert record.order_id.isdigit() and int(record.order_id) < 2**128


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
def test_any_bytes_give_a_result_or_response_decode_error(body: bytes) -> None:
    try:
        decoded = decode_events(body, MARKET)
    except ResponseDecodeError:
        return
    assert decoded.placed == decoded.filled == decoded.cancelled == ()
