"""REST benchmark: N concurrent ``GET /getMarketPrice`` reads, the SDK and its baselines.

A local aiohttp server (its own process, so it does not share the client's CPU) answers after a
random 1-5 ms delay. Every client decodes the same thing, the envelope's ``data`` into a struct
with ``Decimal`` prices (msgspec), and keeps at most as many requests in flight as the SDK does
by default (10). Each round runs every client once, in a rotated order::

    python benchmarks/bench_rest.py --requests 500 --rounds 5

Clients:

* ``kana_async (httpx)``: ``kana.markets.price()`` on the default transport;
* ``httpx, <=10 in flight``: one ``httpx.AsyncClient`` with a pool of 10 and a semaphore of 10;
* ``kana_async (aiohttp)``: the SDK on its aiohttp transport (``transport="aiohttp"``);
* ``aiohttp, <=10 in flight``: one ``aiohttp.ClientSession`` whose connector allows 10
  connections, with a semaphore of 10;
* ``docs style (requests)``: ``requests.get`` per call, one after the other, no session (what
  Kana's docs show); fewer requests, rates are per request.

Standalone script, not part of the test suite; only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import random
import sys
from collections.abc import Callable, Coroutine
from decimal import Decimal
from multiprocessing.connection import Connection
from typing import Any

import msgspec
from _common import Result, Sample, deadline, paired_ratios, receive, rotated, run_bounded, timed

MARKETS = (1338, 1339, 1340, 2387)
IN_FLIGHT = 10  # KanaClient's default max_in_flight and max_connections


# -- server (child process) -------------------------------------------------------------------


def _serve(conn: Connection, min_ms: float, max_ms: float) -> None:
    from aiohttp import web

    body = json.dumps(
        {
            "success": True,
            "message": "Market price fetched successfully",
            "data": {"bestAskPrice": "5.7579", "bestBidPrice": "5.7512"},
        }
    ).encode()

    async def price(request: web.Request) -> web.Response:
        await asyncio.sleep(random.uniform(min_ms, max_ms) / 1000)
        return web.Response(body=body, content_type="application/json")

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/getMarketPrice", price)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        conn.send(runner.addresses[0][1])
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        loop.add_reader(conn.fileno(), stop.set)  # parent closes the pipe or writes: stop
        await stop.wait()
        await runner.cleanup()

    asyncio.run(main())


# -- clients ----------------------------------------------------------------------------------


class _Price(msgspec.Struct):
    bestAskPrice: Decimal | None = None  # the wire's names
    bestBidPrice: Decimal | None = None


class _Envelope(msgspec.Struct):
    success: bool
    message: str
    data: _Price


_DECODE = msgspec.json.Decoder(_Envelope).decode

Runner = Callable[[str, int], Coroutine[Any, Any, None] | None]


def _network(base: str) -> Any:
    from kana_async import Network

    return Network(
        name="bench", rest_url=base, ws_url="ws://127.0.0.1:1/ws/", node_url=base, chain_id=4
    )


def sdk_client(base: str, transport: str) -> Any:
    """A KanaClient with its default settings on ``transport`` (``"httpx"`` or ``"aiohttp"``)."""
    from kana_async import KanaClient

    return KanaClient(_network(base), transport=transport)


def run_kana(transport: str) -> Runner:
    async def run(base: str, n: int) -> None:
        kana = sdk_client(base, transport)
        async with kana:
            results = await asyncio.gather(*(kana.markets.price(MARKETS[i % 4]) for i in range(n)))
        assert all(r.best_ask_price is not None for r in results)

    return run


async def run_httpx(base: str, n: int) -> None:
    import httpx

    limit = asyncio.Semaphore(IN_FLIGHT)
    limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
    async with httpx.AsyncClient(base_url=base, timeout=60.0, limits=limits) as client:

        async def one(i: int) -> _Price:
            async with limit:
                response = await client.get("/getMarketPrice", params={"marketId": MARKETS[i % 4]})
            response.raise_for_status()
            return _DECODE(response.content).data

        results = await asyncio.gather(*(one(i) for i in range(n)))
    assert all(r.bestAskPrice is not None for r in results)


async def run_aiohttp(base: str, n: int) -> None:
    import aiohttp

    limit = asyncio.Semaphore(IN_FLIGHT)
    connector = aiohttp.TCPConnector(limit=IN_FLIGHT)
    async with aiohttp.ClientSession(base_url=base, connector=connector) as session:

        async def one(i: int) -> _Price:
            params = {"marketId": str(MARKETS[i % 4])}
            async with limit, session.get("/getMarketPrice", params=params) as response:
                response.raise_for_status()
                return _DECODE(await response.read()).data

        results = await asyncio.gather(*(one(i) for i in range(n)))
    assert all(r.bestAskPrice is not None for r in results)


def run_docs(base: str, n: int) -> None:
    import requests

    for i in range(n):
        reply = requests.get(
            f"{base}/getMarketPrice", params={"marketId": MARKETS[i % 4]}, timeout=10
        )
        reply.raise_for_status()
        assert _DECODE(reply.content).data.bestAskPrice is not None


SDK_HTTPX = "kana_async (httpx, default)"
HTTPX = "httpx, <=10 in flight"
SDK_AIOHTTP = "kana_async (aiohttp transport)"
AIOHTTP = "aiohttp, <=10 in flight"
DOCS = "docs style (requests, sequential)"

CLIENTS: dict[str, Runner] = {
    SDK_HTTPX: run_kana("httpx"),
    HTTPX: run_httpx,
    SDK_AIOHTTP: run_kana("aiohttp"),
    AIOHTTP: run_aiohttp,
    DOCS: run_docs,
}


#: The least requests/s of a run before it counts as stuck (the sequential docs style, the
#: slowest, makes over 100 a second at 1-5 ms of server latency).
FLOOR_RATE = 10.0


def measure(runner: Runner, base: str, n: int) -> Sample:
    """One run of ``runner`` in a fresh event loop.

    Raises:
        SectionFailed: the run did not finish within its deadline.
    """

    def once() -> None:
        result = runner(base, n)  # the sequential docs style: every request has a timeout
        if result is not None:
            run_bounded(result, deadline(n, FLOOR_RATE), f"{n} REST requests")

    return timed(once)[1]


class Server:
    """The REST server process, started and stopped with ``with``."""

    def __init__(self, min_ms: float, max_ms: float) -> None:
        self.min_ms, self.max_ms = min_ms, max_ms

    def __enter__(self) -> Server:
        ctx = mp.get_context("spawn")
        self.pipe, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_serve, args=(child, self.min_ms, self.max_ms), daemon=True
        )
        self.process.start()
        try:
            self.base = f"http://127.0.0.1:{receive(self.pipe, 60, 'the REST server start')}"
        except BaseException:
            self.process.kill()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.pipe.send(b"stop")
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()


def run_all(n: int, docs_n: int, rounds: int, min_ms: float = 1.0, max_ms: float = 5.0) -> Result:
    """Every client, ``rounds`` times, rotated; the table and the SDK's per-round ratios."""
    names = list(CLIENTS)
    counts = {name: docs_n if name == DOCS else n for name in names}
    samples: dict[str, list[Sample]] = {name: [] for name in names}
    with Server(min_ms, max_ms) as server:
        for name in names:  # warm-up: imports, first connections
            measure(CLIENTS[name], server.base, min(20, counts[name]))
        for round_ in range(rounds):
            for name in rotated(names, round_):
                samples[name].append(measure(CLIENTS[name], server.base, counts[name]))
    rate = {name: [counts[name] / s.wall for s in samples[name]] for name in names}
    rows = []
    for name in names:
        r = rate[name]
        cpu_ms = sorted(s.cpu for s in samples[name])[len(samples[name]) // 2] / counts[name] * 1e3
        rows.append(
            [
                name,
                f"{counts[name]:,}",
                f"{sorted(r)[len(r) // 2]:,.0f}",
                f"{min(r):,.0f}-{max(r):,.0f}",
                f"{cpu_ms:.2f}",
            ]
        )
    pairs = [
        (SDK_HTTPX, HTTPX, ">= 1.3"),
        (SDK_HTTPX, DOCS, ">= 6"),
        (SDK_AIOHTTP, AIOHTTP, ">= 0.5"),
        (SDK_AIOHTTP, HTTPX, ""),
        (SDK_AIOHTTP, DOCS, ""),
    ]
    return Result(
        title="REST reads at the SDK's default concurrency",
        description=(
            f"{n:,} concurrent `GET /getMarketPrice` per run ({docs_n:,} for the sequential docs "
            f"style), 4 markets mixed, server latency {min_ms:g}-{max_ms:g} ms, server in its own "
            f"process, {rounds} rounds. Every client decodes `data` into `Decimal` prices with "
            f"msgspec and keeps <= {IN_FLIGHT} requests in flight. req/s includes creating and "
            "closing the client."
        ),
        headers=["client", "requests", "req/s (median)", "min-max", "CPU ms/req"],
        rows=rows,
        ratios=[(f"{a} vs {b} (req/s)", paired_ratios(rate[a], rate[b]), t) for a, b, t in pairs],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500, help="requests per client per round")
    parser.add_argument("--docs-requests", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--min-ms", type=float, default=1.0, help="least server latency")
    parser.add_argument("--max-ms", type=float, default=5.0, help="most server latency")
    args = parser.parse_args(argv)
    print(
        run_all(args.requests, args.docs_requests, args.rounds, args.min_ms, args.max_ms).markdown()
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
