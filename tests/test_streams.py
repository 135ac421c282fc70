"""StreamManager over real sockets: multiplexing, routing, decode-once, healing, backpressure."""

from __future__ import annotations

import gc
import json
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
import pytest

from kana_async._exceptions import SlowConsumerError, SubscriptionClosedError
from kana_async._streams import StreamManager
from kana_async._streams.options import ConnectionState, StreamOptions
from kana_async._streams.subscription import OverflowPolicy, Subscription
from kana_async._streams.topics import TOPICS, Topic
from kana_async.models.orderbook import OrderBook
from kana_async.models.orders import OrderHistoryEntry
from kana_async.models.stream_events import Reconnected
from kana_async.models.trades import Trade
from tests.ws_support import (
    ADDR,
    FAST,
    SHORT,
    SHORT_FULL,
    FakeKana,
    book,
    every_socket,
    order,
    our_tasks,
    trade,
    until,
)

anyio_backend = every_socket()


@pytest.mark.anyio
async def test_identical_subscriptions_share_one_wire_subscription_and_one_decode() -> None:
    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=FAST)
        assert mgr.state is ConnectionState.IDLE
        with anyio.fail_after(10):
            async with mgr.subscribe("orderbook", 14) as a, mgr.subscribe("orderbook", "14") as b:
                await srv.wait_for(lambda: srv.subscribed(1))
                assert srv.live[0].subs == [{"topic": "orderbook", "market_id": "14"}]
                await srv.push("orderbook", book(14, 1))
                x, y = await a.__anext__(), await b.__anext__()
                assert isinstance(x, OrderBook)
                assert x is y  # decoded once, shared
                assert x.best_bid is not None and x.best_bid.price == Decimal("5.5")
                stats = mgr.statistics()
                assert (stats.wire_subscriptions, stats.subscribers) == (1, 2)
                assert mgr.state is ConnectionState.CONNECTED
            assert mgr.statistics().subscribers == 0
            await mgr.aclose()
        assert mgr.state is ConnectionState.CLOSED
    assert not our_tasks()


@pytest.mark.anyio
async def test_frames_are_routed_by_market_and_by_normalised_address() -> None:
    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=FAST)
        with anyio.fail_after(10):
            b14 = mgr.subscribe("orderbook", 14)
            b15 = mgr.subscribe("orderbook", 15)
            mine = mgr.subscribe("order_history", SHORT)
            other = mgr.subscribe("order_history", ADDR)
            for s in (b14, b15, mine, other):
                await s.start()
            await srv.wait_for(lambda: srv.subscribed(4))
            assert {"topic": "order_history", "address": SHORT_FULL} in srv.live[0].subs
            await srv.push("orderbook", book(15, 2))
            await srv.push("orderbook", book(14, 1))
            # the wire drops the leading zero and uses upper case: still this subscriber's
            await srv.push("order_history", [order(1, address=SHORT.upper().replace("0X", "0x"))])
            await srv.push("order_history", [order(2, address=ADDR)])
            assert (await b14.__anext__()).transaction_version == 1
            assert (await b15.__anext__()).transaction_version == 2
            got_mine = await mine.__anext__()
            assert isinstance(got_mine, OrderHistoryEntry) and got_mine.order_id == "1"
            assert (await other.__anext__()).order_id == "2"
            for s in (b14, b15, mine, other):
                assert s.statistics().buffered == 0
                await s.aclose()
            await mgr.aclose()


@pytest.mark.anyio
async def test_unroutable_and_single_key_empty_frames() -> None:
    """Empty data can't be routed when a topic carries several keys; with one key it can."""
    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=FAST)
        with anyio.fail_after(10):
            async with mgr.subscribe("orderbook", 14) as only:
                await srv.wait_for(lambda: srv.subscribed(1))
                await srv.push("orderbook", [])
                empty = await only.__anext__()
                assert empty.is_empty and empty.market_id == 14
                async with mgr.subscribe("orderbook", 15):
                    await srv.wait_for(lambda: srv.subscribed(2))
                    await srv.push("orderbook", [])
                    await srv.push("orderbook", book(14, 3))
                    assert (await only.__anext__()).transaction_version == 3
                    assert mgr.statistics().bad_frames == {"unroutable": 1}
            await mgr.aclose()


@pytest.mark.anyio
async def test_frames_nobody_reads_are_never_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    decoded: list[str] = []
    real = Topic.frame_decoder

    def counting(self: Topic, key: Any) -> Any:
        decode = real(self, key)

        def counted(frame: bytes) -> Any:
            decoded.append(self.name)
            return decode(frame)

        return counted

    monkeypatch.setattr(Topic, "frame_decoder", counting)
    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=FAST)
        with anyio.fail_after(10):
            # a second subscriber with a big buffer tells us when all frames have arrived
            async with (
                mgr.subscribe("orderbook", 14) as slow,
                mgr.subscribe("recent_trades", 14) as marker,
            ):
                await srv.wait_for(lambda: srv.subscribed(2))
                for v in range(1, 11):
                    await srv.push("orderbook", book(14, v))
                await srv.push("recent_trades", [trade(14, 1)])
                assert isinstance(await marker.__anext__(), Trade)
                latest = await slow.__anext__()
                assert latest.transaction_version == 10
                assert slow.dropped == 9
            await mgr.aclose()
    assert decoded.count("orderbook") == 1  # only the snapshot that was read


@pytest.mark.anyio
async def test_thirty_forced_disconnects_heal_and_every_subscriber_keeps_receiving() -> None:
    rounds = 30
    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=FAST)
        subs: dict[str, Subscription[Any]] = {
            "book_a": mgr.subscribe("orderbook", 14),
            "book_b": mgr.subscribe("orderbook", 14),
            "trades": mgr.subscribe("recent_trades", 14),
            "orders": mgr.subscribe("order_history", ADDR),
        }
        seen: dict[str, list[int]] = {name: [] for name in subs}
        notices: dict[str, list[Reconnected]] = {"trades": [], "orders": []}

        async def consume(name: str, sub: Subscription[Any]) -> None:
            async for item in sub:
                if isinstance(item, Reconnected):
                    notices[name].append(item)
                elif isinstance(item, OrderBook):
                    assert item.transaction_version is not None
                    seen[name].append(item.transaction_version)
                elif isinstance(item, Trade):
                    seen[name].append(int(item.trade_id))
                else:
                    seen[name].append(int(item.order_id))

        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                for name, sub in subs.items():
                    await sub.start()
                    tg.start_soon(consume, name, sub)
                for i in range(rounds + 1):
                    await srv.wait_for(lambda: srv.subscribed(3))
                    await srv.push("orderbook", book(14, i))
                    await srv.push("recent_trades", [trade(14, i)])
                    await srv.push("order_history", [order(i)])
                    await until(lambda i=i: all(s and s[-1] == i for s in seen.values()))
                    if i < rounds:
                        await srv.drop(abrupt=i % 2 == 1)
                        await until(lambda i=i: mgr.statistics().reconnects == i + 1)
                for sub in subs.values():
                    await sub.aclose()
            stats = mgr.statistics()
            await mgr.aclose()
    assert stats.reconnects == rounds and stats.connects == rounds + 1
    assert len(srv.conns) == rounds + 1
    for name in ("trades", "orders"):
        assert seen[name] == list(range(rounds + 1))  # nothing lost, nothing duplicated
        assert [n.reconnects for n in notices[name]] == list(range(1, rounds + 1))
    for name in ("book_a", "book_b"):
        assert seen[name][-1] == rounds
    assert all(sub.statistics().reconnects == rounds for sub in subs.values())
    gc.collect()  # unclosed sockets would surface as ResourceWarning (an error here)
    assert not our_tasks()


@pytest.mark.anyio
async def test_a_stall_is_detected_and_healed_within_the_timeout() -> None:
    opts = StreamOptions(
        ping_interval=0.1,
        ping_timeout=0.2,
        stale_timeout=0.3,
        backoff_initial=0.01,
        backoff_max=0.05,
        close_timeout=0.2,
    )
    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=opts)
        with anyio.fail_after(10):
            async with mgr.subscribe("recent_trades", 14) as trades:
                await srv.wait_for(lambda: srv.subscribed(1))
                await srv.push("recent_trades", [trade(14, 1)])
                assert (await trades.__anext__()).trade_id == "1"
                await srv.stall()
                notice = await trades.__anext__()
                assert isinstance(notice, Reconnected) and notice.reconnects == 1
                await srv.wait_for(lambda: srv.subscribed(1))
                await srv.push("recent_trades", [trade(14, 2)])
                assert (await trades.__anext__()).trade_id == "2"
            await mgr.aclose()


@pytest.mark.anyio
async def test_watchdog_heals_a_silent_order_book_connection() -> None:
    opts = StreamOptions(
        ping_interval=None, stale_timeout=0.2, backoff_initial=0.01, close_timeout=0.2
    )
    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=opts)
        with anyio.fail_after(10):
            async with mgr.subscribe("orderbook", 14) as books:
                await srv.wait_for(lambda: srv.subscribed(1))
                await until(lambda: mgr.statistics().reconnects >= 1)
                assert "stale" in mgr.statistics().last_error
                got = None
                while got is None:  # a busy server keeps the new connection fresh
                    await srv.push("orderbook", book(14, 5))
                    with anyio.move_on_after(0.05):  # cancelling __anext__ is safe
                        got = await books.__anext__()
                assert got.transaction_version == 5
            await mgr.aclose()


@pytest.mark.anyio
async def test_slow_keep_latest_subscriber_does_not_slow_the_fast_one() -> None:
    n = 200
    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=FAST)
        with anyio.fail_after(10):
            fast = mgr.subscribe("orderbook", 14, buffer_size=n)
            slow = mgr.subscribe("orderbook", 14)
            async with fast, slow:
                await srv.wait_for(lambda: srv.subscribed(1))
                for v in range(n):
                    await srv.push("orderbook", book(14, v))
                got = [(await fast.__anext__()).transaction_version for _ in range(n)]
                assert got == list(range(n))
                assert fast.dropped == 0
                latest = await slow.__anext__()
                assert latest.transaction_version == n - 1
                assert slow.dropped == n - 1
            await mgr.aclose()


@pytest.mark.anyio
async def test_slow_event_subscriber_gets_slow_consumer_error_after_draining() -> None:
    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=FAST)
        with anyio.fail_after(10):
            slow = mgr.subscribe("order_history", ADDR, buffer_size=3)
            fast = mgr.subscribe("order_history", ADDR)
            async with slow, fast:
                await srv.wait_for(lambda: srv.subscribed(1))
                for i in range(6):
                    await srv.push("order_history", [order(i)])
                assert [(await fast.__anext__()).order_id for _ in range(6)] == list("012345")
                assert [(await slow.__anext__()).order_id for _ in range(3)] == list("012")
                with pytest.raises(SlowConsumerError) as info:
                    await slow.__anext__()
                assert info.value.dropped == 3
                # the failed subscriber left; the other is untouched
                assert mgr.statistics().subscribers == 1
                await srv.push("order_history", [order(6)])
                assert (await fast.__anext__()).order_id == "6"
            await mgr.aclose()


@pytest.mark.anyio
async def test_cancelling_anext_over_a_real_socket_loses_no_message() -> None:
    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=FAST)
        got: list[str] = []
        with anyio.fail_after(10):
            async with mgr.subscribe("recent_trades", 14) as trades:
                await srv.wait_for(lambda: srv.subscribed(1))
                for i in range(30):
                    async with anyio.create_task_group() as tg:
                        scope = anyio.CancelScope()

                        async def wait_one(scope: anyio.CancelScope = scope) -> None:
                            with scope:
                                got.append((await trades.__anext__()).trade_id)

                        tg.start_soon(wait_one)
                        await anyio.wait_all_tasks_blocked()
                        await srv.push("recent_trades", [trade(14, i)])
                        scope.cancel()
                while len(got) < 30:
                    got.append((await trades.__anext__()).trade_id)
            await mgr.aclose()
    assert got == [str(i) for i in range(30)]


@pytest.mark.anyio
async def test_bad_frames_are_counted_logged_once_per_kind_and_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="kana_async")
    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=FAST)
        with anyio.fail_after(10):
            async with mgr.subscribe("recent_trades", 14) as trades:
                await srv.wait_for(lambda: srv.subscribed(1))
                for _ in range(2):
                    await srv.send_raw("{not json")
                    await srv.send_raw(json.dumps({"hello": 1}))
                    await srv.send_raw(json.dumps({"message": "nope", "data": []}))
                    await srv.push("recent_trades", [{"market_id": "14", "price": "x"}])
                await srv.push("recent_trades", [trade(14, 7)])
                assert (await trades.__anext__()).trade_id == "7"
                stats = mgr.statistics()
            await mgr.aclose()
    assert stats.bad_frames == {
        "malformed_json": 2,
        "unexpected_shape": 4,
        "unknown_topic": 2,
    }
    assert stats.reconnects == 0  # the connection survived
    warnings = [r for r in caplog.records if "skipped a frame" in r.getMessage()]
    assert len(warnings) == 3  # once per kind


@pytest.mark.anyio
async def test_leaving_stops_delivery_and_it_is_not_replayed_on_reconnect() -> None:
    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=FAST)
        with anyio.fail_after(10):
            async with mgr.subscribe("recent_trades", 14) as keep:
                async with mgr.subscribe("orderbook", 15) as gone:
                    await srv.wait_for(lambda: srv.subscribed(2))
                assert gone.closed
                await srv.push("orderbook", book(15, 1))  # nobody listens any more
                await srv.push("recent_trades", [trade(14, 1)])
                assert (await keep.__anext__()).trade_id == "1"
                assert mgr.statistics().ignored == 1
                await srv.drop(abrupt=False)
                assert isinstance(await keep.__anext__(), Reconnected)
                await srv.wait_for(lambda: srv.subscribed(1))
                assert srv.live[0].subs == [{"topic": "recent_trades", "market_id": "14"}]
            await mgr.aclose()


@pytest.mark.anyio
async def test_cancelling_one_subscriber_never_disturbs_another() -> None:
    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=FAST)
        got: list[str] = []
        victim_got: list[str] = []

        async def reader(sub: Subscription[Any], out: list[str]) -> None:
            async with sub:
                async for item in sub:
                    out.append(item.trade_id)

        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                keeper, victim = anyio.CancelScope(), anyio.CancelScope()
                ended: list[str] = []

                async def run(scope: anyio.CancelScope, out: list[str], name: str) -> None:
                    with scope:
                        await reader(mgr.subscribe("recent_trades", 14), out)
                    ended.append(name)

                tg.start_soon(run, keeper, got, "keeper")
                tg.start_soon(run, victim, victim_got, "victim")
                await srv.wait_for(lambda: srv.subscribed(1))
                await until(lambda: mgr.statistics().subscribers == 2)
                await srv.push("recent_trades", [trade(14, 1)])
                await until(lambda: got == ["1"] and victim_got == ["1"])
                victim.cancel()
                await until(lambda: ended == ["victim"])
                assert mgr.statistics().subscribers == 1  # the victim's ``async with`` cleaned up
                await srv.push("recent_trades", [trade(14, 2)])
                await until(lambda: got == ["1", "2"])
                assert ended == ["victim"]
                keeper.cancel()
            await mgr.aclose()
    assert victim_got == ["1"]
    assert mgr.statistics().subscribers == 0


@pytest.mark.anyio
async def test_closing_the_manager_ends_every_subscription() -> None:
    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=FAST)
        with anyio.fail_after(10):
            sub = mgr.subscribe("positions", ADDR)
            await sub.start()
            await srv.wait_for(lambda: srv.subscribed(1))
            await mgr.aclose()
            await mgr.aclose()  # idempotent
            with pytest.raises(SubscriptionClosedError):
                await sub.__anext__()
            with pytest.raises(Exception, match="closed"):
                mgr.subscribe("positions", ADDR)
        assert mgr.state is ConnectionState.CLOSED
    assert not our_tasks()


@pytest.mark.anyio
async def test_late_joiner_gets_the_latest_snapshot_and_no_second_subscribe_is_sent() -> None:
    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=FAST)
        with anyio.fail_after(10):
            async with mgr.subscribe("orderbook", 14) as first:
                await srv.wait_for(lambda: srv.subscribed(1))
                await srv.push("orderbook", book(14, 4))
                assert (await first.__anext__()).transaction_version == 4
                async with mgr.subscribe("orderbook", 14) as late:
                    assert (await late.__anext__()).transaction_version == 4
            async with mgr.subscribe("orderbook", 14):  # again, same connection
                pass
            assert len(srv.live[0].subs) == 1
            await mgr.aclose()


@pytest.mark.anyio
async def test_key_resolved_when_the_subscription_starts() -> None:
    async def profile() -> str:
        return SHORT

    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=FAST)
        with anyio.fail_after(10):
            sub = mgr.subscribe("positions", profile)
            assert sub.key is None
            async with sub:
                assert sub.key == SHORT_FULL
                await srv.wait_for(lambda: srv.subscribed(1))
                assert srv.live[0].subs == [{"topic": "positions", "address": SHORT_FULL}]
            await mgr.aclose()


@pytest.mark.anyio
async def test_unkeyed_topic_and_reconnect_request() -> None:
    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=FAST)
        with pytest.raises(Exception, match="no subscription"):
            await mgr.wait_for_state(ConnectionState.CONNECTED)
        with anyio.fail_after(10):
            async with mgr.subscribe("live_funding_rate") as rates:
                await srv.wait_for(lambda: srv.subscribed(1))
                assert srv.live[0].subs == [{"topic": "live_funding_rate"}]
                row = {"market_id": "14", "funding_rate": "0.0001"}
                await srv.push("live_funding_rate", [row])
                assert (await rates.__anext__()).funding_rate == Decimal("0.0001")
                mgr.reconnect("test")
                await until(lambda: mgr.statistics().reconnects == 1)
                await mgr.wait_for_state(ConnectionState.CONNECTED)
            await mgr.aclose()


def test_subscribe_rejects_unknown_topics_and_bad_keys() -> None:
    mgr = StreamManager("ws://127.0.0.1:9/ws/")
    with pytest.raises(ValueError, match="unknown topic"):
        mgr.subscribe("candles", 14)
    with pytest.raises(Exception, match="address"):
        mgr.subscribe("positions", "not-an-address")
    with pytest.raises(Exception, match="market_id"):
        mgr.subscribe("orderbook", "BTC")
    with pytest.raises(Exception, match="takes no"):
        mgr.subscribe("live_funding_rate", 14)


# -- every documented example decodes to its typed payload -----------------------------------

EXAMPLES = Path(__file__).parent / "data" / "spec_examples" / "ws"


@pytest.mark.parametrize(
    "name",
    ["order_history.json", "deposit_withdraw_history.json", "positions.legacy_396.json"],
)
def test_every_ws_example_decodes_to_its_typed_payload(name: str) -> None:
    frame = json.loads((EXAMPLES / name).read_text())
    topic = TOPICS[frame["message"]]
    rows = topic.decode(json.dumps(frame["data"]).encode(), None)  # type: ignore[arg-type]
    assert len(rows) == len(frame["data"]) == 1
    assert isinstance(rows[0], topic.row_type)
    assert topic.route_key(json.dumps(frame["data"]).encode()) == frame["data"][0]["address"]  # type: ignore[arg-type]


def test_examples_carry_the_fields_that_matter() -> None:

    def rows(name: str) -> Any:
        frame = json.loads((EXAMPLES / name).read_text())
        return TOPICS[frame["message"]].decode(json.dumps(frame["data"]).encode(), None)  # type: ignore[arg-type]

    (entry,) = rows("order_history.json")
    assert entry.order_id == "11905620858892513160724480"
    assert entry.price == Decimal("5.75789140") and entry.market_id == 14
    (transfer,) = rows("deposit_withdraw_history.json")
    assert transfer.amount == Decimal("10") and transfer.is_deposit
    (position,) = rows("positions.legacy_396.json")
    assert position.is_long is False and position.liq_price == Decimal("8853.658536585366")
    assert position.last_updated == 1739788459  # sent as a string in the legacy format


def test_subscribe_frames_match_the_documented_messages() -> None:
    documented = json.loads((EXAMPLES / "subscribe_messages.json").read_text())
    for name, message in documented.items():
        topic = TOPICS[name]
        key: Any = None
        if "address" in message:
            key = ADDR
            message = {**message, "address": ADDR}
        elif "market_id" in message:
            key = 14
            message = {**message, "market_id": "14"}
        assert json.loads(topic.subscribe_frame(key)) == message
    assert set(documented) | {"best_price"} == set(TOPICS)
    positions = json.loads((EXAMPLES / "positions.subscribe.json").read_text())
    assert json.loads(TOPICS["positions"].subscribe_frame(positions["address"])) == positions


def test_topic_table_policies() -> None:
    assert TOPICS["orderbook"].policy is OverflowPolicy.KEEP_LATEST
    assert TOPICS["best_price"].policy is OverflowPolicy.KEEP_LATEST
    assert TOPICS["live_funding_rate"].policy is OverflowPolicy.KEEP_LATEST
    assert TOPICS["recent_trades"].policy is OverflowPolicy.DROP_OLDEST
    private = [t for t in TOPICS.values() if t.key.value == "address"]
    assert len(private) == 7
    assert all(t.policy is OverflowPolicy.FAIL and t.events for t in private)
