"""The :class:`Simulator`: the whole local Kana exchange served on 127.0.0.1.

One aiohttp server carries the REST API at ``http://127.0.0.1:P`` and the websocket hub at
``ws://127.0.0.1:P/ws/``; a second one is the fake Aptos node at ``http://127.0.0.1:Q/v1``.
Both bind port 0 by default and report the real ports through :attr:`Simulator.network`::

    async with Simulator(seed=1) as sim:
        account = sim.new_account()
        async with KanaClient(network=sim.network, ...) as kana:
            ...
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from types import TracebackType
from typing import Any, Final

from aiohttp import web

from kana_async._config import Network
from kana_async.sim.accounts import FundedAccount, ProfileDirectory, aptos_address, derive_key
from kana_async.sim.dispatch import execute
from kana_async.sim.engine import Exchange
from kana_async.sim.faults import Faults
from kana_async.sim.liquidity import Firehose, FirehoseTopic, LiquidityDriver
from kana_async.sim.maker import MarketMaker
from kana_async.sim.markets import DEFAULT_MARKETS, MarketSpec
from kana_async.sim.node import FakeNode
from kana_async.sim.rest import build_rest_app
from kana_async.sim.rest.app import log_requests
from kana_async.sim.wire import symbol_of
from kana_async.sim.ws import WsHub

__all__ = ["SIM_CHAIN_ID", "ExchangeLedger", "Simulator"]

log = logging.getLogger("kana_async.sim")

#: Chain id of the simulated Aptos network.
SIM_CHAIN_ID: Final = 4
_OCTAS_PER_APT: Final = 10**8
_QUOTE_UNITS: Final = 10**6
#: Seconds aiohttp waits for in-flight requests (e.g. a wait_by_hash long poll) when stopping.
_SHUTDOWN_GRACE: Final = 2.0


class ExchangeLedger:
    """The fake node's :class:`~kana_async.sim.node.Ledger` over the exchange and the dispatcher."""

    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange

    def allocate_version(self) -> int:
        """The next ledger version (shared with the engine's own transactions)."""
        return self.exchange.allocate_version()

    def execute(
        self, sender: str, function_id: str, type_args: list[str], args: list[Any], version: int
    ) -> None:
        """Run the entry function (raises ``MoveAbort`` or ``DispatchError`` when it fails)."""
        execute(self.exchange, sender, function_id, type_args, args, version)

    def simulate(
        self, sender: str, function_id: str, type_args: list[str], args: list[Any]
    ) -> None:
        """Run the entry function against the engine and undo it (``/transactions/simulate``)."""
        exchange = self.exchange
        version = exchange.current_version
        exchange.simulate(lambda: execute(exchange, sender, function_id, type_args, args, version))


class Simulator:
    """A local Kana Perps exchange: REST + websocket hub + fake Aptos node + market maker.

    Args:
        seed: seeds the market maker and the funded accounts' keys (same seed, same accounts).
        api_key: when set, REST requests must send it as ``x-api-key``.
        market_maker: run the house market maker (books and trades move by themselves).
        tick_interval: seconds between housekeeping / market-maker steps.
        host: interface to bind (loopback by default).
        port: REST + websocket port (0: any free port).
        node_port: fake Aptos node port (0: any free port).
        markets: the markets to simulate.
        clock: unix seconds used by every component.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        api_key: str | None = None,
        market_maker: bool = True,
        tick_interval: float = 0.2,
        host: str = "127.0.0.1",
        port: int = 0,
        node_port: int = 0,
        markets: Iterable[MarketSpec] = DEFAULT_MARKETS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.seed = seed
        self.api_key = api_key
        self.tick_interval = tick_interval
        self.host = host
        self._ports = (port, node_port)
        self._clock = clock
        self.faults = Faults()
        self.exchange = Exchange(tuple(markets), clock=lambda: int(clock()), seed=seed)
        self.directory = ProfileDirectory()
        self.node = FakeNode(
            chain_id=SIM_CHAIN_ID,
            ledger=ExchangeLedger(self.exchange),
            faults=self.faults,
            clock=clock,
        )
        self.hub = WsHub(self.exchange, self.faults, directory=self.directory, clock=clock)
        self.maker = MarketMaker(self.exchange, seed) if market_maker else None
        self.driver = LiquidityDriver(
            self.exchange, self.hub, maker=self.maker, tick_interval=tick_interval, clock=clock
        )
        self._runners: list[web.AppRunner] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._firehoses: list[tuple[Firehose, asyncio.Task[None]]] = []
        self._stopping: list[asyncio.Task[None]] = []
        self._network: Network | None = None
        self._accounts = 0
        self._stopped = asyncio.Event()

    # -- lifecycle ------------------------------------------------------------------------------

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def start(self) -> None:
        """Bind both servers and start the background tasks."""
        if self._network is not None:
            raise RuntimeError("simulator already started")
        try:
            await self._start()
        except BaseException:
            await self.aclose()
            raise

    async def _start(self) -> None:
        app = build_rest_app(
            self.exchange,
            self.faults,
            directory=self.directory,
            api_key=self.api_key,
            apt_balance=self.node.apt_balance,
        )
        app.router.add_get("/ws/", self.hub.handle)
        app.router.add_get("/ws", self.hub.handle)
        rest_port = await self._serve(app, self._ports[0])
        node_app = self.node.build_app()
        node_app.middlewares.insert(0, log_requests)  # one INFO line per node request too
        node_port = await self._serve(node_app, self._ports[1])
        await self.hub.start()
        self.driver.step()  # books are populated before the first client request
        self._tasks.append(asyncio.create_task(self.driver.run(), name="kana-sim-driver"))
        host = self.host
        self._network = Network(
            name="sim",
            rest_url=f"http://{host}:{rest_port}",
            ws_url=f"ws://{host}:{rest_port}/ws/",
            node_url=f"http://{host}:{node_port}/v1",
            chain_id=SIM_CHAIN_ID,
            markets={symbol_of(s): s.market_id for s in self.exchange.markets.values()},
        )
        log.info("simulator serving REST %s, node %s", self._network.rest_url, node_port)

    async def _serve(self, app: web.Application, port: int) -> int:
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=_SHUTDOWN_GRACE)
        await runner.setup()
        self._runners.append(runner)
        site = web.TCPSite(runner, self.host, port)
        await site.start()
        bound: int = runner.addresses[0][1]
        return bound

    async def aclose(self) -> None:
        """Stop everything: background tasks, websocket connections, both servers. Idempotent."""
        self.stop_firehose()
        tasks, self._tasks = self._tasks + self._stopping, []
        self._stopping = []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.hub.close()
        runners, self._runners = self._runners, []
        for runner in reversed(runners):
            await runner.cleanup()
        self._network = None
        self._stopped.set()

    async def serve_forever(self) -> None:
        """Serve until :meth:`aclose` is called (or the task is cancelled)."""
        if self._network is None:
            await self.start()
        await self._stopped.wait()

    # -- access ---------------------------------------------------------------------------------

    @property
    def network(self) -> Network:
        """The :class:`Network` pointing at this simulator (only while it is running)."""
        if self._network is None:
            raise RuntimeError("the simulator is not running; use 'async with Simulator()'")
        return self._network

    @property
    def markets(self) -> dict[int, MarketSpec]:
        """The simulated markets by id."""
        return self.exchange.markets

    def new_account(
        self, apt: Decimal | int | str = Decimal("10"), usdt: Decimal | int | str = Decimal("10000")
    ) -> FundedAccount:
        """A new wallet registered on the node with ``apt`` APT (gas) and ``usdt`` in its wallet.

        The USDT sits in the wallet, not in the trading account: deposit it to trade.
        """
        key = derive_key(self.seed, self._accounts)
        self._accounts += 1
        public_key = bytes(key.verify_key)
        address = self.node.create_account(public_key)
        if address != aptos_address(public_key):  # pragma: no cover - node invariant
            raise RuntimeError("fake node derived an unexpected address")
        octas = _whole_units(apt, _OCTAS_PER_APT, "apt")
        units = _whole_units(usdt, _QUOTE_UNITS, "usdt")
        if octas:
            self.node.fund_apt(address, octas)
        if units:
            self.exchange.faucet(address, units)
        profile = self.directory.remember(address)
        return FundedAccount(
            address=address,
            private_key_hex="0x" + bytes(key).hex(),
            public_key_hex="0x" + public_key.hex(),
            profile_address=profile,
        )

    # -- faults and load ------------------------------------------------------------------------

    async def drop_ws_connections(self, abrupt: bool = False) -> int:
        """Close every websocket: clean close frame, or ``abrupt`` TCP abort. Returns the count."""
        return await self.hub.drop_connections(abrupt=abrupt)

    def start_firehose(
        self, market_id: int, rate_per_s: float, topic: FirehoseTopic = "orderbook"
    ) -> Firehose:
        """Push ``rate_per_s`` realistic ``topic`` frames of ``market_id`` per second."""
        if self._network is None:
            raise RuntimeError("start the simulator before the firehose")
        hose = Firehose(
            self.hub, self.exchange, market_id, rate_per_s, topic, seed=self.seed, clock=self._clock
        )
        task = asyncio.create_task(hose.run(), name=f"kana-sim-firehose-{topic}-{market_id}")
        self._firehoses.append((hose, task))
        return hose

    def stop_firehose(self) -> None:
        """Stop every firehose."""
        hoses, self._firehoses = self._firehoses, []
        for _, task in hoses:
            task.cancel()
            self._stopping.append(task)

    @property
    def firehoses(self) -> Sequence[Firehose]:
        """The running firehoses."""
        return [hose for hose, _ in self._firehoses]


def _whole_units(value: Decimal | int | str, scale: int, name: str) -> int:
    amount = Decimal(str(value)) * scale
    if amount < 0 or amount != amount.to_integral_value():
        raise ValueError(f"{name} must be a non-negative amount with at most the coin's decimals")
    return int(amount)
