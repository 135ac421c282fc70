"""The terminal: tables, a live view redrawn in place, and a progress bar (the only rich user).

Everything the commands show goes through these helpers so the rest of the command line never
imports rich. :func:`require_rich` turns a missing rich into a one-line :class:`UsageError`.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from kana_async._cli._errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

__all__ = [
    "Column",
    "console",
    "live_view",
    "make_table",
    "page_progress",
    "require_rich",
    "stack",
]

INSTALL_HINT = "the kana-async command line needs rich: pip install rich (kana-async's 'cli' extra)"

Column = tuple[str, str]
"""``(header, justify)`` with justify ``"left"`` or ``"right"``."""


def require_rich() -> None:
    """Check that rich, the terminal library, is installed.

    Raises:
        Exception: a ``UsageError`` with the install command when rich is not installed.
    """
    try:
        import rich  # noqa: F401
    except ImportError:
        raise UsageError(INSTALL_HINT) from None


def console(*, stderr: bool = False) -> Console:
    """A rich console; 160 columns wide when not a terminal so piped tables keep their columns.

    Args:
        stderr: write to stderr instead of stdout.

    Returns:
        The console (``COLUMNS`` in the environment sets the width).

    Raises:
        Exception: a ``UsageError`` with the install command when rich is not installed.
    """
    require_rich()
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() or "COLUMNS" in os.environ else 160
    return Console(file=stream, width=width, highlight=False, soft_wrap=False)


def make_table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    *,
    title: str | None = None,
    caption: str | None = None,
    styles: Sequence[str | None] | None = None,
) -> RenderableType:
    """A table with the given columns, one line per row.

    Args:
        columns: ``(header, "left" | "right")`` per column.
        rows: the cells, row by row, as text.
        title: a line above the table, or ``None``.
        caption: a caption below the table, or ``None``.
        styles: a rich style per row (``None`` for none), or ``None`` for no styles.

    Returns:
        A rich renderable.

    Raises:
        Exception: a ``UsageError`` with the install command when rich is not installed.
    """
    require_rich()
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(caption=caption, box=box.SIMPLE_HEAD)
    for header, justify in columns:
        table.add_column(header, justify="right" if justify == "right" else "left", no_wrap=True)
    for index, row in enumerate(rows):
        style = styles[index] if styles is not None else None
        table.add_row(*row, style=style)
    if title is None:
        return table
    return stack(Text(title, no_wrap=True, overflow="ignore"), table)


def stack(*parts: RenderableType | str) -> RenderableType:
    """Several renderables (or lines of text) one under the other.

    Args:
        *parts: rich renderables or strings.

    Returns:
        A rich group.

    Raises:
        Exception: a ``UsageError`` with the install command when rich is not installed.
    """
    require_rich()
    from rich.console import Group

    return Group(*parts)


@contextlib.contextmanager
def live_view(out: Console, first: RenderableType) -> Iterator[Callable[[RenderableType], None]]:
    """Show ``first`` and redraw it in place with each renderable passed to the yielded function.

    On a terminal the view is redrawn where it stands (the cursor is hidden meanwhile and given
    back on exit, Ctrl-C included); when stdout is not a terminal each update is printed below
    the last.

    Args:
        out: the console to draw on.
        first: what to show first.

    Returns:
        A context manager yielding ``redraw(renderable)``.

    Raises:
        ImportError: rich is not installed (check with :func:`require_rich` first).
    """
    from rich.live import Live

    if not out.is_terminal:

        def append(renderable: RenderableType) -> None:
            out.print(renderable)

        append(first)
        yield append
        return
    with Live(first, console=out, auto_refresh=False, transient=False) as live:

        def redraw(renderable: RenderableType) -> None:
            live.update(renderable, refresh=True)

        yield redraw


@contextlib.contextmanager
def page_progress(label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress line on stderr counting pages and rows; yields ``update(pages, rows)``.

    The total is unknown until the last page, so it shows a spinner and the counts. Nothing is
    drawn when stderr is not a terminal.

    Args:
        label: the text before the counts (``"history trades"``).

    Returns:
        A context manager yielding ``update(pages, rows)``.

    Raises:
        Exception: a ``UsageError`` with the install command when rich is not installed.
    """
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    err = console(stderr=True)
    columns: list[Any] = [
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.fields[pages]} pages, {task.completed:.0f} rows"),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task(label, total=None, pages=0)
        shown = [0]

        def update(pages: int, rows: int) -> None:
            bar.update(task, completed=rows, pages=pages)
            if pages != shown[0]:  # redraw at once on each new page, not only on the timer
                shown[0] = pages
                bar.refresh()

        yield update
