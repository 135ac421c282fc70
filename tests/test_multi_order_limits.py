"""The fullest multi-order calls the SDK allows go through, on chain, with the default options.

Kana documents no limit on the orders of one call; the SDK allows ``MAX_ORDERS_PER_CALL``
orders and ``MAX_CANCELS_PER_CALL`` ids (one more is refused before I/O: see the argument
sweep). Here the fullest calls run against the simulator with the default ``max_gas_amount``:
200 orders placed in one transaction, then 200 cancelled and 200 placed in another, each
committed within the gas budget and far inside Aptos' 64 KiB transaction size (the signed bytes
sent to the node are measured), with every order accounted for.
"""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from kana_async import KanaClient, OrderRequest, Side
from kana_async._aptos.signing import Account
from kana_async._options import TradingOptions
from kana_async.resources._checks import MAX_CANCELS_PER_CALL, MAX_ORDERS_PER_CALL
from kana_async.sim import Simulator

pytestmark = pytest.mark.anyio

#: Aptos' largest regular transaction, in bytes.
MAX_TRANSACTION_BYTES = 64 * 1024


async def test_the_fullest_calls_commit_within_the_default_gas_budget() -> None:
    assert MAX_ORDERS_PER_CALL == MAX_CANCELS_PER_CALL == 200
    budget = TradingOptions().max_gas_amount
    submitted: list[int] = []

    async def measure(request: httpx.Request) -> None:
        if request.method == "POST" and request.url.path.endswith("/v1/transactions"):
            submitted.append(len(request.content))  # the signed BCS transaction

    async with (
        Simulator(seed=4, market_maker=False) as sim,
        httpx.AsyncClient(event_hooks={"request": [measure]}) as pool,
    ):
        funded = sim.new_account(apt=Decimal("100"), usdt=Decimal("100000"))
        account = Account.from_hex(funded.private_key_hex)
        async with KanaClient(sim.network, account=account, http_client=pool) as kana:
            market = sim.network.market_id("APT-USD")
            info = await kana.markets.info(market)
            await kana.trading.deposit(Decimal("50000"))

            def orders(first_tick: int) -> list[OrderRequest]:
                return [
                    OrderRequest.limit(
                        side=Side.LONG,
                        size=info.min_size,
                        price=info.tick * (first_tick + i),
                        leverage=2,
                    )
                    for i in range(MAX_ORDERS_PER_CALL)
                ]

            placed = await kana.trading.place_multiple_orders(market, orders(1000))
            assert placed.success and len(placed.placed) == MAX_ORDERS_PER_CALL
            ids = list(placed.order_ids)
            swapped = await kana.trading.cancel_and_place_multiple_orders(
                market, ids[:MAX_CANCELS_PER_CALL], orders(2000)
            )
            assert swapped.success
            assert len(swapped.cancelled) == MAX_CANCELS_PER_CALL
            assert len(swapped.placed) == MAX_ORDERS_PER_CALL
            assert max(placed.gas_used, swapped.gas_used) <= budget
            still_open = await kana.portfolio.open_order_ids(market)
    assert len(submitted) >= 3  # the deposit and the two multi-order transactions
    assert max(submitted) < MAX_TRANSACTION_BYTES / 4
    assert len(still_open) == MAX_ORDERS_PER_CALL
    assert set(still_open) == set(swapped.order_ids) - set(ids)
