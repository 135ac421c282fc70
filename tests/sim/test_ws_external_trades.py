"""Trades from outside the exchange (replayed market data) on the hub's ``recent_trades``."""

from __future__ import annotations

import json

import anyio
import pytest
from websockets.asyncio.client import connect

from kana_async.sim.server import Simulator

pytestmark = pytest.mark.anyio

NOW = 1_700_000_000
APT = 1338


def outside(trade_id: str, timestamp: int) -> dict[str, object]:
    return {"market_id": str(APT), "trade_id": trade_id, "price": "5.7", "timestamp": timestamp}


async def test_external_trades_are_pushed_and_join_the_snapshot_in_time_order() -> None:
    async with Simulator(seed=3, market_maker=False, tick_interval=60, clock=lambda: NOW) as sim:
        maker, taker = sim.new_account(), sim.new_account()
        for account in (maker, taker):
            sim.exchange.deposit(account.address, 1000 * 10**6)
        sim.exchange.place_limit_order(maker.address, APT, False, False, 500, 5750, 2)
        sim.exchange.place_market_order(taker.address, APT, True, False, 500, 2)
        (own,) = sim.exchange.market_trades(APT)
        async with connect(sim.network.ws_url, ping_interval=None) as ws:
            await ws.send(json.dumps({"topic": "recent_trades", "market_id": str(APT)}))
            with anyio.fail_after(10):
                first = json.loads(await ws.recv())
                assert [t["trade_id"] for t in first["data"]] == [str(own.trade_id)]
                later, earlier = outside("x-later", NOW + 10), outside("x-earlier", NOW - 10)
                sim.hub.publish_external_trades(APT, [later])
                sim.hub.publish_external_trades(APT, [earlier])
                pushed = [json.loads(await ws.recv())["data"] for _ in range(2)]
        assert pushed == [[later], [earlier]]  # pushed as they come
        async with connect(sim.network.ws_url, ping_interval=None) as ws:
            await ws.send(json.dumps({"topic": "recent_trades", "market_id": str(APT)}))
            with anyio.fail_after(10):
                snapshot = json.loads(await ws.recv())["data"]
        assert [t["trade_id"] for t in snapshot] == ["x-earlier", str(own.trade_id), "x-later"]
        assert sim.exchange.market_trades(APT) == [own]  # the engine knows nothing of them


async def test_the_snapshot_keeps_only_the_latest_trades() -> None:
    async with Simulator(seed=3, market_maker=False, tick_interval=60, clock=lambda: NOW) as sim:
        sim.hub.publish_external_trades(APT, [outside(str(i), NOW + i) for i in range(60)])
        async with connect(sim.network.ws_url, ping_interval=None) as ws:
            await ws.send(json.dumps({"topic": "recent_trades", "market_id": str(APT)}))
            with anyio.fail_after(10):
                snapshot = json.loads(await ws.recv())["data"]
    assert [t["trade_id"] for t in snapshot] == [str(i) for i in range(10, 60)]
