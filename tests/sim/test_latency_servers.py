"""The latency model applied by the running simulator: REST, node and websocket batches.

No timed assertions: the tests compare the delays the servers drew with the model's seeded
schedule, and the batches the hub sent with what was queued.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from decimal import Decimal

import anyio
import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from kana_async._aptos.signing import Account
from kana_async._client import KanaClient
from kana_async.models.enums import Side
from kana_async.sim.latency import Latency, LatencyModel, WsBatching
from kana_async.sim.server import Simulator
from kana_async.sim.ws.connections import frame

pytestmark = pytest.mark.anyio

MARKET = "1338"


def small_model(seed: int = 7, **kwargs: object) -> LatencyModel:
    """Millisecond-scale latency on every channel (keeps the tests fast)."""
    options: dict[str, object] = {
        "rest": Latency(0.001, 0.002),
        "node": Latency(0.001, 0.002),
        "ws": Latency(0.001, 0.002),
    }
    options.update(kwargs)
    return LatencyModel(seed=seed, **options)  # type: ignore[arg-type]


async def eventually(condition: Callable[[], bool]) -> None:
    """Wait (at most 10 s) until ``condition()`` holds."""
    with anyio.fail_after(10):
        while not condition():  # noqa: ASYNC110 - polling state owned by the server
            await anyio.sleep(0.005)


async def recv_json(ws: ClientConnection) -> dict[str, object]:
    with anyio.fail_after(10):
        text = await ws.recv()
    msg = json.loads(text)
    assert isinstance(msg, dict)
    return msg


async def drive_requests(model: LatencyModel) -> None:
    """Five REST reads and three node reads, one after the other."""
    async with (
        Simulator(seed=3, market_maker=False, tick_interval=60, latency=model) as sim,
        httpx.AsyncClient(timeout=10) as http,
    ):
        for _ in range(5):
            reply = await http.get(
                sim.network.rest_url + "/getMarketInfo", params={"marketId": MARKET}
            )
            assert reply.status_code == 200
        for _ in range(3):
            assert (await http.get(sim.network.node_url)).status_code == 200


async def test_rest_and_node_requests_get_the_seeded_delays() -> None:
    model = small_model()
    await drive_requests(model)
    assert model.applied("rest GET /getMarketInfo") == model.schedule("rest GET /getMarketInfo", 5)
    assert model.applied("node GET /v1") == model.schedule("node GET /v1", 3)
    again = small_model()
    await drive_requests(again)
    assert list(again.delays) == list(model.delays)


async def test_routes_with_parameters_share_one_endpoint_stream() -> None:
    model = small_model()
    async with (
        Simulator(seed=3, market_maker=False, tick_interval=60, latency=model) as sim,
        httpx.AsyncClient(timeout=10) as http,
    ):
        for tx_hash in ("0x01", "0x02"):
            reply = await http.get(f"{sim.network.node_url}/transactions/by_hash/{tx_hash}")
            assert reply.status_code == 404
    key = "node GET /v1/transactions/by_hash/{hash}"
    assert model.applied(key) == model.schedule(key, 2)


async def test_a_request_waits_for_its_delay() -> None:
    model = LatencyModel(rest=Latency(60.0))
    async with (
        Simulator(seed=3, market_maker=False, tick_interval=60, latency=model) as sim,
        httpx.AsyncClient(timeout=120) as http,
    ):
        pending = asyncio.create_task(http.get(sim.network.rest_url + "/getMarketInfo"))
        await eventually(lambda: bool(model.delays))
        await asyncio.sleep(0.05)
        assert not pending.done()  # held back by the 60 s delay, not answered
        pending.cancel()
        with pytest.raises(asyncio.CancelledError):
            await pending


async def test_rest_faults_still_apply_behind_the_latency() -> None:
    model = small_model()
    async with Simulator(seed=3, market_maker=False, tick_interval=60, latency=model) as sim:
        sim.faults.rest_5xx = 1
        async with httpx.AsyncClient(base_url=sim.network.rest_url, timeout=10) as http:
            first = await http.get("/getMarketInfo", params={"marketId": MARKET})
            second = await http.get("/getMarketInfo", params={"marketId": MARKET})
    assert (first.status_code, second.status_code) == (503, 200)
    assert len(model.applied("rest GET /getMarketInfo")) == 2


async def test_no_model_means_no_delays_and_no_batches() -> None:
    async with Simulator(seed=3, market_maker=False, tick_interval=60) as sim:
        assert sim.latency is None and sim.hub.latency is None
        async with connect(sim.network.ws_url, ping_interval=None) as ws:
            await ws.send(json.dumps({"topic": "orderbook", "market_id": MARKET}))
            assert (await recv_json(ws))["message"] == "orderbook"
        assert list(sim.hub.batches) == []


@pytest.fixture
async def batched() -> AsyncIterator[tuple[Simulator, LatencyModel]]:
    model = small_model(ws_batching=WsBatching(max_batch=8))
    async with Simulator(seed=3, market_maker=False, tick_interval=60, latency=model) as sim:
        yield sim, model


def numbered(n: int) -> list[str]:
    return [frame("orderbook", [{"market_id": MARKET, "seq": i}]) for i in range(n)]


async def test_ws_frames_are_batched_in_order_with_the_seeded_delays(
    batched: tuple[Simulator, LatencyModel],
) -> None:
    sim, model = batched
    async with connect(sim.network.ws_url, ping_interval=None) as ws:
        await ws.send(json.dumps({"topic": "orderbook", "market_id": MARKET}))
        assert (await recv_json(ws))["message"] == "orderbook"  # the snapshot: batch 1
        # Queued in one go, before the connection's writer runs: 8 + 8 + 4 frames.
        assert sim.hub.publish_raw("orderbook", MARKET, numbered(20)) == 20
        received = [await recv_json(ws) for _ in range(20)]
    seqs = [msg["data"][0]["seq"] for msg in received]  # type: ignore[index]
    assert seqs == list(range(20))
    delays = model.schedule("ws#0", 4)
    assert list(sim.hub.batches) == [
        (0, delays[0], 1),
        (0, delays[1], 8),
        (0, delays[2], 8),
        (0, delays[3], 4),
    ]


async def test_each_ws_connection_has_its_own_delay_stream(
    batched: tuple[Simulator, LatencyModel],
) -> None:
    sim, model = batched
    async with (
        connect(sim.network.ws_url, ping_interval=None) as first,
        connect(sim.network.ws_url, ping_interval=None) as second,
    ):
        for ws in (first, second):
            await ws.send(json.dumps({"topic": "orderbook", "market_id": MARKET}))
            assert (await recv_json(ws))["message"] == "orderbook"
    by_conn: dict[int, list[float]] = {}
    for index, delay, sent in sim.hub.batches:
        assert sent == 1
        by_conn.setdefault(index, []).append(delay)
    assert by_conn == {0: model.schedule("ws#0", 1), 1: model.schedule("ws#1", 1)}
    assert model.schedule("ws#0", 1) != model.schedule("ws#1", 1)


async def test_malformed_fault_keeps_working_with_batches(
    batched: tuple[Simulator, LatencyModel],
) -> None:
    sim, _ = batched
    async with connect(sim.network.ws_url, ping_interval=None) as ws:
        await ws.send(json.dumps({"topic": "orderbook", "market_id": MARKET}))
        await recv_json(ws)
        sim.faults.ws_malformed = 1
        sim.hub.publish_raw("orderbook", MARKET, sent := numbered(3))
        with anyio.fail_after(10):
            texts = [await ws.recv() for _ in range(3)]
    assert texts[0] != sent[0]  # the fault replaced the first frame by garbage
    assert texts[1:] == sent[1:]


async def test_stall_fault_drops_a_pending_batch_and_resumes(
    batched: tuple[Simulator, LatencyModel],
) -> None:
    sim, _ = batched
    async with connect(sim.network.ws_url, ping_interval=None) as ws:
        await ws.send(json.dumps({"topic": "orderbook", "market_id": MARKET}))
        await recv_json(ws)
        sim.faults.ws_stall = True
        await eventually(lambda: sim.hub.stalled)
        assert sim.hub.publish_raw("orderbook", MARKET, numbered(3)) == 3  # dropped: stalled
        sim.faults.ws_stall = False
        await eventually(lambda: not sim.hub.stalled)
        sim.hub.publish_raw("orderbook", MARKET, sent := numbered(2))
        with anyio.fail_after(10):
            texts = [await ws.recv() for _ in range(2)]
    assert texts == sent  # only what was queued after the stall, in order


async def test_sdk_trading_works_under_realistic_latency() -> None:
    """Deposit and a market order through the SDK with every channel delayed (scaled down)."""
    model = LatencyModel.realistic(seed=7, scale=0.05)
    async with Simulator(seed=3, tick_interval=0.05, latency=model) as sim:
        funded = sim.new_account()
        account = Account.from_hex(funded.private_key_hex)
        async with KanaClient(sim.network, account=account) as kana:
            market = sim.network.market_id("APT-USD")
            await kana.trading.deposit(Decimal("100"))
            result = await kana.trading.place_market_order(
                market, side=Side.LONG, size=Decimal("0.5"), leverage=2
            )
            assert result.success
            (position,) = await kana.portfolio.positions(market_id=market)
            assert position.size == Decimal("0.5")
    submits = model.applied("node POST /v1/transactions")
    assert len(submits) >= 2  # the deposit and the order went through the delayed node
    assert submits == model.schedule("node POST /v1/transactions", len(submits))
    assert all(d >= 0.080 * 0.05 for d in submits)
    assert model.applied("rest GET /getMarketInfo")


async def test_rest_errors_follow_the_seeded_error_schedule() -> None:
    model = LatencyModel(seed=5, rest=Latency(0.0005, error_probability=0.3))
    expected = model.error_schedule("rest GET /getMarketInfo", 30)
    assert any(expected) and not all(expected)
    async with (
        Simulator(seed=3, market_maker=False, tick_interval=60, latency=model) as sim,
        httpx.AsyncClient(base_url=sim.network.rest_url, timeout=10) as http,
    ):
        replies = [await http.get("/getMarketInfo", params={"marketId": MARKET}) for _ in range(30)]
    assert [r.status_code == 503 for r in replies] == expected
    failed = next(r for r in replies if r.status_code == 503)
    assert failed.json() == {"success": False, "message": "service temporarily unavailable"}
    assert all(r.json()["success"] for r in replies if r.status_code == 200)


async def test_node_errors_answer_in_the_nodes_format() -> None:
    model = LatencyModel(seed=5, endpoints={"node GET /v1": Latency(error_probability=1.0)})
    async with (
        Simulator(seed=3, market_maker=False, tick_interval=60, latency=model) as sim,
        httpx.AsyncClient(timeout=10) as http,
    ):
        failed = await http.get(sim.network.node_url)
        other = await http.get(f"{sim.network.node_url}/estimate_gas_price")
    assert failed.status_code == 503
    assert failed.json() == {
        "message": "Service unavailable",
        "error_code": "internal_error",
        "vm_error_code": None,
    }
    assert other.status_code == 200  # only that endpoint fails
    assert model.failed("node GET /v1") == [0]


async def test_a_failed_ws_batch_drops_the_connection() -> None:
    model = LatencyModel(seed=5, ws=Latency(0.001, error_probability=1.0))
    async with Simulator(seed=3, market_maker=False, tick_interval=60, latency=model) as sim:
        async with connect(sim.network.ws_url, ping_interval=None) as ws:
            await ws.send(json.dumps({"topic": "orderbook", "market_id": MARKET}))
            with anyio.fail_after(10), pytest.raises(ConnectionClosed):
                await ws.recv()
        assert list(sim.hub.batches) == [(0, model.schedule("ws#0", 1)[0], 0)]
        assert model.failed("ws#0") == [0]
        await eventually(lambda: sim.hub.connection_count == 0)
