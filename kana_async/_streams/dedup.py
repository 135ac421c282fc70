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
from operator import attrgetter
from typing import Any, Final

__all__ = ["MEMORY", "Identity", "SeenRows", "identity_for"]

#: How many row identities a wire subscription remembers.
MEMORY: Final = 4096

_UNSEEN: Final[Any] = object()


class Identity:
    """How rows of one topic are told apart: the fields naming a row's entity, and its state.

    Args:
        fields: the fields whose values name the entity (read in C, as one tuple); none: the
            whole row is the entity.
        stateful: whether the entity's state is the whole row (state topics: a repeat is a row
            equal to the latest one delivered for its entity) or ``None`` (event topics: a
            repeat is an entity seen before).

    Attributes:
        entity: a function from a row to its hashable entity.
        stateful: as above.
    """

    __slots__ = ("entity", "stateful")

    def __init__(self, fields: tuple[str, ...], *, stateful: bool) -> None:
        self.entity: Callable[[Any], Hashable] = attrgetter(*fields) if fields else _itself
        self.stateful = stateful


def _itself(row: Any) -> Any:
    return row


_TRADE: Final = Identity(("trade_id", "order_id"), stateful=False)
_ORDER: Final = Identity(
    ("order_id", "status", "last_updated", "timestamp", "transaction_version"), stateful=False
)
_WHOLE: Final = Identity((), stateful=False)

_BY_TOPIC: Final[dict[str, Identity]] = {
    "recent_trades": _TRADE,
    "trade_history": _TRADE,
    "live_trade_history": _TRADE,
    "order_history": _ORDER,
    "live_order_history": _ORDER,
    "open_orders": Identity(("order_id",), stateful=True),
    "positions": Identity(("market_id", "trade_side", "is_long"), stateful=True),
}


def identity_for(topic: str) -> Identity:
    """How rows of ``topic`` are told apart. Never raises.

    Args:
        topic: the topic's wire name.

    Returns:
        Its :class:`Identity` (the whole row is the entity for topics not listed).
    """
    return _BY_TOPIC.get(topic, _WHOLE)


class SeenRows:
    """What one wire subscription delivered: entity -> latest state, the oldest forgotten first.

    Args:
        identity: the row identity (:func:`identity_for`).
        memory: how many identities to remember.

    Attributes:
        duplicates: rows filtered out so far.
    """

    __slots__ = ("_entity", "_memory", "_seen", "_stateful", "duplicates")

    def __init__(self, identity: Identity, memory: int = MEMORY) -> None:
        self._entity = identity.entity
        self._stateful = identity.stateful
        self._memory = memory
        # entity -> its latest state, the most recently delivered last. Event topics forget an
        # entity at the front for almost every new row once full: an OrderedDict does that in
        # O(1). State topics hold few entities, updated in place, and rarely forget one: a plain
        # dict is cheaper per row (its front may hold removed slots to skip, at most a third of
        # its table, only when it forgets)
        self._seen: dict[Hashable, Hashable] = OrderedDict() if not self._stateful else {}
        self.duplicates = 0

    def fresh(self, rows: Sequence[Any]) -> Sequence[Any]:
        """The rows not seen before, in order; they are remembered from now on. Never raises.

        Args:
            rows: one frame's decoded rows.

        Returns:
            ``rows`` itself when none was seen before, else a list of the new ones.
        """
        seen = self._seen
        pop = seen.pop
        entity_of = self._entity
        stateful = self._stateful
        keep: list[Any] | None = None
        for i, row in enumerate(rows):
            try:
                entity = entity_of(row)
                state = row if stateful else None
                last = pop(entity, _UNSEEN)  # then set again: the most recent go last, in O(1)
                seen[entity] = state
                if last is _UNSEEN:
                    repeat = False
                    if len(seen) > self._memory:
                        self._forget_oldest()
                else:
                    repeat = last == state
            except Exception:  # an unhashable or uncomparable field: never a repeat
                repeat = False
            if repeat:
                self.duplicates += 1
                if keep is None:
                    keep = list(rows[:i])
            elif keep is not None:
                keep.append(row)
        return rows if keep is None else keep

    def _forget_oldest(self) -> None:
        """Forget the entity delivered longest ago."""
        seen = self._seen
        if isinstance(seen, OrderedDict):
            seen.popitem(last=False)  # O(1)
        else:
            del seen[next(iter(seen))]
