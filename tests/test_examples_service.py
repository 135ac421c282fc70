"""``examples/service.py`` served by uvicorn on 127.0.0.1 with its lifespan actually run.

The app is imported from the example file and served by a real uvicorn server on a socket of
our own (port 0); requests go over real HTTP with httpx. The last test runs the example as a
user does (``python examples/service.py``) and stops it with Ctrl-C.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import httpx
import pytest
import uvicorn

from kana_async import Account, KanaClient, Side
from kana_async.sim import Simulator

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parent.parent
HANG = 120  # seconds: only there to turn a hang into a failure


def _service() -> ModuleType:
    spec = importlib.util.spec_from_file_location("example_service", ROOT / "examples/service.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def _events(lines: AsyncIterator[str], count: int) -> list[dict[str, str]]:
    """The ``data`` of the next ``count`` server-sent events."""
    events = []
    async for line in lines:
        if line.startswith("data: "):
            events.append(json.loads(line.removeprefix("data: ")))
            if len(events) == count:
                break
    return events


async def test_the_service_serves_positions_and_streams_best_prices() -> None:
    service = _service()
    async with Simulator(seed=4) as sim:
        funded = sim.new_account()
        async with KanaClient(
            sim.network, account=Account.from_hex(funded.private_key_hex)
        ) as kana:
            await kana.trading.deposit(Decimal("100"))
            await kana.trading.place_market_order(
                1338, side=Side.LONG, size=Decimal("1"), leverage=2
            )
        app = service.create_app(sim.network, wallet_address=funded.address)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            app, lifespan="on", ws="none", log_level="warning", timeout_graceful_shutdown=1
        )
        server = uvicorn.Server(config)
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            assert not serving.done(), serving.exception()
            await asyncio.sleep(0.01)
        client: KanaClient = app.state.kana
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            assert (await http.get("/health")).json() == {"network": "sim", "open": True}

            positions = (await http.get("/positions")).json()
            assert [(p["market_id"], p["size"], p["trade_side"]) for p in positions] == [
                (1338, "1", True)
            ]
            other = sim.new_account().address
            assert (await http.get("/positions", params={"address": other})).json() == []
            bad = await http.get("/positions", params={"address": "nope"})
            assert bad.status_code == 400 and "address" in bad.json()["error"]

            async with http.stream("GET", "/prices/APT-USD", params={"count": "3"}) as reply:
                assert reply.headers["content-type"].startswith("text/event-stream")
                lines = reply.aiter_lines()
                events = await _events(lines, 3)
                assert [line async for line in lines if line] == []  # and then it ended
            assert len(events) == 3
            for event in events:
                bid, ask, mid = (Decimal(event[k]) for k in ("bid", "ask", "mid"))
                assert bid < ask and mid == (bid + ask) / 2
                assert event["market_id"] == 1338

            # One client for the app: every request used the lifespan's client and its one
            # websocket (the order book topic is subscribed once per open stream, then released).
            assert app.state.kana is client and not client.closed
            assert client.streams.statistics().connects == 1

            # Shutting down with a stream still open ends it and closes the client.
            async with http.stream("GET", "/prices/1338") as reply:
                assert len(await _events(reply.aiter_lines(), 1)) == 1
                server.should_exit = True
                await asyncio.wait_for(serving, HANG)
        assert client.closed


async def test_an_unknown_market_is_a_400() -> None:
    service = _service()
    async with Simulator(seed=4, market_maker=False) as sim:
        app = service.create_app(sim.network)
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://service") as http,
        ):
            reply = await http.get("/prices/DOGE-USD")
        assert reply.status_code == 400
        assert reply.json() == {"error": "no market 'DOGE-USD' on sim"}


def test_the_service_runs_and_stops_on_ctrl_c() -> None:
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "examples/service.py"), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**_plain_env(), "PYTHONWARNINGS": "error"},
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("in-process simulator at http://127.0.0.1:"), first
        serving = proc.stdout.readline()
        assert serving.startswith("serving on http://127.0.0.1:"), serving
        url = serving.split()[-1]
        health = httpx.get(f"{url}/health", timeout=HANG)
        assert health.json() == {"network": "sim", "open": True}
        wallet = first.split()[-1]
        assert httpx.get(f"{url}/positions", timeout=HANG).json() == []
        assert wallet.startswith("0x")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=HANG)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Traceback" not in err, err


def _plain_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("KANA_")}
