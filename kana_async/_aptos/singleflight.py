"""A keyed cache where concurrent misses share one fetch (module ABIs, the gas price)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

import anyio

__all__ = ["SingleFlight"]

_T = TypeVar("_T")


class _Retry(Exception):
    """The fetcher was cancelled; a waiter should fetch itself."""


class _Flight:
    """One fetch in progress: set once with its value or its error."""

    __slots__ = ("done", "error", "value")

    def __init__(self) -> None:
        self.done = anyio.Event()
        self.value: Any = None
        self.error: BaseException | None = None

    async def result(self) -> Any:
        """Wait for the fetch; its value, or raise its error (a waiter's cancellation leaves the
        fetch running for the others)."""
        await self.done.wait()
        if self.error is not None:
            raise self.error
        return self.value


class SingleFlight:
    """A keyed cache where concurrent misses share one fetch.

    A failed fetch is shared with the callers waiting for it and not cached, so the next call
    fetches again. A cancelled fetcher hands the fetch to one of its waiters.
    """

    def __init__(self) -> None:
        self._values: dict[Hashable, tuple[float | None, Any]] = {}
        self._inflight: dict[Hashable, _Flight] = {}

    def invalidate(self, key: Hashable) -> None:
        """Drop the cached value of ``key`` (the next :meth:`get` fetches).

        Args:
            key: the value's key; an unknown key is ignored.

        Never raises.
        """
        self._values.pop(key, None)

    async def get(
        self, key: Hashable, fetch: Callable[[], Awaitable[_T]], ttl: float | None = None
    ) -> _T:
        """The cached value of ``key``, or ``await fetch()`` shared by every concurrent caller.

        Args:
            key: what the value is cached under.
            fetch: makes the value on a miss; called once however many callers miss at once.
            ttl: how long the value is kept, in seconds of the event loop's clock; ``None``
                keeps it for good.

        Returns:
            The cached or fetched value.

        Raises:
            Exception: whatever ``fetch`` raised, shared with every caller waiting on that
                fetch (nothing is cached then, so the next call fetches again).
        """
        while True:
            hit = self._values.get(key)
            if hit is not None and (hit[0] is None or hit[0] > anyio.current_time()):
                value: _T = hit[1]
                return value
            shared = self._inflight.get(key)
            if shared is None:
                break
            try:
                result: _T = await shared.result()
                return result
            except _Retry:
                continue
        flight = _Flight()
        self._inflight[key] = flight
        try:
            fetched = await fetch()
        except BaseException as exc:
            del self._inflight[key]
            flight.error = exc if isinstance(exc, Exception) else _Retry()
            flight.done.set()
            raise
        del self._inflight[key]
        self._values[key] = (None if ttl is None else anyio.current_time() + ttl, fetched)
        flight.value = fetched
        flight.done.set()
        return fetched
