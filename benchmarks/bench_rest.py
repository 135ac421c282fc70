"""REST concurrency benchmark: N concurrent ``getMarketPrice`` calls, several client styles.

A local aiohttp server (its own process, so it does not share the client's CPU) answers
``GET /getMarketPrice`` after a random 1-5 ms delay. Each round runs every client style once, in a
rotated order; the table shows medians over rounds::

    python benchmarks/bench_rest.py --requests 500 --rounds 5

Client styles:

* ``kana_async KanaClient``: ``kana.markets.price()``; typed decode, retries, in-flight limit 10.
* ``httpx gather, unbounded``: one shared ``httpx.AsyncClient`` (default pool of 100, pool
  timeout raised to 60 s so that queued requests do not fail), every request at once.
* ``httpx gather, <=10 in flight``: the same with a semaphore (what KanaClient does inside).
* ``aiohttp gather``: one ``aiohttp.ClientSession`` (default connector), every request at once.

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
from multiprocessing.connection import Connection
from typing import Any

from _common import Sample, machine, markdown_table, median, rotated, spread, timed

MARKETS = (1338, 1339, 1340, 2387)


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


Runner = Callable[[str, int], Coroutine[Any, Any, None]]


async def run_kana(base: str, n: int) -> None:
    from kana_async import KanaClient, Network

    network = Network(
        name="bench", rest_url=base, ws_url="ws://127.0.0.1:1/ws/", node_url=base, chain_id=4
    )
    async with KanaClient(network) as kana:
        results = await asyncio.gather(*(kana.markets.price(MARKETS[i % 4]) for i in range(n)))
    assert all(r.best_ask_price is not None for r in results)


async def run_httpx_unbounded(base: str, n: int) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=60.0) as client:

        async def one(i: int) -> object:
            response = await client.get("/getMarketPrice", params={"marketId": MARKETS[i % 4]})
            response.raise_for_status()
            return response.json()["data"]

        results = await asyncio.gather(*(one(i) for i in range(n)))
    assert len(results) == n


async def run_httpx_bounded(base: str, n: int) -> None:
    import httpx

    limit = asyncio.Semaphore(10)
    async with httpx.AsyncClient(base_url=base, timeout=60.0) as client:

        async def one(i: int) -> object:
            async with limit:
                response = await client.get("/getMarketPrice", params={"marketId": MARKETS[i % 4]})
            response.raise_for_status()
            return response.json()["data"]

        results = await asyncio.gather(*(one(i) for i in range(n)))
    assert len(results) == n


async def run_aiohttp(base: str, n: int) -> None:
    import aiohttp

    async with aiohttp.ClientSession(base_url=base) as session:

        async def one(i: int) -> object:
            params = {"marketId": str(MARKETS[i % 4])}
            async with session.get("/getMarketPrice", params=params) as response:
                response.raise_for_status()
                return (await response.json())["data"]

        results = await asyncio.gather(*(one(i) for i in range(n)))
    assert len(results) == n


CLIENTS: dict[str, Runner] = {
    "kana_async KanaClient": run_kana,
    "httpx gather, unbounded": run_httpx_unbounded,
    "httpx gather, <=10 in flight": run_httpx_bounded,
    "aiohttp gather": run_aiohttp,
}
BASELINE = "httpx gather, unbounded"


def measure(runner: Runner, base: str, n: int) -> Sample:
    """One run of ``runner`` in a fresh event loop."""
    return timed(lambda: asyncio.run(runner(base, n)))[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500, help="requests per client per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--min-ms", type=float, default=1.0, help="least server latency")
    parser.add_argument("--max-ms", type=float, default=5.0, help="most server latency")
    args = parser.parse_args(argv)

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=_serve, args=(child, args.min_ms, args.max_ms), daemon=True)
    server.start()
    try:
        if not parent.poll(30):
            print("server did not start", file=sys.stderr)
            return 1
        base = f"http://127.0.0.1:{parent.recv()}"
        for runner in CLIENTS.values():  # warm-up: imports, first connections
            measure(runner, base, min(50, args.requests))
        samples: dict[str, list[Sample]] = {name: [] for name in CLIENTS}
        names = list(CLIENTS)
        for round_ in range(args.rounds):
            order = rotated(names, round_)
            for name in order:
                samples[name].append(measure(CLIENTS[name], base, args.requests))
    finally:
        parent.send(b"stop")
        server.join(10)
        if server.is_alive():
            server.kill()

    n = args.requests
    print(
        f"\n{n} concurrent GET /getMarketPrice (4 markets mixed), server latency "
        f"{args.min_ms:g}-{args.max_ms:g} ms, {args.rounds} rounds, medians; server in its own "
        f"process; {machine()}\n"
    )
    base_wall = median([s.wall for s in samples[BASELINE]])
    rows = []
    for name in names:
        walls = [s.wall for s in samples[name]]
        wall = median(walls)
        cpu_ms = median([s.cpu for s in samples[name]]) / n * 1000
        rows.append(
            [
                name,
                f"{wall:.3f}",
                spread(walls),
                f"{n / wall:.0f}",
                f"{cpu_ms:.2f}",
                f"{base_wall / wall:.2f}x",
            ]
        )
    headers = ["client", "wall s", "min-max s", "req/s", "CPU ms/req", f"x {BASELINE} (req/s)"]
    print(markdown_table(headers, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
