"""A submission whose connection drops after the request was written is OutcomeUnknownError.

On both transports, through the public trading API against the simulator: its node reads every
submission and closes the connection without answering (and without executing it). The client
cannot know whether the transaction went in, so it must neither report "not executed" (the
error httpx-aiohttp's ``ConnectTimeout`` would suggest) nor succeed.
"""

from __future__ import annotations

from decimal import Decimal

import anyio
import httpx
import pytest

from kana_async import Account, KanaClient, OutcomeUnknownError, Side
from kana_async.sim import Simulator

pytestmark = pytest.mark.anyio


def client_on(
    transport: str, sim: Simulator, key: str
) -> tuple[KanaClient, httpx.AsyncClient | None]:
    """A KanaClient on ``transport`` (the pool it creates; nothing to close besides it)."""
    account = Account.from_hex(key)
    return KanaClient(sim.network, account=account, transport=transport, close_timeout=1), None


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_dropped_submission_is_outcome_unknown(transport: str) -> None:
    async with Simulator(seed=5, market_maker=False) as sim:
        funded = sim.new_account(apt=Decimal(10), usdt=Decimal(1000))
        kana, pool = client_on(transport, sim, funded.private_key_hex)
        try:
            async with kana:
                await kana.trading.deposit(Decimal(500))
                sim.faults.node_drop_request = 1_000  # every submission from now on
                with anyio.fail_after(60), pytest.raises(OutcomeUnknownError) as info:
                    # waits 5 s, well before the 30 s expiry could answer "rejected"
                    await kana.with_options(confirm_timeout=5).trading.place_limit_order(
                        1338, side=Side.LONG, size=Decimal("0.5"), price=Decimal("4"), leverage=5
                    )
        finally:
            if pool is not None:
                await pool.aclose()
        assert info.value.hash
        assert sim.faults.node_drop_request < 1_000  # the node did read (and drop) the request
        assert sim.exchange.order_history(funded.address, 1338) == []  # and never executed it
