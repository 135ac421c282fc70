"""Order ids, cancel by id, and the argument checks of ``kana.trading`` (simulator, sockets).

The order ids come from the Kana events the simulator's node emits for every committed
transaction; a client that did not place an order finds its side through the node's
``by_version`` route.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from kana_async._aptos.signing import Account
from kana_async._client import KanaClient
from kana_async._exceptions import InvalidArgumentError
from kana_async.models.enums import Direction, Restriction, Side
from kana_async.models.requests import OrderRequest
from tests.test_trading import far_bid, trading_env

pytestmark = pytest.mark.anyio


async def test_placing_returns_the_order_id_the_open_orders_show() -> None:
    async with trading_env() as env:
        trading, mid = env.kana.trading, env.market
        result = await trading.place_limit_order(
            mid, side=Side.SHORT, size=env.info.min_size, price=Decimal(50), leverage=2
        )
        (placed,) = result.placed
        assert result.order_id == placed.order_id and result.order_ids == (placed.order_id,)
        assert placed.side is Side.SHORT and placed.market_id == mid
        assert placed.price == Decimal(50) and placed.size == env.info.min_size
        (row,) = await env.kana.portfolio.open_orders(market_id=mid)
        assert row.order_id == result.order_id  # exact: a u128 decimal string
        assert isinstance(row.order_id, str) and int(row.order_id) > 2**64
        assert trading.orders.side(mid, row.order_id) is Side.SHORT
        # Cancel by id alone: the side comes from the client's own record of its orders.
        cancelled = await trading.cancel_order(mid, row.order_id)
        assert cancelled.cancelled[0].order_id == row.order_id
        assert cancelled.cancelled[0].side is Side.SHORT
        assert await env.kana.portfolio.open_orders(market_id=mid) == []
        assert trading.orders.get(mid, row.order_id) is None


async def test_multi_order_results_list_each_order_and_cancel_by_ids() -> None:
    async with trading_env() as env:
        trading, mid, size = env.kana.trading, env.market, env.info.min_size
        result = await trading.place_multiple_orders(
            mid,
            [
                OrderRequest.limit(side=Side.LONG, size=size, price=far_bid(env), leverage=2),
                OrderRequest.limit(side=Side.SHORT, size=size, price=Decimal(50), leverage=2),
            ],
        )
        assert [p.side for p in result.placed] == [Side.LONG, Side.SHORT]
        rows = await env.kana.portfolio.open_orders(market_id=mid)
        assert sorted(r.order_id for r in rows) == sorted(result.order_ids)
        done = await trading.cancel_multiple_orders(mid, list(result.order_ids))
        assert sorted(done.events.cancelled_ids) == sorted(result.order_ids)
        assert await env.kana.portfolio.open_orders(market_id=mid) == []


async def test_cancel_by_id_of_an_unknown_order_says_why() -> None:
    async with trading_env() as env:
        with pytest.raises(InvalidArgumentError, match="side") as info:
            await env.kana.trading.cancel_order(env.market, "12345")
        assert "12345" in str(info.value)
        assert env.kana.trading.unresolved == ()


async def test_leverage_differing_from_an_open_position_is_refused_first() -> None:
    async with trading_env() as env:
        trading, mid, size = env.kana.trading, env.market, env.info.min_size
        await trading.place_market_order(mid, side=Side.LONG, size=size, leverage=3)
        before = env.sim.node.sequence_number(env.account.address)
        with pytest.raises(InvalidArgumentError, match="leverage 3"):
            await trading.place_limit_order(
                mid, side=Side.LONG, size=size, price=far_bid(env), leverage=5
            )
        assert env.sim.node.sequence_number(env.account.address) == before
        # the other side has no position: any leverage within the maximum is fine
        await trading.place_limit_order(
            mid, side=Side.SHORT, size=size, price=Decimal(50), leverage=5
        )


async def test_closing_less_than_the_minimum_size_is_allowed() -> None:
    async with trading_env() as env:
        trading, mid, info = env.kana.trading, env.market, env.info
        assert info.min_lots > 1
        await trading.place_market_order(mid, side=Side.LONG, size=info.min_size, leverage=2)
        with pytest.raises(InvalidArgumentError, match="at least"):  # opening that small: no
            await trading.place_market_order(mid, side=Side.LONG, size=info.lot, leverage=2)
        await trading.place_market_order(
            mid, side=Side.LONG, size=info.lot, leverage=2, direction=Direction.CLOSE
        )
        (position,) = await env.kana.portfolio.positions(market_id=mid)
        assert position.size == info.min_size - info.lot


async def test_payload_fetch_is_retried_before_signing() -> None:
    async with trading_env() as env:
        env.sim.faults.rest_429 = 2  # the payload endpoint is busy twice
        result = await env.kana.trading.place_limit_order(
            env.market, side=Side.LONG, size=env.info.min_size, price=far_bid(env), leverage=2
        )
        assert result.success and env.sim.faults.rest_429 == 0


async def test_multi_order_body_sends_the_documented_scalar_restriction() -> None:
    async with trading_env() as env:
        payload = await env.kana.payloads.place_multiple_orders(
            env.market,
            [
                OrderRequest.limit(
                    side=Side.LONG,
                    size=env.info.min_size,
                    price=far_bid(env),
                    leverage=2,
                    restriction=Restriction.POST_OR_ABORT,
                ),
            ],
        )
        # argument 7 is the restrictions vector: the server built it from the scalar
        assert [int(r) for r in payload.function_arguments[7]] == [3]


async def test_mixed_restrictions_in_one_request_are_refused() -> None:
    async with KanaClient(account=Account.generate()) as kana:
        size, price = Decimal(1), Decimal(1)
        with pytest.raises(InvalidArgumentError, match="restriction"):
            await kana.payloads.place_multiple_orders(
                1338,
                [
                    OrderRequest.limit(side=Side.LONG, size=size, price=price, leverage=2),
                    OrderRequest.limit(
                        side=Side.LONG,
                        size=size,
                        price=price,
                        leverage=2,
                        restriction=Restriction.POST_OR_ABORT,
                    ),
                ],
            )


async def test_cancel_by_id_of_an_order_this_client_did_not_place_looks_the_side_up() -> None:
    async with trading_env() as env:
        placed = await env.kana.trading.place_limit_order(
            env.market, side=Side.SHORT, size=env.info.min_size, price=Decimal(50), leverage=2
        )
        assert placed.order_id is not None
        # A second client of the same account (a restarted bot): its registry is empty.
        async with KanaClient(env.sim.network, account=env.account) as fresh:
            assert fresh.trading.orders.get(env.market, placed.order_id) is None
            done = await fresh.trading.cancel_order(env.market, placed.order_id)
        assert [c.order_id for c in done.cancelled] == [placed.order_id]
        assert done.cancelled[0].side is Side.SHORT
        assert await env.kana.portfolio.open_orders(market_id=env.market) == []
