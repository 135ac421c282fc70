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
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from aiohttp import web

from kana_async._config import Network
from kana_async.recording import Recording
from kana_async.sim.accounts import FundedAccount, ProfileDirectory, aptos_address, derive_key
from kana_async.sim.chain_events import ChainEvent, ChainEventRecorder
from kana_async.sim.delegation import DelegateRegistry
from kana_async.sim.dispatch import execute
from kana_async.sim.engine import Exchange, FeeSchedule
from kana_async.sim.faults import Faults
from kana_async.sim.latency import LatencyModel, latency_middleware
from kana_async.sim.liquidity import Firehose, FirehoseTopic, LiquidityDriver
from kana_async.sim.maker import MarketMaker
from kana_async.sim.markets import DEFAULT_MARKETS, MarketSpec
from kana_async.sim.node import FakeNode
from kana_async.sim.replay import Replay, open_recording
from kana_async.sim.rest import build_rest_app
from kana_async.sim.rest.app import error_response, log_requests
from kana_async.sim.rest.malformed import EnvelopeSite, ErrorBody
from kana_async.sim.wire import symbol_of
from kana_async.sim.ws import WsHub

__all__ = ["SIM_CHAIN_ID", "ExchangeLedger", "Simulator"]

log = logging.getLogger("kana_async.sim")

#: Chain id of the simulated Aptos network.
SIM_CHAIN_ID: Final = 4
_OCTAS_PER_APT: Final = 10**8
_QUOTE_UNITS: Final = 10**6
#: Default seconds between the fake node's blocks: commits land in blocks, as on a real chain,
#: so an accepted transaction is pending for a moment before it commits. Pass 0 to commit each
#: transaction as soon as its turn comes.
DEFAULT_BLOCK_INTERVAL: Final = 0.01
#: Seconds aiohttp waits for in-flight requests (e.g. a wait_by_hash long poll) when stopping.
_SHUTDOWN_GRACE: Final = 2.0


class ExchangeLedger:
    """The fake node's :class:`~kana_async.sim.node.Ledger` over the exchange and the dispatcher."""

    def __init__(self, exchange: Exchange, delegates: DelegateRegistry | None = None) -> None:
        self.exchange = exchange
        self.delegates = delegates if delegates is not None else DelegateRegistry()
        self.chain_events = ChainEventRecorder(exchange)

    def allocate_version(self) -> int:
        """The next ledger version (shared with the engine's own transactions)."""
        return self.exchange.allocate_version()

    def execute(
        self, sender: str, function_id: str, type_args: list[str], args: list[Any], version: int
    ) -> list[ChainEvent]:
        """Run the entry function; returns its chain events (``MoveAbort`` / ``DispatchError``
        when it fails)."""
        exchange, delegates = self.exchange, self.delegates
        return self.chain_events.record(
            function_id,
            args,
            lambda: execute(exchange, sender, function_id, type_args, args, version, delegates),
        )

    def simulate(
        self, sender: str, function_id: str, type_args: list[str], args: list[Any]
    ) -> None:
        """Run the entry function against the engine and undo it (``/transactions/simulate``)."""
        exchange, delegates = self.exchange, self.delegates.copy()
        version = exchange.current_version
        exchange.simulate(
            lambda: execute(exchange, sender, function_id, type_args, args, version, delegates)
        )


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
        fees: the fee schedule (default Kana's: taker 0.05 %, maker 0 %; per-wallet tiers).
        insurance_fund: the insurance fund's starting capital in USDT (its account,
            ``INSURANCE_FUND_ADDRESS``, shows it like any trading balance).
        liquidator_capital: the house liquidator's starting capital in USDT (it takes
            liquidated positions over; ``LIQUIDATOR_ADDRESS``).
        block_interval: seconds between the fake node's blocks; a transaction commits in the
            first block after its turn comes (0: at once).
        latency: delays REST requests, node requests and websocket frames (batched per
            connection) as the model says; ``None`` (the default): no latency at all.
        replay: a recording (file path or :class:`~kana_async.recording.Recording`) whose books
            become the markets' books, whose trades are published on ``recent_trades`` and whose
            mid is the index price (see :mod:`kana_async.sim.replay`); the house market maker
            then only runs the markets the recording does not drive.
        replay_speed: recorded seconds per real second (``math.inf``: as fast as possible).
        replay_paused: start with the replay paused after its first snapshots (call
            ``sim.replay.resume()``).
        replay_loop: start the replay again from its first frame after the last, forever.
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
        fees: FeeSchedule | None = None,
        insurance_fund: Decimal | int | str = Decimal("1000000"),
        liquidator_capital: Decimal | int | str = Decimal("100000000"),
        block_interval: float = DEFAULT_BLOCK_INTERVAL,
        latency: LatencyModel | None = None,
        replay: str | Path | Recording | None = None,
        replay_speed: float = 1.0,
        replay_paused: bool = False,
        replay_loop: bool = False,
    ) -> None:
        self.seed = seed
        self.latency = latency
        self.api_key = api_key
        self.tick_interval = tick_interval
        self.host = host
        self._ports = (port, node_port)
        self._clock = clock
        self.faults = Faults()
        self.exchange = Exchange(
            tuple(markets),
            clock=lambda: int(clock()),
            seed=seed,
            fees=fees,
            insurance_fund=_whole_units(insurance_fund, _QUOTE_UNITS, "insurance_fund"),
            liquidator_capital=_whole_units(liquidator_capital, _QUOTE_UNITS, "liquidator_capital"),
        )
        self.directory = ProfileDirectory()
        self.delegates = DelegateRegistry(clock)
        self.node = FakeNode(
            chain_id=SIM_CHAIN_ID,
            ledger=ExchangeLedger(self.exchange, self.delegates),
            faults=self.faults,
            clock=clock,
            block_interval=block_interval,
        )
        self.hub = WsHub(
            self.exchange, self.faults, directory=self.directory, clock=clock, latency=latency
        )
        self.replay = (
            Replay(
                open_recording(replay),
                self.exchange,
                self.hub,
                speed=replay_speed,
                clock=clock,
                loop=replay_loop,
            )
            if replay is not None
            else None
        )
        if self.replay is not None and replay_paused:
            self.replay.pause()
        self.maker = self._house_maker(market_maker)
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
            latency=self.latency,
        )
        app.router.add_get("/ws/", self.hub.handle)
        app.router.add_get("/ws", self.hub.handle)
        rest_port = await self._serve(app, self._ports[0], error_response)
        node_app = self.node.build_app()
        if self.latency is not None and self.latency.enabled:
            node_app.middlewares.insert(
                0, latency_middleware(self.latency, "node", unavailable=_node_unavailable)
            )
        node_app.middlewares.insert(0, log_requests)  # one INFO line per node request too
        node_port = await self._serve(node_app, self._ports[1], _node_error)
        await self.hub.start()
        if self.replay is not None:  # replayed books are there before the first request too
            self.replay.prime()
            self._tasks.append(asyncio.create_task(self.replay.run(), name="kana-sim-replay"))
        self.driver.step()  # books are populated before the first client request
        self._tasks.append(asyncio.create_task(self.driver.run(), name="kana-sim-driver"))
        if self.node.block_interval > 0:
            self._tasks.append(asyncio.create_task(self.node.run_blocks(), name="kana-sim-blocks"))
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

    async def _serve(self, app: web.Application, port: int, error_body: ErrorBody) -> int:
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=_SHUTDOWN_GRACE)
        await runner.setup()
        self._runners.append(runner)
        # requests aiohttp's parser refuses are answered in the app's JSON error shape too
        site = EnvelopeSite(runner, self.host, port, error_body=error_body)
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

    def _house_maker(self, enabled: bool) -> MarketMaker | None:
        """The house maker, on every market the replay (if any) does not drive."""
        if not enabled:
            return None
        if self.replay is None:
            return MarketMaker(self.exchange, self.seed)
        markets = [m for m in self.exchange.markets if m not in self.replay.markets]
        return MarketMaker(self.exchange, self.seed, markets=markets) if markets else None

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

    def set_index_price(self, market_id: int, price: Decimal | int | str) -> None:
        """Move the market's index (oracle) price to ``price`` (quote per base, on the tick grid).

        The mark follows (index + bounded book premium); the house market maker, when running,
        re-centres its random walk there. Liquidations and TP / SL react on the next tick.
        Raises ``ValueError`` for a price off the tick grid or not positive, ``MoveAbort`` 1003
        for an unknown market.
        """
        spec = self.exchange.market(market_id)
        ticks = spec.price_to_ticks(Decimal(str(price)))
        self.exchange.set_index_price(market_id, ticks)
        if self.maker is not None and market_id in self.maker.mids:
            self.maker.mids[market_id] = ticks

    @property
    def insurance_fund_balance(self) -> Decimal:
        """The insurance fund in USDT (also the trading balance of ``INSURANCE_FUND_ADDRESS``)."""
        return Decimal(self.exchange.insurance_fund_balance()) / _QUOTE_UNITS

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

    def new_delegate(
        self,
        account: FundedAccount | str,
        *,
        apt: Decimal | int | str = Decimal("1"),
        expires_in: float | None = None,
    ) -> FundedAccount:
        """A new key registered on the node (with ``apt`` APT for gas) as ``account``'s delegate.

        The delegate signs ``delegated_scripts`` calls for the account (place, cancel, update,
        add margin, collapse); its withdraw aborts. It replaces any earlier delegate of the
        account. ``expires_in``: seconds until the delegation ends (``None``: never). The returned
        account's ``profile_address`` is the profile it trades for (``account``'s).
        """
        user = account.address if isinstance(account, FundedAccount) else account
        delegate = self.new_account(apt=apt, usdt=0)
        expiry = 0 if expires_in is None else max(1, int(self._clock() + expires_in))
        self.delegates.set(user, delegate.address, expiry)
        return FundedAccount(
            address=delegate.address,
            private_key_hex=delegate.private_key_hex,
            public_key_hex=delegate.public_key_hex,
            profile_address=self.directory.remember(user),
        )

    # -- faults and load ------------------------------------------------------------------------

    def restart_node(self, *, lose_mempool: bool = True) -> int:
        """Restart the fake Aptos node: with ``lose_mempool`` every accepted transaction that has
        not executed yet is forgotten (it never executes, its hash answers 404); committed
        transactions, accounts and sequence numbers are kept. Returns how many were forgotten.
        """
        return self.node.restart(lose_mempool=lose_mempool)

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


def _node_error(status: int, message: str) -> web.Response:
    body = {"message": message, "error_code": "web_framework_error", "vm_error_code": None}
    return web.json_response(body, status=status)


def _node_unavailable() -> web.StreamResponse:
    """The fake node's answer to a request the latency model fails (as the real node's 503)."""
    body = {"message": "Service unavailable", "error_code": "internal_error", "vm_error_code": None}
    return web.json_response(body, status=503)


def _whole_units(value: Decimal | int | str, scale: int, name: str) -> int:
    amount = Decimal(str(value)) * scale
    if amount < 0 or amount != amount.to_integral_value():
        raise ValueError(f"{name} must be a non-negative amount with at most the coin's decimals")
    return int(amount)
