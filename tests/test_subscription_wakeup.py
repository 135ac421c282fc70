"""A subscription's wake-up: cheap on asyncio, anyio's on trio, and safe against cancellation."""

from __future__ import annotations

import asyncio

import anyio
import pytest
from anyio.lowlevel import checkpoint

from kana_async._backend import wake_up_factory
from kana_async._streams.subscription import Batch, OverflowPolicy, Subscription
from tests.backends_support import anyio_backend  # noqa: F401  (asyncio, trio and uvloop)


def _subscription() -> Subscription[int]:
    sub: Subscription[int] = Subscription(
        "recent_trades", 14, policy=OverflowPolicy.DROP_OLDEST, buffer_size=8
    )
    sub._started = True  # no connection: frames are pushed by hand, as the router does
    return sub


def test_a_frame_pushed_after_its_reader_was_cancelled_waits_for_the_next_read() -> None:
    async def main() -> None:
        sub = _subscription()
        reader = asyncio.ensure_future(sub.__anext__())
        await asyncio.sleep(0)  # the reader now waits for a frame
        assert sub._waiter is not None
        reader.cancel()  # cancels what it awaits at once; the task itself runs later
        sub._push(Batch.of([7]))  # the frame arrives in between: must not raise, nor be lost
        with pytest.raises(asyncio.CancelledError):
            await reader
        assert sub._waiter is None and not sub._reading
        assert await sub.__anext__() == 7

    asyncio.run(main())


@pytest.mark.anyio
async def test_a_waiting_reader_is_woken_by_a_push_on_every_backend() -> None:
    sub = _subscription()
    got: list[int] = []

    async def read() -> None:
        got.append(await sub.__anext__())

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(read)
            for _ in range(100):  # a few steps: the reader then waits for a frame
                if sub._waiter is not None:
                    break
                await checkpoint()
            assert sub._waiter is not None
            sub._push(Batch.of([3, 4]))
    assert got == [3]
    assert await sub.__anext__() == 4


@pytest.mark.anyio
async def test_a_cancelled_wait_leaves_the_subscription_readable() -> None:
    sub = _subscription()
    with anyio.move_on_after(0.01) as scope:
        await sub.__anext__()
    assert scope.cancelled_caught
    assert sub._waiter is None and not sub._reading
    sub._push(Batch.of([5]))
    with anyio.fail_after(5):
        assert await sub.__anext__() == 5


@pytest.mark.anyio
async def test_the_wake_up_is_set_once_and_later_sets_do_nothing() -> None:
    wake = wake_up_factory()()
    wake.set()
    wake.set()  # a second set (a frame and a close in the same step) must not raise
    with anyio.fail_after(5):
        await wake.wait()
