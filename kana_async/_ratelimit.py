"""A client-side request rate limit shared by every task of a client, on any anyio backend."""

from __future__ import annotations

import anyio

__all__ = ["RateLimiter"]


class RateLimiter:
    """A token bucket: ``rate`` requests per second on average, bursts of up to ``burst``.

    The bucket starts full. :meth:`acquire` takes one token, waiting (in arrival order) until
    one has refilled. A caller cancelled while it waits takes nothing. Works on asyncio and trio.

    Args:
        rate: requests per second, more than 0.
        burst: the bucket's size in requests; ``None`` for one second's worth (at least one).

    Raises:
        ValueError: ``rate`` is not positive or ``burst`` is below 1.
    """

    def __init__(self, rate: float, *, burst: float | None = None) -> None:
        if not rate > 0:
            raise ValueError("rate_limit must be a positive number of requests per second")
        size = max(rate, 1.0) if burst is None else burst
        if size < 1:
            raise ValueError("the burst must be at least one request")
        self.rate = float(rate)
        self.burst = float(size)
        self._tokens = self.burst
        self._updated: float | None = None
        self._lock = anyio.Lock()

    def __repr__(self) -> str:
        return f"<RateLimiter {self.rate:g}/s burst {self.burst:g}>"

    def _refill(self, now: float) -> None:
        if self._updated is not None:
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    async def acquire(self) -> None:
        """Take one token, waiting until there is one. Never raises (but can be cancelled)."""
        async with self._lock:
            self._refill(anyio.current_time())
            missing = 1.0 - self._tokens
            if missing > 0:
                await anyio.sleep(missing / self.rate)
                self._refill(anyio.current_time())
            self._tokens -= 1.0
