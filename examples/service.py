"""The SDK inside a web service (Starlette): one client for the whole app, opened and closed by
the app's lifespan.

    pip install -e '.[sim,service]'
    python examples/service.py                       # an in-process simulator, port 8000
    KANA_NETWORK=network.json python examples/service.py --address 0x…   # a standalone venue
    curl localhost:8000/positions
    curl -N localhost:8000/prices/APT-USD            # best prices as server-sent events

Endpoints:

* ``GET /health``: the network and whether the client is open.
* ``GET /positions[?address=0x…]``: open positions as JSON (decimals as strings).
* ``GET /prices/{market}[?count=N]``: best bid / ask / mid as server-sent events, one per book
  update (``count``: stop after N events). Every open stream shares the app's one websocket.

Ctrl-C (or SIGTERM) stops accepting requests, ends open event streams within a second, then the
lifespan closes the client: its HTTP pool and its websocket.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import sys
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import msgspec
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from kana_async import KanaClient, KanaError, Network, OrderBook

_JSON = msgspec.json.Encoder(decimal_format="string")


def _json(data: Any, status: int = 200) -> Response:
    """A JSON response with decimals as strings (money never goes through float)."""
    return Response(_JSON.encode(data), status_code=status, media_type="application/json")


def create_app(network: Network, *, wallet_address: str | None = None) -> Starlette:
    """The service for ``network``; ``wallet_address`` is the default account to report on."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with KanaClient(network, wallet_address=wallet_address) as kana:
            app.state.kana = kana
            yield
        # Leaving the block closed the HTTP pool and the websocket.

    def client(request: Request) -> KanaClient:
        kana: KanaClient = request.app.state.kana
        return kana

    async def health(request: Request) -> Response:
        kana = client(request)
        return JSONResponse({"network": kana.network.name, "open": not kana.closed})

    async def positions(request: Request) -> Response:
        kana = client(request)
        address = request.query_params.get("address")
        try:
            rows = await kana.portfolio.positions(user_address=address)
        except KanaError as exc:
            return _json({"error": str(exc)}, status=400)
        return _json(rows)

    async def prices(request: Request) -> Response:
        kana = client(request)
        market = request.path_params["market"]
        try:
            market_id = int(market) if market.isdigit() else await _market_id(kana, market)
            count = int(request.query_params.get("count", "0"))
        except (KanaError, ValueError) as exc:
            return _json({"error": str(exc)}, status=400)
        events = _best_prices(kana, market_id, count)
        return StreamingResponse(events, media_type="text/event-stream")

    return Starlette(
        routes=[
            Route("/health", health),
            Route("/positions", positions),
            Route("/prices/{market}", prices),
        ],
        lifespan=lifespan,
    )


async def _market_id(kana: KanaClient, symbol: str) -> int:
    with contextlib.suppress(KeyError):
        return kana.network.market_id(symbol)
    wanted = symbol.upper().split("-", 1)[0]
    for info in await kana.markets.all():
        if info.symbol.split("-", 1)[0] == wanted:
            return info.market_id
    raise KanaError(f"no market {symbol!r} on {kana.network.name}")


def _best(book: OrderBook) -> dict[str, Decimal | int | None]:
    return {
        "market_id": book.market_id,
        "bid": book.best_bid.price if book.best_bid else None,
        "ask": book.best_ask.price if book.best_ask else None,
        "mid": book.mid,
    }


async def _best_prices(kana: KanaClient, market_id: int, count: int) -> AsyncIterator[bytes]:
    """Server-sent events of the market's best prices; unsubscribes when the client leaves.

    The order book topic keeps only the latest frame for a slow reader, so a slow HTTP client
    gets fresh prices rather than a backlog.
    """
    sent = 0
    async with kana.streams.orderbook(market_id) as books:
        async for book in books:
            yield b"event: best_price\ndata: " + _JSON.encode(_best(book)) + b"\n\n"
            sent += 1
            if count and sent >= count:
                return


async def serve(app: Starlette, host: str, port: int) -> None:
    """Serve ``app`` until Ctrl-C / SIGTERM; prints the address once it listens."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)  # connections made from now on wait for uvicorn to accept them
    config = uvicorn.Config(app, ws="none", log_level="warning", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    bound = sock.getsockname()[1]
    print(f"serving on http://{host}:{bound}", flush=True)
    await server.serve(sockets=[sock])


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0: any free port")
    parser.add_argument("--address", default=None, help="default wallet for /positions")
    args = parser.parse_args(argv)
    if os.environ.get("KANA_NETWORK"):
        try:
            network = Network.from_env()
        except KanaError as exc:
            sys.stderr.write(f"error: {exc}\n")
            return 2
        await serve(create_app(network, wallet_address=args.address), args.host, args.port)
        return 0
    from kana_async.sim import Simulator  # no network named: an in-process venue

    async with Simulator(seed=1) as sim:
        address = args.address or sim.new_account().address
        print(f"in-process simulator at {sim.network.rest_url}, wallet {address}", flush=True)
        await serve(create_app(sim.network, wallet_address=address), args.host, args.port)
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(asyncio.run(main(sys.argv[1:])))
