"""Helpers shared by the engine tests."""

from __future__ import annotations

from collections.abc import Iterable

from kana_async.sim.engine import Exchange

#: The engine tests' fixed clock (unix seconds).
NOW = 1_700_000_000


def funded_exchange(
    wallets: Iterable[str], *, faucet: int, deposit: int, funding_interval: int = 3600
) -> Exchange:
    """An exchange at :data:`NOW`; each wallet got ``faucet`` units and deposited ``deposit``."""
    ex = Exchange(clock=lambda: NOW, funding_interval=funding_interval)
    for wallet in wallets:
        ex.faucet(wallet, faucet)
        ex.deposit(wallet, deposit)
    return ex
