"""How to test your own bot offline: pytest, fixtures and the local Simulator.

Run it explicitly (the project's own ``pytest`` run only collects ``tests/``)::

    python -m pytest examples/test_bot_with_simulator.py -q

The bot under test is ``GridBot`` from ``examples/grid_bot.py``; swap in your own. Each test gets
a fresh exchange on 127.0.0.1 (random ports), a funded account and an open client. Faults are
switched on while the bot runs (``sim.faults``), and the assertions read the exchange's own books
(``sim.exchange``), so they check what really happened, not what the bot believes.

Async tests run on asyncio through anyio's pytest plugin (installed with kana_async); mark them
``@pytest.mark.anyio``. No assertion depends on timing: waits only have generous upper bounds.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from decimal import Decimal

import pytest
from grid_bot import GridBot

from kana_async import Account, KanaClient, Side
from kana_async.sim import FundedAccount, Simulator

MARKET = 1338  # APT-USD


@pytest.fixture
def anyio_backend() -> str:
    """Run the async tests on asyncio."""
    return "asyncio"


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    """A fresh local exchange with a house market maker (ticking fast, so fills come quickly)."""
    async with Simulator(seed=7, tick_interval=0.05) as simulator:
        yield simulator


@pytest.fixture
def funded(sim: Simulator) -> FundedAccount:
    """A wallet with APT for gas and 10,000 USDT."""
    return sim.new_account(apt=Decimal("10"), usdt=Decimal("10000"))


@pytest.fixture
async def kana(sim: Simulator, funded: FundedAccount) -> AsyncIterator[KanaClient]:
    """An open client for the funded wallet, 1,000 USDT deposited for margin."""
    account = Account.from_hex(funded.private_key_hex)
    async with KanaClient(sim.network, account=account) as client:
        await client.trading.deposit(Decimal("1000"))
        yield client


@pytest.fixture
def lines() -> list[str]:
    """What the bot logged (handy in assertion messages)."""
    return []


def our_open_prices(sim: Simulator, funded: FundedAccount) -> list[int]:
    """Prices (exchange units) of the wallet's resting orders, straight from the engine."""
    return [o.price for o in sim.exchange.open_orders(funded.address, MARKET)]


async def eventually(check: Callable[[], bool], what: str, limit: float = 10.0) -> None:
    """Wait until ``check()`` holds; fail (instead of hanging) after ``limit`` seconds."""
    try:
        async with asyncio.timeout(limit):
            while not check():  # noqa: ASYNC110 - polls the engine, which has no event
                await asyncio.sleep(0.02)
    except TimeoutError:
        pytest.fail(f"timed out waiting for: {what}")


@pytest.mark.anyio
async def test_quotes_both_sides_then_cancels_everything(
    sim: Simulator, funded: FundedAccount, kana: KanaClient, lines: list[str]
) -> None:
    bot = GridBot(kana, MARKET, levels=2, log=lines.append)
    await bot.run(seconds=1.0, interval=0.2)

    history = sim.exchange.order_history(funded.address, MARKET)
    assert bot.placed >= 4, lines
    assert len(history) == bot.placed, "every order on the exchange was counted exactly once"
    assert {o.is_buy for o in history} == {True, False}, "quotes on both sides"
    assert our_open_prices(sim, funded) == [], "shutdown cancelled every order"


@pytest.mark.anyio
async def test_outcome_unknown_is_looked_up_not_placed_twice(
    sim: Simulator, funded: FundedAccount, kana: KanaClient, lines: list[str]
) -> None:
    bot = GridBot(kana, MARKET, levels=2, log=lines.append)
    await bot.prepare()
    bot.kana = kana.with_options(confirm_timeout=0.05)  # same pool and account, impatient
    sim.faults.node_submit_delay = 0.3  # the node answers after the bot stopped waiting

    await bot.requote()

    sim.faults.node_submit_delay = 0.0
    bot.kana = kana
    assert kana.trading.unresolved == (), "the client resolved every transaction itself"
    assert any("outcome unknown" in line for line in lines), lines
    assert any("committed, not re-placing" in line for line in lines), lines
    assert bot.unresolved == {}
    history = sim.exchange.order_history(funded.address, MARKET)  # open, filled or cancelled
    assert len(history) == bot.placed == 4, lines
    assert len({o.price for o in history}) == 4, "one order per level"
    await bot.shutdown()
    assert our_open_prices(sim, funded) == []


@pytest.mark.anyio
async def test_resyncs_after_an_abrupt_disconnect_without_doubling_levels(
    sim: Simulator, funded: FundedAccount, kana: KanaClient, lines: list[str]
) -> None:
    bot = GridBot(kana, MARKET, levels=2, log=lines.append)
    worst = Counter[int]()

    async def watch_levels() -> None:  # sample the engine: never two orders at one price
        while True:
            for price, n in Counter(our_open_prices(sim, funded)).items():
                worst[price] = max(worst[price], n)
            await asyncio.sleep(0.01)

    watcher = asyncio.create_task(watch_levels())
    runner = asyncio.create_task(bot.run(seconds=3.0, interval=0.2))
    try:
        await eventually(lambda: bot.placed >= 4, "the first quotes")
        resyncs = bot.resyncs
        assert await sim.drop_ws_connections(abrupt=True) >= 1
        await eventually(lambda: bot.reconnects >= 1, "the Reconnected notice")
        await eventually(lambda: bot.resyncs > resyncs, "a resync after it")
        sim.faults.rest_5xx = 2  # two failing REST calls: reads are retried, the bot carries on
        async with asyncio.timeout(30):
            await runner
    finally:
        watcher.cancel()
        runner.cancel()
        await asyncio.gather(watcher, runner, return_exceptions=True)

    assert sim.faults.rest_5xx == 0, "the REST fault fired"
    assert any("reconnected" in line for line in lines), lines
    assert worst and max(worst.values()) == 1, f"a level was quoted twice: {worst}"
    assert our_open_prices(sim, funded) == []


@pytest.mark.anyio
async def test_an_order_left_by_an_earlier_run_is_cancelled_by_id(
    sim: Simulator, funded: FundedAccount, kana: KanaClient, lines: list[str]
) -> None:
    # An earlier run of the bot (another client of the same wallet) left an order behind.
    account = Account.from_hex(funded.private_key_hex)
    async with KanaClient(sim.network, account=account) as earlier:
        info = await earlier.markets.info(MARKET)
        left = await earlier.trading.place_limit_order(
            MARKET, side=Side.SHORT, size=info.min_size, price=Decimal(50), leverage=2
        )
    assert left.order_id is not None and len(kana.trading.orders) == 0
    bot = GridBot(kana, MARKET, levels=1, log=lines.append)
    await bot.prepare()
    await bot.resync()
    assert bot.foreign == {left.order_id}, "this run did not place it, so it is not on its grid"
    await bot.shutdown()  # cancelled by id alone: the client finds its side by itself
    assert our_open_prices(sim, funded) == [], lines
    assert any("cancelled 1 order(s) on shutdown" in line for line in lines), lines
