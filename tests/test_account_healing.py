"""The account heals itself after a lost transaction (simulator, real sockets).

The faults are the simulator node's own: ``Simulator.restart_node`` (a restart that loses the
mempool) and ``sim.faults.node_lose_submission`` / ``node_lose_resends`` (a submission answered
202, then forgotten, and its re-sent bytes lost again so it stays dead until it expires).
"""

from __future__ import annotations

import anyio
import pytest

from kana_async._aptos.resolver import FILL_FUNCTION
from kana_async._client import KanaClient
from kana_async._exceptions import RateLimitError, TransactionRejectedError
from kana_async.models.enums import Side
from kana_async.models.transactions import PendingTransaction
from tests.test_trading import Env, far_bid, trading_env

pytestmark = pytest.mark.anyio


async def _place(env: Env, i: int, kana: KanaClient | None = None) -> PendingTransaction:
    return await (kana or env.kana).trading.no_wait.place_limit_order(
        env.market, side=Side.LONG, size=env.info.min_size, price=far_bid(env, i), leverage=2
    )


async def _next_25_commit(env: Env, start: int) -> None:
    """25 more orders, one after the other: each commits, on consecutive sequence numbers."""
    numbers = []
    with anyio.fail_after(60):
        for i in range(25):
            result = await env.kana.trading.place_limit_order(
                env.market, side=Side.LONG, size=env.info.min_size,
                price=far_bid(env, start + i), leverage=2,
            )  # fmt: skip
            numbers.append(result.sequence_number)
    assert numbers == list(range(numbers[0], numbers[0] + 25))
    assert env.kana.trading.unresolved == ()


def _lose_the_next_submission_for_good(env: Env) -> None:
    """The node answers the next submission 202 and forgets it; re-sent, it is lost again."""
    env.sim.faults.node_lose_submission = 1
    env.sim.faults.node_lose_resends = True


async def _settle(env: Env) -> None:
    trading = env.kana.trading
    with anyio.fail_after(10):
        while trading.unresolved:
            await trading.outcome(trading.unresolved[0].hash)


async def test_node_restart_losing_the_mempool_resends_the_same_bytes() -> None:
    async with trading_env() as env:
        trading = env.kana.trading
        sender = trading._core.sender()
        gap = await sender.allocator.allocate()  # held back: the next three wait behind it
        parked = [await _place(env, i) for i in range(3)]
        assert [p.sequence_number for p in parked] == [gap + 1, gap + 2, gap + 3]
        assert env.sim.restart_node(lose_mempool=True) == 3  # the three waiting ones are gone
        assert all(env.sim.node.transaction(p.hash) is None for p in parked)
        # the held-back number is used now; the three lost ones must be sent again
        payload = await env.kana.payloads.place_limit_order(
            env.market, side=Side.LONG, size=env.info.min_size, price=far_bid(env, 9), leverage=2
        )
        prepared = await sender.prepare(payload)
        sender.launch(await sender.sign(prepared, gap), prepared, action="t", market_id=None)
        with anyio.fail_after(20):  # well before their 30 s expiry
            results = [await p.wait(timeout=20) for p in parked]
        assert [r.hash for r in results] == [p.hash for p in parked]  # the same signed bytes
        history = env.sim.exchange.order_history(env.account.address, env.market)
        assert len(history) == 4  # every order once: nothing doubled, nothing lost
        await _next_25_commit(env, 10)


async def test_lost_submission_that_expires_is_filled_so_the_ones_behind_execute() -> None:
    async with trading_env() as env:
        trading = env.kana.trading
        target = env.sim.node.sequence_number(env.account.address)
        _lose_the_next_submission_for_good(env)
        short_lived = env.kana.with_options(expiration_seconds=2)
        doomed = await _place(env, 0, short_lived)  # the node says 202, then forgets it
        assert doomed.sequence_number == target
        behind = [await _place(env, i) for i in (1, 2)]  # parked behind the hole
        with pytest.raises(TransactionRejectedError) as info:
            await doomed.wait(timeout=20)
        assert info.value.vm_status == "TRANSACTION_EXPIRED"
        assert env.sim.node.transaction(doomed.hash) is None  # never executed
        env.sim.faults.reset()
        with anyio.fail_after(20):
            results = [await p.wait(timeout=20) for p in behind]
        assert [r.sequence_number for r in results] == [target + 1, target + 2]
        await _settle(env)  # the filler's own outcome
        fills = [o for o in trading.outcomes if o.action == "fill_sequence_number"]
        assert [o.sequence_number for o in fills] == [target]
        filler = env.sim.node.state.by_hash[fills[0].hash]
        assert filler.function_id.endswith(FILL_FUNCTION.split("::", 1)[1])
        history = env.sim.exchange.order_history(env.account.address, env.market)
        assert len(history) == 2  # the lost order never executed; the two behind it did
        await _next_25_commit(env, 10)


async def test_lost_submission_alone_gives_its_number_back() -> None:
    async with trading_env() as env:
        trading = env.kana.trading
        target = env.sim.node.sequence_number(env.account.address)
        _lose_the_next_submission_for_good(env)
        doomed = await _place(env, 0, env.kana.with_options(expiration_seconds=2))
        assert doomed.sequence_number == target
        with pytest.raises(TransactionRejectedError):
            await doomed.wait(timeout=20)
        assert env.sim.node.transaction(doomed.hash) is None
        env.sim.faults.reset()
        assert not [o for o in trading.outcomes if o.action == "fill_sequence_number"]
        first = await trading.place_limit_order(
            env.market, side=Side.LONG, size=env.info.min_size, price=far_bid(env, 1), leverage=2
        )
        assert first.sequence_number == target  # re-used: it can no longer execute
        await _next_25_commit(env, 10)


async def test_refused_submission_with_orders_behind_it_is_filled_at_once() -> None:
    async with trading_env() as env:
        trading = env.kana.trading
        sender = trading._core.sender()
        gap = await sender.allocator.allocate()  # the number the refused one will carry
        parked = [await _place(env, i) for i in range(3)]  # signed behind it, waiting
        payload = await env.kana.payloads.place_limit_order(
            env.market, side=Side.LONG, size=env.info.min_size, price=far_bid(env, 9), leverage=2
        )
        prepared = await sender.prepare(payload)
        sender.node.submit_retries = 0
        env.sim.faults.node_submit_429 = 1  # turned away: it certainly did not go in
        refused = sender.launch(
            await sender.sign(prepared, gap), prepared, action="place_limit_order", market_id=None
        )
        with pytest.raises(RateLimitError):
            await refused.wait(10)
        with anyio.fail_after(15):  # far less than the 30 s the ones behind would wait
            results = [await p.wait(timeout=15) for p in parked]
        assert [r.sequence_number for r in results] == [gap + 1, gap + 2, gap + 3]
        await _settle(env)
        fills = [o for o in trading.outcomes if o.action == "fill_sequence_number"]
        assert [o.sequence_number for o in fills] == [gap]
        assert len(env.sim.exchange.order_history(env.account.address, env.market)) == 3
        sender.node.submit_retries = 5
        await _next_25_commit(env, 10)
