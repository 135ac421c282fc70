"""Timing and table helpers shared by the benchmark scripts (not part of the SDK).

* :func:`timed` runs a callable once and returns its result with wall and process-CPU seconds;
* :func:`rotated` gives each round a different client order, so no client always runs first;
* :func:`markdown_table` prints aligned Markdown tables (numbers right-aligned);
* :func:`machine` describes the machine the numbers came from;
* :class:`Result` is one section of ``RESULTS.md``; :func:`paired_ratios` and
  :func:`ratio_cell` give the per-round ratios its headlines quote;
* :class:`SectionFailed`, :func:`deadline`, :func:`run_bounded` and :func:`receive` bound every
  wait: a client that stalls fails its section with a message instead of hanging the run.
"""

from __future__ import annotations

import asyncio
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, TypeVar

__all__ = [
    "Result",
    "Sample",
    "SectionFailed",
    "deadline",
    "machine",
    "markdown_table",
    "median",
    "notes_table",
    "paired_ratios",
    "ratio_cell",
    "receive",
    "rotated",
    "run_bounded",
    "spread",
    "timed",
]

T = TypeVar("T")


class SectionFailed(Exception):
    """A section could not be measured: a client missed items, a wait ran out, a server died."""


def deadline(units: int, per_second: float, base: float = 30.0) -> float:
    """Seconds to allow for ``units`` of work at no less than ``per_second`` (plus ``base``).

    The floors used are tens of times below what every client reaches on a loaded machine, so
    a run only reaches its deadline when it is stuck.
    """
    return base + units / per_second


def run_bounded(coro: Coroutine[Any, Any, T], seconds: float, what: str) -> T:
    """``asyncio.run(coro)``, cancelled after ``seconds``.

    Raises:
        SectionFailed: ``coro`` did not finish in time.
    """

    async def bounded() -> T:
        try:
            return await asyncio.wait_for(coro, seconds)
        except TimeoutError:
            raise SectionFailed(f"{what}: not done after {seconds:.0f} s (stuck?)") from None

    return asyncio.run(bounded())


def receive(pipe: Connection, seconds: float, what: str) -> Any:
    """The next object from ``pipe``, waiting at most ``seconds``.

    Raises:
        SectionFailed: nothing came in time, or the other end closed the pipe.
    """
    try:
        ready = pipe.poll(seconds)
        if ready:
            return pipe.recv()
    except (EOFError, OSError) as exc:
        raise SectionFailed(f"{what}: the other process is gone ({exc!r})") from None
    raise SectionFailed(f"{what}: nothing after {seconds:.0f} s")


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


def paired_ratios(ours: Sequence[float], base: Sequence[float]) -> list[float]:
    """``ours[i] / base[i]`` for each round ``i`` (both measured in the same round)."""
    return [a / b for a, b in zip(ours, base, strict=True) if b]


def ratio_cell(ratios: Sequence[float], unit: str = "x") -> str:
    """``1.23x (1.10-1.31)``: the median of per-round ratios and their min-max."""
    if not ratios:
        return "-"
    return f"{median(ratios):.2f}{unit} ({min(ratios):.2f}-{max(ratios):.2f})"


def _unit(label: str) -> str:
    return " MB" if label.endswith(", MB") else "x"


@dataclass
class Result:
    """One section of ``RESULTS.md``: a table and the headline ratios under it.

    ``ratios`` holds (label, per-round ratios, target); a target is ``""`` or a bound such as
    ``">= 0.85"`` / ``"<= 1.2"`` that the median must meet. ``notes`` holds, by ratio label,
    table cells by column that bound the ratio (what the libraries allow at best, from the
    same run); the targets table repeats them for every target that was not met.
    """

    title: str
    description: str
    headers: list[str]
    rows: list[list[str]]
    ratios: list[tuple[str, list[float], str]]
    notes: dict[str, dict[str, str]] = field(default_factory=dict)

    def verdicts(self) -> list[tuple[str, str, str, str]]:
        """(label, value, target, met) of every ratio that has a target."""
        out = []
        for label, values, target in self.ratios:
            if target:
                out.append((label, ratio_cell(values, _unit(label)), target, _met(values, target)))
        return out

    def unmet_notes(self) -> list[tuple[str, dict[str, str]]]:
        """(label, notes) of every targeted ratio that missed its target and has notes."""
        return [
            (label, self.notes[label])
            for label, values, target in self.ratios
            if target and label in self.notes and _met(values, target) != "yes"
        ]

    def markdown(self) -> str:
        """The section as Markdown."""
        parts = [f"## {self.title}", "", self.description, ""]
        if self.rows:
            parts += [markdown_table(self.headers, self.rows), ""]
        if self.ratios:
            parts += [
                "| ratio | median of per-round ratios (min-max) | target | met |",
                "|---|---:|---:|:---:|",
            ]
            for label, values, target in self.ratios:
                met = _met(values, target) if target else ""
                cell = ratio_cell(values, _unit(label))
                parts.append(f"| {label} | {cell} | {target} | {met} |")
            parts.append("")
        if self.notes:
            parts += [
                "What the socket libraries allow for each targeted ratio (same rounds):",
                "",
                notes_table(list(self.notes.items())),
                "",
            ]
        return "\n".join(parts)


def notes_table(notes: Sequence[tuple[str, dict[str, str]]]) -> str:
    """A Markdown table of (ratio label, cells by column); columns in first-seen order."""
    columns: list[str] = []
    for _, cells in notes:
        columns += [c for c in cells if c not in columns]
    lines = [
        "| ratio | " + " | ".join(columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for label, cells in notes:
        lines.append(f"| {label} | " + " | ".join(cells.get(c, "-") for c in columns) + " |")
    return "\n".join(lines)


def _met(values: Sequence[float], target: str) -> str:
    if not values:
        return "?"
    op, bound = target.split()
    value = median(values)
    ok = value >= float(bound) if op == ">=" else value <= float(bound)
    return "yes" if ok else "**no**"
