"""Test-only wrappers around the simulator's fake node (no tests here).

Until the simulator's node can restart, lose submissions and emit Kana's events by itself, these
helpers do it from the outside, on the real node served over loopback:

* :func:`lose_mempool` forgets every pending transaction of an account, as a node that restarts
  does (the transactions are gone; nothing executed);
* :class:`Swallow` answers chosen submissions with 202 but never keeps them (a submission lost
  between the node's front end and its mempool);
* :func:`emit_order_events` adds Kana-shaped ``perpetual_core`` events to every committed
  transaction, built from the exchange's order records.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kana_async.sim.engine.records import OrderRecord
from kana_async.sim.node.transactions import Transaction
from kana_async.sim.server import Simulator

__all__ = ["Swallow", "emit_order_events", "lose_mempool"]


def lose_mempool(sim: Simulator, address: str) -> list[str]:
    """Forget ``address``'s pending transactions (a node restart); their hashes."""
    state = sim.node.state
    held = state.held.get(address.lower(), {})
    lost = [tx.hash for tx in held.values()]
    held.clear()
    for tx_hash in lost:
        state.by_hash.pop(tx_hash, None)
    return lost


class Swallow:
    """Replaces the node's ``submit``: submissions ``lose(tx)`` picks are answered but dropped."""

    def __init__(self, sim: Simulator, lose: Callable[[Transaction], bool]) -> None:
        self.state = sim.node.state
        self.real = self.state.submit
        self.lose = lose
        self.swallowed: list[str] = []
        self.state.submit = self._submit  # type: ignore[method-assign]

    def _submit(self, data: bytes) -> Transaction:
        tx = self.state.decode(data)
        if self.lose(tx):
            self.state.check(tx)
            self.swallowed.append(tx.hash)
            return tx  # the 202 answer, but the node keeps nothing
        return self.real(data)

    def restore(self) -> None:
        """Put the node's own ``submit`` back."""
        self.state.submit = self.real  # type: ignore[method-assign]


def emit_order_events(sim: Simulator) -> None:
    """Give every committed transaction Kana's PlaceOrderEvent / CancelOrderEvent records."""
    package = _package(sim)
    seen: dict[int, str] = {}  # order id -> status last reported

    def listener(tx: Transaction) -> None:
        if not tx.success:
            return
        events: list[dict[str, Any]] = []
        for record in sim.exchange.order_history(tx.sender):
            before = seen.get(record.order_id)
            now = str(getattr(record.status, "name", record.status)).upper()
            if before is None:
                events.append(_event(package, "PlaceOrderEvent", _placed(record)))
            if now == "CANCELLED" and before != "CANCELLED":
                events.append(_event(package, "CancelOrderEvent", _cancelled(record)))
            seen[record.order_id] = now
        tx.events = events

    sim.node.state.listeners.insert(0, listener)


def _package(sim: Simulator) -> str:
    from kana_async.sim import contract

    return contract.KANA_PACKAGE


def _event(package: str, name: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "guid": {"creation_number": "0", "account_address": "0x0"},
        "sequence_number": "0",
        "type": f"{package}::perpetual_core::{name}",
        "data": {"__variant__": "V1", **data},
    }


def _common(record: OrderRecord) -> dict[str, Any]:
    return {
        "market_id": str(record.market_id),
        "order_id": str(record.order_id),
        "order_type": record.order_type,
        "trade_side": record.trade_side,
        "profile_address": record.address,
        "timestamp": str(record.timestamp),
    }


def _placed(record: OrderRecord) -> dict[str, Any]:
    return {
        **_common(record),
        "direction": record.direction,
        "size": str(record.total_size),
        "price": "0" if record.is_market_order else str(record.price),
        "leverage": str(record.leverage),
        "restriction": record.restriction,
    }


def _cancelled(record: OrderRecord) -> dict[str, Any]:
    return _common(record)
