"""Trading on asyncio and on trio: the client's task group, sequence numbers, background
resolution and close, against a simulator running in its own thread (its own asyncio loop)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import anyio
import pytest

from kana_async import Account, KanaClient, OutcomeUnknownError, Side
from kana_async.models.markets import MarketInfo
from tests.backends_support import anyio_backend  # noqa: F401
from tests.threaded_sim import ThreadedSimulator, threaded_simulator

pytestmark = pytest.mark.anyio


@dataclass
class Env:
    venue: ThreadedSimulator
    kana: KanaClient
    market: int
    info: MarketInfo

    def price(self, i: int = 0) -> Decimal:
        """A resting long price far below the market (never fills)."""
        return Decimal(1) + self.info.tick * i


@asynccontextmanager
async def trading_env(**options: Any) -> AsyncIterator[Env]:
    with threaded_simulator(seed=5, market_maker=True) as venue:
        sim = venue.sim
        funded = venue.call(lambda: sim.new_account(apt=Decimal("10"), usdt=Decimal("10000")))
        account = Account.from_hex(funded.private_key_hex)
        async with KanaClient(sim.network, account=account, **options) as kana:
            market = sim.network.market_id("APT-USD")
            info = await kana.markets.info(market)
            await kana.trading.deposit(Decimal("500"))
            yield Env(venue, kana, market, info)


def set_fault(env: Env, name: str, value: object) -> None:
    faults = env.venue.sim.faults
    env.venue.call(setattr, faults, name, value)


async def test_place_read_cancel_and_close_leave_nothing_behind() -> None:
    async with trading_env() as env:
        kana, size = env.kana, env.info.min_size
        placed = await kana.trading.place_limit_order(
            env.market, side=Side.LONG, size=size, price=env.price(), leverage=2
        )
        (order,) = placed.events.placed
        (row,) = await kana.portfolio.open_orders(market_id=env.market)
        assert row.order_id == order.order_id and row.remaining_size == size
        simulated = await kana.trading.dry_run.cancel_order(env.market, order.order_id)
        assert simulated.success  # nothing submitted: the order still rests
        assert len(await kana.portfolio.open_orders(market_id=env.market)) == 1
        cancelled = await kana.trading.cancel_order(env.market, order.order_id)
        assert [e.order_id for e in cancelled.events.cancelled] == [order.order_id]
        assert await kana.portfolio.open_orders(market_id=env.market) == []
        assert kana.trading.unresolved == ()
    assert kana.closed and kana.trading.unresolved == ()


async def test_concurrent_orders_get_consecutive_sequence_numbers() -> None:
    async with trading_env() as env:
        results: list[int] = []

        async def place(i: int) -> None:
            result = await env.kana.trading.place_limit_order(
                env.market, side=Side.LONG, size=env.info.min_size, price=env.price(i), leverage=2
            )
            results.append(result.sequence_number)

        async with anyio.create_task_group() as group:
            for i in range(12):
                group.start_soon(place, i)
        assert sorted(results) == list(range(1, 13))  # after the deposit (number 0)
        assert len(await env.kana.portfolio.open_orders(market_id=env.market)) == 12


async def test_a_cancelled_caller_leaves_its_transaction_to_the_clients_task_group() -> None:
    async with trading_env() as env:
        trading = env.kana.trading
        set_fault(env, "node_submit_delay", 0.5)  # the node answers late
        with anyio.CancelScope() as scope:
            async with anyio.create_task_group() as group:

                async def place() -> None:
                    await trading.place_limit_order(
                        env.market,
                        side=Side.LONG,
                        size=env.info.min_size,
                        price=env.price(),
                        leverage=2,
                    )

                group.start_soon(place)
                with anyio.fail_after(30):
                    # signed and handed to the background (the tracker has no event for it)
                    while not trading.unresolved:  # noqa: ASYNC110
                        await anyio.sleep(0.01)
                scope.cancel()
        (left,) = trading.unresolved
        set_fault(env, "node_submit_delay", 0.0)
        with anyio.fail_after(30):
            outcome = await trading.outcome(left.hash)
        assert outcome.result is not None and outcome.result.hash == left.hash
        assert trading.unresolved == ()


async def test_a_lost_answer_is_found_by_hash_in_the_background() -> None:
    async with trading_env(submit_retries=0) as env:
        set_fault(env, "node_drop_response", 1)
        with pytest.raises(OutcomeUnknownError) as info:
            await env.kana.trading.no_wait.place_limit_order(
                env.market, side=Side.LONG, size=env.info.min_size, price=env.price(), leverage=2
            )
        with anyio.fail_after(30):
            outcome = await env.kana.trading.outcome(info.value.hash)
        assert outcome.result is not None
        assert len(await env.kana.portfolio.open_orders(market_id=env.market)) == 1


async def test_close_waits_a_bounded_time_then_cancels_the_background_work(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="kana_async")
    async with trading_env(close_timeout=0.2) as env:
        trading = env.kana.trading
        set_fault(env, "node_submit_delay", 3.0)
        pending = await env.kana.payloads.place_limit_order(
            env.market, side=Side.LONG, size=env.info.min_size, price=env.price(), leverage=2
        )
        with pytest.raises(OutcomeUnknownError):
            await trading.execute(pending, timeout=0.1)
        (left,) = trading.unresolved
        await env.kana.aclose()  # returns: the resolution is cancelled, not awaited
        assert [u.hash for u in trading.unresolved] == [left.hash]
        assert any(left.hash in r.getMessage() for r in caplog.records)
        set_fault(env, "node_submit_delay", 0.0)
