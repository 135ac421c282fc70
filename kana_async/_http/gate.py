"""The in-flight limit shared by every client of one connection pool."""

from __future__ import annotations

import anyio


class _Slot:
    """``async with``: one request in flight at an :class:`InFlightGate`."""

    __slots__ = ("_gate", "_outer")

    def __init__(self, gate: InFlightGate, outer: anyio.Semaphore | None) -> None:
        self._gate = gate
        self._outer = outer

    async def __aenter__(self) -> None:
        outer = self._outer
        if outer is None:
            await self._gate._slots.acquire()
        else:
            await outer.acquire()
            try:
                await self._gate._slots.acquire()
            except BaseException:
                outer.release()
                raise
        self._gate._entered()

    async def __aexit__(self, *exc_info: object) -> None:
        self._gate._left()
        self._gate._slots.release()
        if self._outer is not None:
            self._outer.release()


class InFlightGate:
    """The most requests in flight at once on one connection pool, whoever sends them.

    One gate is shared by every client of a pool (the REST :class:`HttpClient` and the Aptos
    node client of a :class:`~kana_async.KanaClient`). Keep ``limit`` at or below the pool's
    connection count: then no request ever waits inside httpcore, whose pool rescans every
    connection for every waiting request and, when it is full, closes an idle connection to one
    host to open one to another (a new TCP, on a real network TLS, connection per request).

    Long polls (``wait_by_hash``) go through :meth:`long_poll`, which admits at most
    ``long_poll_limit`` (default: half of ``limit``, at least one) of them at once, so that
    waiting for transactions never takes every slot from submissions and REST calls.

    Args:
        limit: the most requests in flight at once, at least 1.
        long_poll_limit: the most long polls at once, between 1 and ``limit``; ``None`` for
            half of ``limit`` (at least one).

    Attributes:
        limit: as above.
        long_poll_limit: the value in use.
        in_flight: requests inside the gate now (statistics, tests).
        peak: the highest ``in_flight`` has been.

    Raises:
        ValueError: ``limit`` is not an ``int`` of at least 1, or ``long_poll_limit`` is out of
            range.
    """

    def __init__(self, limit: int, *, long_poll_limit: int | None = None) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError("the in-flight limit must be an int of at least 1")
        long_limit = max(1, limit // 2) if long_poll_limit is None else long_poll_limit
        if not 1 <= long_limit <= limit:
            raise ValueError("long_poll_limit must be between 1 and the in-flight limit")
        self.limit = limit
        self.long_poll_limit = long_limit
        self.in_flight = 0
        self.peak = 0
        self._slots = anyio.Semaphore(limit)
        self._long = anyio.Semaphore(long_limit)
        self._slot = _Slot(self, None)
        self._long_slot = _Slot(self, self._long)

    def __repr__(self) -> str:
        return f"<InFlightGate {self.in_flight}/{self.limit} in flight>"

    def slot(self) -> _Slot:
        """``async with gate.slot():`` around one request; waits for a free slot. Never raises.

        Returns:
            The async context manager holding one slot while inside.
        """
        return self._slot

    def long_poll(self) -> _Slot:
        """``async with gate.long_poll():`` around one long poll (fewer of them at once).

        Never raises.

        Returns:
            The async context manager holding a long-poll slot and a request slot while inside.
        """
        return self._long_slot

    def _entered(self) -> None:
        self.in_flight += 1
        if self.in_flight > self.peak:
            self.peak = self.in_flight

    def _left(self) -> None:
        self.in_flight -= 1
