"""Argument checks before I/O: bad input raises a ValueError/TypeError subclass, nothing is sent."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from kana_async import (
    ArgumentTypeError,
    Direction,
    InvalidAddressError,
    InvalidArgumentError,
    KanaClient,
    OrderRequest,
    OrderType,
    Restriction,
    Side,
    UnknownMarketError,
)
from kana_async._validation import (
    bool_text,
    check_decimal,
    check_int,
    check_iso_datetime,
    check_market_id,
    check_order_id,
    check_restriction,
    check_side,
    check_sort_order,
    check_unix_seconds,
    decimal_text,
)
from tests.backends_support import anyio_backend  # noqa: F401
from tests.rest_support import open_client, refuse

# -- the checks themselves --------------------------------------------------------------------


def test_decimal_accepts_exact_inputs() -> None:
    assert check_decimal(Decimal("1.50"), "size") == Decimal("1.50")
    assert check_decimal("  2.5 ", "size") == Decimal("2.5")
    assert check_decimal(3, "size") == Decimal(3)
    assert check_decimal("0", "tp", allow_zero=True) == 0
    assert decimal_text(check_decimal("-0", "tp", allow_zero=True)) == "0"
    assert decimal_text(check_decimal("0E-8", "tp", allow_zero=True)) == "0"


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        (1.5, ArgumentTypeError, "pass a Decimal or a string"),
        (True, ArgumentTypeError, "bool"),
        (None, ArgumentTypeError, "NoneType"),
        ("abc", InvalidArgumentError, "not a number"),
        ("NaN", InvalidArgumentError, "finite"),
        (Decimal("Infinity"), InvalidArgumentError, "finite"),
        (Decimal("-inf"), InvalidArgumentError, "finite"),
        (Decimal(0), InvalidArgumentError, "greater than zero"),
        ("-1", InvalidArgumentError, "greater than zero"),
    ],
)
def test_decimal_rejects(value: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        check_decimal(value, "size")


def test_float_error_is_a_type_error_and_suggests_a_fix() -> None:
    with pytest.raises(TypeError, match=r"Decimal\('0.1'\)"):
        check_decimal(0.1, "price")


def test_int_checks() -> None:
    assert check_int(5, "leverage") == 5
    with pytest.raises(ArgumentTypeError):
        check_int(True, "leverage")
    with pytest.raises(ArgumentTypeError):
        check_int(2.0, "leverage")
    with pytest.raises(ArgumentTypeError):
        check_int(Decimal(2), "leverage")
    with pytest.raises(InvalidArgumentError, match="at least 1"):
        check_int(0, "leverage")
    with pytest.raises(InvalidArgumentError, match="at most 3"):
        check_int(4, "x", maximum=3)


def test_market_id_checks() -> None:
    assert check_market_id(1338) == 1338
    assert check_market_id("1338", {1338}) == 1338
    assert check_market_id(99) == 99  # no list known: anything goes
    with pytest.raises(UnknownMarketError, match="known markets are 14, 1338"):
        check_market_id(15, {1338, 14})
    with pytest.raises(ValueError):  # UnknownMarketError is a ValueError
        check_market_id(15, {1338})
    with pytest.raises(ArgumentTypeError):
        check_market_id(True)
    with pytest.raises(ArgumentTypeError):
        check_market_id(13.38)
    with pytest.raises(ArgumentTypeError):
        check_market_id("APT-USD")
    with pytest.raises(InvalidArgumentError):
        check_market_id(-1)


def test_order_id_checks_keep_u128_exact() -> None:
    big = 2**128 - 1
    assert check_order_id(big) == str(big)
    assert check_order_id(f" {big} ") == str(big)
    assert check_order_id("007") == "7"
    with pytest.raises(InvalidArgumentError, match="u128"):
        check_order_id(2**128)
    with pytest.raises(ArgumentTypeError, match="float"):
        check_order_id(1.0)
    with pytest.raises(ArgumentTypeError):
        check_order_id(True)
    with pytest.raises(InvalidArgumentError):
        check_order_id("-5")
    with pytest.raises(InvalidArgumentError):
        check_order_id("1e5")


def test_enum_checks() -> None:
    assert check_side(Side.LONG) is True and check_side(False) is False
    with pytest.raises(ArgumentTypeError, match=r"Side\.LONG"):
        check_side("long")
    with pytest.raises(ArgumentTypeError):
        check_side(1)
    assert check_restriction(Restriction.POST_OR_ABORT) == 3
    assert check_restriction(1) == 1
    with pytest.raises(InvalidArgumentError, match="POST_OR_ABORT"):
        check_restriction(2)
    with pytest.raises(ArgumentTypeError):
        check_restriction("0")
    assert check_sort_order("asc") == "asc"
    with pytest.raises(InvalidArgumentError):
        check_sort_order("ascending")


def test_time_checks() -> None:
    assert check_unix_seconds(1747075649, "t") == 1747075649
    assert check_unix_seconds(datetime(2025, 1, 1, tzinfo=UTC), "t") == 1735689600
    with pytest.raises(InvalidArgumentError, match="milliseconds"):
        check_unix_seconds(1747075649000, "from_timestamp")
    with pytest.raises(InvalidArgumentError, match="naive"):
        check_unix_seconds(datetime(2025, 1, 1), "t")
    with pytest.raises(ArgumentTypeError):
        check_unix_seconds(1.5, "t")
    assert check_iso_datetime(datetime(2024, 11, 21, tzinfo=UTC), "s") == "2024-11-21T00:00:00Z"
    assert (
        check_iso_datetime(datetime(2024, 11, 21, 0, 0, 0, 250000, tzinfo=UTC), "s")
        == "2024-11-21T00:00:00.250Z"
    )
    with pytest.raises(ArgumentTypeError):
        check_iso_datetime("2024-11-21", "s")


def test_wire_formatting() -> None:
    assert bool_text(True) == "true" and bool_text(False) == "false"
    assert decimal_text(Decimal("1E+3")) == "1000"
    assert decimal_text(Decimal("1E-8")) == "0.00000001"
    assert decimal_text(Decimal("5.50")) == "5.50"


def test_order_request_normalises_and_checks() -> None:
    order = OrderRequest.limit(side=True, size="1.5", price="5", leverage=2, direction=True)
    assert order.side is Side.LONG
    assert order.direction is Direction.CLOSE
    assert order.size == Decimal("1.5") and order.price == Decimal(5)
    assert order.wire_price == Decimal(5)
    market = OrderRequest.market(side=Side.SHORT, size="1", leverage=1)
    assert market.order_type is OrderType.MARKET and market.wire_price == 0
    with pytest.raises(InvalidArgumentError, match="needs a price"):
        OrderRequest(side=Side.LONG, size=Decimal(1), leverage=1)
    with pytest.raises(InvalidArgumentError, match="takes no price"):
        OrderRequest(
            side=Side.LONG,
            size=Decimal(1),
            leverage=1,
            price=Decimal(1),
            order_type=OrderType.MARKET,
        )
    with pytest.raises(ArgumentTypeError, match="float"):
        OrderRequest.limit(side=True, size=1.0, price="1", leverage=1)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError):
        OrderRequest.limit(side=True, size="1", price="1", leverage=0)
    with pytest.raises(InvalidArgumentError):
        OrderRequest.limit(side=True, size="1", price="1", leverage=1, take_profit="-1")


# -- nothing is sent on bad input -------------------------------------------------------------

Bad = Callable[[KanaClient], Awaitable[Any]]
GOOD = {"side": Side.LONG, "size": "1", "price": "5", "leverage": 2}

BAD_CALLS: list[tuple[str, Bad, type[Exception]]] = [
    (
        "float size",
        lambda k: k.payloads.place_limit_order(1338, **{**GOOD, "size": 1.0}),
        TypeError,
    ),
    (
        "zero size",
        lambda k: k.payloads.place_limit_order(1338, **{**GOOD, "size": "0"}),
        ValueError,
    ),
    (
        "neg size",
        lambda k: k.payloads.place_market_order(1338, side=True, size="-1", leverage=1),
        ValueError,
    ),
    (
        "nan price",
        lambda k: k.payloads.place_limit_order(1338, **{**GOOD, "price": "NaN"}),
        ValueError,
    ),
    (
        "inf price",
        lambda k: k.payloads.place_limit_order(1338, **{**GOOD, "price": Decimal("inf")}),
        ValueError,
    ),
    (
        "leverage 0",
        lambda k: k.payloads.place_limit_order(1338, **{**GOOD, "leverage": 0}),
        ValueError,
    ),
    (
        "leverage float",
        lambda k: k.payloads.place_limit_order(1338, **{**GOOD, "leverage": 2.0}),
        TypeError,
    ),
    (
        "leverage bool",
        lambda k: k.payloads.place_market_order(1338, side=True, size="1", leverage=True),
        TypeError,
    ),
    (
        "bad side",
        lambda k: k.payloads.place_limit_order(1338, **{**GOOD, "side": "buy"}),
        TypeError,
    ),
    (
        "restriction 2",
        lambda k: k.payloads.place_limit_order(1338, **GOOD, restriction=2),
        ValueError,
    ),
    ("unknown market", lambda k: k.payloads.place_limit_order(501, **GOOD), UnknownMarketError),
    ("unknown market read", lambda k: k.markets.price(501), UnknownMarketError),
    ("unknown market info", lambda k: k.markets.info(14), UnknownMarketError),
    ("market as bool", lambda k: k.markets.last_price(True), TypeError),
    ("float amount", lambda k: k.payloads.deposit(10.0), TypeError),
    ("zero amount", lambda k: k.payloads.withdraw(1338, "0"), ValueError),
    ("bad margin", lambda k: k.payloads.add_margin(1338, True, "-5"), ValueError),
    ("bad tp", lambda k: k.payloads.update_take_profit(1338, True, "-1"), ValueError),
    ("bad sl", lambda k: k.payloads.update_stop_loss(1338, True, 4.5), TypeError),
    ("empty cancel", lambda k: k.payloads.cancel_multiple_orders(1338, []), ValueError),
    ("float order id", lambda k: k.payloads.cancel_multiple_orders(1338, [(1.0, True)]), TypeError),
    ("not a pair", lambda k: k.payloads.cancel_multiple_orders(1338, [("123",)]), TypeError),
    (
        "sides not parallel",
        lambda k: k.payloads.cancel_multiple_orders(1338, ["1", "2"], sides=[True]),
        ValueError,
    ),
    ("cancel str", lambda k: k.payloads.cancel_multiple_orders(1338, "123"), TypeError),
    ("empty place", lambda k: k.payloads.place_multiple_orders(1338, []), ValueError),
    ("dict order", lambda k: k.payloads.place_multiple_orders(1338, [{"size": 1}]), TypeError),
    (
        "nothing to do",
        lambda k: k.payloads.cancel_and_place_multiple_orders(1338, [], []),
        ValueError,
    ),
    ("bad address", lambda k: k.portfolio.positions(user_address="0xzz"), InvalidAddressError),
    (
        "bad address payload",
        lambda k: k.payloads.settle_pnl(1338, user_address="me"),
        InvalidAddressError,
    ),
    ("order id neg", lambda k: k.orders.status(1338, "-1"), ValueError),
    ("asset info empty", lambda k: k.markets.asset_info(), ValueError),
    ("asset info blank", lambda k: k.markets.asset_info(base_name=" "), ValueError),
    ("history order", lambda k: k.history.orders(order="newest"), ValueError),
    ("history offset", lambda k: k.history.trades(offset=-1), ValueError),
    ("history limit", lambda k: k.history.funding(limit=0), ValueError),
    ("fills ms", lambda k: k.history.fills_between(from_timestamp=1747075649000), ValueError),
    (
        "fills reversed",
        lambda k: k.history.fills_between(from_timestamp=20, to_timestamp=10),
        ValueError,
    ),
    (
        "fills naive",
        lambda k: k.history.fills(1338, datetime(2024, 1, 1), datetime(2024, 1, 2)),
        ValueError,
    ),
    (
        "fills reversed iso",
        lambda k: k.history.fills(
            1338, datetime(2024, 1, 2, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC)
        ),
        ValueError,
    ),
]


@pytest.mark.anyio
@pytest.mark.parametrize(("name", "call", "error"), BAD_CALLS, ids=[c[0] for c in BAD_CALLS])
async def test_bad_input_fails_before_any_request(
    name: str, call: Bad, error: type[Exception]
) -> None:
    async with open_client(refuse) as kana:
        with pytest.raises(error) as info:
            await call(kana)
    assert str(info.value)  # a readable sentence


@pytest.mark.anyio
async def test_iterators_check_arguments_when_created() -> None:
    async with open_client(refuse) as kana:
        with pytest.raises(ValueError):
            kana.history.iter_orders(501)
        with pytest.raises(ValueError):
            kana.history.iter_trades(page_size=0)
        with pytest.raises(ValueError):
            kana.history.iter_fills(to_timestamp=10**13)
        with pytest.raises(ValueError):
            kana.history.iter_funding(order="up")


# -- checks shared by kana.payloads and kana.trading ------------------------------------------


def test_shared_order_list_checks() -> None:
    from kana_async.models.enums import Side
    from kana_async.models.requests import OrderRequest
    from kana_async.resources._checks import cancel_targets, optional_price, order_requests

    order = OrderRequest.market(side=Side.LONG, size=Decimal("1"), leverage=2)
    assert order_requests((order,), allow_empty=False) == [order]
    assert order_requests([], allow_empty=True) == []
    with pytest.raises(InvalidArgumentError, match="at least one"):
        order_requests([], allow_empty=False)
    with pytest.raises(ArgumentTypeError, match="must be a list"):
        order_requests("orders", allow_empty=True)
    with pytest.raises(ArgumentTypeError, match=r"orders\[1\] must be an OrderRequest"):
        order_requests([order, {"size": "1"}], allow_empty=True)
    assert cancel_targets([(7, Side.SHORT), ["8", True], 9], allow_empty=False) == [
        ("7", False),
        ("8", True),
        ("9", None),  # the side is found later
    ]
    assert cancel_targets(["1", 2], [Side.LONG, False], allow_empty=False) == [
        ("1", True),
        ("2", False),
    ]
    assert cancel_targets([], allow_empty=True) == []
    with pytest.raises(InvalidArgumentError, match="at least one"):
        cancel_targets([], allow_empty=False)
    with pytest.raises(ArgumentTypeError, match="pair"):
        cancel_targets([(7,)], allow_empty=True)
    with pytest.raises(ArgumentTypeError, match="list of"):
        cancel_targets(b"7", allow_empty=True)
    with pytest.raises(InvalidArgumentError, match="one side per id"):
        cancel_targets(["1"], [True, False], allow_empty=True)
    assert optional_price(None, "take_profit") is None
    assert optional_price("0", "take_profit") == Decimal(0)
    with pytest.raises(ArgumentTypeError, match="stop_loss"):
        optional_price(1.5, "stop_loss")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bad",
    ["1" * 5000, 10**5000, -1, 2**128, str(2**128)],
    ids=["5000 digits", "10^5000", "negative", "2^128", "2^128 text"],
)
def test_order_ids_out_of_range_are_refused_without_python_int_limits(bad: object) -> None:
    from kana_async._validation import check_order_id

    with pytest.raises(InvalidArgumentError):
        check_order_id(bad)


def test_order_ids_keep_their_exact_value() -> None:
    from kana_async._validation import check_order_id

    assert check_order_id("00" + str(2**128 - 1)) == str(2**128 - 1)
    assert check_order_id(2**128 - 1) == str(2**128 - 1)
