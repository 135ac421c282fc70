"""The REST client against a real HTTP server on 127.0.0.1 (aiohttp, port 0)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import anyio
import pytest
from aiohttp import web

from kana_async import KanaClient, Network, RequestTimeoutError, ResponseDecodeError
from tests.rest_support import API_KEY, FAST_RETRY, WALLET, envelope
from tests.test_rest_endpoints import PAYLOADS, READS


@dataclass
class Seen:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, str]
    body: bytes
    headers: dict[str, str]
    peer: Any


@dataclass
class Server:
    """What the loopback server recorded, and its routes (path → data or handler)."""

    url: str = ""
    seen: list[Seen] = field(default_factory=list)
    routes: dict[str, Any] = field(default_factory=dict)

    @property
    def connections(self) -> int:
        return len({s.peer for s in self.seen})

    def network(self) -> Network:
        return Network(
            name="loopback",
            rest_url=self.url,
            ws_url="ws://127.0.0.1:1/ws/",
            node_url="http://127.0.0.1:1/v1",
            chain_id=4,
            markets={"APT-USD": 1338, "BTC-USD": 1339, "ETH-USD": 1340, "SOL-USD": 2387},
        )


@asynccontextmanager
async def serve() -> AsyncIterator[Server]:
    server = Server()

    async def handle(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        server.seen.append(
            Seen(
                request.method,
                request.path,
                dict(request.query),
                await request.read(),
                {k.lower(): v for k, v in request.headers.items()},
                request.transport.get_extra_info("peername"),
            )
        )
        route = server.routes.get(request.path)
        if route is None:
            return web.Response(status=404, body=envelope(None, success=False, message="no route"))
        if callable(route):
            result: web.StreamResponse = await route(request)
            return result
        return web.Response(body=envelope(route), content_type="application/json")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    server.url = f"http://127.0.0.1:{port}"
    try:
        yield server
    finally:
        await runner.cleanup()


@pytest.mark.anyio
async def test_every_endpoint_over_a_real_socket() -> None:
    async with serve() as server:
        for case in READS + PAYLOADS:
            server.routes = {case.path: case.data}
            server.seen.clear()
            # A fresh client per case: allMarkets replaces the known market list.
            async with KanaClient(server.network(), api_key=API_KEY, wallet_address=WALLET) as kana:
                with anyio.fail_after(10):
                    result = await case.call(kana)
                case.check(result)
                assert len(server.seen) == 1, case.id
                seen = server.seen[0]
                assert (seen.method, seen.path) == (case.method, case.path), case.id
                assert seen.headers["x-api-key"] == API_KEY
                assert seen.headers["user-agent"].startswith("kana-async/")
                if case.method == "GET":
                    assert seen.query == case.params, case.id
                else:
                    assert seen.headers["content-type"] == "application/json"
                    assert json.loads(seen.body, parse_float=Decimal) == case.body, case.id


@pytest.mark.anyio
async def test_fifty_concurrent_reads_reuse_the_pool() -> None:
    async def slow_price(request: web.Request) -> web.Response:
        await asyncio.sleep(0.002)
        data = {"bestAskPrice": "5.5", "bestBidPrice": "5.4"}
        return web.Response(body=envelope(data), content_type="application/json")

    async with serve() as server:
        server.routes = {"/getMarketPrice": slow_price}
        async with KanaClient(server.network(), max_connections=5, max_in_flight=10) as kana:
            with anyio.fail_after(20):
                async with anyio.create_task_group() as tg:
                    for _ in range(50):
                        tg.start_soon(kana.markets.price, 1338)
                # A second wave still reuses the same connections.
                prices = [await kana.markets.price(1339) for _ in range(5)]
    assert all(p.best_ask_price == Decimal("5.5") for p in prices)
    assert len(server.seen) == 55
    assert 1 <= server.connections <= 5


@pytest.mark.anyio
async def test_timeout_against_a_server_that_does_not_answer() -> None:
    gate = asyncio.Event()

    async def stall(request: web.Request) -> web.Response:
        await gate.wait()
        return web.Response(body=envelope(None))

    async with serve() as server:
        server.routes = {"/getMarketPrice": stall}
        try:
            async with KanaClient(server.network(), timeout=0.2, retry=FAST_RETRY) as kana:
                with anyio.fail_after(10), pytest.raises(RequestTimeoutError):
                    await kana.markets.price(1338)
        finally:
            gate.set()
    assert len(server.seen) == 1  # timeouts are not retried


@pytest.mark.anyio
async def test_server_errors_are_retried_over_a_real_socket() -> None:
    calls = 0

    async def flaky(request: web.Request) -> web.Response:
        nonlocal calls
        calls += 1
        if calls < 3:
            return web.Response(status=503, body=b"busy")
        data = {"bestAskPrice": "1", "bestBidPrice": "1"}
        return web.Response(body=envelope(data), content_type="application/json")

    async with serve() as server:
        server.routes = {"/getMarketPrice": flaky, "/collapsePosition": flaky}
        async with KanaClient(server.network(), retry=FAST_RETRY) as kana:
            with anyio.fail_after(10):
                price = await kana.markets.price(1338)
                assert price.best_bid_price == 1
                calls = 0  # a payload request is retried like a read: third time lucky
                with pytest.raises(ResponseDecodeError):  # the price body is no payload
                    await kana.payloads.collapse_position(1338)
    assert calls == 3
