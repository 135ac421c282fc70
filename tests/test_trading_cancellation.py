"""Cancelling a trading call never hides an order (against the simulator, real sockets)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from decimal import Decimal

import anyio
import pytest

from kana_async._aptos.signing import Account
from kana_async._client import KanaClient
from kana_async._exceptions import InvalidArgumentError, OutcomeUnknownError
from kana_async.models.enums import Side
from kana_async.models.transactions import UnresolvedTransaction
from kana_async.sim.server import Simulator
from tests.test_trading import Env, far_bid, trading_env

pytestmark = pytest.mark.anyio


def _sent_by(env: Env) -> set[str]:
    """Hashes of every transaction of the account the node has (pending or committed)."""
    address = env.account.address
    return {tx.hash for tx in env.sim.node.state.by_hash.values() if tx.sender == address}


async def _settle(env: Env) -> None:
    """Wait until the client has resolved everything it sent."""
    trading = env.kana.trading
    with anyio.fail_after(60):
        while trading.unresolved:
            await trading.outcome(trading.unresolved[0].hash)


async def test_random_cancellations_never_hide_an_order() -> None:
    async with trading_env() as env:
        trading, rng = env.kana.trading, random.Random(8)
        before = _sent_by(env)
        returned: set[str] = set()
        for i in range(100):

            async def place(i: int = i) -> None:
                result = await trading.place_limit_order(
                    env.market, side=Side.LONG, size=env.info.min_size,
                    price=far_bid(env, i), leverage=2,
                )  # fmt: skip
                returned.add(result.hash)

            delay = rng.uniform(0, 0.020)
            if i % 2:  # the asyncio way: a deadline around the call
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await place()
            else:  # the structured way: the task group around it is cancelled
                async with anyio.create_task_group() as tg:
                    tg.start_soon(place)
                    await anyio.sleep(delay)
                    tg.cancel_scope.cancel()
        listed = {u.hash for u in trading.unresolved}
        await _settle(env)
        outcomes = {o.hash: o for o in trading.outcomes}
        sent = _sent_by(env) - before
        # Every transaction that reached the node is one the SDK listed or resolved...
        assert sent <= set(outcomes), sent - set(outcomes)
        assert listed <= set(outcomes)
        committed = {h for h in sent if env.sim.node.state.by_hash[h].committed}
        assert committed == {h for h, o in outcomes.items() if o.ok and h in sent}
        # ...and every order resting on the book came from one of them.
        resting = await env.kana.portfolio.open_orders(market_id=env.market)
        assert len(resting) == len(committed) == len(returned | (committed - returned))
        assert returned <= committed


async def test_cancel_after_signing_keeps_the_order_listed_logs_once_and_resolves(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="kana_async")
    async with trading_env() as env:
        trading = env.kana.trading
        env.sim.faults.node_submit_delay = 0.3  # the node answers late: the call is mid-send

        async def place() -> None:
            await trading.place_limit_order(
                env.market, side=Side.LONG, size=env.info.min_size, price=far_bid(env),
                leverage=2,
            )  # fmt: skip

        task = asyncio.create_task(place())
        with anyio.fail_after(5):
            while not trading.unresolved:  # noqa: ASYNC110 - signed and on its way
                await asyncio.sleep(0.001)
        (pending,) = trading.unresolved
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert pending.action == "place_limit_order" and pending.market_id == env.market
        assert pending.sequence_number == 1  # after the deposit
        assert [u.hash for u in trading.unresolved] == [pending.hash]
        assert trading.unresolved[0].caller_gone
        warnings = [r for r in caplog.records if pending.hash in r.getMessage()]
        assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
        env.sim.faults.node_submit_delay = 0
        outcome = await trading.outcome(pending.hash, timeout=10)
        assert outcome.ok and outcome.caller_gone and outcome.result is not None
        assert trading.unresolved == ()
        (order,) = await env.kana.portfolio.open_orders(market_id=env.market)
        assert order.price == far_bid(env)


async def test_cancel_before_signing_sends_nothing() -> None:
    async with trading_env() as env:
        trading = env.kana.trading
        before = _sent_by(env)
        sequence = env.sim.node.sequence_number(env.account.address)
        env.sim.faults.rest_delay = 0.5  # the payload request is in flight when we cancel
        with anyio.move_on_after(0.1) as scope:
            await trading.place_limit_order(
                env.market, side=Side.LONG, size=env.info.min_size, price=far_bid(env),
                leverage=2,
            )  # fmt: skip
        assert scope.cancelled_caught
        env.sim.faults.rest_delay = 0
        await anyio.sleep(0.6)  # anything in flight would have landed by now
        assert _sent_by(env) == before and trading.unresolved == ()
        assert env.sim.node.sequence_number(env.account.address) == sequence
        result = await trading.place_limit_order(
            env.market, side=Side.LONG, size=env.info.min_size, price=far_bid(env), leverage=2
        )
        assert result.sequence_number == sequence  # no number was lost either


async def test_close_waits_a_bounded_time_then_reports_what_is_left(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="kana_async")
    async with trading_env(close_timeout=0.3) as env:
        trading = env.kana.trading
        env.sim.faults.node_lose_submission = 1  # answered 202, never executed...
        env.sim.faults.node_lose_resends = True  # ...and lost again each time it is re-sent
        payload = await env.kana.payloads.place_limit_order(
            env.market, side=Side.LONG, size=env.info.min_size, price=far_bid(env), leverage=2
        )
        with pytest.raises(OutcomeUnknownError) as info:
            await trading.execute(payload, timeout=0.2)
        left_hash = info.value.hash
        assert [u.hash for u in trading.unresolved] == [left_hash]
        await env.kana.aclose()
        env.sim.faults.reset()
        assert [u.hash for u in trading.unresolved] == [left_hash]  # still listed after close
        closing = [r for r in caplog.records if "unresolved" in r.getMessage()]
        assert closing and left_hash in closing[-1].getMessage()


async def test_outcome_of_an_unknown_hash_is_a_clear_error() -> None:
    async with trading_env() as env:
        with pytest.raises(InvalidArgumentError, match="no transaction"):
            await env.kana.trading.outcome("0x" + "12" * 32)


class SlowSigner:
    """A remote-style signer that takes its time (the key is an in-memory account)."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self.started = anyio.Event()
        self.delay = 0.0

    @property
    def address(self) -> str:
        return self.account.address

    @property
    def public_key(self) -> bytes:
        return self.account.public_key

    async def sign(self, message: bytes) -> bytes:
        self.started.set()
        await anyio.sleep(self.delay)
        return await self.account.sign(message)


async def test_cancel_while_the_signer_works_sends_nothing_and_frees_the_number() -> None:
    async with Simulator(seed=3, market_maker=False) as sim:
        funded = sim.new_account(apt=Decimal("10"), usdt=Decimal("10000"))
        signer = SlowSigner(Account.from_hex(funded.private_key_hex))
        async with KanaClient(sim.network, account=signer) as kana:
            await kana.trading.deposit(Decimal("100"))
            market = sim.network.market_id("APT-USD")
            info = await kana.markets.info(market)
            sequence = sim.node.sequence_number(funded.address)
            signer.delay, signer.started = 5.0, anyio.Event()

            async def place() -> None:
                await kana.trading.place_limit_order(
                    market, side=Side.LONG, size=info.min_size, price=Decimal(1), leverage=2
                )

            async with anyio.create_task_group() as tg:
                tg.start_soon(place)
                await signer.started.wait()  # the signer has the message: nothing signed yet
                tg.cancel_scope.cancel()
            assert kana.trading.unresolved == () and kana.trading.outcomes[-1].action == "deposit"
            assert sim.node.sequence_number(funded.address) == sequence
            signer.delay = 0.0
            result = await kana.trading.place_limit_order(
                market, side=Side.LONG, size=info.min_size, price=Decimal(1), leverage=2
            )
            assert result.sequence_number == sequence  # the number came back


async def test_a_client_closed_by_a_cancelled_task_still_resolves_what_it_sent() -> None:
    async with Simulator(seed=3, market_maker=False) as sim:
        funded = sim.new_account(apt=Decimal("10"), usdt=Decimal("10000"))
        kana = KanaClient(sim.network, account=Account.from_hex(funded.private_key_hex))
        market = sim.network.market_id("APT-USD")

        async def bot() -> None:
            async with kana:
                await kana.trading.deposit(Decimal("100"))
                info = await kana.markets.info(market)
                sim.faults.node_submit_delay = 0.3
                await kana.trading.place_limit_order(
                    market, side=Side.LONG, size=info.min_size, price=Decimal(1), leverage=2
                )

        def placing() -> list[UnresolvedTransaction]:
            return [u for u in kana.trading.unresolved if u.action == "place_limit_order"]

        with anyio.fail_after(20):
            async with anyio.create_task_group() as tg:  # the service's task group
                tg.start_soon(bot)
                while not placing():  # noqa: ASYNC110 - signed and on its way
                    await asyncio.sleep(0.001)
                (sent,) = placing()
                tg.cancel_scope.cancel()  # shut down: the client closes inside a cancelled scope
        assert kana.closed and kana.trading.unresolved == ()
        outcome = kana.trading._core.tracker.outcome(sent.hash)
        assert outcome is not None and outcome.ok and outcome.caller_gone
        assert len(sim.exchange.order_history(funded.address, market)) == 1
