"""Work the client owns, outliving the calls that started it: one anyio task group per client.

:class:`BackgroundTasks` keeps an anyio task group open in a host task of its own, so work handed
to it (resolving a submitted transaction whose caller was cancelled, say) is not cancelled with
the task that started it and does not depend on which task opens or closes the client.
Functions given to :meth:`BackgroundTasks.spawn` must handle their own errors: one that raises
is logged and dropped, never allowed to cancel the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from anyio.abc import TaskGroup

from kana_async._exceptions import ClientStateError

__all__ = ["BackgroundTasks"]

log = logging.getLogger("kana_async")


class BackgroundTasks:
    """An anyio task group held open in its own host task until :meth:`aclose`.

    :meth:`start` is idempotent; :meth:`spawn` runs a function in the group; :meth:`aclose`
    cancels whatever still runs and waits for it to finish. Reusable after :meth:`aclose`.

    Args:
        name: the name of the host task (shown by ``asyncio.all_tasks()`` and in logs).
    """

    def __init__(self, name: str = "kana_async background") -> None:
        self._name = name
        self._group: TaskGroup | None = None
        self._host: asyncio.Task[None] | None = None
        self._stop: asyncio.Event | None = None
        self._running = 0

    @property
    def running(self) -> int:
        """How many spawned functions have not finished yet."""
        return self._running

    @property
    def started(self) -> bool:
        """Whether the group is open (between :meth:`start` and :meth:`aclose`)."""
        return self._group is not None

    async def start(self) -> None:
        """Open the task group (in a new host task) unless it is open already.

        The host task belongs to the running event loop, not to the caller: cancelling the
        caller later does not close the group.

        Never raises.
        """
        if self._host is not None and not self._host.done():
            return
        ready = asyncio.Event()
        self._stop = asyncio.Event()
        self._host = asyncio.create_task(self._hold(ready, self._stop), name=self._name)
        await ready.wait()

    async def _hold(self, ready: asyncio.Event, stop: asyncio.Event) -> None:
        try:
            async with anyio.create_task_group() as group:
                self._group = group
                ready.set()
                await stop.wait()
                group.cancel_scope.cancel()
        finally:
            self._group = None
            ready.set()

    def spawn(self, fn: Callable[..., Awaitable[Any]], *args: Any, name: str) -> None:
        """Run ``fn(*args)`` in the group, soon (this does not wait for it).

        An exception ``fn`` raises is logged with its traceback and dropped; the other
        functions in the group go on.

        Args:
            fn: the coroutine function.
            *args: its positional arguments.
            name: the task's name.

        Raises:
            ClientStateError: the group is not open (:meth:`start` was not awaited, or
                :meth:`aclose` was).
        """
        group = self._group
        if group is None:
            raise ClientStateError("background tasks are not running (is the client open?)")
        group.start_soon(self._guard, fn, args, name=name)

    async def _guard(self, fn: Callable[..., Awaitable[Any]], args: tuple[Any, ...]) -> None:
        self._running += 1
        try:
            await fn(*args)
        except Exception:
            log.exception("background task %r failed", fn)
        finally:
            self._running -= 1

    async def aclose(self) -> None:
        """Cancel what still runs and close the group, waiting for the cancellations to land.

        Shielded: cancelling the caller does not cut the wait short. Does nothing when the
        group is not open.

        Never raises.
        """
        host, stop = self._host, self._stop
        self._host = None
        if host is None or stop is None:
            return
        stop.set()
        with anyio.CancelScope(shield=True):
            await asyncio.wait({host})
