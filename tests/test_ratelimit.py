"""The client-side rate limit: a token bucket on anyio (asyncio and trio)."""

from __future__ import annotations

import anyio
import pytest

from kana_async._ratelimit import RateLimiter

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_a_full_bucket_lets_a_burst_through_then_holds_the_next_caller() -> None:
    limiter = RateLimiter(0.001, burst=3)  # refills one token per 1000 s
    for _ in range(3):
        await limiter.acquire()
    held = anyio.Event()
    got = []

    async def waiter() -> None:
        held.set()
        await limiter.acquire()
        got.append(True)

    async with anyio.create_task_group() as group:
        group.start_soon(waiter)
        await held.wait()
        await anyio.wait_all_tasks_blocked()
        assert got == []  # the bucket is empty: it waits
        group.cancel_scope.cancel()
    assert got == []


async def test_a_cancelled_waiter_takes_nothing_and_the_bucket_refills() -> None:
    limiter = RateLimiter(1000, burst=1)
    await limiter.acquire()
    with anyio.CancelScope() as scope:
        scope.cancel()
        await limiter.acquire()  # cancelled before it could take a token
    with anyio.fail_after(10):
        await limiter.acquire()  # refilled within a millisecond or so
        await limiter.acquire()


def test_bad_rates_are_refused() -> None:
    for rate in (0, -1, float("nan")):
        with pytest.raises(ValueError, match="rate_limit"):
            RateLimiter(rate)
    with pytest.raises(ValueError, match="burst"):
        RateLimiter(5, burst=0.5)
    assert RateLimiter(0.5).burst == 1 and RateLimiter(20).burst == 20
