"""The argument gate: every bad argument to a public REST or trading method fails typed, locally.

A generated table of bad calls (each public method × each argument × a list of bad values, the
other arguments good) runs against a client whose transport records every request. The market's
parameters are loaded first (the grid checks use the cached copy); after that, a bad call must
raise :class:`InvalidArgumentError` or :class:`ArgumentTypeError` and send nothing.
"""

from __future__ import annotations

import logging
import tracemalloc
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kana_async import KanaClient, Network, RetryPolicy, StreamOptions
from kana_async._aptos.signing import Account
from kana_async._exceptions import (
    ArgumentTypeError,
    InvalidArgumentError,
    UnknownMarketError,
)
from kana_async._validation import check_decimal, check_market_id, check_order_id
from kana_async.models.enums import Direction, Restriction, Side
from kana_async.models.requests import OrderRequest
from kana_async.resources._checks import MAX_CANCELS_PER_CALL, MAX_ORDERS_PER_CALL
from tests.rest_support import MARKET_ROW, NETWORK, Recorder, open_client

MARKET = 1338
GOOD_ID = "11905620858892513160724480"
GOOD_HASH = "0x" + "ab" * 32

#: Amounts no method may accept (sizes, prices, collateral).
BAD_AMOUNTS: list[object] = [
    "1e999999999",
    "1e99999999",
    "-1e999999999",
    "1e-999999999",
    "9" * 5000,
    "1" + "0" * 120,
    10**5000,
    2**200,
    Decimal("1e30"),
    "1e30",
    Decimal("-1"),
    "-0.5",
    "0",
    0,
    "nan",
    "NaN",
    "sNaN",
    "inf",
    "-Infinity",
    Decimal("NaN"),
    Decimal("Infinity"),
    1.5,
    float("nan"),
    float("inf"),
    True,
    None,
    "²",
    "１",  # a full-width digit: Decimal() would read it as 1
    "abc",
    "",
    "   ",
    "1_000",
    "0x10",
    b"1",
    [],
    {},
    object(),
    "1e19999",
]
#: Quote-currency amounts refused on top of BAD_AMOUNTS: finer than 6 places, above the u64.
BAD_COLLATERAL: list[object] = [
    *BAD_AMOUNTS,
    "0.0000001",
    Decimal("1.0000005"),
    "18446744073709.551616",
    "1e14",
]
BAD_MARKETS: list[object] = [
    "²",
    "9" * 5000,
    "1" * 30,
    -1,
    2**64,
    10**5000,
    1.0,
    True,
    None,
    "APT",
    "1e3",
    9999,
    "",
    "１３３８",
    Decimal(1338),
    [MARKET],
]
BAD_SIDES: list[object] = ["long", 1, 0, None, "true", 1.0, [True]]
BAD_ORDER_IDS: list[object] = [
    -1,
    2**128,
    10**5000,
    "abc",
    "1e5",
    1.0,
    None,
    "9" * 5000,
    "²",
    "-5",
    "",
    True,
    "0x10",
    Decimal(5),
]
BAD_LEVERAGE: list[object] = [0, -1, 21, 10**30, 2**64, 1.5, "5", True, None, Decimal(5)]
BAD_HASHES: list[object] = [
    "not-a-hash",
    "../../accounts/0x1",
    "0x" + "g" * 64,
    "0x" + "a" * 63,
    "0x" + "a" * 65,
    "a" * 64 + "/x",
    "0x" + "a" * 62 + "%2",
    "",
    12,
    None,
    b"\xab" * 32,
    "０x" + "a" * 64,
]
BAD_TIMEOUTS: list[object] = [float("nan"), float("inf"), -1, 0, "5", True, 10**400, [1]]
BAD_LIMITS: list[object] = [0, -1, 1001, 10**30, "10", 1.5, True]
BAD_OFFSETS: list[object] = [-1, "0", 1.5, 2**64, 10**400]
BAD_RESTRICTIONS: list[object] = [2, 4, -1, "1e999999999", "3", 1.0, 10**400, None]
BAD_DIRECTIONS: list[object] = ["open", 0, None, 1.0]
BAD_SORT: list[object] = ["up", "ASC", 1, None]
BAD_ADDRESSES: list[object] = [
    "../../accounts/0x1",
    "not-an-address",
    "0x" + "g" * 64,
    "0x" + "1" * 65,
    "0x",
    "",
    "0x1/../2",
    "0x1?a=b",
    5,
    b"0x1",
    ["0x1"],
]

Call = Callable[[KanaClient], Awaitable[Any]]


def _limit_order(**over: Any) -> Call:
    args: dict[str, Any] = {
        "side": Side.LONG,
        "size": "1",
        "price": "5",
        "leverage": 5,
        **over,
    }
    market = args.pop("market_id", MARKET)
    return lambda k: k.trading.place_limit_order(market, **args)


def _market_order(**over: Any) -> Call:
    args: dict[str, Any] = {"side": Side.SHORT, "size": "1", "leverage": 5, **over}
    market = args.pop("market_id", MARKET)
    return lambda k: k.trading.place_market_order(market, **args)


def _views(make: Callable[[Any], Awaitable[Any]]) -> list[Call]:
    """The same action through each signing view and ``kana.payloads``."""
    return [
        lambda k: make(k.trading),
        lambda k: make(k.trading.no_wait),
        lambda k: make(k.trading.dry_run),
        lambda k: make(k.payloads),
    ]


def bad_calls() -> list[tuple[str, Call]]:
    """Every bad call of the sweep, named for the failure message."""
    calls: list[tuple[str, Call]] = []

    def add(name: str, value: object, call: Call) -> None:
        label = f"int({value.bit_length()} bits)" if isinstance(value, int) else repr(value)
        calls.append((f"{name}={label:.40}", call))

    for v in BAD_AMOUNTS:
        add("limit.size", v, _limit_order(size=v))
        add("limit.price", v, _limit_order(price=v))
        add("market.size", v, _market_order(size=v))
        if v not in ("0", 0, None):  # 0 is "no take-profit / stop-loss", None leaves it out
            add("limit.take_profit", v, _limit_order(take_profit=v))
            add("tp", v, lambda k, v=v: k.trading.update_take_profit(MARKET, Side.LONG, v))
            add("sl", v, lambda k, v=v: k.trading.update_stop_loss(MARKET, Side.LONG, v))
        add("OrderRequest.limit.size", v, lambda k, v=v: _build_request(size=v))
    for v in BAD_COLLATERAL:
        for i, view in enumerate(_views(lambda t, v=v: t.deposit(v))):
            add(f"deposit[{i}]", v, view)
        for i, view in enumerate(_views(lambda t, v=v: t.withdraw(MARKET, v))):
            add(f"withdraw[{i}]", v, view)
        add("add_margin", v, lambda k, v=v: k.trading.add_margin(MARKET, Side.LONG, v))
    for v in BAD_MARKETS:
        add("limit.market", v, _limit_order(market_id=v))
        add("market.market", v, _market_order(market_id=v))
        add("withdraw.market", v, lambda k, v=v: k.trading.withdraw(v, "1"))
        add("collapse", v, lambda k, v=v: k.trading.collapse_position(v))
        add("settle", v, lambda k, v=v: k.trading.settle_pnl(v))
        add("cancel.market", v, lambda k, v=v: k.trading.cancel_order(v, GOOD_ID, side=Side.LONG))
        add("markets.info", v, lambda k, v=v: k.markets.info(v))
        add("markets.price", v, lambda k, v=v: k.markets.price(v))
        add("markets.last_price", v, lambda k, v=v: k.markets.last_price(v))
        add("markets.all_trades", v, lambda k, v=v: k.markets.all_trades(v))
        add("orders.status", v, lambda k, v=v: k.orders.status(v, GOOD_ID))
        if v is None:  # None means "every market" here
            continue
        add("history.orders", v, lambda k, v=v: k.history.orders(v))
        add("history.trades", v, lambda k, v=v: k.history.trades(v))
        add("positions", v, lambda k, v=v: k.portfolio.positions(v))
        add("execute.market", v, lambda k, v=v: k.trading.execute(_payload(), market_id=v))
    for v in BAD_SIDES:
        add("limit.side", v, _limit_order(side=v))
        add("market.side", v, _market_order(side=v))
        add("add_margin.side", v, lambda k, v=v: k.trading.add_margin(MARKET, v, "1"))
        add("tp.side", v, lambda k, v=v: k.trading.update_take_profit(MARKET, v, "5"))
        if v is not None:
            add("cancel.side", v, lambda k, v=v: k.trading.cancel_order(MARKET, GOOD_ID, side=v))
    for v in BAD_ORDER_IDS:
        add("cancel.id", v, lambda k, v=v: k.trading.cancel_order(MARKET, v, side=Side.LONG))
        add("cancel_multi", v, lambda k, v=v: k.trading.cancel_multiple_orders(MARKET, [v]))
        add("orders.status.id", v, lambda k, v=v: k.orders.status(MARKET, v))
        add("orders.by_id", v, lambda k, v=v: k.orders.status_by_order_id(MARKET, v))
    for v in BAD_LEVERAGE:
        add("limit.leverage", v, _limit_order(leverage=v))
        add("market.leverage", v, _market_order(leverage=v))
        add("multi.leverage", v, lambda k, v=v: _multi(k, leverage=v))
    for v in BAD_HASHES:
        add("lookup", v, lambda k, v=v: k.trading.lookup(v))
        add("outcome", v, lambda k, v=v: k.trading.outcome(v))
    for v in BAD_TIMEOUTS:
        add("execute.timeout", v, lambda k, v=v: k.trading.execute(_payload(), timeout=v))
        add("outcome.timeout", v, lambda k, v=v: k.trading.outcome(GOOD_HASH, timeout=v))
    for v in BAD_LIMITS:
        add("history.orders.limit", v, lambda k, v=v: k.history.orders(limit=v))
        add("history.trades.limit", v, lambda k, v=v: k.history.trades(limit=v))
        add("history.funding.limit", v, lambda k, v=v: k.history.funding(limit=v))
        add("history.transfers.limit", v, lambda k, v=v: k.history.transfers(limit=v))
        add("iter_orders.page_size", v, lambda k, v=v: _iterate(k.history.iter_orders(page_size=v)))
    for v in BAD_OFFSETS:
        add("history.orders.offset", v, lambda k, v=v: k.history.orders(offset=v))
        add("history.funding.offset", v, lambda k, v=v: k.history.funding(offset=v))
    for v in BAD_RESTRICTIONS:
        add("limit.restriction", v, _limit_order(restriction=v))
    for v in BAD_DIRECTIONS:
        add("limit.direction", v, _limit_order(direction=v))
        add("market.direction", v, _market_order(direction=v))
    for v in BAD_SORT:
        if v is not None:
            add("history.orders.order", v, lambda k, v=v: k.history.orders(order=v))
    start, end = datetime(2024, 11, 21, tzinfo=UTC), datetime(2024, 11, 22, tzinfo=UTC)
    bad_times: list[object] = [
        datetime(2024, 11, 21),  # naive
        "2024-11-21",
        1732147200,
        None,
        1.5,
        10**400,
    ]
    for v in bad_times:
        add("fills.start", v, lambda k, v=v: k.history.fills(MARKET, v, end))  # type: ignore[arg-type]
        add("fills.end", v, lambda k, v=v: k.history.fills(MARKET, start, v))  # type: ignore[arg-type]
    for v in [-1, 10**11, 10**400, "1732147200", 1.5, True, datetime(2024, 11, 21)]:
        add("fills_between.from", v, lambda k, v=v: k.history.fills_between(from_timestamp=v))
        add("fills_between.to", v, lambda k, v=v: k.history.fills_between(to_timestamp=v))
    for v in BAD_ORDER_IDS:
        if v is not None:
            add("fills.order_id", v, lambda k, v=v: k.history.fills(MARKET, start, end, order_id=v))
    for v in BAD_MARKETS:
        if v is not None:
            add("asset_info.market", v, lambda k, v=v: k.markets.asset_info(market_id=v))
            add("open_orders.market", v, lambda k, v=v: k.portfolio.open_orders(v))
            add("open_order_ids.market", v, lambda k, v=v: k.portfolio.open_order_ids(v))
            add("from_contract.market", v, lambda k, v=v: k.portfolio.positions_from_contract(v))
    for v in [5, b"APT", "", "   ", "x" * 5000, ["APT"]]:
        add("asset_info.base_name", v, lambda k, v=v: k.markets.asset_info(base_name=v))
    add("asset_info.nothing", None, lambda k: k.markets.asset_info())
    for v in ["yes", 1, None, 0.0]:
        add("markets.info.refresh", v, lambda k, v=v: k.markets.info(MARKET, refresh=v))
    for v in BAD_ADDRESSES:
        add("history.orders.user", v, lambda k, v=v: k.history.orders(user_address=v))
        add("wallet_balance.user", v, lambda k, v=v: k.portfolio.wallet_balance(user_address=v))
        add("profile_address.user", v, lambda k, v=v: k.portfolio.profile_address(v))
        add("open_orders.user", v, lambda k, v=v: k.portfolio.open_orders(user_address=v))
        add("deposit.user", v, lambda k, v=v: k.payloads.deposit("1", user_address=v))
        add("settle.user", v, lambda k, v=v: k.trading.settle_pnl(MARKET, user_address=v))
        add("payloads.for_user", v, lambda k, v=v: _sync(lambda: k.payloads.for_user(v)))
    for function in ["0x1::../../x::f", "no_colons", "0x1::m", "0x1::m::f/../g", "0x1::m::f?x"]:
        bad = _payload(function)
        add("execute.function", function, lambda k, p=bad: k.trading.execute(p))
        add("simulate.function", function, lambda k, p=bad: k.trading.simulate(p))
    for v in [None, "payload", {}, 5, [_payload]]:
        add("execute", v, lambda k, v=v: k.trading.execute(v))
        add("submit", v, lambda k, v=v: k.trading.submit(v))
        add("simulate", v, lambda k, v=v: k.trading.simulate(v))
    for v in ["UNKNOWN", "", "x" * 5000, None, 5, b"APT"]:
        add("Network.market_id", v, lambda k, v=v: _sync(lambda: NETWORK.market_id(v)))  # type: ignore[arg-type]
    good_network: dict[str, Any] = {
        "name": "x",
        "rest_url": "http://kana.test",
        "ws_url": "ws://kana.test/ws/",
        "node_url": "http://node.test/v1",
        "chain_id": 4,
        "markets": {"APT-USD": 1338},
    }
    network_faults: list[tuple[str, object]] = [
        ("chain_id", "4"),
        ("chain_id", -1),
        ("chain_id", 256),
        ("chain_id", True),
        ("chain_id", None),
        ("markets", {"APT-USD": "x"}),
        ("markets", 5),
        ("markets", {"APT-USD": 2**70}),
        ("markets", {"APT-USD": -1}),
        ("markets", {5: 1338}),
        ("markets", {"APT-USD": True}),
        ("rest_url", 5),
        ("ws_url", None),
        ("node_url", b"http://n"),
        ("name", None),
    ]
    # one more than a transaction may carry (the limit is not documented by Kana; see _checks)
    many = [_request() for _ in range(MAX_ORDERS_PER_CALL + 1)]
    ids = [(str(10**20 + i), Side.LONG) for i in range(MAX_CANCELS_PER_CALL + 1)]
    add("place_multiple.count", len(many), lambda k: k.trading.place_multiple_orders(MARKET, many))
    add("cancel_multiple.count", len(ids), lambda k: k.trading.cancel_multiple_orders(MARKET, ids))
    add(
        "cancel_and_place.place_count",
        len(many),
        lambda k: k.trading.cancel_and_place_multiple_orders(MARKET, ids[:1], many),
    )
    add(
        "cancel_and_place.cancel_count",
        len(ids),
        lambda k: k.trading.cancel_and_place_multiple_orders(MARKET, ids, many[:1]),
    )
    huge = 10**400
    option_faults: list[tuple[str, object]] = [
        ("timeout", huge),
        ("timeout", float("inf")),
        ("rate_limit", huge),
        ("rate_limit", float("inf")),
        ("max_in_flight", huge),
        ("max_connections", huge),
        ("confirm_timeout", huge),
        ("node_timeout", float("inf")),
        ("close_timeout", 10**7),
        ("max_gas_amount", 2**64),
        ("gas_unit_price", huge),
        ("expiration_seconds", huge),
        ("submit_retries", huge),
        ("max_resign", 2**64),
        ("max_pending_transactions", 101),  # an Aptos mempool parks 100 per account
    ]
    retry_faults: list[dict[str, object]] = [
        {"max_retries": 10**400},
        {"base_delay": float("nan")},
        {"base_delay": float("inf")},
        {"max_delay": 10**400},
        {"max_retry_after": "60"},
    ]
    stream_faults: list[dict[str, object]] = [
        {"open_timeout": 10**400},
        {"close_timeout": float("nan")},
        {"ping_interval": float("inf")},
        {"stale_timeout": 10**7},
        {"backoff_max": 10**400},
        {"backoff_factor": 10**400},
        {"jitter": float("nan")},
        {"idle_linger": 10**400},
        {"max_size": 10**400},
    ]
    for fault in stream_faults:
        add(
            f"StreamOptions.{next(iter(fault))}",
            next(iter(fault.values())),
            lambda k, f=fault: _sync(lambda: StreamOptions(**f)),
        )  # type: ignore[arg-type]
    for fault in retry_faults:
        add(
            f"RetryPolicy.{next(iter(fault))}",
            next(iter(fault.values())),
            lambda k, f=fault: _sync(lambda: RetryPolicy(**f)),
        )  # type: ignore[arg-type]
    for key, v in option_faults:
        add(f"KanaClient.{key}", v, lambda k, o={key: v}: _sync(lambda: KanaClient(**o)))
        add(f"with_options.{key}", v, lambda k, o={key: v}: _sync(lambda: k.with_options(**o)))
    for v in [5, b"key", "key with spaces", "k\r\nx-evil: 1", "ключ", "k" * 1025, "\x00"]:
        add("KanaClient.api_key", v, lambda k, v=v: _sync(lambda: KanaClient(api_key=v)))  # type: ignore[arg-type]
    for key, v in network_faults:
        fields = {**good_network, key: v}
        add(f"Network.{key}", v, lambda k, f=fields: _sync(lambda: Network(**f)))
        if (key, v) != ("name", None):  # from_dict documents None as the default name
            add(
                f"Network.from_dict.{key}",
                v,
                lambda k, f=fields: _sync(lambda: Network.from_dict(f)),
            )
    return calls


async def _sync(fn: Callable[[], Any]) -> Any:
    return fn()


async def _iterate(pages: Any) -> None:
    async for _ in pages:
        break


def _build_request(**over: Any) -> Awaitable[Any]:
    args: dict[str, Any] = {"side": Side.LONG, "size": "1", "price": "5", "leverage": 5, **over}
    return _sync(lambda: OrderRequest.limit(**args))


def _request() -> OrderRequest:
    return OrderRequest.limit(side=Side.LONG, size="1", price="5", leverage=5)


async def _multi(kana: KanaClient, **over: Any) -> Any:
    args: dict[str, Any] = {"side": Side.LONG, "size": "1", "price": "5", "leverage": 5, **over}
    return await kana.trading.place_multiple_orders(MARKET, [OrderRequest.limit(**args)])


def _payload(function: str = "0x1::perpetual_core::collapse_position") -> Any:
    from kana_async.models.payloads import TransactionPayload

    return TransactionPayload(function=function, function_arguments=("1338",))


pytestmark = pytest.mark.anyio

BAD_CALLS = bad_calls()


def test_the_sweep_is_large_enough() -> None:
    assert len(BAD_CALLS) >= 900


async def test_every_bad_call_fails_typed_and_sends_nothing() -> None:
    recorder = Recorder({"/getMarketInfo": [MARKET_ROW]})
    account = Account.generate()
    untyped: list[str] = []
    accepted: list[str] = []
    sent: list[str] = []
    async with open_client(recorder, account=account, wallet_address=account.address) as kana:
        await kana.markets.info(MARKET)  # the grid checks use the cached copy
        for name, call in BAD_CALLS:
            before = len(recorder.requests)
            try:
                await call(kana)
            except (InvalidArgumentError, ArgumentTypeError):
                pass
            except Exception as exc:
                untyped.append(f"{name}: {type(exc).__name__}: {exc!s:.80}")
            else:
                accepted.append(name)
            if len(recorder.requests) != before:
                sent.append(f"{name}: {recorder.requests[before].url}")
    assert untyped == [], "\n".join(untyped)
    assert accepted == [], "\n".join(accepted)
    assert sent == [], "\n".join(sent)


@pytest.mark.parametrize("tx_hash", ["not-a-hash", "../../accounts/0x1"])
async def test_lookup_refuses_a_non_hash_without_a_request(tx_hash: str) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(404, json={"error_code": "transaction_not_found"})

    account = Account.generate()
    async with open_client(handler, account=account, wallet_address=account.address) as kana:
        with pytest.raises(InvalidArgumentError, match="64 hex digits"):
            await kana.trading.lookup(tx_hash)
    assert seen == []


def test_a_huge_exponent_fails_fast_and_takes_no_memory() -> None:
    tracemalloc.start()
    try:
        with pytest.raises(InvalidArgumentError, match="too large"):
            OrderRequest.limit(side=Side.LONG, size="1e999999999", price="5", leverage=5)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000  # bytes; quantizing it would take hundreds of MiB


def test_network_market_id_names_the_known_markets() -> None:
    with pytest.raises(UnknownMarketError, match="APT-USD"):
        NETWORK.market_id("UNKNOWN")
    assert NETWORK.market_id("apt/usd") == MARKET


def test_good_values_still_pass_the_gate() -> None:
    order = OrderRequest.limit(
        side=Side.SHORT,
        size="0.5",
        price="18446744073709",
        leverage=20,
        direction=Direction.CLOSE,
        restriction=Restriction.POST_OR_ABORT,
    )
    assert order.price == Decimal("18446744073709")
    assert NETWORK.market_id("BTC") == 1339


# -- property-based: any value is either a bounded amount or a typed refusal --------------------

_ANY = st.one_of(
    st.text(max_size=120),
    st.integers(),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.floats(),
    st.booleans(),
    st.none(),
    st.binary(max_size=20),
    st.from_regex(r"\A[+-]?[0-9]{0,30}(\.[0-9]{0,30})?([eE][+-]?[0-9]{1,12})?\Z"),
)


@settings(max_examples=600, derandomize=True, deadline=None)
@given(_ANY)
def test_any_value_is_a_bounded_amount_or_a_typed_refusal(value: object) -> None:
    try:
        amount = check_decimal(value, "size")
    except (InvalidArgumentError, ArgumentTypeError):
        return
    assert amount.is_finite() and 0 < amount < Decimal(10) ** 20
    assert amount.as_tuple().exponent >= -60  # type: ignore[operator]


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.decimals(min_value=Decimal("1e-30"), max_value=Decimal("1e19"), places=None))
def test_every_amount_in_range_passes_exactly(value: Decimal) -> None:
    if len(value.as_tuple().digits) <= 40 and value.as_tuple().exponent >= -60:  # type: ignore[operator]
        assert check_decimal(str(value), "size") == value
        assert check_decimal(value, "size") == value


@settings(max_examples=400, derandomize=True, deadline=None)
@given(_ANY)
def test_any_id_is_exact_text_or_a_typed_refusal(value: object) -> None:
    for check in (check_order_id, check_market_id):
        try:
            result = check(value)
        except (InvalidArgumentError, ArgumentTypeError):
            continue
        assert str(result).isdigit() and str(result).isascii()


async def test_the_sweep_against_the_simulator_reaches_neither_its_api_nor_its_chain(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from kana_async.sim import Simulator

    caplog.set_level(logging.INFO, logger="kana_async.sim.requests")
    async with Simulator(seed=7) as sim:
        funded = sim.new_account(apt=Decimal("10"), usdt=Decimal("1000"))
        account = Account.from_hex(funded.private_key_hex)
        async with KanaClient(sim.network, account=account) as kana:
            await kana.markets.info(MARKET)  # the grid checks use the cached copy
            sequence = sim.node.sequence_number(account.address)
            before = len(caplog.records)
            untyped: list[str] = []
            for name, call in BAD_CALLS:
                try:
                    await call(kana)
                except (InvalidArgumentError, ArgumentTypeError):
                    pass
                except Exception as exc:
                    untyped.append(f"{name}: {type(exc).__name__}: {exc!s:.80}")
            reached = [r.getMessage() for r in caplog.records[before:]]
            assert untyped == [], "\n".join(untyped)
            assert reached == [], "\n".join(reached[:10])
            assert sim.node.sequence_number(account.address) == sequence
            await kana.markets.price(MARKET)  # a good call after the sweep is logged
            assert len(caplog.records) > before
