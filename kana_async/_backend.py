"""The one place that knows which event loop runs: starting a host task outside any task group.

anyio covers everything else the SDK needs on asyncio and trio alike. What it deliberately has no
API for is a task that belongs to no task group of the caller's: the client's own task group
must outlive the task that opens the client (and be closable from another one), so it is held
open in a *host* task started here, with ``asyncio.create_task`` on asyncio (uvloop included)
and as a trio system task on trio.
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import anyio
import sniffio

__all__ = ["HostTask", "WakeUp", "current_backend", "spawn_host", "wake_up_factory"]


class HostTask:
    """A started host task: :meth:`wait` returns once it has finished."""

    def __init__(self) -> None:
        self._finished = anyio.Event()

    @property
    def done(self) -> bool:
        """Whether the host function has returned (or raised)."""
        return self._finished.is_set()

    async def wait(self) -> None:
        """Wait until the host function has returned (or raised). Never raises."""
        await self._finished.wait()

    async def _run(self, fn: Callable[[], Awaitable[Any]]) -> None:
        try:
            await fn()
        finally:
            self._finished.set()


class WakeUp(Protocol):
    """A one-shot wake-up: one task awaits :meth:`wait`, another step calls :meth:`set`.

    ``anyio.Event`` is one; :func:`wake_up_factory` picks the cheapest for the running loop.

    Args:
        *args: none are taken: the protocol itself is never instantiated.
    """

    def set(self) -> None:
        """Wake the waiting task (at most once; later calls do nothing). Never raises."""

    def wait(self) -> Awaitable[Any]:
        """What the waiting task awaits; cancellable.

        Returns:
            An awaitable that completes once :meth:`set` was called.

        Never raises (awaiting it raises the loop's cancellation when the task is cancelled).
        """
        ...


class _FutureWakeUp:
    """The asyncio wake-up: one bare future (what ``anyio.Event`` wraps, without its layers).

    Cancelling the waiting task cancels the future; a later :meth:`set` then does nothing.
    """

    __slots__ = ("_future",)

    def __init__(self) -> None:
        import asyncio

        self._future = asyncio.get_running_loop().create_future()

    def set(self) -> None:
        future = self._future
        if not future.done():
            future.set_result(None)

    def wait(self) -> Awaitable[Any]:
        return self._future


def wake_up_factory() -> Callable[[], WakeUp]:
    """How to make a one-shot wake-up on the running loop (look it up once, then call it).

    Returns:
        A bare-future wake-up on asyncio (uvloop included), ``anyio.Event`` on trio.

    Raises:
        RuntimeError: no asyncio or trio event loop runs in this thread.
    """
    return _FutureWakeUp if current_backend() == "asyncio" else anyio.Event


def current_backend() -> str:
    """The name of the async library running in this thread.

    Returns:
        ``"asyncio"`` (uvloop included) or ``"trio"``.

    Raises:
        RuntimeError: no asyncio or trio event loop runs in this thread.
    """
    try:
        library = sniffio.current_async_library()
    except sniffio.AsyncLibraryNotFoundError:
        raise RuntimeError("kana_async needs a running asyncio or trio event loop") from None
    if library not in ("asyncio", "trio"):
        raise RuntimeError(f"kana_async runs on asyncio or trio, not {library}")
    return library


def spawn_host(fn: Callable[[], Awaitable[Any]], *, name: str) -> HostTask:
    """Start ``fn()`` in a new task of the running event loop, outside the caller's task groups.

    ``fn`` must handle its own errors (one that escapes is lost on asyncio and ends the run on
    trio). The caller's context variables are copied into the new task.

    Args:
        fn: the coroutine function to run.
        name: the task's name (seen in debuggers and task dumps).

    Returns:
        The :class:`HostTask`, to wait for its end.

    Raises:
        RuntimeError: no asyncio or trio event loop runs in this thread.
    """
    host = HostTask()
    if current_backend() == "trio":
        import trio

        trio.lowlevel.spawn_system_task(
            host._run, fn, name=name, context=contextvars.copy_context()
        )
    else:
        import asyncio

        task = asyncio.get_running_loop().create_task(host._run(fn), name=name)
        _keep_alive.add(task)
        task.add_done_callback(_keep_alive.discard)
    return host


# asyncio keeps only weak references to tasks: hold the host tasks until they finish.
_keep_alive: set[Any] = set()
