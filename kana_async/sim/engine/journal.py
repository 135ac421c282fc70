"""An undo journal: every engine mutation is recorded first, so a failed transaction rolls back.

Entry functions (and batches of them) are atomic: the engine snapshots each object, dict key or list
the first time a transaction touches it, and :meth:`Journal.rollback` restores them all when a
:class:`~kana_async.sim.contract.MoveAbort` escapes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Journal"]

_MISSING = object()


class Journal:
    """Per-transaction undo log. Snapshots are taken once per object / key / list."""

    __slots__ = ("_seen", "_undo")

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []
        self._seen: set[tuple[int, Any]] = set()

    def obj(self, target: Any) -> None:
        """Snapshot the slot values of ``target`` (a ``slots=True`` dataclass instance)."""
        marker = (id(target), "#obj")
        if marker in self._seen:
            return
        self._seen.add(marker)
        values = {name: getattr(target, name) for name in target.__slots__}

        def undo() -> None:
            for name, value in values.items():
                setattr(target, name, value)

        self._undo.append(undo)

    def key(self, mapping: dict[Any, Any], key: Any) -> None:
        """Snapshot ``mapping[key]`` (or its absence)."""
        marker = (id(mapping), key)
        if marker in self._seen:
            return
        self._seen.add(marker)
        old = mapping.get(key, _MISSING)

        def undo() -> None:
            if old is _MISSING:
                mapping.pop(key, None)
            else:
                mapping[key] = old

        self._undo.append(undo)

    def seq(self, items: list[Any]) -> None:
        """Snapshot the whole content of a (small) list."""
        marker = (id(items), "#seq")
        if marker in self._seen:
            return
        self._seen.add(marker)
        old = list(items)

        def undo() -> None:
            items[:] = old

        self._undo.append(undo)

    def tail(self, items: list[Any]) -> None:
        """Snapshot the length of an append-only list (history)."""
        marker = (id(items), "#tail")
        if marker in self._seen:
            return
        self._seen.add(marker)
        length = len(items)

        def undo() -> None:
            del items[length:]

        self._undo.append(undo)

    def rollback(self) -> None:
        """Undo every recorded change, newest first, and start afresh."""
        for undo in reversed(self._undo):
            undo()
        self.clear()

    def clear(self) -> None:
        """Forget every snapshot (the transaction committed)."""
        self._undo.clear()
        self._seen.clear()
