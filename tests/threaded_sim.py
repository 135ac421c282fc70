"""A :class:`~kana_async.sim.Simulator` on its own asyncio loop in a background thread.

The simulator is an aiohttp (asyncio) server; a test running on trio (or on any loop) talks to
it over 127.0.0.1 like to any remote venue. :meth:`ThreadedSimulator.call` runs a plain function
on the simulator's loop (to fund accounts or set faults without racing its tasks).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from kana_async.sim import Simulator

__all__ = ["ThreadedSimulator", "threaded_simulator"]

T = TypeVar("T")
HANG = 60.0  # seconds: only there to turn a hang into a failure


class ThreadedSimulator:
    """A running simulator and the loop it runs on (see :func:`threaded_simulator`)."""

    def __init__(self, sim: Simulator, loop: asyncio.AbstractEventLoop) -> None:
        self.sim = sim
        self.loop = loop

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` run on the simulator's loop; its result (or its exception)."""
        done: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                done.set_result(fn(*args))
            except BaseException as exc:
                done.set_exception(exc)

        self.loop.call_soon_threadsafe(run)
        return done.result(HANG)


@contextmanager
def threaded_simulator(**kwargs: Any) -> Iterator[ThreadedSimulator]:
    """Start ``Simulator(**kwargs)`` in a new thread; stop it (and the thread) on exit."""
    started: concurrent.futures.Future[ThreadedSimulator] = concurrent.futures.Future()
    stop: list[asyncio.Event] = []

    async def main() -> None:
        try:
            async with Simulator(**kwargs) as sim:
                event = asyncio.Event()
                stop.append(event)
                started.set_result(ThreadedSimulator(sim, asyncio.get_running_loop()))
                await event.wait()
        except BaseException as exc:
            if not started.done():
                started.set_exception(exc)
            raise

    thread = threading.Thread(target=asyncio.run, args=(main(),), name="simulator")
    thread.start()
    try:
        running = started.result(HANG)
    except BaseException:
        thread.join(HANG)
        raise
    try:
        yield running
    finally:
        running.loop.call_soon_threadsafe(stop[0].set)
        thread.join(HANG)
