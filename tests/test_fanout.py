"""Subscription buffers and overflow policies, without sockets."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest

from kana_async._exceptions import ConcurrentReadError, SlowConsumerError, SubscriptionClosedError
from kana_async._streams.routing import Router
from kana_async._streams.subscription import Batch, OverflowPolicy, Subscription
from kana_async._streams.topics import TOPICS
from tests.ws_support import book, both_backends

anyio_backend = both_backends()


def _sub(policy: OverflowPolicy, size: int, **kw: object) -> Subscription[object]:
    return Subscription("t", None, policy=policy, buffer_size=size, **kw)  # type: ignore[arg-type]


def _frames(sub: Subscription[object], *values: object) -> None:
    for value in values:
        sub._push(Batch.of([value]))


async def _drain(sub: Subscription[object]) -> list[object]:
    out = []
    while sub.statistics().buffered or sub._pos < len(sub._current):
        out.append(await sub.__anext__())
    return out


@pytest.mark.anyio
async def test_keep_latest_keeps_only_the_newest_snapshot() -> None:
    sub = _sub(OverflowPolicy.KEEP_LATEST, 1)
    _frames(sub, 1, 2, 3)
    assert await sub.__anext__() == 3
    stats = sub.statistics()
    assert (stats.dropped, stats.buffered, stats.delivered) == (2, 0, 1)
    await sub.aclose()


@pytest.mark.anyio
async def test_drop_oldest_counts_the_gap() -> None:
    sub = _sub(OverflowPolicy.DROP_OLDEST, 3)
    _frames(sub, *range(10))
    assert await _drain(sub) == [7, 8, 9]
    assert sub.dropped == 7
    await sub.aclose()


@pytest.mark.anyio
async def test_fail_drains_then_raises_slow_consumer() -> None:
    stopped: list[object] = []
    sub = _sub(OverflowPolicy.FAIL, 2, stop=stopped.append)
    _frames(sub, 1, 2, 3, 4)
    assert sub.closed
    assert [await sub.__anext__(), await sub.__anext__()] == [1, 2]
    with pytest.raises(SlowConsumerError) as info:
        await sub.__anext__()
    assert info.value.dropped == 2
    assert "buffer" in str(info.value)
    assert stopped == [sub]  # unregistered from the connection once it failed


@pytest.mark.anyio
async def test_notices_are_ordered_and_never_dropped() -> None:
    sub = _sub(OverflowPolicy.DROP_OLDEST, 1)
    _frames(sub, 1)
    sub._notify("reconnected")
    _frames(sub, 2)  # bound 1: frame 1 is dropped, the notice stays
    assert await _drain(sub) == ["reconnected", 2]
    assert sub.dropped == 1
    await sub.aclose()


@pytest.mark.anyio
async def test_a_frame_with_many_rows_yields_each_row() -> None:
    sub = _sub(OverflowPolicy.FAIL, 4)
    sub._push(Batch.of(["a", "b", "c"]))
    assert await _drain(sub) == ["a", "b", "c"]
    assert sub.statistics().delivered == 3
    await sub.aclose()


@pytest.mark.anyio
async def test_rows_count_as_delivered_when_returned_and_empty_frames_are_skipped() -> None:
    sub = _sub(OverflowPolicy.FAIL, 8)
    await sub.start()
    sub._push(Batch.of([]))  # a frame of no rows: nothing to return
    sub._push(Batch.of(["a", "b", "c"]))
    sub._push(Batch.of(["d"]))
    assert await sub.__anext__() == "a"
    assert sub.statistics().delivered == 1  # "b" and "c" are not delivered yet
    assert await sub.__anext__() == "b"
    assert (sub.statistics().delivered, sub.statistics().buffered) == (2, 1)
    await sub.aclose()  # "c" and "d" are dropped unread
    assert sub.statistics().delivered == 2
    with pytest.raises(StopAsyncIteration):
        await sub.__anext__()


@pytest.mark.anyio
async def test_batch_decodes_once_for_all_subscribers_and_only_when_read() -> None:
    calls: list[bytes] = []

    def decode(raw: bytes) -> list[str]:
        calls.append(raw)
        return [raw.decode()]

    a, b = _sub(OverflowPolicy.KEEP_LATEST, 1), _sub(OverflowPolicy.KEEP_LATEST, 1)
    dropped: Batch[str] = Batch(b"old", decode)
    for s in (a, b):
        s._push(dropped)
    batch: Batch[str] = Batch(b"new", decode)
    for s in (a, b):
        s._push(batch)
    assert not batch.decoded
    first, second = await a.__anext__(), await b.__anext__()
    assert first == second == "new"
    assert first is second
    assert calls == [b"new"]  # once, and never the dropped frame
    assert not dropped.decoded


@pytest.mark.anyio
async def test_a_lone_subscriber_decodes_when_it_reads_and_several_share_one_decode() -> None:
    router = Router("ws://fanout")
    wire, _ = router.wire(TOPICS["orderbook"], 14)
    router.mark_sent(wire)
    decoded: list[bytes] = []
    decode = wire.decode_frame

    def counting(frame: bytes) -> Any:
        decoded.append(frame)
        return decode(frame)

    wire.decode_frame = counting
    frames = [json.dumps({"message": "orderbook", "data": book(14, v)}).encode() for v in (1, 2, 3)]
    alone: Subscription[Any] = Subscription(
        "orderbook", 14, policy=OverflowPolicy.KEEP_LATEST, buffer_size=1
    )
    wire.add(alone)
    router.on_frame(frames[0])
    router.on_frame(frames[1])  # replaces the first, which is never decoded
    assert decoded == []  # nothing is decoded before it is read
    assert (await alone.__anext__()).transaction_version == 2
    assert decoded == [frames[1]]
    other: Subscription[Any] = Subscription(
        "orderbook", 14, policy=OverflowPolicy.KEEP_LATEST, buffer_size=1
    )
    wire.add(other)
    router.on_frame(frames[2])
    mine, theirs = await alone.__anext__(), await other.__anext__()
    assert mine is theirs and mine.transaction_version == 3  # decoded once, shared
    assert decoded == [frames[1], frames[2]]


@pytest.mark.anyio
async def test_undecodable_batch_is_skipped() -> None:
    sub = _sub(OverflowPolicy.FAIL, 4)
    sub._push(Batch(b"x", lambda raw: None))
    _frames(sub, "ok")
    assert await sub.__anext__() == "ok"
    await sub.aclose()


@pytest.mark.anyio
async def test_cancelling_anext_loses_no_message() -> None:
    """Regression: an item leaves the buffer only when it is returned."""
    sub = _sub(OverflowPolicy.FAIL, 100)
    got: list[object] = []
    with anyio.fail_after(10):
        for i in range(20):
            async with anyio.create_task_group() as tg:
                scope = anyio.CancelScope()

                async def wait_one(scope: anyio.CancelScope = scope) -> None:
                    with scope:
                        got.append(await sub.__anext__())

                tg.start_soon(wait_one)
                await anyio.wait_all_tasks_blocked()  # it blocks on the empty buffer
                if i % 2:
                    _frames(sub, i)  # wakes the waiter, which is cancelled before it resumes
                    scope.cancel()
                else:
                    scope.cancel()
                    _frames(sub, i)  # arrives right after the cancellation
            if len(got) == i:  # the cancelled read returned nothing: the item is still there
                got.append(await sub.__anext__())
    assert got == list(range(20))
    assert sub.dropped == 0
    await sub.aclose()


@pytest.mark.anyio
async def test_close_ends_iteration_after_draining_and_error_close_raises() -> None:
    sub = _sub(OverflowPolicy.FAIL, 4)
    await sub.start()
    _frames(sub, 1)
    sub._close()
    _frames(sub, 2)  # ignored once closed
    assert [x async for x in sub] == [1]

    sub2 = _sub(OverflowPolicy.FAIL, 4)
    await sub2.start()
    sub2._close(SubscriptionClosedError("client closed"))
    with pytest.raises(SubscriptionClosedError):
        await sub2.__anext__()


@pytest.mark.anyio
async def test_waiting_reader_is_woken_by_push_and_by_close() -> None:
    sub = _sub(OverflowPolicy.FAIL, 4)
    got: list[object] = []

    async def read() -> None:
        try:
            got.append(await sub.__anext__())
        except StopAsyncIteration:
            got.append("stopped")

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            tg.start_soon(read)
            await anyio.wait_all_tasks_blocked()
            _frames(sub, "x")
        async with anyio.create_task_group() as tg:
            tg.start_soon(read)
            await anyio.wait_all_tasks_blocked()
            await sub.aclose()
    assert got == ["x", "stopped"]


@pytest.mark.anyio
async def test_a_second_concurrent_reader_gets_a_typed_error_at_once() -> None:
    sub = _sub(OverflowPolicy.FAIL, 4)
    got: list[object] = []

    async def read() -> None:
        got.append(await sub.__anext__())

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            tg.start_soon(read)
            await anyio.wait_all_tasks_blocked()  # the first reader waits
            with pytest.raises(ConcurrentReadError, match="another task"):
                await sub.__anext__()
            _frames(sub, "x")  # the first reader still gets what arrives
    assert got == ["x"]
    _frames(sub, "y")
    assert await sub.__anext__() == "y"  # one reader at a time is fine
    await sub.aclose()


@pytest.mark.anyio
async def test_a_second_reader_after_the_wake_up_before_the_first_returns_is_refused() -> None:
    sub = _sub(OverflowPolicy.FAIL, 4)
    got: list[object] = []

    async def read() -> None:
        got.append(await sub.__anext__())

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            tg.start_soon(read)
            await anyio.wait_all_tasks_blocked()
            _frames(sub, "x", "y")  # wakes the first reader; it has not run yet
            with pytest.raises(ConcurrentReadError, match="another task"):
                await sub.__anext__()
    assert got == ["x"]
    assert await sub.__anext__() == "y"
    await sub.aclose()


@pytest.mark.anyio
async def test_start_and_stop_hooks_and_async_with() -> None:
    events: list[str] = []

    async def start(s: Subscription[object]) -> None:
        events.append("start")

    sub = _sub(OverflowPolicy.FAIL, 4, start=start, stop=lambda s: events.append("stop"))
    assert "new" in repr(sub)
    async with sub as same:
        assert same is sub
        await sub.start()  # idempotent
        assert "open" in repr(sub)
    assert events == ["start", "stop"]
    assert sub.statistics().closed
    with pytest.raises(SubscriptionClosedError):
        await _closed_start()


async def _closed_start() -> None:
    sub = _sub(OverflowPolicy.FAIL, 1)
    await sub.aclose()
    await sub.start()


@pytest.mark.anyio
async def test_failed_start_closes_the_subscription() -> None:
    async def start(s: Subscription[object]) -> None:
        raise RuntimeError("no")

    sub = _sub(OverflowPolicy.FAIL, 1, start=start)
    with pytest.raises(RuntimeError):
        await sub.__anext__()
    assert sub.closed


def test_buffer_size_must_be_positive() -> None:
    with pytest.raises(ValueError):
        _sub(OverflowPolicy.FAIL, 0)
