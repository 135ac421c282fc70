"""Rows already delivered are not delivered again (after a resubscribe replays a snapshot).

On every subscribe the server sends its recent rows again (the last trades, the order history,
the current positions ...). :class:`SeenRows` remembers what a wire subscription delivered,
bounded to the most recent :data:`MEMORY` entries, and filters repeats out of later frames.

What a repeat is depends on the topic (:func:`identity_for`), as an ``(entity, state)`` pair:

* event topics (trades, order history, transfers): each row is its own entity (the trade id;
  order id + status + update time; the whole row) and a repeat is one seen before;
* state topics (positions, open orders): the entity is what the row describes (a market's long
  or short position; an order) and a repeat is a row equal to the *latest* one delivered for
  it, so a state that changes and changes back is still delivered.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Final

__all__ = ["MEMORY", "SeenRows", "identity_for"]

#: How many row identities a wire subscription remembers.
MEMORY: Final = 4096

_UNSEEN: Final[Any] = object()

#: A row's ``(entity, state)``: a repeat is a row whose entity was last seen in that state.
Identity = Callable[[Any], tuple[Hashable, Hashable]]


def _trade(row: Any) -> tuple[Hashable, Hashable]:
    return (row.trade_id, row.order_id), None


def _order(row: Any) -> tuple[Hashable, Hashable]:
    key = (row.order_id, row.status, row.last_updated, row.timestamp, row.transaction_version)
    return key, None


def _open_order(row: Any) -> tuple[Hashable, Hashable]:
    return row.order_id, row


def _position(row: Any) -> tuple[Hashable, Hashable]:
    return (row.market_id, row.trade_side, row.is_long), row


def _whole(row: Any) -> tuple[Hashable, Hashable]:
    return row, None


_BY_TOPIC: Final[dict[str, Identity]] = {
    "recent_trades": _trade,
    "trade_history": _trade,
    "live_trade_history": _trade,
    "order_history": _order,
    "live_order_history": _order,
    "open_orders": _open_order,
    "positions": _position,
}


def identity_for(topic: str) -> Identity:
    """How rows of ``topic`` are told apart. Never raises.

    Args:
        topic: the topic's wire name.

    Returns:
        A function from a row to its hashable ``(entity, state)``.
    """
    return _BY_TOPIC.get(topic, _whole)


class SeenRows:
    """What one wire subscription delivered: entity -> latest state, the oldest forgotten first.

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
        self._seen: OrderedDict[Hashable, Hashable] = OrderedDict()
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
                entity, state = identity(row)
                last = seen.get(entity, _UNSEEN)
                if last is _UNSEEN:
                    seen[entity] = state
                    if len(seen) > self._memory:
                        seen.popitem(last=False)  # O(1): the oldest entity is forgotten
                    repeat = False
                else:
                    repeat = last == state
                    seen[entity] = state
                    seen.move_to_end(entity)  # the most recent stay
            except Exception:  # an unhashable or uncomparable field: never a repeat
                if keep is not None:
                    keep.append(row)
                continue
            if repeat:
                self.duplicates += 1
                if keep is None:
                    keep = list(rows[:i])
                continue
            if keep is not None:
                keep.append(row)
        return rows if keep is None else keep
