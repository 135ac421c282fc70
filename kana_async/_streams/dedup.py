"""Rows already delivered are not delivered again (after a resubscribe replays a snapshot).

On every subscribe the server sends its recent rows again (the last trades, the order history
...). :class:`SeenRows` remembers the identity of the rows a wire subscription delivered,
bounded to the most recent :data:`MEMORY` identities, and filters repeats out of later frames.
The identity of a row is per topic (:func:`identity_for`): the trade id for trades, order id +
status + update time for order rows, and the whole row for the others.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any, Final

__all__ = ["MEMORY", "SeenRows", "identity_for"]

#: How many row identities a wire subscription remembers.
MEMORY: Final = 4096

Identity = Callable[[Any], Hashable]


def _trade(row: Any) -> Hashable:
    return (row.trade_id, row.order_id)


def _order(row: Any) -> Hashable:
    return (row.order_id, row.status, row.last_updated, row.timestamp, row.transaction_version)


def _open_order(row: Any) -> Hashable:
    return (row.order_id, row.remaining_size, row.last_updated, row.transaction_version)


def _whole(row: Any) -> Hashable:
    return row  # type: ignore[no-any-return]


_BY_TOPIC: Final[dict[str, Identity]] = {
    "recent_trades": _trade,
    "trade_history": _trade,
    "live_trade_history": _trade,
    "order_history": _order,
    "live_order_history": _order,
    "open_orders": _open_order,
}


def identity_for(topic: str) -> Identity:
    """How rows of ``topic`` are told apart. Never raises.

    Args:
        topic: the topic's wire name.

    Returns:
        A function from a row to a hashable identity.
    """
    return _BY_TOPIC.get(topic, _whole)


class SeenRows:
    """The identities of the rows one wire subscription delivered, most recent first out last.

    Args:
        identity: the row identity function (:func:`identity_for`).
        memory: how many identities to remember.

    Attributes:
        duplicates: rows filtered out so far.
    """

    __slots__ = ("_identity", "_memory", "_seen", "duplicates")

    def __init__(self, identity: Identity, memory: int = MEMORY) -> None:
        self._identity = identity
        self._memory = memory
        self._seen: dict[Hashable, None] = {}
        self.duplicates = 0

    def fresh(self, rows: Sequence[Any]) -> Sequence[Any]:
        """The rows not seen before, in order; they are remembered from now on. Never raises.

        Args:
            rows: one frame's decoded rows.

        Returns:
            ``rows`` itself when none was seen before, else a list of the new ones.
        """
        seen = self._seen
        identity = self._identity
        keep: list[Any] | None = None
        for i, row in enumerate(rows):
            try:
                key = identity(row)
                hash(key)
            except Exception:  # an unhashable field: never treated as a duplicate
                if keep is not None:
                    keep.append(row)
                continue
            if key in seen:
                self.duplicates += 1
                if keep is None:
                    keep = list(rows[:i])
                continue
            seen[key] = None
            if len(seen) > self._memory:
                del seen[next(iter(seen))]
            if keep is not None:
                keep.append(row)
        return rows if keep is None else keep
