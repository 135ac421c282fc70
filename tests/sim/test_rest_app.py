"""REST app read endpoints over real sockets: paths, parameters and response shapes (spec §3)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from kana_async.sim.accounts import FundedAccount
from kana_async.sim.server import Simulator

pytestmark = pytest.mark.anyio

APT = 1338


def scenario(sim: Simulator) -> tuple[FundedAccount, FundedAccount]:
    """``a`` is long 1 APT (bought at 5.8 from ``b``) and has a resting bid; ``b`` is short."""
    a, b = sim.new_account(), sim.new_account()
    ex = sim.exchange
    ex.deposit(a.address, 5_000 * 10**6)
    ex.deposit(b.address, 5_000 * 10**6)
    ex.place_limit_order(b.address, APT, False, False, 2000, 5800, 2)
    ex.place_market_order(a.address, APT, True, False, 1000, 2)
    ex.place_limit_order(a.address, APT, True, False, 500, 5500, 2)
    return a, b


async def get(http: httpx.AsyncClient, path: str, **params: Any) -> Any:
    response = await http.get(path, params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    assert isinstance(body["message"], str) and body["message"]
    return body["data"]


async def test_market_info_and_all_markets(http: httpx.AsyncClient) -> None:
    (info,) = await get(http, "/getMarketInfo", marketId=APT)
    assert info["market_id"] == "1338"
    assert info["__variant__"] == "V1"
    assert info["lot_size"] == "100000" and info["base_decimals"] == 8
    every = await get(http, "/getPerpetualAssetsInfo/allMarkets")
    assert [m["market_id"] for m in every] == ["1338", "1339", "1340", "2387"]
    by_name = await get(http, "/getPerpetualAssetsInfo", baseName="ETH")
    assert [m["market_id"] for m in by_name] == ["1340"]
    by_id = await get(http, "/getPerpetualAssetsInfo", marketId="2387")
    assert by_id[0]["base_name"] == "SOL-USD"


async def test_assets_info_needs_a_parameter(http: httpx.AsyncClient) -> None:
    response = await http.get("/getPerpetualAssetsInfo")
    assert response.status_code == 400
    assert "marketId" in response.json()["message"]
    response = await http.get("/getPerpetualAssetsInfo", params={"baseName": "DOGE"})
    assert response.status_code == 404


async def test_prices(sim: Simulator, http: httpx.AsyncClient) -> None:
    empty = await get(http, "/getMarketPrice", marketId=APT)
    assert empty == {"bestAskPrice": None, "bestBidPrice": None}
    scenario(sim)
    price = await get(http, "/getMarketPrice", marketId=APT)
    assert price == {"bestAskPrice": 5.8, "bestBidPrice": 5.5}
    assert await get(http, "/getLastPlacedPrice", marketId=APT) == 5.8
    response = await http.get("/getMarketPrice", params={"marketId": APT})
    assert b'"bestAskPrice":5.8' in response.content  # exact digits, a JSON number


async def test_balances(sim: Simulator, http: httpx.AsyncClient) -> None:
    a = sim.new_account(apt=Decimal("2.5"), usdt=Decimal("1234.5"))
    assert await get(http, "/getWalletAccountBalance", userAddress=a.address) == 1234.5
    assert await get(http, "/getAccountAptBalance", userAddress=a.address) == 2.5
    assert await get(http, "/getProfileBalanceSnapshot", userAddress=a.address) == 0
    sim.exchange.deposit(a.address, 1000 * 10**6)
    assert await get(http, "/getProfileBalanceSnapshot", userAddress=a.address) == 1000
    assert await get(http, "/getNetProfileBalance", userAddress=a.address) == 1000
    assert await get(http, "/getWalletAccountBalance", userAddress=a.address) == 234.5


async def test_profile_address(sim: Simulator, http: httpx.AsyncClient) -> None:
    a = sim.new_account()
    short = "0x" + a.address[2:].lstrip("0")
    assert await get(http, "/getProfileAddress", userAddress=short) == a.profile_address
    assert a.profile_address == sim.exchange.profile_address(a.address)


async def test_open_orders_positions_and_ids(sim: Simulator, http: httpx.AsyncClient) -> None:
    a, b = scenario(sim)
    (order,) = await get(http, "/getOpenOrders", userAddress=a.address)
    assert order["address"] == a.profile_address
    assert order["price"] == "5.5" and order["total_size"] == "0.5"
    assert order["remaining_size"] == "0.5" and order["order_value"] == "2.75"
    assert isinstance(order["order_id"], str) and int(order["order_id"]) > 2**64
    assert await get(http, "/getOpenOrdersFromContract", userAddress=a.address) == [order]
    ids = await get(http, "/getAllOpenOrderIds", userAddress=a.address, marketId=APT)
    assert ids == [order["order_id"]]
    assert await get(http, "/getAllOpenOrderIds", userAddress=a.address, marketId=1339) == []

    (pos,) = await get(http, "/getPositions", userAddress=a.address)
    assert pos["trade_side"] is True and pos["size"] == "1" and pos["entry_price"] == "5.8"
    assert pos["leverage"] == 2 and pos["market_id"] == "1338"
    assert pos["tp"] is None and pos["sl"] is None
    (short,) = await get(http, "/getPositionsFromContract", userAddress=b.address, marketId=APT)
    assert short["trade_side"] is False


async def test_order_status_both_paths(sim: Simulator, http: httpx.AsyncClient) -> None:
    a, _ = scenario(sim)
    (order,) = sim.exchange.open_orders(a.address)
    for path in ("/fetchOrderStatusById", "/getOrderStatusByOrderId"):
        status = await get(http, path, marketId=APT, orderId=str(order.order_id))
        assert status["status"] == "Open"
        assert status["order_id"] == str(order.order_id)
        assert status["remaining_size"] == "0.5" and status["total_filled"] == "0"
    missing = await http.get("/fetchOrderStatusById", params={"marketId": APT, "orderId": "7"})
    assert missing.status_code == 404
    assert missing.json()["success"] is False


async def test_histories_and_paging(sim: Simulator, http: httpx.AsyncClient) -> None:
    a, _ = scenario(sim)
    rows = await get(http, "/getOrderHistory", userAddress=a.address)
    assert [r["status"] for r in rows] == ["Open", "Filled"]  # newest first by default
    assert rows[1]["is_market_order"] is True and rows[1]["price"] == "5.8"
    asc = await get(http, "/getOrderHistory", userAddress=a.address, order="asc", limit=1)
    assert [r["status"] for r in asc] == ["Filled"]
    page2 = await get(http, "/getOrderHistory", userAddress=a.address, offset=1, limit=1)
    assert [r["status"] for r in page2] == ["Filled"]

    (fill,) = await get(http, "/getTradeHistory", userAddress=a.address, marketId=APT)
    assert fill["size"] == "1" and fill["price"] == "5.8" and fill["order_value"] == "5.8"
    assert fill["fee"] == "0.0029"  # taker 5 bps
    transfers = await get(http, "/getDepositAndWithdrawHistory", userAddress=a.address)
    assert transfers[0]["amount"] == "5000" and transfers[0]["is_deposit"] is True
    assert await get(http, "/getFundingHistory", userAddress=a.address) == []


async def test_trades_and_fills(sim: Simulator, http: httpx.AsyncClient) -> None:
    a, _ = scenario(sim)
    (trade,) = await get(http, "/getAllTrades", marketId=APT)
    assert trade["price"] == "5.8" and trade["size"] == "1"
    fills = await get(
        http,
        "/getFills",
        marketId=APT,
        address=a.profile_address,
        **{"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"},
    )
    assert len(fills) == 1 and fills[0]["address"] == a.profile_address
    none = await get(
        http,
        "/getFills",
        marketId=APT,
        address=a.profile_address,
        **{"from": "2000-01-01T00:00:00Z", "to": "2000-01-02T00:00:00Z"},
    )
    assert none == []
    public = await get(
        http, "/getFills", marketId=APT, **{"from": "2000-01-01T00:00Z", "to": "2100-01-01T00:00Z"}
    )
    assert len(public) == 1
    timed = await get(
        http,
        "/getFillsForGivenTimestamp",
        userAddress=a.address,
        fromTimestamp=0,
        toTimestamp=4_000_000_000,
    )
    assert len(timed) == 1


@pytest.mark.parametrize(
    ("path", "params", "named"),
    [
        ("/getMarketInfo", {}, "marketId"),
        ("/getMarketInfo", {"marketId": "abc"}, "marketId"),
        ("/getOpenOrders", {}, "userAddress"),
        ("/getOpenOrders", {"userAddress": "0xnothex"}, "userAddress"),
        ("/getOrderHistory", {"userAddress": "0x1", "order": "sideways"}, "order"),
        ("/getOrderHistory", {"userAddress": "0x1", "limit": "-1"}, "limit"),
        ("/getOrderHistory", {"userAddress": "0x1", "limit": "5000"}, "limit"),
        ("/getTradeHistory", {"userAddress": "0x1", "offset": "x"}, "offset"),
        ("/fetchOrderStatusById", {"marketId": "1338"}, "orderId"),
        ("/getFills", {"marketId": "1338", "to": "2024-01-01T00:00:00Z"}, "from"),
        ("/getFills", {"marketId": "1338", "from": "yesterday", "to": "x"}, "from"),
        ("/getFills", {"marketId": "1338", "from": "2024-01-01T00:00:00", "to": "x"}, "from"),
        (
            "/getFills",
            {"marketId": "1338", "from": "2024-01-02T00:00:00Z", "to": "2024-01-01T00:00:00Z"},
            "to",
        ),
        (
            "/getFillsForGivenTimestamp",
            {"userAddress": "0x1", "fromTimestamp": "1747075649000"},
            "fromTimestamp",
        ),
    ],
)
async def test_bad_parameters_are_400_naming_them(
    http: httpx.AsyncClient, path: str, params: dict[str, str], named: str
) -> None:
    response = await http.get(path, params=params)
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False
    assert named in body["message"]


async def test_unknown_market_and_path_are_404(http: httpx.AsyncClient) -> None:
    response = await http.get("/getMarketInfo", params={"marketId": 66})
    assert response.status_code == 404
    assert response.json() == {"success": False, "message": response.json()["message"]}
    assert "66" in response.json()["message"]
    response = await http.get("/getNothing")
    assert response.status_code == 404
    assert response.json()["success"] is False


async def test_wrong_method_is_405_with_envelope(http: httpx.AsyncClient) -> None:
    response = await http.get("/cancelMultipleOrders")
    assert response.status_code == 405
    assert response.json()["success"] is False
