"""Websocket hub: every topic with a plain ``websockets`` client, snapshots and pushes."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import anyio
import pytest
from websockets.asyncio.client import ClientConnection, connect

from kana_async.sim.accounts import FundedAccount
from kana_async.sim.server import Simulator

pytestmark = pytest.mark.anyio

APT = 1338


async def recv(ws: ClientConnection) -> dict[str, Any]:
    with anyio.fail_after(10):
        frame = await ws.recv()
    msg: dict[str, Any] = json.loads(frame)
    assert set(msg) == {"message", "data"}
    assert isinstance(msg["data"], list)
    return msg


async def subscribe(ws: ClientConnection, **frame: Any) -> dict[str, Any]:
    await ws.send(json.dumps(frame))
    msg = await recv(ws)
    assert msg["message"] == frame["topic"]
    return msg


async def eventually(condition: Callable[[], bool]) -> None:
    """Wait (at most 10 s) until ``condition()`` holds."""
    with anyio.fail_after(10):
        while not condition():  # noqa: ASYNC110 - polling state owned by the server
            await anyio.sleep(0.01)


def funded(sim: Simulator) -> FundedAccount:
    account = sim.new_account()
    sim.exchange.deposit(account.address, 5_000 * 10**6)
    return account


async def test_orderbook_snapshot_then_coalesced_pushes(
    sim: Simulator, ws: ClientConnection
) -> None:
    maker = funded(sim)
    first = await subscribe(ws, topic="orderbook", market_id=str(APT))
    assert first["data"] == []
    for k in range(5):  # five transactions in one loop turn → one frame
        sim.exchange.place_limit_order(maker.address, APT, True, False, 500, 5500 - k, 2)
    frame = await recv(ws)
    assert frame["message"] == "orderbook"
    assert len(frame["data"]) == 5
    level = frame["data"][0]
    assert set(level) == {
        "market_id",
        "is_ask",
        "price",
        "size",
        "last_updated",
        "transaction_version",
    }
    assert level["market_id"] == "1338" and level["is_ask"] is False
    assert level["price"] == 5.5 and level["size"] == "0.5"
    assert isinstance(level["transaction_version"], int)
    sim.exchange.place_limit_order(maker.address, APT, False, False, 700, 6000, 2)
    frame = await recv(ws)  # the next frame is the next change: nothing in between
    assert len(frame["data"]) == 6
    (ask,) = [lvl for lvl in frame["data"] if lvl["is_ask"]]
    assert ask == {**ask, "price": 6, "size": "0.7"}


async def test_best_price_and_alias(sim: Simulator, ws: ClientConnection) -> None:
    maker = funded(sim)
    sim.exchange.place_limit_order(maker.address, APT, True, False, 500, 5500, 2)
    sim.exchange.place_limit_order(maker.address, APT, False, False, 500, 5600, 2)
    msg = await subscribe(ws, topic="best_price", market_id=APT)
    assert msg["data"] == [
        {"market_id": "1338", "symbol": "APT-USD", "bid": 5.5, "ask": 5.6, "mid_price": 5.55}
    ]
    alias = await subscribe(ws, topic="bestPrice", market_id="1338")
    assert alias["data"] == msg["data"]


async def test_recent_trades(sim: Simulator, ws: ClientConnection) -> None:
    maker, taker = funded(sim), funded(sim)
    sim.exchange.place_limit_order(maker.address, APT, False, False, 1000, 5800, 2)
    sim.exchange.place_market_order(taker.address, APT, True, False, 500, 2)
    snapshot = await subscribe(ws, topic="recent_trades", market_id=str(APT))
    assert len(snapshot["data"]) == 1
    sim.exchange.place_market_order(taker.address, APT, True, False, 500, 2)
    push = await recv(ws)
    assert push["message"] == "recent_trades"
    (trade,) = push["data"]
    assert trade["price"] == "5.8" and trade["size"] == "0.5" and trade["market_id"] == "1338"
    assert isinstance(trade["trade_id"], str) and isinstance(trade["timestamp"], int)


async def test_live_funding_rate(ws: ClientConnection) -> None:
    msg = await subscribe(ws, topic="live_funding_rate")
    assert [r["market_id"] for r in msg["data"]] == ["1338", "1339", "1340", "2387"]
    row = msg["data"][0]
    assert set(row) == {"market_id", "funding_rate", "next_funding_time", "timestamp"}
    assert isinstance(row["funding_rate"], str) and isinstance(row["next_funding_time"], int)


async def test_account_topics_snapshot_and_push(sim: Simulator, ws: ClientConnection) -> None:
    a, b = funded(sim), funded(sim)
    profile = a.profile_address
    for topic in ("positions", "open_orders", "order_history", "trade_history"):
        assert (await subscribe(ws, topic=topic, address=profile))["data"] == []
    transfers = await subscribe(ws, topic="deposit_withdraw_history", address=profile)
    assert transfers["data"][0]["amount"] == "5000"

    sim.exchange.place_limit_order(b.address, APT, False, False, 1000, 5800, 2)
    sim.exchange.place_market_order(a.address, APT, True, False, 1000, 2)
    got: dict[str, list[dict[str, Any]]] = {}
    while set(got) != {"order_history", "trade_history", "positions", "open_orders"}:
        msg = await recv(ws)
        got.setdefault(msg["message"], msg["data"])
    (order,) = got["order_history"]
    assert order["status"] == "Filled" and order["is_market_order"] is True
    (fill,) = got["trade_history"]
    assert fill["address"] == profile and fill["price"] == "5.8"
    (pos,) = got["positions"]
    assert pos["trade_side"] is True and pos["size"] == "1"
    assert got["open_orders"] == []


async def test_live_topics_send_only_the_latest_row(sim: Simulator, ws: ClientConnection) -> None:
    a, b = funded(sim), funded(sim)
    sim.exchange.place_limit_order(b.address, APT, False, False, 1000, 5800, 2)
    sim.exchange.place_market_order(a.address, APT, True, False, 500, 2)
    sim.exchange.place_market_order(a.address, APT, True, False, 500, 2)
    orders = await subscribe(ws, topic="live_order_history", address=a.profile_address)
    trades = await subscribe(ws, topic="live_trade_history", address=a.profile_address)
    assert len(orders["data"]) == 1 and len(trades["data"]) == 1
    assert sim.exchange.order_history(a.address)[-1].order_id == int(orders["data"][0]["order_id"])
    sim.exchange.place_limit_order(a.address, APT, True, False, 500, 5000, 2)
    push = await recv(ws)
    assert push["message"] == "live_order_history"
    assert push["data"][0]["status"] == "Open" and push["data"][0]["price"] == "5"


async def test_closed_position_is_sent_once_with_size_zero(
    sim: Simulator, ws: ClientConnection
) -> None:
    a, b = funded(sim), funded(sim)
    sim.exchange.place_limit_order(b.address, APT, False, False, 1000, 5800, 2)
    sim.exchange.place_market_order(a.address, APT, True, False, 1000, 2)
    (pos,) = (await subscribe(ws, topic="positions", address=a.profile_address))["data"]
    assert pos["size"] == "1"
    sim.exchange.place_limit_order(b.address, APT, True, False, 1000, 5700, 2)
    sim.exchange.place_market_order(a.address, APT, True, True, 1000, 2)  # close the long
    while True:
        msg = await recv(ws)
        if msg["message"] == "positions" and any(r["size"] == "0" for r in msg["data"]):
            break
    assert [r["size"] for r in msg["data"]] == ["0"]


async def test_many_subscriptions_on_one_connection(sim: Simulator, ws: ClientConnection) -> None:
    a = funded(sim)
    await subscribe(ws, topic="orderbook", market_id="1338")
    await subscribe(ws, topic="orderbook", market_id="1339")
    await subscribe(ws, topic="open_orders", address=a.profile_address)
    assert sim.hub.subscriber_count("orderbook", "1339") == 1
    sim.exchange.place_limit_order(a.address, 1339, True, False, 10, 900000, 2)
    seen: set[str] = set()
    while seen != {"orderbook", "open_orders"}:
        msg = await recv(ws)
        seen.add(msg["message"])
        if msg["message"] == "orderbook":
            assert {lvl["market_id"] for lvl in msg["data"]} == {"1339"}
    # a second connection gets its own frames
    async with connect(sim.network.ws_url, ping_interval=None) as other:
        await subscribe(other, topic="orderbook", market_id="1339")
        assert sim.hub.subscriber_count("orderbook", "1339") == 2
    await eventually(lambda: sim.hub.subscriber_count("orderbook", "1339") == 1)


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        ("not json", "JSON"),
        (json.dumps(["topic"]), "topic"),
        (json.dumps({"topic": "nope"}), "unknown topic"),
        (json.dumps({"topic": "positions"}), "address"),
        (json.dumps({"topic": "positions", "address": "zz"}), "address"),
        (json.dumps({"topic": "orderbook"}), "market_id"),
        (json.dumps({"topic": "orderbook", "market_id": "66"}), "66"),
    ],
)
async def test_bad_subscribe_frames_get_an_error_frame(
    ws: ClientConnection, frame: str, expected: str
) -> None:
    await ws.send(frame)
    msg = await recv(ws)
    assert msg["message"] == "error"
    assert expected in msg["data"][0]["error"]


async def test_firehose_pushes_realistic_frames(sim: Simulator, ws: ClientConnection) -> None:
    await subscribe(ws, topic="orderbook", market_id="1338")
    await subscribe(ws, topic="recent_trades", market_id="1339")
    books = sim.start_firehose(1338, 2000)
    trades = sim.start_firehose(1339, 2000, topic="recent_trades")
    counts = {"orderbook": 0, "recent_trades": 0}
    while min(counts.values()) < 50:
        msg = await recv(ws)
        counts[msg["message"]] += 1
        if msg["message"] == "orderbook":
            assert len(msg["data"]) == 20 and msg["data"][0]["market_id"] == "1338"
        else:
            assert msg["data"][0]["market_id"] == "1339"
    assert books.sent >= 50 and trades.sent >= 50
    assert len(sim.firehoses) == 2
    sim.stop_firehose()
    assert sim.firehoses == []
    with pytest.raises(ValueError, match="rate_per_s"):
        sim.start_firehose(1338, 0)
    with pytest.raises(ValueError, match="topic"):
        sim.start_firehose(1338, 10, topic="positions")  # type: ignore[arg-type]
