"""Shared helpers for the signing / node / trading tests (no tests here).

A recording :class:`Ledger`, a fake node served by aiohttp on 127.0.0.1 port 0, and a funded
account on it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from kana_async._aptos.signing import Account
from kana_async.sim import contract
from kana_async.sim.faults import Faults
from kana_async.sim.node import FakeNode

CHAIN_ID = 4
FN = {name: f.function_id for name, f in contract.ENTRY_FUNCTIONS.items()}


@dataclass
class RecordingLedger:
    """Records every executed call; ``abort`` decides which calls raise ``MoveAbort``."""

    version: int = 0
    calls: list[tuple[str, str, list[str], list[Any], int]] = field(default_factory=list)
    abort: Callable[[str, list[Any]], int | None] = lambda fn, args: None

    def allocate_version(self) -> int:
        self.version += 1
        return self.version

    def execute(
        self, sender: str, function_id: str, type_args: list[str], args: list[Any], version: int
    ) -> None:
        code = self.abort(function_id, args)
        if code is not None:
            raise contract.MoveAbort(code, "rejected by the test ledger")
        self.calls.append((sender, function_id, type_args, args, version))


def leverage_rule(function_id: str, args: list[Any]) -> int | None:
    """Abort place_limit_order with leverage > 20 as E_INVALID_LEVERAGE, like the contract."""
    if function_id == FN["place_limit_order"] and args[5] > 20:
        return 1006
    return None


@dataclass
class NodeFixture:
    node: FakeNode
    ledger: RecordingLedger
    faults: Faults
    url: str
    account: Account


@asynccontextmanager
async def served_node(
    *, long_poll: float = 0.2, apt_octas: int = 10**9, ledger: RecordingLedger | None = None
) -> AsyncIterator[NodeFixture]:
    """A fake node on 127.0.0.1:0 with one funded account."""
    ledger = ledger or RecordingLedger(abort=leverage_rule)
    faults = Faults()
    node = FakeNode(chain_id=CHAIN_ID, ledger=ledger, faults=faults, long_poll=long_poll)
    runner = web.AppRunner(node.build_app(), shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        account = Account.generate()
        node.create_account(account.public_key)
        node.fund_apt(account.address, apt_octas)
        yield NodeFixture(node, ledger, faults, f"http://127.0.0.1:{port}/v1", account)
    finally:
        await runner.cleanup()
