"""The fake node's mempool: accepted transactions that have not executed yet, per account.

Aptos' rules for sequence-numbered transactions:

* at most :data:`CAPACITY_PER_ACCOUNT` of an account's transactions wait at once; one more is
  refused with HTTP 507 ``mempool_is_full``;
* a sequence number :data:`MAX_AHEAD` or more past the account's is refused
  (``SEQUENCE_NUMBER_TOO_NEW``);
* a transaction whose expiration time passes while it waits is dropped and forgotten, and so is
  one that has waited :data:`SYSTEM_TTL` seconds whatever its expiration time;
* transactions execute strictly in sequence order: a number waits until every number before it
  has executed.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Final

from .transactions import NodeError, Transaction

__all__ = ["CAPACITY_PER_ACCOUNT", "MAX_AHEAD", "SYSTEM_TTL", "Mempool", "mempool_full"]

#: Sequence-numbered transactions one account may have waiting.
CAPACITY_PER_ACCOUNT: Final = 100
#: How far past the account's sequence number a transaction may be.
MAX_AHEAD: Final = 100
#: Seconds a transaction may wait in the mempool at most (Aptos' system TTL).
SYSTEM_TTL: Final = 600.0


def mempool_full(count: int) -> NodeError:
    """The node's 507 answer when an account already has ``count`` waiting transactions."""
    return NodeError(
        507,
        "Mempool over capacity for account. Number of seq number transactions from account: "
        f"{count} Capacity per account: {CAPACITY_PER_ACCOUNT}",
        "mempool_is_full",
    )


class Mempool:
    """Waiting transactions by sender and sequence number, remembering their arrival order."""

    def __init__(self) -> None:
        self._by_sender: dict[str, dict[int, Transaction]] = {}
        self._arrival: dict[str, int] = {}
        self._since: dict[str, float] = {}
        self._counter = itertools.count()

    def __len__(self) -> int:
        return sum(len(held) for held in self._by_sender.values())

    def get(self, sender: str, sequence_number: int) -> Transaction | None:
        """The waiting transaction of ``sender`` under ``sequence_number``."""
        return self._by_sender.get(sender, {}).get(sequence_number)

    def count(self, sender: str) -> int:
        """How many of ``sender``'s transactions wait."""
        return len(self._by_sender.get(sender, {}))

    def add(self, tx: Transaction, now: float) -> None:
        """Keep ``tx`` (arriving at unix time ``now``) until it executes, expires or the mempool
        is cleared."""
        self._by_sender.setdefault(tx.sender, {})[tx.sequence_number] = tx
        self._arrival[tx.hash] = next(self._counter)
        self._since[tx.hash] = now

    def pop(self, sender: str, sequence_number: int) -> Transaction | None:
        """Take out ``sender``'s transaction under ``sequence_number`` (``None`` if absent)."""
        held = self._by_sender.get(sender)
        if held is None:
            return None
        tx = held.pop(sequence_number, None)
        if not held:
            del self._by_sender[sender]
        if tx is not None:
            self._arrival.pop(tx.hash, None)
            self._since.pop(tx.hash, None)
        return tx

    def arrival(self, tx: Transaction) -> int:
        """The order in which ``tx`` arrived (smaller: earlier)."""
        return self._arrival.get(tx.hash, -1)

    def senders(self) -> list[str]:
        """Accounts with waiting transactions."""
        return list(self._by_sender)

    def expired(self, now: float) -> list[Transaction]:
        """Remove and return every transaction whose expiration time is ``now`` or earlier, or
        that has waited :data:`SYSTEM_TTL` seconds."""
        gone = [
            tx
            for tx in self
            if tx.expiration_timestamp_secs <= now
            or self._since.get(tx.hash, now) + SYSTEM_TTL <= now
        ]
        for tx in gone:
            self.pop(tx.sender, tx.sequence_number)
        return gone

    def clear(self) -> list[Transaction]:
        """Forget every waiting transaction (a node restart); returns them."""
        gone = list(self)
        self._by_sender.clear()
        self._arrival.clear()
        self._since.clear()
        return gone

    def __iter__(self) -> Iterator[Transaction]:
        for held in list(self._by_sender.values()):
            yield from list(held.values())
