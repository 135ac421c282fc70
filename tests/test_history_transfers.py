"""Deposits and withdrawals page like every other history, from the SDK and to their end."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kana_async import Account, KanaClient
from kana_async.sim import Simulator

pytestmark = pytest.mark.anyio


async def test_transfers_page_and_iterate_to_the_end() -> None:
    async with Simulator(seed=2, market_maker=False) as sim:
        funded = sim.new_account()
        async with KanaClient(
            sim.network, account=Account.from_hex(funded.private_key_hex)
        ) as kana:
            for amount in ("10", "20", "30"):
                await kana.trading.deposit(Decimal(amount))
            await kana.trading.withdraw(1338, Decimal("5"))
            history = kana.history

            newest = await history.transfers()
            assert [(t.amount, t.is_deposit) for t in newest] == [
                (Decimal(5), False),
                (Decimal(30), True),
                (Decimal(20), True),
                (Decimal(10), True),
            ]
            middle = await history.transfers(offset=1, limit=2)
            assert [t.amount for t in middle] == [Decimal(30), Decimal(20)]
            oldest_first = await history.transfers(order="asc", limit=1)
            assert [t.amount for t in oldest_first] == [Decimal(10)]

            pages = history.iter_transfers(page_size=1)
            every = await pages.collect()
            assert every == newest
            assert pages.pages_fetched == 5  # four rows of one, then the empty page that ends it
