"""kana_async.sim: a local Kana Perps exchange (REST, WebSocket, fake Aptos node) on 127.0.0.1.

::

    from kana_async.sim import Simulator

    async with Simulator(seed=1) as sim:
        account = sim.new_account()          # funded with APT (gas) and USDT
        network = sim.network                # hand this to KanaClient
        sim.faults.rest_429 = 2              # switch faults on while it runs

Standalone: ``python -m kana_async.sim --port 8080``. The names below are imported lazily, so
importing a submodule (e.g. ``kana_async.sim.contract``) does not start pulling in aiohttp.

Layout::

    server.py        Simulator: serves everything below on 127.0.0.1, hands out accounts
    engine/          the exchange: order books, matching, positions, risk, funding (pure)
    markets.py       market parameters and exact unit conversions
    maker.py         the seeded house market maker; liquidity.py drives it (+ firehose)
    wire/            engine records <-> JSON rows (format, rows, request parsing)
    rest/            the REST API (app, read endpoints, payload endpoints, parameters)
    ws/              the websocket hub (connections, topics, hub)
    node/            the fake Aptos fullnode (app, state, mempool, gas, BCS decoding, ...)
    dispatch.py      entry-function calls from the node -> engine
    chain_events.py  engine events -> Kana's on-chain events; delegation.py: delegate keys
    contract.py      entry functions, Move types, abort codes; faults.py, accounts.py
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kana_async.sim.accounts import FundedAccount
    from kana_async.sim.faults import Faults
    from kana_async.sim.server import SIM_CHAIN_ID, Simulator

__all__ = ["SIM_CHAIN_ID", "Faults", "FundedAccount", "Simulator"]

_LAZY = {
    "SIM_CHAIN_ID": "kana_async.sim.server",
    "Simulator": "kana_async.sim.server",
    "FundedAccount": "kana_async.sim.accounts",
    "Faults": "kana_async.sim.faults",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kana_async.sim' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
