"""The one place that adapts to the running event loop (asyncio or trio).

Everything else in the stream package uses anyio. What anyio cannot express is a task that
outlives the call that starts it when no task group was handed in: the stream manager then hosts
its own task group in a detached task, started here (an asyncio task, or a trio system task).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import sniffio

__all__ = ["backend_name", "spawn_detached"]

# Strong references to the detached asyncio tasks, so the loop cannot collect them mid-run.
_asyncio_tasks: set[Any] = set()


def backend_name() -> str:
    """The name of the running async library.

    Returns:
        ``"asyncio"`` or ``"trio"``.

    Raises:
        RuntimeError: no supported event loop is running in this thread.
    """
    try:
        name = sniffio.current_async_library()
    except sniffio.AsyncLibraryNotFoundError:
        raise RuntimeError("kana_async streams need a running asyncio or trio event loop") from None
    if name not in ("asyncio", "trio"):
        raise RuntimeError(f"kana_async streams run on asyncio or trio, not {name}")
    return name


def spawn_detached(fn: Callable[[], Awaitable[None]], name: str) -> None:
    """Run ``fn()`` in a new task that belongs to no task group.

    ``fn`` must catch its own errors (on trio an escaping exception ends the whole run); it is
    cancelled when the event loop shuts down.

    Args:
        fn: the coroutine function to run.
        name: the task's name, for debuggers and logs.

    Raises:
        RuntimeError: no supported event loop is running in this thread.
    """
    if backend_name() == "trio":
        import trio

        async def run() -> None:
            await fn()

        trio.lowlevel.spawn_system_task(run, name=name)
        return
    import asyncio

    async def run_asyncio() -> None:
        await fn()

    task = asyncio.get_running_loop().create_task(run_asyncio(), name=name)
    _asyncio_tasks.add(task)
    task.add_done_callback(_asyncio_tasks.discard)
