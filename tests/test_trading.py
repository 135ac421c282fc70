"""``kana.trading`` end to end against the simulator, over real sockets."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

import anyio
import pytest

from kana_async._aptos.signing import Account
from kana_async._client import KanaClient
from kana_async._exceptions import (
    ArgumentTypeError,
    ClientStateError,
    InvalidArgumentError,
    MoveAbortError,
    OutcomeUnknownError,
    PrecisionError,
    TransactionRejectedError,
)
from kana_async.models.enums import Direction, Side
from kana_async.models.markets import MarketInfo
from kana_async.models.requests import OrderRequest
from kana_async.models.transactions import PendingTransaction, TransactionResult
from kana_async.resources.trading import Trading, snap
from kana_async.sim.server import Simulator

pytestmark = pytest.mark.anyio


@dataclass
class Env:
    sim: Simulator
    kana: KanaClient
    account: Account
    market: int
    info: MarketInfo


@asynccontextmanager
async def trading_env(
    *, deposit: Decimal | None = Decimal("2000"), **options: Any
) -> AsyncIterator[Env]:
    async with Simulator(seed=3, market_maker=True) as sim:
        funded = sim.new_account(apt=Decimal("10"), usdt=Decimal("10000"))
        account = Account.from_hex(funded.private_key_hex)
        async with KanaClient(sim.network, account=account, **options) as kana:
            market = sim.network.market_id("APT-USD")
            info = await kana.markets.info(market)
            if deposit is not None:
                await kana.trading.deposit(deposit)
            yield Env(sim, kana, account, market, info)


def far_bid(env: Env, i: int = 0) -> Decimal:
    """A resting long price far below the market (never fills)."""
    return Decimal(1) + env.info.tick * i


async def test_deposit_limit_cancel_market_close_flow() -> None:
    async with trading_env(deposit=None) as env:
        kana, mid, size = env.kana, env.market, env.info.min_size
        assert isinstance(kana.trading, Trading)
        deposited = await kana.trading.deposit(Decimal("500"))
        assert isinstance(deposited, TransactionResult) and deposited.success
        assert await kana.portfolio.profile_balance() == Decimal("500")

        placed = await kana.trading.place_limit_order(
            mid, side=Side.LONG, size=size, price=far_bid(env), leverage=2
        )
        assert isinstance(placed, TransactionResult) and placed.sequence_number == 1
        (order,) = await kana.portfolio.open_orders(market_id=mid)
        assert order.price == far_bid(env) and order.remaining_size == size

        await kana.trading.cancel_multiple_orders(mid, [(order.order_id, Side.LONG)])
        assert await kana.portfolio.open_orders(market_id=mid) == []

        await kana.trading.place_market_order(mid, side=Side.LONG, size=size, leverage=2)
        (position,) = await kana.portfolio.positions(market_id=mid)
        assert position.size == size and position.trade_side is True

        closed = await kana.trading.place_market_order(
            mid, side=Side.LONG, size=size, leverage=2, direction=Direction.CLOSE
        )
        assert isinstance(closed, TransactionResult) and closed.sequence_number == 4
        assert await kana.portfolio.positions(market_id=mid) == []
        history = await kana.history.orders(market_id=mid)
        assert len(history) >= 3


async def test_leverage_above_the_market_maximum_is_refused_before_anything_is_sent() -> None:
    async with trading_env() as env:
        before = env.sim.node.sequence_number(env.account.address)
        with pytest.raises(InvalidArgumentError, match="maximum of"):
            await env.kana.trading.place_limit_order(
                env.market,
                side=Side.LONG,
                size=env.info.min_size,
                price=far_bid(env),
                leverage=env.info.max_leverage + 1,
            )
        assert env.sim.node.sequence_number(env.account.address) == before
        assert env.kana.trading.unresolved == ()


async def test_abort_surfaces_as_move_abort_with_code_name(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with trading_env() as env:
        with pytest.raises(MoveAbortError) as info:
            # closing a position that does not exist: the exchange aborts
            await env.kana.trading.place_limit_order(
                env.market,
                side=Side.LONG,
                size=env.info.min_size,
                price=far_bid(env),
                leverage=2,
                direction=Direction.CLOSE,
            )
        err = info.value
        assert err.code_name == "E_TRADE_SIZE_EXCEEDS_EXISTING_FILLED" and err.abort_code == 1011
        assert err.hash and err.hash in str(err) and err.vm_status
        secret = env.account.private_key_hex()[2:]
        for text in (str(err), repr(err), repr(env.kana), repr(env.kana.trading), caplog.text):
            assert secret not in text
        assert "kana_async" in caplog.text  # DEBUG records were captured


async def test_two_hundred_concurrent_orders_with_faults_commit_exactly_once() -> None:
    async with trading_env() as env:
        kana, sim = env.kana, env.sim
        sim.faults.node_submit_5xx = 4
        sim.faults.node_submit_429 = 2
        sim.faults.node_drop_request = 1
        sim.faults.node_drop_response = 1
        results: list[object] = []

        async def place(i: int) -> None:
            results.append(
                await kana.trading.place_limit_order(
                    env.market,
                    side=Side.LONG,
                    size=env.info.min_size,
                    price=far_bid(env, i),
                    leverage=2,
                )
            )

        with anyio.fail_after(90):
            async with anyio.create_task_group() as tg:
                for i in range(200):
                    tg.start_soon(place, i)
        assert len(results) == 200
        log = sim.exchange.order_history(env.account.address, env.market)
        ids = [o.order_id for o in log]
        assert len(ids) == 200 and len(set(ids)) == 200  # no duplicates, none lost
        prices = {o.price for o in log}
        assert len(prices) == 200
        assert sim.faults.node_drop_response == 0 and sim.faults.node_submit_5xx == 0
        assert sim.node.sequence_number(env.account.address) == 201  # deposit + 200 orders


async def test_lost_answer_is_confirmed_by_hash_in_the_background() -> None:
    async with trading_env(submit_retries=0) as env:
        trading = env.kana.trading
        env.sim.faults.node_drop_response = 1
        result = await trading.place_limit_order(
            env.market, side=Side.LONG, size=env.info.min_size, price=far_bid(env), leverage=2
        )
        assert env.sim.faults.node_drop_response == 0  # the answer was really lost
        assert len(await env.kana.portfolio.open_orders(market_id=env.market)) == 1
        assert trading.unresolved == ()
        assert (await trading.outcome(result.hash)).result == result


async def test_lost_answer_without_waiting_is_outcome_unknown_and_found_by_hash() -> None:
    async with trading_env(submit_retries=0) as env:
        trading = env.kana.trading
        env.sim.faults.node_drop_response = 1
        with pytest.raises(OutcomeUnknownError) as info:
            await trading.no_wait.place_limit_order(
                env.market, side=Side.LONG, size=env.info.min_size, price=far_bid(env), leverage=2
            )
        tx_hash = info.value.hash
        await trading.outcome(tx_hash)
        assert tx_hash
        found = await trading.lookup(tx_hash)
        assert isinstance(found, TransactionResult) and found.hash == tx_hash
        assert len(await env.kana.portfolio.open_orders(market_id=env.market)) == 1
        assert await trading.lookup("0x" + "00" * 32) is None


async def test_pending_handle_and_dry_run() -> None:
    async with trading_env() as env:
        trading, mid = env.kana.trading, env.market
        dry = await trading.dry_run.place_limit_order(
            mid,
            side=Side.LONG,
            size=env.info.min_size,
            price=far_bid(env),
            leverage=2,
        )
        assert isinstance(dry, TransactionResult) and dry.success
        assert await env.kana.portfolio.open_orders(market_id=mid) == []
        pending = await trading.no_wait.place_limit_order(
            mid, side=Side.LONG, size=env.info.min_size, price=far_bid(env), leverage=2
        )
        assert isinstance(pending, PendingTransaction)
        result = await pending.wait(timeout=10)
        assert result.hash == pending.hash
        assert len(await env.kana.portfolio.open_orders(market_id=mid)) == 1


async def test_dry_run_reports_the_engines_abort_and_changes_nothing() -> None:
    async with trading_env() as env:
        trading, mid = env.kana.trading, env.market
        with pytest.raises(MoveAbortError) as caught:
            await trading.dry_run.place_limit_order(
                mid,
                side=Side.LONG,
                size=env.info.min_size,
                price=far_bid(env),
                leverage=2,
                direction=Direction.CLOSE,
            )
        assert caught.value.code_name == "E_TRADE_SIZE_EXCEEDS_EXISTING_FILLED"
        # a dry run that would succeed leaves no order and no balance change behind
        balance = await env.kana.portfolio.profile_balance()
        await trading.dry_run.place_market_order(
            mid, side=Side.LONG, size=env.info.min_size, leverage=2
        )
        assert await env.kana.portfolio.positions(market_id=mid) == []
        assert await env.kana.portfolio.profile_balance() == balance


async def test_precision_checks_and_rounding() -> None:
    async with trading_env() as env:
        trading, mid, info = env.kana.trading, env.market, env.info
        off_tick = far_bid(env) + info.tick / 3
        with pytest.raises(PrecisionError) as err:
            await trading.place_limit_order(
                mid, side=Side.LONG, size=info.min_size, price=off_tick, leverage=2
            )
        assert err.value.nearest == (far_bid(env), far_bid(env) + info.tick)
        assert "nearest valid values" in str(err.value) and str(far_bid(env).normalize()) in str(
            err.value
        )
        off_lot = info.min_size + info.lot / 2
        with pytest.raises(PrecisionError) as lot_err:
            await trading.place_market_order(mid, side=Side.LONG, size=off_lot, leverage=2)
        assert lot_err.value.nearest == (info.min_size, info.min_size + info.lot)
        with pytest.raises(InvalidArgumentError, match="limits"):
            await trading.place_market_order(mid, side=Side.LONG, size=info.lot, leverage=2)
        with pytest.raises(ArgumentTypeError):
            await trading.place_limit_order(
                mid, side=Side.LONG, size=0.5, price=far_bid(env), leverage=2
            )  # type: ignore[arg-type]
        with pytest.raises(InvalidArgumentError):
            await trading.place_limit_order(
                mid, side=Side.LONG, size=info.min_size, price=far_bid(env), leverage=0
            )
        with pytest.raises(PrecisionError):
            await trading.update_take_profit(mid, Side.LONG, off_tick)
        with pytest.raises(PrecisionError):
            await trading.place_multiple_orders(
                mid,
                [OrderRequest.limit(side=Side.LONG, size=off_lot, price=far_bid(env), leverage=2)],
            )
        with pytest.raises(ArgumentTypeError, match="OrderRequest"):
            await trading.place_multiple_orders(mid, [{"size": "1"}])  # type: ignore[list-item]
        for call in (
            trading.deposit(0.5),  # type: ignore[arg-type]
            trading.withdraw(mid, 0.5),  # type: ignore[arg-type]
            trading.add_margin(mid, Side.LONG, 0.5),  # type: ignore[arg-type]
            trading.update_stop_loss(mid, Side.LONG, 0.5),  # type: ignore[arg-type]
        ):
            with pytest.raises(ArgumentTypeError):
                await call
        assert env.sim.node.sequence_number(env.account.address) == 1  # nothing was submitted
        assert await env.kana.portfolio.open_orders(market_id=mid) == []
        # Explicit rounding places the order at the rounded values.
        await trading.place_limit_order(
            mid, side=Side.LONG, size=off_lot, price=off_tick, leverage=2, rounding=ROUND_DOWN
        )
        (order,) = await env.kana.portfolio.open_orders(market_id=mid)
        assert order.price == far_bid(env) and order.total_size == info.min_size


def test_snap() -> None:
    step = Decimal("0.005")
    assert snap(Decimal("1.005"), step, "p", None, "x") == Decimal("1.005")
    assert snap(Decimal("1.0074"), step, "p", ROUND_HALF_UP, "x") == Decimal("1.005")
    assert snap(Decimal("1.0076"), step, "p", ROUND_HALF_UP, "x") == Decimal("1.01")
    assert snap(Decimal("7"), Decimal(0), "p", None, "x") == Decimal("7")
    with pytest.raises(PrecisionError) as info:
        snap(Decimal("1.0074"), step, "price", None, "the tick")
    assert info.value.nearest == (Decimal("1.005"), Decimal("1.01"))


async def test_every_trading_method() -> None:
    async with trading_env() as env:
        trading, mid, info, kana = env.kana.trading, env.market, env.info, env.kana
        size = info.min_size
        await trading.place_multiple_orders(
            mid,
            [
                OrderRequest.limit(side=Side.LONG, size=size, price=far_bid(env, 1), leverage=2),
                OrderRequest.limit(side=Side.LONG, size=size, price=far_bid(env, 2), leverage=2),
            ],
        )
        orders = await kana.portfolio.open_orders(market_id=mid)
        assert sorted(o.price for o in orders) == [far_bid(env, 1), far_bid(env, 2)]
        await trading.cancel_and_place_multiple_orders(
            mid,
            [(orders[0].order_id, Side.LONG)],
            [OrderRequest.limit(side=Side.LONG, size=size, price=far_bid(env, 3), leverage=2)],
        )
        prices = sorted(o.price for o in await kana.portfolio.open_orders(market_id=mid))
        assert len(prices) == 2 and far_bid(env, 3) in prices
        await trading.place_market_order(mid, side=Side.LONG, size=size, leverage=2)
        (position,) = await kana.portfolio.positions(market_id=mid)
        entry = position.entry_price
        assert entry is not None
        tp = (entry * 2).quantize(info.tick)
        sl = (entry / 2).quantize(info.tick)
        await trading.update_take_profit(mid, Side.LONG, tp)
        await trading.update_stop_loss(mid, Side.LONG, sl)
        margin_before = position.margin
        await trading.add_margin(mid, Side.LONG, Decimal("5"))
        (position,) = await kana.portfolio.positions(market_id=mid)
        assert position.tp == tp and position.sl == sl
        assert margin_before is not None and position.margin is not None
        assert position.margin > margin_before
        await trading.collapse_position(mid)
        assert await kana.portfolio.positions(market_id=mid) == []
        await trading.settle_pnl(mid)
        before = await kana.portfolio.wallet_balance()
        await trading.withdraw(mid, Decimal("10"))
        assert await kana.portfolio.wallet_balance() == before + Decimal("10")


async def test_trading_needs_an_open_client_with_an_account() -> None:
    async with Simulator(seed=4, market_maker=False) as sim:
        reader = KanaClient(sim.network)
        with pytest.raises(ClientStateError):
            await reader.trading.deposit(Decimal("1"))
        async with reader:
            with pytest.raises(InvalidArgumentError, match="needs an account"):
                await reader.trading.deposit(Decimal("1"))
        funded = sim.new_account()
        kana = KanaClient(sim.network, account=Account.from_hex(funded.private_key_hex))
        async with kana:
            await kana.trading.deposit(Decimal("1"))
        with pytest.raises(ClientStateError):
            await kana.trading.deposit(Decimal("1"))


# -- one in-flight gate for REST and node calls --------------------------------------------------


@dataclass
class Counting:
    """Requests inside the two loopback servers now, the most at once, and long polls too."""

    now: int = 0
    peak: int = 0
    polls_now: int = 0
    polls_peak: int = 0
    answered: int = 0


@pytest.mark.parametrize(
    "limits", [{"max_in_flight": 4}, {"max_in_flight": 10, "max_connections": 4}]
)
async def test_rest_and_node_requests_share_one_in_flight_limit(limits: dict[str, int]) -> None:
    from aiohttp import web

    from kana_async._config import Network
    from tests.rest_support import envelope

    count = Counting()
    release = anyio.Event()
    tx_hash = "0x" + "ab" * 32

    async def handle(request: web.Request) -> web.Response:
        poll = "/wait_by_hash/" in request.path
        count.now += 1
        count.peak = max(count.peak, count.now)
        count.polls_now += poll
        count.polls_peak = max(count.polls_peak, count.polls_now)
        try:
            await release.wait()
        finally:
            count.now -= 1
            count.polls_now -= poll
        count.answered += 1
        if request.path == "/getMarketPrice":
            body = envelope({"bestAskPrice": "5.5", "bestBidPrice": "5.4"})
        elif poll:
            body = (
                b'{"type": "user_transaction", "hash": "%s", "version": "1", "success": true, '
                b'"vm_status": "Executed successfully"}' % tx_hash.encode()
            )
        else:
            body = b'{"chain_id": 4, "ledger_version": "1", "ledger_timestamp": "1"}'
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    for _ in range(2):  # two ports: the REST API and the node are different origins
        await web.TCPSite(runner, "127.0.0.1", 0).start()
    rest_port, node_port = (address[1] for address in runner.addresses)
    network = Network(
        name="loopback",
        rest_url=f"http://127.0.0.1:{rest_port}",
        ws_url="ws://127.0.0.1:1/ws/",
        node_url=f"http://127.0.0.1:{node_port}/v1",
        chain_id=4,
        markets={"APT-USD": 1338},
    )
    try:
        async with KanaClient(network, account=Account.generate(), **limits) as kana:
            node = kana.trading._core.node()
            assert node.gate is kana._http.gate
            assert (kana._http.gate.limit, kana._http.gate.long_poll_limit) == (4, 2)
            with anyio.fail_after(10):
                async with anyio.create_task_group() as tg:
                    for _ in range(8):
                        tg.start_soon(kana.markets.price, 1338)
                        tg.start_soon(node.ledger_info)
                        tg.start_soon(lambda: node.poll(tx_hash, timeout=30))
                    await anyio.wait_all_tasks_blocked()
                    assert count.now == 4  # the rest wait in the gate, not in httpcore
                    assert kana._http.gate.in_flight == 4
                    release.set()
            assert kana._http.gate.in_flight == 0
            assert kana._http.gate.peak == 4
    finally:
        await runner.cleanup()
    assert count.answered == 24
    assert count.peak == 4
    assert 1 <= count.polls_peak <= 2


async def test_gather_of_orders_stays_within_the_gate() -> None:
    """Many orders at once: each lands once, never more requests in flight than the gate allows."""
    async with trading_env() as env:
        gate = env.kana._http.gate
        assert gate.limit == 10  # the default: max_in_flight 10 within a pool of 10
        assert env.kana.trading._core.node().gate is gate

        async def place(i: int) -> TransactionResult:
            return await env.kana.trading.place_limit_order(
                env.market, side=Side.LONG, size=env.info.min_size, price=far_bid(env, i),
                leverage=2,
            )  # fmt: skip

        with anyio.fail_after(30):
            results = await asyncio.gather(*(place(i) for i in range(30)))
        assert len({r.hash for r in results}) == 30
        assert all(r.success for r in results)
        assert 1 <= gate.peak <= gate.limit
        assert gate.in_flight == 0
        prices = {o.price for o in await env.kana.portfolio.open_orders(market_id=env.market)}
        assert {far_bid(env, i) for i in range(30)} <= prices


async def test_a_client_with_other_options_shares_the_account_state() -> None:
    async with trading_env(confirm_timeout=20) as env:
        kana = env.kana
        patient = kana.with_options(confirm_timeout=90, check_position_leverage=False)
        assert patient.trading.confirm_timeout == 90 and kana.trading.confirm_timeout == 20
        first = await patient.trading.place_limit_order(
            env.market, side=Side.LONG, size=env.info.min_size, price=far_bid(env), leverage=2
        )
        second = await kana.trading.place_limit_order(
            env.market, side=Side.LONG, size=env.info.min_size, price=far_bid(env, 1), leverage=2
        )
        # One sequence allocator, one record of outcomes, one registry of orders.
        assert second.sequence_number == first.sequence_number + 1
        assert (await kana.trading.outcome(first.hash)).result == first
        (placed,) = first.events.placed
        assert kana.trading.orders.get(env.market, placed.order_id) is not None
        cancelled = await kana.trading.cancel_order(env.market, placed.order_id)  # side known
        assert [e.order_id for e in cancelled.events.cancelled] == [placed.order_id]


async def test_gas_settings_of_a_derived_client_apply_to_its_own_transactions() -> None:
    async with trading_env() as env:
        kana = env.kana
        greedy = kana.with_options(max_gas_amount=10**12)  # above the node's bound
        args = {"side": Side.LONG, "size": env.info.min_size, "price": far_bid(env)}
        with pytest.raises(TransactionRejectedError, match="MAX_GAS_UNITS"):
            await greedy.trading.dry_run.place_limit_order(env.market, leverage=2, **args)
        with pytest.raises(TransactionRejectedError, match="MAX_GAS_UNITS"):
            await greedy.trading.place_limit_order(env.market, leverage=2, **args)
        simulated = await kana.trading.dry_run.place_limit_order(env.market, leverage=2, **args)
        assert simulated.success
        placed = await kana.trading.place_limit_order(env.market, leverage=2, **args)
        assert placed.success  # the original's settings were never touched
