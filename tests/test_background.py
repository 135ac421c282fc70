"""The client's own task group, and the bounded record of transaction outcomes."""

from __future__ import annotations

import logging

import anyio
import pytest

from kana_async._aptos.signing import SignedTransaction
from kana_async._aptos.tracking import Submission, SubmissionTracker
from kana_async._background import BackgroundTasks
from kana_async._exceptions import ClientStateError, TransactionRejectedError
from kana_async.models.transactions import TransactionResult
from tests.backends_support import anyio_backend  # noqa: F401

pytestmark = pytest.mark.anyio


async def test_work_outlives_the_task_that_spawned_it_and_close_cancels_the_rest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tasks = BackgroundTasks()
    with pytest.raises(ClientStateError):
        tasks.spawn(anyio.sleep, 0, name="too early")
    await tasks.start()
    await tasks.start()  # idempotent
    done = anyio.Event()
    stopped = anyio.Event()

    async def finishes() -> None:
        await anyio.sleep(0.05)
        done.set()

    async def forever() -> None:
        try:
            await anyio.sleep_forever()
        finally:
            stopped.set()

    async def fails() -> None:
        raise RuntimeError("boom")

    with anyio.CancelScope() as scope:  # the spawning caller is cancelled at once
        tasks.spawn(finishes, name="finishes")
        tasks.spawn(forever, name="forever")
        tasks.spawn(fails, name="fails")
        scope.cancel()
        await anyio.sleep(1)
    with anyio.fail_after(5):
        await done.wait()  # not cancelled with its caller; the failing one harmed nobody
    assert tasks.running == 1 and "boom" in caplog.text
    await tasks.aclose()
    assert stopped.is_set() and tasks.running == 0 and not tasks.started


def _signed(n: int) -> SignedTransaction:
    return SignedTransaction(b"", f"0x{n:064x}", "0x1", n, 2_000_000_000)


async def test_outcomes_are_kept_by_hash_up_to_the_history_bound() -> None:
    tracker = SubmissionTracker(history=3)
    subs = [Submission(_signed(n), action="a", market_id=1, tracker=tracker) for n in range(5)]
    assert [u.sequence_number for u in tracker.unresolved] == [0, 1, 2, 3, 4]
    for n, sub in enumerate(subs):
        result = TransactionResult(hash=sub.hash, version=n, success=True, vm_status="", gas_used=1)
        if n == 4:
            sub.finish(None, TransactionRejectedError("expired", hash=sub.hash))
        else:
            sub.finish(result, None)
    assert tracker.unresolved == ()
    assert [o.sequence_number for o in tracker.outcomes] == [2, 3, 4]  # the oldest dropped
    assert tracker.outcome(subs[0].hash) is None
    last = tracker.outcome(subs[4].hash)
    assert last is not None and not last.ok and isinstance(last.error, TransactionRejectedError)
    with pytest.raises(TransactionRejectedError):
        await subs[4].wait(1)
    assert (await subs[3].wait(1)).version == 3


async def test_a_caller_that_goes_away_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="kana_async")
    tracker = SubmissionTracker()
    sub = Submission(_signed(7), action="place_limit_order", market_id=1, tracker=tracker)
    sub.caller_cancelled()
    sub.caller_cancelled()
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert sub.hash in caplog.records[0].getMessage()
    assert tracker.unresolved[0].caller_gone


async def test_a_crash_is_logged_and_handed_to_whoever_waits_for_the_work(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tasks = BackgroundTasks()
    await tasks.start()
    told: list[Exception] = []
    survivor = anyio.Event()

    async def crashes() -> None:
        raise ValueError("resolver bug")

    async def survives() -> None:
        await anyio.sleep(0.01)
        survivor.set()

    tasks.spawn(crashes, name="crashes", on_error=told.append)
    tasks.spawn(survives, name="survives")
    with anyio.fail_after(5):
        await survivor.wait()  # the crash cancelled nothing else
    assert [str(e) for e in told] == ["resolver bug"]
    assert "'crashes'" in caplog.text and "resolver bug" in caplog.text
    tasks.spawn(survives, name="still open")  # the group is still usable
    await tasks.aclose()


async def test_an_unguarded_task_that_fails_ends_the_group_and_says_why(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tasks = BackgroundTasks()
    await tasks.start()

    async def crashes() -> None:
        raise ValueError("stream reader bug")

    tasks.task_group.start_soon(crashes)  # not through spawn(): nothing guards it
    with anyio.fail_after(5):
        while tasks.started:  # noqa: ASYNC110 - the group has no event for its end
            await anyio.sleep(0.01)
    with pytest.raises(ClientStateError, match="stream reader bug"):
        tasks.spawn(anyio.sleep, 0, name="after the failure")
    assert "background task group failed" in caplog.text
    await tasks.aclose()
    await tasks.start()  # a new group starts clean
    tasks.spawn(anyio.sleep, 0, name="fine again")
    await tasks.aclose()
