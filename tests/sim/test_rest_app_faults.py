"""REST app: API key enforcement and the switchable faults (delay, 429 + Retry-After, 5xx)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import httpx
import pytest

from kana_async.sim.server import Simulator

pytestmark = pytest.mark.anyio


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(api_key="sekret", market_maker=False, tick_interval=60) as s:
        yield s


@pytest.fixture
async def http(sim: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=sim.network.rest_url, headers={"x-api-key": "sekret"}, timeout=10
    ) as client:
        yield client


async def test_api_key_is_required_when_configured(sim: Simulator) -> None:
    async with httpx.AsyncClient(base_url=sim.network.rest_url) as bare:
        missing = await bare.get("/getMarketInfo", params={"marketId": 1338})
        wrong = await bare.get(
            "/getMarketInfo", params={"marketId": 1338}, headers={"x-api-key": "nope"}
        )
        right = await bare.get(
            "/getMarketInfo", params={"marketId": 1338}, headers={"x-api-key": "sekret"}
        )
    for response in (missing, wrong):
        assert response.status_code == 401
        assert response.json()["success"] is False
        assert "x-api-key" in response.json()["message"]
    assert right.status_code == 200


async def test_no_key_needed_when_none_configured() -> None:
    async with (
        Simulator(market_maker=False) as sim,
        httpx.AsyncClient(base_url=sim.network.rest_url) as bare,
    ):
        response = await bare.get("/getMarketInfo", params={"marketId": 1338})
    assert response.status_code == 200


async def test_429_burst_with_retry_after(sim: Simulator, http: httpx.AsyncClient) -> None:
    sim.faults.rest_429 = 2
    sim.faults.rest_retry_after = 1.5
    first = await http.get("/getMarketInfo", params={"marketId": 1338})
    second = await http.get("/getMarketInfo", params={"marketId": 1338})
    third = await http.get("/getMarketInfo", params={"marketId": 1338})
    assert [r.status_code for r in (first, second, third)] == [429, 429, 200]
    assert first.headers["Retry-After"] == "1.5"
    assert first.json()["success"] is False
    assert sim.faults.rest_429 == 0


async def test_whole_second_retry_after_is_an_integer(
    sim: Simulator, http: httpx.AsyncClient
) -> None:
    sim.faults.rest_429 = 1
    sim.faults.rest_retry_after = 2
    response = await http.get("/getMarketInfo", params={"marketId": 1338})
    assert response.headers["Retry-After"] == "2"


async def test_5xx_burst_ends_by_itself(sim: Simulator, http: httpx.AsyncClient) -> None:
    sim.faults.rest_5xx = 3
    codes = [
        (await http.get("/getMarketInfo", params={"marketId": 1338})).status_code for _ in range(4)
    ]
    assert codes == [503, 503, 503, 200]


async def test_delay_holds_the_answer(sim: Simulator, http: httpx.AsyncClient) -> None:
    sim.faults.rest_delay = 1.0
    with anyio.move_on_after(0.3) as scope:
        await http.get("/getMarketInfo", params={"marketId": 1338})
    assert scope.cancelled_caught  # the reply did not arrive while the delay was on
    sim.faults.rest_delay = 0
    response = await http.get("/getMarketInfo", params={"marketId": 1338})
    assert response.status_code == 200


async def test_handler_bug_is_a_500_envelope(
    sim: Simulator, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(market_id: int) -> None:
        raise RuntimeError("engine bug")

    monkeypatch.setattr(sim.exchange, "best_bid_ask", broken)
    response = await http.get("/getMarketPrice", params={"marketId": 1338})
    assert response.status_code == 500
    assert response.json() == {"success": False, "message": "internal server error"}
