"""Stream faults over real sockets, on asyncio and trio: refusals, crashes, replays, chaos.

* a handshake refused for good (401/403/404) ends ``async for`` with a typed error at the first
  attempt; a crash of a background task is logged and raised from the subscriptions;
* the background tasks live in a task group handed in, and ``aclose`` leaves none behind;
* a server that replays its snapshot on every subscribe delivers no row twice over 100 forced
  reconnects, while every reconnect is still announced;
* clean closes, TCP resets and half-open stalls, mixed: every one is healed, counted once.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import anyio
import pytest

from kana_async import (
    ConcurrentReadError,
    KanaError,
    StreamHandshakeRefusedError,
    StreamTaskError,
)
from kana_async._streams import StreamManager, StreamOptions
from kana_async._streams.connection import WSConnection
from kana_async.models.orders import OrderHistoryEntry
from kana_async.models.stream_events import Reconnected
from kana_async.models.trades import Trade
from tests.ws_support import ADDR, FAST, FakeKana, every_socket, order, trade, until

anyio_backend = every_socket()


# -- refusals and crashes ------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("status", [401, 403, 404])
async def test_a_refused_handshake_ends_async_for_with_a_typed_error(status: int) -> None:
    async with FakeKana(status=status) as srv:
        mgr = StreamManager(srv.url, options=FAST)
        with anyio.fail_after(10):
            sub = mgr.subscribe("order_history", ADDR)
            with pytest.raises(StreamHandshakeRefusedError) as info:
                async for _ in sub:
                    pass
            stats = mgr.statistics()
            await mgr.aclose()
    assert isinstance(info.value, KanaError) and info.value.status_code == status
    assert srv.handshakes == 1 and stats.failed_attempts == 1  # within one attempt
    assert str(status) in stats.last_error
    assert stats.subscribers == 0


@pytest.mark.anyio
async def test_after_a_refusal_a_new_subscription_tries_again() -> None:
    async with FakeKana(status=401) as srv:
        mgr = StreamManager(srv.url, options=FAST)
        with anyio.fail_after(10):
            for expected in (1, 2):
                sub = mgr.subscribe("recent_trades", 14)
                with pytest.raises(StreamHandshakeRefusedError):
                    await sub.__anext__()
                assert srv.handshakes == expected
            await mgr.aclose()
    assert mgr.statistics().tasks == 0


@pytest.mark.anyio
async def test_a_crashed_background_task_is_logged_and_raised_from_the_subscription(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken_keepalive(self: WSConnection, sock: Any) -> None:
        raise RuntimeError("bug in the keepalive")

    monkeypatch.setattr(WSConnection, "_keepalive", broken_keepalive)
    options = StreamOptions(ping_interval=1.0, stale_timeout=None, backoff_initial=0.005)
    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=options)
        with anyio.fail_after(10):
            sub = mgr.subscribe("recent_trades", 14)
            with pytest.raises(StreamTaskError) as info:
                await sub.__anext__()
            await mgr.aclose()
    assert "bug in the keepalive" in repr(info.value.__cause__)
    assert any(r.levelno == logging.ERROR and "crashed" in r.getMessage() for r in caplog.records)
    assert mgr.statistics().tasks == 0


@pytest.mark.anyio
async def test_tasks_run_in_a_task_group_handed_in_and_aclose_ends_them() -> None:
    async with FakeKana() as srv:
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                mgr = StreamManager(srv.url, options=FAST)
                mgr.start(tg)
                async with mgr.subscribe("recent_trades", 14) as trades:
                    await srv.wait_for(lambda: srv.subscribed(1))
                    await srv.push("recent_trades", [trade(14, 1)])
                    assert (await trades.__anext__()).trade_id == "1"
                    assert mgr.statistics().tasks >= 2  # the host and the reader
                await mgr.aclose()
            # the task group exited: nothing of the manager was left running in it
    assert mgr.statistics().tasks == 0


@pytest.mark.anyio
async def test_closing_with_no_subscription_ever_started_is_immediate() -> None:
    mgr = StreamManager("ws://127.0.0.1:1/ws/", options=FAST)
    with anyio.fail_after(5):
        await mgr.aclose()
    assert mgr.statistics().tasks == 0


def test_default_options_notice_a_half_open_connection_within_ten_seconds() -> None:
    defaults = StreamOptions()
    assert defaults.ping_interval is not None and defaults.ping_timeout is not None
    assert defaults.ping_interval + defaults.ping_timeout <= 10  # the keepalive
    assert defaults.stale_timeout is not None and defaults.stale_timeout * 9 / 8 <= 10  # busy


# -- no duplicates after resubscribes ------------------------------------------------------------


def _snapshot(sub: dict[str, Any]) -> list[str]:
    """What the server replays on every subscribe: recent rows of the topic."""
    if sub.get("topic") == "order_history":
        return [json.dumps({"message": "order_history", "data": [order(i) for i in range(4)]})]
    if sub.get("topic") == "recent_trades":
        return [json.dumps({"message": "recent_trades", "data": [trade(14, i) for i in range(8)]})]
    return []


@pytest.mark.anyio
async def test_a_hundred_reconnects_with_replayed_snapshots_deliver_no_row_twice() -> None:
    rounds = 100
    async with FakeKana(replay=_snapshot) as srv:
        mgr = StreamManager(srv.url, options=FAST)
        orders: list[str] = []
        trades: list[str] = []
        notices: dict[str, int] = {"orders": 0, "trades": 0}
        with anyio.fail_after(90):
            async with (
                mgr.subscribe("order_history", ADDR) as order_sub,
                mgr.subscribe("recent_trades", 14) as trade_sub,
            ):

                async def read(sub: Any, out: list[str], name: str) -> None:
                    async for item in sub:
                        if isinstance(item, Reconnected):
                            notices[name] += 1
                        elif isinstance(item, OrderHistoryEntry):
                            out.append(item.order_id)
                        else:
                            assert isinstance(item, Trade)
                            out.append(item.trade_id)

                async with anyio.create_task_group() as tg:
                    tg.start_soon(read, order_sub, orders, "orders")
                    tg.start_soon(read, trade_sub, trades, "trades")
                    for i in range(rounds + 1):
                        await srv.wait_for(lambda: srv.subscribed(2))
                        new = 100 + i
                        await srv.push("order_history", [order(new)])
                        await srv.push("recent_trades", [trade(14, new)])
                        await until(lambda new=new: orders[-1:] == trades[-1:] == [str(new)])
                        if i < rounds:
                            if i % 2:
                                await srv.drop(abrupt=i % 4 == 1)
                            else:
                                mgr.reconnect("forced by the test")
                            await until(lambda i=i: mgr.statistics().reconnects == i + 1)
                    tg.cancel_scope.cancel()
            stats = mgr.statistics()
            await mgr.aclose()
    expected_orders = [str(i) for i in range(4)] + [str(100 + i) for i in range(rounds + 1)]
    expected_trades = [str(i) for i in range(8)] + [str(100 + i) for i in range(rounds + 1)]
    assert orders == expected_orders  # the snapshot once, then every new row once
    assert trades == expected_trades
    assert notices == {"orders": rounds, "trades": rounds}  # a gap may still exist: said
    assert stats.reconnects == rounds
    assert stats.duplicates == rounds * (4 + 8)


# -- chaos ---------------------------------------------------------------------------------------

CHAOS = StreamOptions(
    ping_interval=0.05,
    ping_timeout=0.15,
    stale_timeout=None,
    backoff_initial=0.005,
    backoff_max=0.02,
    close_timeout=0.2,
)


@pytest.mark.anyio
async def test_chaos_clean_closes_resets_and_stalls_are_each_healed_and_counted_once() -> None:
    kinds = ["clean", "reset", "stall"] * 5
    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=CHAOS)
        got: list[str] = []
        notices: list[Reconnected] = []
        with anyio.fail_after(60):
            async with mgr.subscribe("order_history", ADDR) as sub:

                async def read() -> None:
                    async for item in sub:
                        if isinstance(item, Reconnected):
                            notices.append(item)
                        else:
                            got.append(item.order_id)

                async with anyio.create_task_group() as tg:
                    tg.start_soon(read)
                    for i, kind in enumerate([*kinds, "none"]):
                        await srv.wait_for(lambda: srv.subscribed(1))
                        await srv.push("order_history", [order(i)])
                        await until(lambda i=i: got[-1:] == [str(i)])
                        if kind == "clean":
                            await srv.drop(abrupt=False)
                        elif kind == "reset":
                            await srv.drop(abrupt=True)
                        elif kind == "stall":
                            await srv.stall()
                        if kind != "none":
                            await until(lambda i=i: mgr.statistics().reconnects == i + 1)
                    tg.cancel_scope.cancel()
            stats = mgr.statistics()
            await mgr.aclose()
    assert got == [str(i) for i in range(len(kinds) + 1)]
    assert stats.reconnects == len(kinds) == len(notices)
    assert stats.connects == len(kinds) + 1
    assert [n.reconnects for n in notices] == list(range(1, len(kinds) + 1))
    stalls = [n for n, kind in zip(notices, kinds, strict=True) if kind == "stall"]
    assert all("keepalive" in n.reason for n in stalls)


@pytest.mark.anyio
async def test_a_task_group_that_is_over_gives_a_typed_error_not_a_hang() -> None:
    async with anyio.create_task_group() as tg:
        pass
    mgr = StreamManager("ws://127.0.0.1:1/ws/", options=FAST, task_group=tg)
    with anyio.fail_after(10):
        with pytest.raises(StreamTaskError, match="cannot start"):
            await mgr.subscribe("recent_trades", 14).start()
        await mgr.aclose()


@pytest.mark.anyio
async def test_a_second_reader_over_a_real_socket_is_refused_and_the_first_keeps_reading() -> None:
    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=FAST)
        got: list[str] = []
        with anyio.fail_after(10):
            async with mgr.subscribe("recent_trades", 14) as sub:
                await srv.wait_for(lambda: srv.subscribed(1))

                async def first() -> None:
                    got.append((await sub.__anext__()).trade_id)

                async with anyio.create_task_group() as tg:
                    tg.start_soon(first)
                    await anyio.wait_all_tasks_blocked()
                    with pytest.raises(ConcurrentReadError):
                        await sub.__anext__()
                    await srv.push("recent_trades", [trade(14, 1)])
            await mgr.aclose()
    assert got == ["1"]


# -- soak ----------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_soak_a_short_stream_of_good_bad_and_replayed_frames_adds_up() -> None:
    """4,000 frames, a fifth bad and a fifth repeats, two reconnects: every count adds up."""
    good = 0
    frames: list[str] = []
    for i in range(4000):
        kind = i % 5
        if kind == 1:
            frames.append('{"message": "recent_trades", "data": [' + "[" * 3000 + "]")
        elif kind == 2:
            frames.append(json.dumps({"message": "recent_trades", "data": [trade(14, i - 2)]}))
        else:
            frames.append(json.dumps({"message": "recent_trades", "data": [trade(14, i)]}))
            good += 1
    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=FAST)
        seen: list[str] = []
        with anyio.fail_after(60):
            async with mgr.subscribe("recent_trades", 14, buffer_size=5000) as trades:

                async def read() -> None:
                    async for item in trades:
                        if not isinstance(item, Reconnected):
                            seen.append(item.trade_id)

                async with anyio.create_task_group() as tg:
                    tg.start_soon(read)
                    for part in range(3):
                        await srv.wait_for(lambda: srv.subscribed(1))
                        chunk = frames[part * 1400 : (part + 1) * 1400]
                        await srv.send_many(chunk)
                        sent = min(4000, (part + 1) * 1400)
                        await until(lambda sent=sent: mgr.statistics().frames == sent)
                        if part < 2:
                            mgr.reconnect("soak")
                            await until(lambda part=part: mgr.statistics().reconnects == part + 1)
                    await until(lambda: len(seen) == good)
                    tg.cancel_scope.cancel()
            stats = mgr.statistics()
            await mgr.aclose()
    assert len(seen) == len(set(seen)) == good
    assert stats.bad_frames == {"too_deep": 800}
    assert stats.duplicates == 800 and stats.reconnects == 2
    assert stats.frames == 4000
