"""Websocket hub faults: malformed frames, clean and abrupt drops, stall."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import cast

import anyio
import pytest
from aiohttp import web
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosedError, ConnectionClosedOK

from kana_async.sim.engine import Exchange
from kana_async.sim.faults import Faults
from kana_async.sim.server import Simulator
from kana_async.sim.ws import WsHub, connections
from kana_async.sim.ws.connections import Conn

pytestmark = pytest.mark.anyio


async def recv_text(ws: ClientConnection) -> str:
    with anyio.fail_after(10):
        frame = await ws.recv()
    assert isinstance(frame, str)
    return frame


async def eventually(condition: Callable[[], bool]) -> None:
    """Wait (at most 10 s) until ``condition()`` holds."""
    with anyio.fail_after(10):
        while not condition():  # noqa: ASYNC110 - polling state owned by the server
            await anyio.sleep(0.01)


def book_change(sim: Simulator, price: int) -> None:
    account = sim.new_account()
    sim.exchange.deposit(account.address, 1000 * 10**6)
    sim.exchange.place_limit_order(account.address, 1338, True, False, 500, price, 2)


async def test_malformed_frames_then_normal_again(sim: Simulator, ws: ClientConnection) -> None:
    sim.faults.ws_malformed = 3
    await ws.send(json.dumps({"topic": "orderbook", "market_id": "1338"}))
    bad = [await recv_text(ws)]
    for price in (5000, 5001):
        book_change(sim, price)
        bad.append(await recv_text(ws))
    assert sim.faults.ws_malformed == 0
    with pytest.raises(ValueError):
        json.loads(bad[0])  # not JSON
    for frame in bad[1:]:  # JSON, wrong shape
        msg = json.loads(frame)
        assert not (isinstance(msg, dict) and isinstance(msg.get("data"), list))
    book_change(sim, 5002)
    good = json.loads(await recv_text(ws))
    assert good["message"] == "orderbook" and len(good["data"]) == 3


async def test_clean_drop_sends_a_close_frame(sim: Simulator, ws: ClientConnection) -> None:
    await ws.send(json.dumps({"topic": "live_funding_rate"}))
    await recv_text(ws)
    assert await sim.drop_ws_connections() == 1
    with anyio.fail_after(10), pytest.raises(ConnectionClosedError) as info:
        await ws.recv()
    assert info.value.rcvd is not None and info.value.rcvd.code == 1012
    assert sim.hub.connection_count == 0


async def test_abrupt_drop_has_no_close_frame(sim: Simulator, ws: ClientConnection) -> None:
    await ws.send(json.dumps({"topic": "live_funding_rate"}))
    await recv_text(ws)
    assert await sim.drop_ws_connections(abrupt=True) == 1
    with anyio.fail_after(10), pytest.raises(ConnectionClosedError) as info:
        await ws.recv()
    assert info.value.rcvd is None
    await eventually(lambda: sim.hub.connection_count == 0)


async def test_stall_stops_frames_and_pongs_until_lifted(
    sim: Simulator, ws: ClientConnection
) -> None:
    await ws.send(json.dumps({"topic": "orderbook", "market_id": "1338"}))
    await recv_text(ws)
    sim.faults.ws_stall = True
    await eventually(lambda: sim.hub.stalled)
    book_change(sim, 5000)
    pong = cast("asyncio.Future[float]", await ws.ping())
    await asyncio.wait({pong}, timeout=0.3)
    assert not pong.done()  # no pong while stalled
    with anyio.move_on_after(0.2) as scope:
        await ws.recv()
    assert scope.cancelled_caught  # and no frames
    sim.faults.ws_stall = False
    with anyio.fail_after(10):
        await pong  # reading resumed: the ping is answered
    book_change(sim, 5001)
    msg = json.loads(await recv_text(ws))
    assert msg["message"] == "orderbook" and len(msg["data"]) == 2


async def test_shutdown_while_stalled_does_not_hang() -> None:
    with anyio.fail_after(10):
        async with (
            Simulator(market_maker=False) as sim,
            connect(sim.network.ws_url, ping_interval=None) as ws,
        ):
            await ws.send(json.dumps({"topic": "live_funding_rate"}))
            await recv_text(ws)
            sim.faults.ws_stall = True
            await eventually(lambda: sim.hub.stalled)
            await sim.aclose()
            with pytest.raises((ConnectionClosedError, ConnectionClosedOK)):
                await ws.recv()


async def test_subscribe_bug_answers_an_error_frame(
    sim: Simulator, ws: ClientConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(topic: str, key: str) -> list[dict[str, object]]:
        raise RuntimeError("bug")

    monkeypatch.setattr(sim.hub, "_snapshot", broken)
    await ws.send(json.dumps({"topic": "live_funding_rate"}))
    msg = json.loads(await recv_text(ws))
    assert msg["message"] == "error" and "internal" in msg["data"][0]["error"]
    monkeypatch.undo()
    await ws.send(json.dumps({"topic": "live_funding_rate"}))  # the connection still works
    assert json.loads(await recv_text(ws))["message"] == "live_funding_rate"


class _FakeTransport:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def abort(self) -> None:
        self.calls.append("abort")


async def test_a_consumer_that_falls_too_far_behind_is_aborted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hub = WsHub(Exchange(), Faults())
    transport = _FakeTransport()
    conn = Conn(cast(web.WebSocketResponse, None), cast(asyncio.Transport, transport))
    monkeypatch.setattr(connections, "MAX_BACKLOG", 3)
    for _ in range(3):
        hub.enqueue(conn, "frame")
    assert len(conn.frames) == 3 and transport.calls == []
    hub.enqueue(conn, "frame")
    assert transport.calls == ["abort"]
    assert not conn.frames
