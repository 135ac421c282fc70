"""Sequence numbers for one account: unique, gap-filling, resynchronising, capped.

See :class:`SequenceAllocator`; :class:`~kana_async._aptos.sender.TransactionSender` keeps one per
signer.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Awaitable, Callable

import anyio

from kana_async._exceptions import InvalidArgumentError

__all__ = ["SequenceAllocator"]

log = logging.getLogger("kana_async")


class SequenceAllocator:
    """Sequence numbers for one account: unique, gap-filling, resynchronising, capped.

    ``fetch`` returns the account's on-chain sequence number. ``max_in_flight`` bounds how far
    the numbers handed out may run ahead of the last number known to be used on chain (Aptos
    parks at most about 100 per account); when full, :meth:`allocate` waits for
    :meth:`committed` calls and re-reads the chain every ``poll`` seconds (one read per period
    however many callers are waiting: a waiter whose wait ran out just after another one
    re-read the chain uses that reading instead of queueing up a read of its own).

    Every number handed out is *outstanding* until :meth:`committed` (it is on chain),
    :meth:`release` (its transaction never got in, or can no longer execute: hand the number
    out again first) or :meth:`forget` (used by something else, or given up on well after its
    transaction expired). A resync turns any number between the chain's and the next fresh one
    that is not outstanding into a free number, so a transaction that never landed cannot leave
    a gap that parks every later one. A number stays outstanding as long as its transaction may
    still execute, so different content is never signed under it.

    Args:
        fetch: reads the account's on-chain sequence number (the next one the chain expects).
        max_in_flight: how far the numbers handed out may run ahead of the last number known
            to be used on chain (at least 1).
        poll: how often, in seconds, a caller waiting for room re-reads the chain.

    Raises:
        InvalidArgumentError: ``max_in_flight`` is below 1.
    """

    def __init__(
        self,
        fetch: Callable[[], Awaitable[int]],
        *,
        max_in_flight: int = 100,
        poll: float = 0.5,
    ) -> None:
        if max_in_flight < 1:
            raise InvalidArgumentError("max_in_flight must be at least 1")
        self._fetch = fetch
        self._max = max_in_flight
        self._poll = poll
        self._next: int | None = None
        self._floor = 0
        self._free: list[int] = []
        self._outstanding: set[int] = set()
        self._cond = anyio.Condition()
        self._synced_at = float("-inf")  # event-loop clock at the last chain read

    @property
    def next_number(self) -> int | None:
        """The next fresh number (``None`` before the first sync)."""
        return self._next

    @property
    def outstanding(self) -> frozenset[int]:
        """Numbers handed out whose transactions are not known to be resolved."""
        return frozenset(self._outstanding)

    async def allocate(self) -> int:
        """A sequence number no other pending transaction of this allocator holds.

        The first call reads the chain. A freed number is handed out before a fresh one; when
        ``max_in_flight`` numbers are outstanding this waits (re-reading the chain every
        ``poll`` seconds) until one is committed. Cancelling the wait hands out nothing.

        Returns:
            The number, now outstanding until :meth:`committed`, :meth:`release` or
            :meth:`forget`.

        Raises:
            Exception: whatever ``fetch`` raises when the chain cannot be read (the node
                client's :class:`~kana_async.TransportError` or
                :class:`~kana_async.APIStatusError`, say).
        """
        async with self._cond:
            if self._next is None:
                await self._sync_locked(reset=True)
            assert self._next is not None
            while True:
                while self._free and self._free[0] < self._floor:
                    heapq.heappop(self._free)
                if self._free:
                    number = heapq.heappop(self._free)
                    break
                if self._next - self._floor < self._max:
                    number = self._next
                    self._next += 1
                    break
                with anyio.move_on_after(self._poll) as waited:
                    await self._cond.wait()
                # Many waiters time out together; the first re-reads the chain, the rest
                # (queued on the lock meanwhile) find that reading fresh and go on.
                stale = anyio.current_time() - self._synced_at >= self._poll / 2
                if waited.cancelled_caught and stale:
                    await self._sync_locked(reset=False)
            self._outstanding.add(number)
            return number

    def release(self, number: int) -> None:
        """``number`` was not used and never will be: hand it out again first.

        Args:
            number: a number :meth:`allocate` handed out.

        Never raises.
        """
        self._outstanding.discard(number)
        if number >= self._floor and number not in self._free:
            heapq.heappush(self._free, number)

    def forget(self, number: int) -> None:
        """``number``'s transaction has an unknown fate; a later resync decides about it.

        Args:
            number: a number :meth:`allocate` handed out.

        Never raises.
        """
        self._outstanding.discard(number)

    async def committed(self, number: int) -> None:
        """The transaction with ``number`` is on chain: it and every number below are used.

        Wakes callers of :meth:`allocate` waiting for room.

        Args:
            number: the committed transaction's sequence number.

        Never raises.
        """
        async with self._cond:
            self._outstanding.discard(number)
            if number + 1 > self._floor:
                self._floor = number + 1
                if self._next is not None and self._next < self._floor:
                    self._next = self._floor
                self._cond.notify_all()

    async def resync(self, *, reset: bool = False) -> None:
        """Re-read the chain's number and turn the gaps below the next fresh number into free
        numbers.

        Args:
            reset: start again from the chain's number: the next fresh number becomes the
                one after the highest outstanding number at or above it (numbers still
                outstanding stay reserved).

        Raises:
            Exception: whatever ``fetch`` raises when the chain cannot be read.
        """
        async with self._cond:
            await self._sync_locked(reset=reset)

    async def _sync_locked(self, *, reset: bool) -> None:
        on_chain = await self._fetch()
        self._synced_at = anyio.current_time()
        log.debug("sequence number on chain: %d (reset=%s)", on_chain, reset)
        if reset or self._next is None:
            # Start again from the chain, but keep every number whose transaction may still
            # execute: it is never handed out again (the gaps below the highest become free).
            self._outstanding = {n for n in self._outstanding if n >= on_chain}
            self._floor = on_chain
            self._next = max(self._outstanding, default=on_chain - 1) + 1
            self._free = [n for n in range(on_chain, self._next) if n not in self._outstanding]
        else:
            self._floor = max(self._floor, on_chain)
            self._next = max(self._next, self._floor)
            self._outstanding = {n for n in self._outstanding if n >= self._floor}
            free = {n for n in self._free if n >= self._floor}
            free.update(n for n in range(self._floor, self._next) if n not in self._outstanding)
            self._free = sorted(free)
        self._cond.notify_all()
