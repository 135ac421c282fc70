"""A submission whose connection drops after the request was written is OutcomeUnknownError.

On both transports, through the public trading API against the simulator: its node reads every
submission and closes the connection without answering (and without executing it). The client
cannot know whether the transaction went in, so it must neither report "not executed" (the
error httpx-aiohttp's ``ConnectTimeout`` would suggest) nor succeed.
"""

from __future__ import annotations

import inspect
from decimal import Decimal
from typing import Any

import anyio
import httpx
import pytest

from kana_async import Account, KanaClient, OutcomeUnknownError, Side, TransactionRejectedError
from kana_async._http import make_client
from kana_async.sim import Simulator

pytestmark = pytest.mark.anyio


def client_on(
    transport: str, sim: Simulator, key: str
) -> tuple[KanaClient, httpx.AsyncClient | None]:
    """A KanaClient on ``transport``, by its constructor argument once it has one."""
    account = Account.from_hex(key)
    if "transport" in inspect.signature(KanaClient).parameters:
        kw: dict[str, Any] = {"transport": transport}
        return KanaClient(sim.network, account=account, **kw), None
    limits = httpx.Limits(max_connections=10, max_keepalive_connections=10)
    pool = make_client(transport, timeout=httpx.Timeout(10.0, connect=5.0), limits=limits)  # type: ignore[arg-type]
    return KanaClient(sim.network, account=account, http_client=pool), pool


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_dropped_submission_is_outcome_unknown(transport: str) -> None:
    async with Simulator(seed=5, market_maker=False) as sim:
        funded = sim.new_account(apt=Decimal(10), usdt=Decimal(1000))
        kana, pool = client_on(transport, sim, funded.private_key_hex)
        try:
            async with kana:
                await kana.trading.deposit(Decimal(500))
                sim.faults.node_drop_request = 1_000  # every submission from now on
                unknown_or_expired = (OutcomeUnknownError, TransactionRejectedError)
                with anyio.fail_after(60), pytest.raises(unknown_or_expired) as info:
                    await kana.trading.place_limit_order(
                        1338, side=Side.LONG, size=Decimal("0.5"), price=Decimal("4"), leverage=5
                    )
        finally:
            if pool is not None:
                await pool.aclose()
        error = info.value
        if isinstance(error, TransactionRejectedError):
            # The wait outlived the transaction's expiry: only then did the client learn that it
            # never executed, after having treated the dropped request as possibly sent.
            assert "expired" in str(error)
            assert isinstance(error.__context__, OutcomeUnknownError)
            assert error.__context__.hash
        else:
            assert error.hash
        assert sim.faults.node_drop_request < 1_000  # the node did read (and drop) the request
        assert sim.exchange.order_history(funded.address, 1338) == []  # and never executed it
