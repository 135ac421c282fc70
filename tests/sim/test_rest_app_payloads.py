"""REST write endpoints: payloads in on-chain units, GET args as strings, POST args as JSON."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest

from kana_async.sim import contract
from kana_async.sim.server import Simulator

pytestmark = pytest.mark.anyio

WALLET = "0x" + "ab" * 32
FN = {name: fn.function_id for name, fn in contract.ENTRY_FUNCTIONS.items()}


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with (
        Simulator(market_maker=False, tick_interval=60) as sim,
        httpx.AsyncClient(base_url=sim.network.rest_url, timeout=10) as client,
    ):
        yield client


async def payload(http: httpx.AsyncClient, path: str, **params: Any) -> dict[str, Any]:
    response = await http.get(path, params=params)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    assert set(data) == {"function", "typeArguments", "functionArguments"}
    return data


async def post(http: httpx.AsyncClient, path: str, body: dict[str, Any]) -> httpx.Response:
    return await http.post(
        path, content=json.dumps(body), headers={"content-type": "application/json"}
    )


async def test_deposit_and_withdraw(http: httpx.AsyncClient) -> None:
    data = await payload(http, "/deposit", userAddress=WALLET, amount="100.5")
    assert data["function"] == FN["deposit"]
    assert data["typeArguments"] == [contract.COLLATERAL_TYPE]
    assert data["functionArguments"] == [WALLET, "100500000"]
    data = await payload(
        http, "/withdrawSpecifiMarket", userAddress=WALLET, marketId=1339, amount=7
    )
    assert data["function"] == FN["withdraw_specific_market"]
    assert data["functionArguments"] == [WALLET, "1339", "7000000"]


async def test_limit_and_market_orders(http: httpx.AsyncClient) -> None:
    data = await payload(
        http,
        "/placeLimitOrder",
        marketId=1338,
        tradeSide="true",
        direction="false",
        size="1.5",
        price="5.75",
        leverage=3,
        restriction=3,
        takeProfit="6.1",
        stopLoss="5",
    )
    assert data["function"] == FN["place_limit_order"]
    assert data["functionArguments"] == [
        "1338",
        "true",
        "false",
        "1500",
        "5750",
        "3",
        "3",
        "6100",
        "5000",
    ]
    data = await payload(
        http,
        "/placeLimitOrder",
        marketId=1339,
        tradeSide="false",
        direction="true",
        size="0.001",
        price="100000.5",
        leverage=10,
    )
    assert data["functionArguments"] == [
        "1339",
        "false",
        "true",
        "100",
        "1000005",
        "10",
        "0",
        "0",
        "0",
    ]
    data = await payload(
        http,
        "/placeMarketOrder",
        marketId=1340,
        tradeSide="true",
        direction="false",
        size="0.5",
        leverage=5,
    )
    assert data["function"] == FN["place_market_order"]
    assert data["functionArguments"] == ["1340", "true", "false", "5000", "5", "0", "0"]


async def test_position_management(http: httpx.AsyncClient) -> None:
    data = await payload(
        http, "/updateTakeProfit", marketId=1338, tradeSide="true", newTakeProfitPrice="7"
    )
    assert data == {
        "function": FN["update_take_profit"],
        "typeArguments": [],
        "functionArguments": ["1338", "true", "7000"],
    }
    data = await payload(
        http, "/updateStopLoss", marketId=1338, tradeSide="false", newStopLossPrice="6.5"
    )
    assert data["functionArguments"] == ["1338", "false", "6500"]
    data = await payload(http, "/collapsePosition", marketId=2387)
    assert data["functionArguments"] == ["2387"]
    data = await payload(http, "/addMargin", marketId=1338, tradeSide="true", amount="12.25")
    assert data["functionArguments"] == ["1338", "true", "12250000"]
    data = await payload(http, "/settlePnl", marketId=1338, userAddress=WALLET[:10])
    assert data["functionArguments"] == ["0x" + WALLET[2:10].rjust(64, "0"), "1338"]


#: A valid ``placeLimitOrder`` query; each bad case changes one parameter.
LIMIT = {
    "marketId": "1338",
    "tradeSide": "true",
    "direction": "false",
    "size": "1",
    "price": "5",
    "leverage": "2",
}
_BAD_LIMIT: list[tuple[dict[str, str | None], str]] = [
    ({"marketId": None}, "marketId"),
    ({"tradeSide": "yes"}, "tradeSide"),
    ({"size": "1.0001"}, "size"),
    ({"price": "5.0005"}, "price"),
    ({"size": "-1"}, "size"),
    ({"price": "NaN"}, "price"),
    ({"leverage": "2.5"}, "leverage"),
    ({"restriction": "300"}, "restriction"),
    ({"takeProfit": "6.0001"}, "takeProfit"),
]


def _with(base: dict[str, str], change: dict[str, str | None]) -> dict[str, str]:
    merged = {**base, **change}
    return {k: v for k, v in merged.items() if v is not None}


@pytest.mark.parametrize(
    ("path", "params", "named"),
    [
        *[("/placeLimitOrder", _with(LIMIT, change), named) for change, named in _BAD_LIMIT],
        ("/placeMarketOrder", _with(LIMIT, {"size": None, "price": None}), "size"),
        ("/deposit", {"userAddress": WALLET, "amount": "1.0000001"}, "amount"),
        ("/deposit", {"amount": "1"}, "userAddress"),
        ("/withdrawSpecifiMarket", {"userAddress": WALLET, "amount": "1"}, "marketId"),
        ("/updateStopLoss", {"marketId": "1338", "tradeSide": "true"}, "newStopLossPrice"),
        ("/addMargin", {"marketId": "1338", "tradeSide": "true", "amount": "abc"}, "amount"),
    ],
)
async def test_bad_write_parameters(
    http: httpx.AsyncClient, path: str, params: dict[str, str], named: str
) -> None:
    response = await http.get(path, params=params)
    assert response.status_code == 400, response.text
    assert named in response.json()["message"]


async def test_off_tick_message_names_the_nearest_prices(http: httpx.AsyncClient) -> None:
    response = await http.get("/placeLimitOrder", params=_with(LIMIT, {"price": "5.7505"}))
    assert response.status_code == 400
    assert "5.75" in response.json()["message"] and "5.751" in response.json()["message"]


async def test_cancel_multiple_orders_keeps_u128_ids_as_json_numbers(
    http: httpx.AsyncClient,
) -> None:
    big = "11905620858892513160724480"
    response = await post(
        http,
        "/cancelMultipleOrders",
        {"marketId": 1338, "cancelOrderIds": [big, 5], "orderSides": [True, False]},
    )
    assert response.status_code == 200, response.text
    assert f"[{big},5]".encode() in response.content  # exact digits, JSON numbers
    data = json.loads(response.content)["data"]
    assert data["function"] == FN["cancel_multiple_orders"]
    assert data["functionArguments"] == [1338, [int(big), 5], [True, False]]


async def test_only_the_documented_scalar_restriction_counts(http: httpx.AsyncClient) -> None:
    body: dict[str, Any] = {
        "marketId": 1338,
        "orderTypes": [True, True],
        "tradeSides": [True, True],
        "directions": [False, False],
        "sizes": [1, 1],
        "prices": [5, 5],
        "leverages": [2, 2],
        "restrictions": [3, 3],  # undocumented: ignored like any unknown key
    }
    for path in ("/placeMultipleOrders", "/cancelAndPlaceMultipleOrders"):
        extra = {"cancelOrderIds": [], "orderSides": []} if "cancel" in path else {}
        alone = await post(http, path, {**body, **extra})
        assert alone.status_code == 200, alone.text
        assert alone.json()["data"]["functionArguments"][-3] == [0, 0]
        both = await post(http, path, {**body, **extra, "restriction": 1})
        assert both.json()["data"]["functionArguments"][-3] == [1, 1]
    with anyio.fail_after(5):  # an absurd exponent is refused at once, not expanded
        huge = await post(http, "/placeMultipleOrders", {**body, "restriction": "1e999999999"})
    assert huge.status_code == 400 and "restriction" in huge.json()["message"]


async def test_place_multiple_orders_with_restrictions_array(http: httpx.AsyncClient) -> None:
    body = {
        "marketId": 1339,
        "orderTypes": [True, False],
        "tradeSides": [True, True],
        "directions": [False, False],
        "sizes": [0.0001, "0.0002"],
        "prices": [115300, 0],
        "leverages": [10, 10],
        "restrictions": [0, 0],
        "takeProfits": [115400.5, 0],
        "stopLosses": [114500, 0],
    }
    response = await post(http, "/placeMultipleOrders", body)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["function"] == FN["place_multiple_orders"]
    assert data["functionArguments"] == [
        1339,
        [True, False],
        [True, True],
        [False, False],
        [10, 20],
        [1153000, 0],
        [10, 10],
        [0, 0],
        [1154005, 0],
        [1145000, 0],
    ]


async def test_scalar_restriction_and_defaults(http: httpx.AsyncClient) -> None:
    body = {
        "marketId": "1338",
        "orderTypes": [True],
        "tradeSides": [False],
        "directions": [False],
        "sizes": [1],
        "prices": [6],
        "leverages": [2],
        "restriction": 3,
    }
    response = await post(http, "/placeMultipleOrders", body)
    args = response.json()["data"]["functionArguments"]
    assert args[7:] == [[3], [0], [0]]


async def test_cancel_and_place(http: httpx.AsyncClient) -> None:
    body = {
        "marketId": 1338,
        "cancelOrderIds": ["1"],
        "orderSides": [True],
        "orderTypes": [True],
        "tradeSides": [True],
        "directions": [False],
        "sizes": [0.5],
        "prices": [5.5],
        "leverages": [2],
    }
    response = await post(http, "/cancelAndPlaceMultipleOrders", body)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["function"] == FN["cancel_and_place_multiple_orders"]
    assert len(data["functionArguments"]) == 12
    assert data["functionArguments"][:3] == [1338, [1], [True]]


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"marketId": 1338, "orderSides": [True]}, "cancelOrderIds"),
        ({"marketId": 1338, "cancelOrderIds": ["1", "2"], "orderSides": [True]}, "orderSides"),
        ({"marketId": 1338, "cancelOrderIds": "1", "orderSides": [True]}, "cancelOrderIds"),
        ({"marketId": 1338, "cancelOrderIds": ["x"], "orderSides": [True]}, "cancelOrderIds[0]"),
        ({"cancelOrderIds": ["1"], "orderSides": [True]}, "marketId"),
    ],
)
async def test_bad_cancel_bodies(http: httpx.AsyncClient, body: dict[str, Any], named: str) -> None:
    response = await post(http, "/cancelMultipleOrders", body)
    assert response.status_code == 400
    assert named in response.json()["message"]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"sizes": [1, 2]}, "sizes"),
        ({"prices": [5.0005]}, "prices[0]"),
        ({"restriction": 256}, "restriction"),
        ({"restriction": 1.5}, "restriction"),
        ({"restriction": "1e999999999"}, "restriction"),
        ({"takeProfits": [1, 2]}, "takeProfits"),
        ({"stopLosses": [1, 2]}, "stopLosses"),
        ({"tradeSides": ["maybe"]}, "tradeSides[0]"),
        ({"leverages": None}, "leverages"),
    ],
)
async def test_bad_place_bodies(
    http: httpx.AsyncClient, change: dict[str, Any], named: str
) -> None:
    body: dict[str, Any] = {
        "marketId": 1338,
        "orderTypes": [True],
        "tradeSides": [True],
        "directions": [False],
        "sizes": [1],
        "prices": [5],
        "leverages": [2],
    }
    body.update(change)
    response = await post(http, "/placeMultipleOrders", body)
    assert response.status_code == 400
    assert named in response.json()["message"]


async def test_body_must_be_a_json_object(http: httpx.AsyncClient) -> None:
    for content in (b"not json", b"[1, 2]", b""):
        response = await http.post("/cancelMultipleOrders", content=content)
        assert response.status_code == 400
        assert "body" in response.json()["message"]
