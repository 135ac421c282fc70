"""Work the client owns, outliving the calls that started it: one anyio task group per client.

:class:`BackgroundTasks` keeps an anyio task group open in a host task of its own (started by
:func:`kana_async._backend.spawn_host`, on asyncio or trio), so work handed to it (resolving a
submitted transaction whose caller was cancelled, say) is not cancelled with the task that
started it and does not depend on which task opens or closes the client. Functions given to
:meth:`BackgroundTasks.spawn` should handle their own errors: one that raises is logged, handed
to its ``on_error`` callback (to reach the callers it concerns) and dropped, never allowed to
cancel the others.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio

from kana_async._backend import HostTask, spawn_host
from kana_async._exceptions import ClientStateError

if TYPE_CHECKING:
    from anyio.abc import TaskGroup

__all__ = ["BackgroundTasks", "ErrorHandler"]

log = logging.getLogger("kana_async")

#: Called with the exception a background function raised (after it was logged).
ErrorHandler = Callable[[Exception], object]


class BackgroundTasks:
    """An anyio task group held open in its own host task until :meth:`aclose`.

    :meth:`start` is idempotent; :meth:`spawn` runs a function in the group; :meth:`aclose`
    cancels whatever still runs and waits for it to finish. Reusable after :meth:`aclose`.

    Args:
        name: the name of the host task (shown in the backend's task listings and in logs).
    """

    def __init__(self, name: str = "kana_async background") -> None:
        self._name = name
        self._group: TaskGroup | None = None
        self._host: HostTask | None = None
        self._stop: anyio.Event | None = None
        self._running = 0
        self._failure: Exception | None = None

    @property
    def running(self) -> int:
        """How many spawned functions have not finished yet."""
        return self._running

    @property
    def started(self) -> bool:
        """Whether the group is open (between :meth:`start` and :meth:`aclose`)."""
        return self._group is not None

    @property
    def task_group(self) -> TaskGroup:
        """The anyio task group itself, for components that start their own tasks in it.

        Tasks started with ``task_group.start_soon`` are cancelled by :meth:`aclose` like the
        rest, but are not guarded: one that raises cancels the whole group, so they must
        handle their own errors (:meth:`spawn` does that for you).

        Raises:
            ClientStateError: the group is not open.
        """
        group = self._group
        if group is None:
            if self._failure is not None:
                raise ClientStateError(
                    "the client's background task group ended after a task started in it "
                    f"directly failed: {self._failure!r}"
                )
            raise ClientStateError("background tasks are not running (is the client open?)")
        return group

    async def start(self) -> None:
        """Open the task group (in a new host task) unless it is open already.

        The host task belongs to the running event loop, not to the caller: cancelling the
        caller later does not close the group.

        Raises:
            RuntimeError: no asyncio or trio event loop runs in this thread.
        """
        if self._host is not None and not self._host.done:
            return
        ready = anyio.Event()
        stop = self._stop = anyio.Event()
        self._failure = None

        async def hold() -> None:
            try:
                async with anyio.create_task_group() as group:
                    self._group = group
                    ready.set()
                    await stop.wait()
                    group.cancel_scope.cancel()
            except Exception as exc:  # only unguarded tasks of task_group can get here
                self._failure = exc
                log.exception("the client's background task group failed")
            finally:
                self._group = None
                ready.set()

        self._host = spawn_host(hold, name=self._name)
        await ready.wait()

    def spawn(
        self,
        fn: Callable[..., Awaitable[Any]],
        *args: Any,
        name: str,
        on_error: ErrorHandler | None = None,
    ) -> None:
        """Run ``fn(*args)`` in the group, soon (this does not wait for it).

        An exception ``fn`` raises is logged with its traceback, handed to ``on_error`` and
        dropped; the other functions in the group go on.

        Args:
            fn: the coroutine function.
            *args: its positional arguments.
            name: the task's name (in logs).
            on_error: called with the exception if ``fn`` raises one (after it is logged),
                to tell whoever waits for the work; ``None`` to only log it.

        Raises:
            ClientStateError: the group is not open (:meth:`start` was not awaited, or
                :meth:`aclose` was).
        """
        group = self.task_group
        group.start_soon(self._guard, fn, args, name, on_error, name=name)

    async def _guard(
        self,
        fn: Callable[..., Awaitable[Any]],
        args: tuple[Any, ...],
        name: str,
        on_error: ErrorHandler | None,
    ) -> None:
        self._running += 1
        try:
            await fn(*args)
        except Exception as exc:
            log.exception("background task %r (%s) failed", name, fn)
            if on_error is not None:
                try:
                    on_error(exc)
                except Exception:
                    log.exception("the error handler of background task %r failed", name)
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
            await host.wait()
