"""Streams against the simulator's websocket hub (integration, real sockets).

The stream-manager tests run on asyncio and trio: the simulator (an asyncio application) then
runs in its own thread with its own loop. The client tests share the simulator's loop (asyncio).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import anyio
import pytest

from kana_async._client import KanaClient
from kana_async._exceptions import StreamHandshakeRefusedError
from kana_async._streams import StreamManager
from kana_async._streams.options import ConnectionState, StreamOptions
from kana_async.models.account import Transfer
from kana_async.models.market_data import BestPrice, FundingRate
from kana_async.models.orderbook import OrderBook
from kana_async.models.stream_events import Reconnected
from kana_async.resources.streams import Streams
from kana_async.sim.server import Simulator

FAST = StreamOptions(
    ping_interval=0.1,
    ping_timeout=0.3,
    stale_timeout=None,
    backoff_initial=0.01,
    backoff_max=0.05,
    close_timeout=0.3,
)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(seed=3, tick_interval=0.05) as s:
        yield s


class ThreadedSim:
    """A simulator serving from its own thread and asyncio loop, usable from any backend."""

    def __init__(self, api_key: str | None = None) -> None:
        self.api_key = api_key
        self.sim: Simulator | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with Simulator(seed=3, tick_interval=0.05, api_key=self.api_key) as sim:
            self.sim = sim
            self._ready.set()
            await self._stop.wait()

    async def __aenter__(self) -> Simulator:
        self._thread.start()
        await anyio.to_thread.run_sync(self._ready.wait)
        assert self.sim is not None
        return self.sim

    async def __aexit__(self, *exc: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        await anyio.to_thread.run_sync(self._thread.join)

    async def drop(self, abrupt: bool) -> int:
        """``Simulator.drop_ws_connections`` on the simulator's own loop."""
        assert self._loop is not None and self.sim is not None
        future = asyncio.run_coroutine_threadsafe(
            self.sim.drop_ws_connections(abrupt=abrupt), self._loop
        )
        return await anyio.to_thread.run_sync(future.result)


async def _until(predicate: Callable[[], bool]) -> None:
    while not predicate():  # noqa: ASYNC110 - polls state owned by another task
        await anyio.sleep(0.01)


def _market(sim: Simulator) -> int:
    return min(sim.markets)


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
@pytest.mark.anyio
async def test_market_topics_decode_from_the_simulator() -> None:
    async with ThreadedSim() as sim:
        market = _market(sim)
        mgr = StreamManager(sim.network.ws_url, options=FAST)
        with anyio.fail_after(15):
            async with (
                mgr.subscribe("orderbook", market) as books,
                mgr.subscribe("best_price", market) as best,
                mgr.subscribe("live_funding_rate") as funding,
            ):
                book: OrderBook = await books.__anext__()
                while not (book.bids and book.asks):
                    book = await books.__anext__()
                assert book.market_id == market
                assert book.best_bid is not None and book.best_ask is not None
                assert book.best_bid.price < book.best_ask.price
                assert isinstance(book.mid, Decimal)
                price = await best.__anext__()
                assert isinstance(price, BestPrice) and price.market_id == market
                rate = await funding.__anext__()
                assert isinstance(rate, FundingRate)
            assert mgr.statistics().bad_frames == {}
            await mgr.aclose()


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
@pytest.mark.anyio
@pytest.mark.parametrize("abrupt", [False, True])
async def test_simulator_drops_are_healed(abrupt: bool) -> None:
    threaded = ThreadedSim()
    async with threaded as sim:
        market = _market(sim)
        mgr = StreamManager(sim.network.ws_url, options=FAST)
        with anyio.fail_after(15):
            async with (
                mgr.subscribe("orderbook", market) as books,
                mgr.subscribe("recent_trades", market) as trades,
            ):
                await books.__anext__()
                assert await threaded.drop(abrupt) == 1
                item: Any = await trades.__anext__()
                while not isinstance(item, Reconnected):
                    item = await trades.__anext__()
                assert item.reconnects == 1
                await books.__anext__()  # the new connection's snapshot
                assert mgr.state is ConnectionState.CONNECTED
            await mgr.aclose()


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
@pytest.mark.anyio
async def test_simulator_stall_is_detected_and_healed() -> None:
    async with ThreadedSim() as sim:
        market = _market(sim)
        mgr = StreamManager(sim.network.ws_url, options=FAST)
        with anyio.fail_after(15):
            async with mgr.subscribe("orderbook", market) as books:
                await books.__anext__()
                sim.faults.ws_stall = True
                await _until(lambda: mgr.statistics().reconnects >= 1)
                sim.faults.ws_stall = False
                await books.__anext__()
                await _until(lambda: mgr.state is ConnectionState.CONNECTED)
            await mgr.aclose()


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
@pytest.mark.anyio
async def test_simulator_malformed_frames_are_skipped() -> None:
    async with ThreadedSim() as sim:
        market = _market(sim)
        mgr = StreamManager(sim.network.ws_url, options=FAST)
        with anyio.fail_after(15):
            async with mgr.subscribe("orderbook", market) as books:
                await books.__anext__()
                sim.faults.ws_malformed = 3
                await _until(lambda: sum(mgr.statistics().bad_frames.values()) >= 3)
                book = await books.__anext__()
                assert isinstance(book, OrderBook)
                assert mgr.statistics().reconnects == 0
            await mgr.aclose()


@pytest.mark.anyio
async def test_client_streams_follow_the_profile_address(sim: Simulator) -> None:
    account = sim.new_account()
    async with KanaClient(sim.network, wallet_address=account.address) as kana:
        streams = kana.streams
        assert isinstance(streams, Streams)
        assert streams.state is ConnectionState.IDLE
        with anyio.fail_after(15):
            async with streams.deposit_withdraw_history() as transfers:
                assert transfers.key == account.profile_address
                await _until(lambda: streams.state is ConnectionState.CONNECTED)
                sim.exchange.deposit(account.address, 25 * 10**6)
                row = await transfers.__anext__()
                assert isinstance(row, Transfer)
                assert row.is_deposit and row.amount > 0
            stats = streams.statistics()
            assert stats.connects == 1 and stats.subscribers == 0
    assert streams.state is ConnectionState.CLOSED


@pytest.mark.anyio
async def test_account_streams_follow_a_trade(sim: Simulator) -> None:
    """Deposit and trade on the simulator: positions, orders and fills arrive typed."""
    account = sim.new_account()
    spec = sim.markets[_market(sim)]
    async with KanaClient(sim.network, wallet_address=account.address) as kana:
        with anyio.fail_after(15):
            async with (
                kana.streams.positions() as positions,
                kana.streams.order_history() as orders,
                kana.streams.trade_history() as fills,
            ):
                await _until(lambda: kana.streams.statistics().connects == 1)
                await _until(lambda: len(sim.exchange.book(spec.market_id)[1]) > 0)
                sim.exchange.deposit(account.address, 1000 * 10**6)
                sim.exchange.place_market_order(
                    account.address, spec.market_id, True, False, spec.min_lots, 2
                )
                position: Any = await positions.__anext__()
                while position.size == 0:
                    position = await positions.__anext__()
                assert position.market_id == spec.market_id and position.size > 0
                entry: Any = await orders.__anext__()
                assert entry.market_id == spec.market_id and entry.order_id
                fill: Any = await fills.__anext__()
                assert fill.market_id == spec.market_id and fill.price > 0
            assert kana.streams.statistics().bad_frames == {}


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
@pytest.mark.anyio
async def test_a_simulator_with_an_api_key_refuses_a_stream_without_it_and_serves_it_with_it() -> (
    None
):
    async with ThreadedSim(api_key="sim-key") as sim:
        market = _market(sim)
        without = StreamManager(sim.network.ws_url, options=FAST)
        with_key = StreamManager(sim.network.ws_url, options=FAST, headers={"x-api-key": "sim-key"})
        with anyio.fail_after(15):
            with pytest.raises(StreamHandshakeRefusedError) as info:
                async for _ in without.subscribe("orderbook", market):
                    pass
            assert info.value.status_code == 401
            assert without.statistics().failed_attempts == 1
            async with with_key.subscribe("orderbook", market) as books:
                assert isinstance(await books.__anext__(), OrderBook)
            await without.aclose()
            await with_key.aclose()


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
@pytest.mark.anyio
async def test_client_streams_send_its_api_key_and_run_in_its_task_group() -> None:
    from kana_async import _backend

    async with ThreadedSim(api_key="sim-key") as sim:
        market = _market(sim)
        kana = KanaClient(sim.network, api_key="sim-key", stream_options=FAST)
        async with kana:
            with anyio.fail_after(15):
                async with kana.streams.orderbook(market) as books:
                    assert isinstance(await books.__anext__(), OrderBook)  # key accepted
                    manager = kana.streams.manager
                    assert manager._outer is kana.task_group  # the client's group hosts it
                    detached = [t for t in _backend._keep_alive if "kana-ws" in t.get_name()]
                    assert detached == []  # the stream started no host task of its own
                    assert manager.statistics().tasks > 0
        assert kana.streams.state is ConnectionState.CLOSED
        assert manager.statistics().tasks == 0  # closed before the group ended
