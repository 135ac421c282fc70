"""Timing and table helpers shared by the benchmark scripts (not part of the SDK).

* :func:`timed` runs a callable once and returns its result with wall and process-CPU seconds;
* :func:`rotated` gives each round a different client order, so no client always runs first;
* :func:`markdown_table` prints aligned Markdown tables (numbers right-aligned);
* :func:`machine` describes the machine the numbers came from.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["Sample", "machine", "markdown_table", "median", "rotated", "spread", "timed"]

T = TypeVar("T")


@dataclass(frozen=True)
class Sample:
    """One timed run: wall-clock seconds and this process's CPU seconds (all threads)."""

    wall: float
    cpu: float


def timed(fn: Callable[[], T]) -> tuple[T, Sample]:
    """Call ``fn()`` once; its result and how long it took."""
    cpu0, wall0 = time.process_time(), time.perf_counter()
    result = fn()
    return result, Sample(time.perf_counter() - wall0, time.process_time() - cpu0)


def rotated(names: Sequence[str], round_: int) -> list[str]:
    """``names`` rotated by ``round_`` places (round 0: as given)."""
    if not names:
        return []
    k = round_ % len(names)
    return [*names[k:], *names[:k]]


def median(values: Sequence[float]) -> float:
    """The median of a non-empty sequence."""
    return float(statistics.median(values))


def spread(values: Sequence[float], digits: int = 3) -> str:
    """``min-max`` of ``values``, formatted."""
    return f"{min(values):.{digits}f}-{max(values):.{digits}f}"


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table; the first column is left-aligned, the others right-aligned."""
    widths = [len(h) for h in headers]
    for row in rows:
        if len(row) != len(headers):
            raise ValueError(f"row has {len(row)} cells, the table {len(headers)} columns")
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(parts) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ("-" if i == 0 else ":")) for i, w in enumerate(widths))
    return "\n".join([line(headers), rule + "|", *(line(r) for r in rows)])


def machine() -> str:
    """Cores, Python and platform, for the header of a result."""
    return (
        f"{os.cpu_count()} cores, Python {platform.python_version()} "
        f"({sys.implementation.name}), {platform.platform()}"
    )
