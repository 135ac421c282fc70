"""Every REST endpoint: exact method, path, query/body, api-key header, and decoding."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import anyio
import httpx
import pytest
from anyio import wait_all_tasks_blocked

from kana_async import (
    BadRequestError,
    Direction,
    FundingEntry,
    KanaClient,
    MarketInfo,
    MarketPrice,
    OpenOrder,
    OrderHistoryEntry,
    OrderRequest,
    OrderStatus,
    OrderStatusInfo,
    Position,
    Restriction,
    Side,
    Trade,
    TransactionPayload,
    Transfer,
)
from tests.backends_support import anyio_backend  # noqa: F401
from tests.rest_support import (
    API_KEY,
    BIG_ID,
    FUNDING_ROW,
    MARKET_ROW,
    OPEN_ORDER_ROW,
    ORDER_HISTORY_ROW,
    PAYLOAD,
    POSITION_ROW,
    PROFILE,
    PROFILE_RAW,
    STATUS_ROW,
    TRADE_ROW,
    TRANSFER_ROW,
    WALLET,
    Recorder,
    open_client,
    reply,
)

Call = Callable[[KanaClient], Awaitable[Any]]


@dataclass
class Case:
    """One endpoint call and what must go over the wire."""

    id: str
    call: Call
    path: str
    data: Any
    check: Callable[[Any], None]
    params: dict[str, str] = field(default_factory=dict)
    method: str = "GET"
    body: Any = None


def _is_market(result: Any) -> None:
    assert isinstance(result, MarketInfo)
    assert result.market_id == 1338
    assert result.lot == Decimal("0.001")
    assert result.max_position_value == 125000000


def _markets(result: Any) -> None:
    assert isinstance(result, list) and len(result) == 1
    _is_market(result[0])


def _open_orders(result: Any) -> None:
    assert [type(r) for r in result] == [OpenOrder]
    assert result[0].order_id == BIG_ID
    assert result[0].remaining_size == Decimal("7.5")


def _positions(result: Any) -> None:
    assert [type(r) for r in result] == [Position]
    assert result[0].side is Side.LONG
    assert result[0].liq_price == Decimal("4.6612")
    assert result[0].sl is None


def _trades(result: Any) -> None:
    assert [type(r) for r in result] == [Trade]
    assert result[0].pnl == Decimal("-0.125")
    assert result[0].order_id == BIG_ID


def _payload(result: Any) -> None:
    assert isinstance(result, TransactionPayload)
    assert result.function_name == "place_limit_order"
    assert result.function_arguments[3] == "1000"


def _status(result: Any) -> None:
    assert isinstance(result, OrderStatusInfo)
    assert result.status is OrderStatus.PARTIALLY_FILLED
    assert result.order_id == BIG_ID
    assert result.total_filled == Decimal("4")


def _decimal(expected: str) -> Callable[[Any], None]:
    def check(result: Any) -> None:
        assert isinstance(result, Decimal)
        assert result == Decimal(expected)

    return check


W = {"userAddress": WALLET}
START = datetime(2024, 11, 21, tzinfo=UTC)
END = datetime(2024, 11, 22, 1, 30, tzinfo=timezone(timedelta(hours=1)))

READS = [
    Case(
        "getMarketInfo #1",
        lambda k: k.markets.info(1338),
        "/getMarketInfo",
        [MARKET_ROW],
        _is_market,
        {"marketId": "1338"},
    ),
    Case(
        "allMarkets #24b",
        lambda k: k.markets.all(),
        "/getPerpetualAssetsInfo/allMarkets",
        [MARKET_ROW],
        _markets,
    ),
    Case(
        "getPerpetualAssetsInfo #24 array",
        lambda k: k.markets.asset_info(market_id=1338),
        "/getPerpetualAssetsInfo",
        [MARKET_ROW],
        _markets,
        {"marketId": "1338"},
    ),
    Case(
        "getPerpetualAssetsInfo #24 object",
        lambda k: k.markets.asset_info(base_name="APT"),
        "/getPerpetualAssetsInfo",
        MARKET_ROW,
        _markets,
        {"baseName": "APT"},
    ),
    Case(
        "getMarketPrice #14b",
        lambda k: k.markets.price(1339),
        "/getMarketPrice",
        {"bestAskPrice": 115300.5, "bestBidPrice": None},
        lambda r: (
            (
                isinstance(r, MarketPrice)
                and r.best_ask_price == Decimal("115300.5")
                and r.best_bid_price is None
            )
            or pytest.fail(repr(r))
        ),
        {"marketId": "1339"},
    ),
    Case(
        "getLastPlacedPrice #15",
        lambda k: k.markets.last_price(1338),
        "/getLastPlacedPrice",
        5.512,
        _decimal("5.512"),
        {"marketId": "1338"},
    ),
    Case(
        "getAllTrades #22",
        lambda k: k.markets.all_trades(1338),
        "/getAllTrades",
        [TRADE_ROW],
        _trades,
        {"marketId": "1338"},
    ),
    Case(
        "getWalletAccountBalance #2",
        lambda k: k.portfolio.wallet_balance(),
        "/getWalletAccountBalance",
        611899,
        _decimal("611899"),
        W,
    ),
    Case(
        "getProfileBalanceSnapshot #3",
        lambda k: k.portfolio.profile_balance(),
        "/getProfileBalanceSnapshot",
        12.345678,
        _decimal("12.345678"),
        W,
    ),
    Case(
        "getNetProfileBalance #26 string",
        lambda k: k.portfolio.net_profile_balance(),
        "/getNetProfileBalance",
        "105.25",
        _decimal("105.25"),
        W,
    ),
    Case(
        "getNetProfileBalance #26 number",
        lambda k: k.portfolio.net_profile_balance(user_address="0x2"),
        "/getNetProfileBalance",
        105.25,
        _decimal("105.25"),
        {"userAddress": "0x" + "0" * 63 + "2"},
    ),
    Case(
        "getAccountAptBalance #18/#23",
        lambda k: k.portfolio.apt_balance(),
        "/getAccountAptBalance",
        1.5,
        _decimal("1.5"),
        W,
    ),
    Case(
        "getProfileAddress #20",
        lambda k: k.portfolio.profile_address(),
        "/getProfileAddress",
        PROFILE_RAW,
        lambda r: r == PROFILE or pytest.fail(r),
        W,
    ),
    Case(
        "getOpenOrders #10",
        lambda k: k.portfolio.open_orders(),
        "/getOpenOrders",
        [OPEN_ORDER_ROW],
        _open_orders,
        W,
    ),
    Case(
        "getOpenOrders #10 market filter",
        lambda k: k.portfolio.open_orders(1338),
        "/getOpenOrders",
        [OPEN_ORDER_ROW],
        _open_orders,
        {**W, "marketId": "1338"},
    ),
    Case(
        "getAllOpenOrderIds #16",
        lambda k: k.portfolio.open_order_ids(1340),
        "/getAllOpenOrderIds",
        [BIG_ID, 340282366920938463463374607431768211455],
        lambda r: r == [BIG_ID, str(2**128 - 1)] or pytest.fail(repr(r)),
        {**W, "marketId": "1340"},
    ),
    Case(
        "getPositions #12",
        lambda k: k.portfolio.positions(),
        "/getPositions",
        [POSITION_ROW],
        _positions,
        W,
    ),
    Case(
        "getPositionsFromContract #32",
        lambda k: k.portfolio.positions_from_contract(2387),
        "/getPositionsFromContract",
        [POSITION_ROW],
        _positions,
        {**W, "marketId": "2387"},
    ),
    Case(
        "getOpenOrdersFromContract #33",
        lambda k: k.portfolio.open_orders_from_contract(),
        "/getOpenOrdersFromContract",
        [OPEN_ORDER_ROW],
        _open_orders,
        W,
    ),
    Case(
        "fetchOrderStatusById #30",
        lambda k: k.orders.status(1338, BIG_ID),
        "/fetchOrderStatusById",
        STATUS_ROW,
        _status,
        {"marketId": "1338", "orderId": BIG_ID},
    ),
    Case(
        "getOrderStatusByOrderId #13",
        lambda k: k.orders.status_by_order_id(1338, int(BIG_ID)),
        "/getOrderStatusByOrderId",
        STATUS_ROW,
        _status,
        {"marketId": "1338", "orderId": BIG_ID},
    ),
    Case(
        "getOrderHistory #11",
        lambda k: k.history.orders(1338, offset=20, limit=10, order="desc"),
        "/getOrderHistory",
        [ORDER_HISTORY_ROW],
        lambda r: (
            (
                isinstance(r[0], OrderHistoryEntry)
                and r[0].status is OrderStatus.FILLED
                and r[0].price == Decimal("5.75789140")
            )
            or pytest.fail(repr(r))
        ),
        {**W, "marketId": "1338", "offset": "20", "limit": "10", "order": "desc"},
    ),
    Case(
        "getTradeHistory #28",
        lambda k: k.history.trades(order="asc"),
        "/getTradeHistory",
        [TRADE_ROW],
        _trades,
        {**W, "order": "asc"},
    ),
    Case(
        "getFundingHistory #29b",
        lambda k: k.history.funding(1338, limit=5),
        "/getFundingHistory",
        [FUNDING_ROW],
        lambda r: (
            (isinstance(r[0], FundingEntry) and r[0].amount == Decimal("-0.001375"))
            or pytest.fail(repr(r))
        ),
        {**W, "marketId": "1338", "limit": "5"},
    ),
    Case(
        "getDepositAndWithdrawHistory #29",
        lambda k: k.history.transfers(),
        "/getDepositAndWithdrawHistory",
        [TRANSFER_ROW],
        lambda r: (
            (isinstance(r[0], Transfer) and r[0].is_deposit and r[0].amount == 10)
            or pytest.fail(repr(r))
        ),
        W,
    ),
    Case(
        "getFillsForGivenTimestamp #31",
        lambda k: k.history.fills_between(
            from_timestamp=1732000000, to_timestamp=START, market_id=1338, limit=50, offset=0
        ),
        "/getFillsForGivenTimestamp",
        [TRADE_ROW],
        _trades,
        {
            **W,
            "marketId": "1338",
            "fromTimestamp": "1732000000",
            "toTimestamp": str(int(START.timestamp())),
            "offset": "0",
            "limit": "50",
        },
    ),
]


def _pay(id: str, call: Call, path: str, params: dict[str, str] | None = None, **kw: Any) -> Case:
    return Case(id, call, path, PAYLOAD, _payload, params or {}, **kw)


PAYLOADS = [
    _pay(
        "deposit #4",
        lambda k: k.payloads.deposit(Decimal("100.5")),
        "/deposit",
        {"amount": "100.5", "userAddress": WALLET},
    ),
    _pay(
        "withdrawSpecifiMarket #5",
        lambda k: k.payloads.withdraw(1338, "25"),
        "/withdrawSpecifiMarket",
        {"marketId": "1338", "amount": "25", "userAddress": WALLET},
    ),
    _pay(
        "placeLimitOrder #6",
        lambda k: k.payloads.place_limit_order(
            1338,
            side=Side.LONG,
            size=Decimal("1E+1"),
            price=Decimal("5.50"),
            leverage=2,
            restriction=Restriction.POST_OR_ABORT,
            take_profit=Decimal("6"),
            stop_loss="0.0000001",
        ),
        "/placeLimitOrder",
        {
            "marketId": "1338",
            "tradeSide": "true",
            "direction": "false",
            "size": "10",
            "price": "5.50",
            "leverage": "2",
            "restriction": "3",
            "takeProfit": "6",
            "stopLoss": "0.0000001",
        },
    ),
    _pay(
        "placeMarketOrder #7",
        lambda k: k.payloads.place_market_order(
            1339, side=False, direction=Direction.CLOSE, size="0.0001", leverage=10
        ),
        "/placeMarketOrder",
        {
            "marketId": "1339",
            "tradeSide": "false",
            "direction": "true",
            "size": "0.0001",
            "leverage": "10",
        },
    ),
    _pay(
        "cancelMultipleOrders #8",
        lambda k: k.payloads.cancel_multiple_orders(
            1338, [(BIG_ID, Side.LONG), (int(BIG_ID) + 1, False)]
        ),
        "/cancelMultipleOrders",
        method="POST",
        body={
            "marketId": 1338,
            "cancelOrderIds": [BIG_ID, str(int(BIG_ID) + 1)],
            "orderSides": [True, False],
        },
    ),
    _pay(
        "placeMultipleOrders #8b",
        lambda k: k.payloads.place_multiple_orders(
            1339,
            [
                OrderRequest.limit(
                    side=Side.LONG,
                    size="0.0001",
                    price="115300",
                    leverage=10,
                    take_profit="115400",
                    stop_loss="114500",
                ),
                OrderRequest.market(side=Side.SHORT, size="0.0002", leverage=10),
            ],
        ),
        "/placeMultipleOrders",
        method="POST",
        body={
            "marketId": 1339,
            "orderTypes": [True, False],
            "tradeSides": [True, False],
            "directions": [False, False],
            "sizes": [Decimal("0.0001"), Decimal("0.0002")],
            "prices": [Decimal("115300"), Decimal("0")],
            "leverages": [10, 10],
            "restriction": 0,
            "restrictions": [0, 0],
            "takeProfits": [Decimal("115400"), Decimal("0")],
            "stopLosses": [Decimal("114500"), Decimal("0")],
        },
    ),
    _pay(
        "cancelAndPlaceMultipleOrders #9",
        lambda k: k.payloads.cancel_and_place_multiple_orders(
            1338,
            [(BIG_ID, True)],
            [
                OrderRequest.limit(
                    side=Side.SHORT,
                    size="1",
                    price="5.6",
                    leverage=3,
                    direction=Direction.CLOSE,
                    restriction=Restriction.FILL_OR_ABORT,
                )
            ],
        ),
        "/cancelAndPlaceMultipleOrders",
        method="POST",
        body={
            "marketId": 1338,
            "cancelOrderIds": [BIG_ID],
            "orderSides": [True],
            "orderTypes": [True],
            "tradeSides": [False],
            "directions": [True],
            "sizes": [Decimal("1")],
            "prices": [Decimal("5.6")],
            "leverages": [3],
            "restriction": 1,
            "restrictions": [1],
            "takeProfits": [Decimal("0")],
            "stopLosses": [Decimal("0")],
        },
    ),
    _pay(
        "updateTakeProfit #17",
        lambda k: k.payloads.update_take_profit(1338, Side.LONG, "6.25"),
        "/updateTakeProfit",
        {"marketId": "1338", "tradeSide": "true", "newTakeProfitPrice": "6.25"},
    ),
    _pay(
        "updateStopLoss #19",
        lambda k: k.payloads.update_stop_loss(1338, Side.SHORT, Decimal("4.75")),
        "/updateStopLoss",
        {"marketId": "1338", "tradeSide": "false", "newStopLossPrice": "4.75"},
    ),
    _pay(
        "collapsePosition #21",
        lambda k: k.payloads.collapse_position(1340),
        "/collapsePosition",
        {"marketId": "1340"},
    ),
    _pay(
        "addMargin #25",
        lambda k: k.payloads.add_margin(1338, True, "12.5"),
        "/addMargin",
        {"marketId": "1338", "tradeSide": "true", "amount": "12.5"},
    ),
    _pay(
        "settlePnl #27",
        lambda k: k.payloads.settle_pnl(1338),
        "/settlePnl",
        {"marketId": "1338", "userAddress": WALLET},
    ),
]


@pytest.mark.anyio
@pytest.mark.parametrize("case", READS + PAYLOADS, ids=lambda c: c.id)
async def test_endpoint_wire_format_and_decoding(case: Case) -> None:
    recorder = Recorder({case.path: case.data})
    async with open_client(recorder) as kana:
        result = await case.call(kana)
    case.check(result)
    assert len(recorder.requests) == 1
    request = recorder.last
    assert request.method == case.method
    assert request.url.path == case.path
    assert request.url.scheme == "http" and request.url.host == "kana.test"
    assert request.headers["x-api-key"] == API_KEY
    assert request.headers["user-agent"].startswith("kana-async/")
    if case.method == "GET":
        assert dict(request.url.params) == case.params
        # Every parameter appears once: no duplicated keys on the wire.
        assert len(request.url.params.multi_items()) == len(case.params)
        assert request.content == b""
    else:
        assert request.url.query == b""
        assert request.headers["content-type"] == "application/json"
        assert json.loads(request.content, parse_float=Decimal) == case.body


@pytest.mark.anyio
async def test_post_bodies_write_numbers_in_plain_notation() -> None:
    recorder = Recorder({"/placeMultipleOrders": PAYLOAD})
    async with open_client(recorder) as kana:
        await kana.payloads.place_multiple_orders(
            1338,
            [
                OrderRequest.limit(
                    side=True, size=Decimal("1E-7"), price=Decimal("1E+2"), leverage=1
                )
            ],
        )
    raw = recorder.last.content
    assert b'"sizes":[0.0000001]' in raw
    assert b'"prices":[100]' in raw
    assert b"E" not in raw


@pytest.mark.anyio
async def test_payload_keeps_u128_ids_exact() -> None:
    big = 2**128 - 1
    body = (
        b'{"success":true,"message":"ok","data":{"function":"0x1::m::cancel_multiple_orders",'
        b'"typeArguments":["0x1::usdc::USDC"],"functionArguments":[1338,['
        + str(big).encode()
        + b"],[true],0.5]}}"
    )
    recorder = Recorder({"/cancelMultipleOrders": lambda _: httpx.Response(200, content=body)})
    async with open_client(recorder) as kana:
        payload = await kana.payloads.cancel_multiple_orders(1338, [(str(big), True)])
    assert payload.function_arguments[1] == [big]
    assert payload.function_arguments[3] == Decimal("0.5")
    assert payload.type_arguments == ("0x1::usdc::USDC",)
    assert recorder.body()["cancelOrderIds"] == [str(big)]


@pytest.mark.anyio
async def test_fills_sends_iso_range_and_the_profile_address() -> None:
    recorder = Recorder({"/getProfileAddress": PROFILE_RAW, "/getFills": [TRADE_ROW]})
    async with open_client(recorder) as kana:
        first = await kana.history.fills(1338, START, END, order_id=BIG_ID)
        second = await kana.history.fills(1338, START, END)
    _trades(first)
    _trades(second)
    paths = [r.url.path for r in recorder.requests]
    assert paths == ["/getProfileAddress", "/getFills", "/getFills"]  # profile looked up once
    assert recorder.params(1) == {
        "marketId": "1338",
        "from": "2024-11-21T00:00:00Z",
        "to": "2024-11-22T00:30:00Z",
        "orderId": BIG_ID,
        "address": PROFILE,
    }
    assert "orderId" not in recorder.params(2)


@pytest.mark.anyio
async def test_market_info_is_cached_per_client_and_refreshable() -> None:
    recorder = Recorder({"/getMarketInfo": [MARKET_ROW]})
    async with open_client(recorder) as kana:
        assert kana.markets.cached(1338) is None
        a = await kana.markets.info(1338)
        b = await kana.markets.info(1338)
        assert a is b
        assert kana.markets.cached(1338) is a
        await kana.markets.info(1338, refresh=True)
    assert len(recorder.requests) == 2


@pytest.mark.anyio
async def test_all_markets_fills_the_cache_and_the_known_ids() -> None:
    other = {**MARKET_ROW, "market_id": "77", "base_name": "DOGE-USD"}
    recorder = Recorder({"/getPerpetualAssetsInfo/allMarkets": [MARKET_ROW, other]})
    async with open_client(recorder) as kana:
        await kana.markets.all()
        info = await kana.markets.info(77)  # served from the cache; 77 is now known
        assert info.symbol == "DOGE-USD"
        with pytest.raises(Exception, match="known markets are 77, 1338"):
            await kana.markets.price(1339)  # the loaded list replaced the network's
    assert len(recorder.requests) == 1


@pytest.mark.anyio
async def test_profile_address_is_looked_up_once_for_concurrent_callers() -> None:
    release = anyio.Event()
    seen: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.params["userAddress"])
        await release.wait()
        return reply(PROFILE_RAW)

    results: list[str] = []
    async with open_client(handler) as kana:  # type: ignore[arg-type]

        async def ask() -> None:
            results.append(await kana.portfolio.profile_address())

        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                for _ in range(20):
                    tg.start_soon(ask)
                await wait_all_tasks_blocked()
                assert seen == [WALLET]  # one request in flight, 19 callers waiting on it
                release.set()
        other = await kana.portfolio.profile_address("0x5")
    assert results == [PROFILE] * 20
    assert other == PROFILE
    assert seen == [WALLET, "0x" + "0" * 63 + "5"]


@pytest.mark.anyio
async def test_a_failed_profile_lookup_is_not_cached() -> None:
    answers = iter([httpx.Response(400, content=b'{"success":false,"message":"no profile"}')])

    def handler(request: httpx.Request) -> httpx.Response:
        return next(answers, None) or reply(PROFILE_RAW)

    async with open_client(handler) as kana:
        with pytest.raises(BadRequestError, match="no profile"):
            await kana.portfolio.profile_address()
        assert await kana.portfolio.profile_address() == PROFILE
