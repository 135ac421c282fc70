"""The frame hot path: topic peek, the codec helpers, the route cache, lazy errors, idle close."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from decimal import Decimal
from typing import Any

import anyio
import pytest

from kana_async._codec import (
    DecodeError,
    decode_error_kind,
    field_decoder,
    leading_message,
    peek_message,
)
from kana_async._streams import StreamManager
from kana_async._streams.connection import WSConnection
from kana_async._streams.frames import BadFrame
from kana_async._streams.options import ConnectionState, StreamOptions
from kana_async._streams.routing import Router, peek_trailing_message
from kana_async._streams.subscription import OverflowPolicy, Subscription
from kana_async._streams.topics import TOPICS, Topic
from kana_async.models.orderbook import OrderBook
from kana_async.models.stream_events import Reconnected
from kana_async.models.trades import Trade
from tests.ws_support import (
    ADDR,
    FAST,
    FakeKana,
    book,
    every_socket,
    level,
    order,
    our_tasks,
    take_frames,
    trade,
    until,
)

LINGER = StreamOptions(
    ping_interval=None,
    ping_timeout=None,
    stale_timeout=None,
    backoff_initial=0.005,
    backoff_max=0.02,
    close_timeout=0.5,
    idle_linger=0.05,
)

anyio_backend = every_socket()


# -- codec helpers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        (b'{"message":"orderbook","data":[]}', "orderbook"),
        (b'{"message": "best_price", "data": {}}', "best_price"),
        (b' \n{ "message" : "bestPrice" }', "bestPrice"),
        (b'{"data": [], "message": "orderbook"}', None),  # another member order: decode
        (b'{"message": "a\\u0062", "data": []}', None),  # an escape: decode
        (b'{"message": 42, "data": []}', None),
        (b'{"message": "orderbook"', None),  # no member separator after the name
        (b"{not json", None),
        (b"", None),
    ],
)
def test_peek_message_reads_only_a_leading_plain_message(
    frame: bytes, expected: str | None
) -> None:
    assert peek_message(frame) == expected
    lead = leading_message(frame)
    assert (None if lead is None else lead[1]) == expected
    if lead is not None:  # the bytes it read: the frame's own first bytes, up to `,` or `}`
        assert frame.startswith(lead[0]) and lead[0][-1:] in (b",", b"}")
        assert peek_message(lead[0] + b"anything") == expected


def test_cached_leading_prefixes_route_only_frames_that_open_with_those_bytes() -> None:
    router = Router("ws://test")
    wire, _ = router.wire(TOPICS["orderbook"], 14)
    router.mark_sent(wire)
    sub: Subscription[Any] = Subscription(
        "orderbook", 14, policy=OverflowPolicy.DROP_OLDEST, buffer_size=16
    )
    wire.add(sub)
    data = json.dumps(book(14, 1)).encode()
    spaced = b'{"message": "orderbook", "data": ' + data + b"}"
    tight = b'{"message":"orderbook","data":' + data + b"}"
    for frame in (spaced, tight, spaced, tight):  # two layouts: two prefixes, both cached
        router.on_frame(frame)
    assert router.delivered == 4 and len(sub._buffer) == 4
    assert {len(k) for k in router._fast if isinstance(k, bytes)} == {24, 23}
    # a longer name that starts like the cached one is not the cached topic
    router.on_frame(b'{"message": "orderbook_x", "data": []}')
    router.on_frame(b'{"message":"orderbooks","data":[]}')
    assert router.bad == {"unknown_topic": 2} and router.delivered == 4
    router.remove(wire)  # the cache goes with the wire: its frames are now ignored
    router.on_frame(spaced)
    router.on_frame(tight)  # the layout that was routed last, too
    assert router.delivered == 4 and router.ignored == 2


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        (b'{"data": [], "message": "positions"}', "positions"),
        (b'{"data":{"a":1},"message":"best_price"}\n', "best_price"),
        (b'{ "message" : "bestPrice" }', "bestPrice"),
        (b'{"data": [{"message": "x"}], "message" : "positions" } ', "positions"),
        (b'{"data": [], "message": "positions", "success": true}', None),  # not last: decode
        (b'{"data": [{"message": "positions"}]}', None),  # nested: the frame ends "}]}"
        (b'{"data": {"message": "positions"}}', None),  # nested object: two closing braces
        (b'{"data": [], "abc\\"message": "positions"}', None),  # the end of a longer key
        (b'{"data": "x", "note": "\\"message\\": \\"positions\\"}"}', None),  # in a string
        (b'{"data": [] "message": "positions"}', None),  # no member separator before it
        (b'{"data": [], "message": "a\\u0062"}', None),  # an escape: decode
        (b'{"data": [], "message": 42}', None),
        (b'"message": "positions"}', None),  # nothing before the key
        (b"", None),
    ],
)
def test_peek_trailing_message_reads_only_a_plain_last_member(
    frame: bytes, expected: str | None
) -> None:
    assert peek_trailing_message(frame) == expected


def test_field_decoder_decodes_one_member_and_classifies_errors() -> None:
    rows = field_decoder("data", list[int])
    assert rows(b'{"message": "x", "data": [1, "2"], "extra": {"a": [1]}}') == [1, 2]
    assert field_decoder("data", list[int]) is rows  # built once
    price = field_decoder("price", Decimal)
    assert price(b'{"price": 0.1000000000000000055}') == Decimal("0.1000000000000000055")
    cases = {
        b'{"data": [1, 2': "malformed_json",
        b'{"data": [1], "other": [}': "malformed_json",  # skipped members are still checked
        b'{"data": ["x"]}': "unexpected_shape",
        b'{"other": 1}': "unexpected_shape",  # missing member
        b"[1, 2]": "unexpected_shape",
    }
    for data, kind in cases.items():
        with pytest.raises(DecodeError) as info:
            rows(data)
        assert decode_error_kind(info.value) == kind, data
    assert decode_error_kind(ValueError("not a decode error")) == "malformed_json"


def test_topic_decodes_whole_frames_like_their_data_member() -> None:
    topic = TOPICS["orderbook"]
    data = [level(14, True, "5.8", "1"), level(14, False, "5.7", "2")]
    frame = json.dumps({"message": "orderbook", "data": data}).encode()
    (whole,) = topic.decode_frame(frame, 14)
    (part,) = topic.decode(json.dumps(data).encode(), 14)
    assert isinstance(whole, OrderBook) and whole == part
    assert topic.frame_route_key(frame) == topic.route_key(json.dumps(data).encode()) == 14
    single = json.dumps({"message": "recent_trades", "data": trade(14, 3)}).encode()
    (row,) = TOPICS["recent_trades"].decode_frame(single, 14)
    assert isinstance(row, Trade) and row.trade_id == "3"
    with pytest.raises(BadFrame) as bad:
        topic.decode_frame(b'{"message": "orderbook"}', 14)
    assert bad.value.kind == "unexpected_shape"


# -- frames over a real socket ---------------------------------------------------------------


@pytest.mark.anyio
async def test_frames_in_any_member_order_are_routed_and_delivered() -> None:
    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=FAST)
        with anyio.fail_after(10):
            async with mgr.subscribe("recent_trades", 14) as trades:
                await srv.wait_for(lambda: srv.subscribed(1))
                await srv.send_raw(json.dumps({"data": [trade(14, 1)], "message": "recent_trades"}))
                await srv.send_raw('{ "message" : "recent_trades" , "data" : [] }')
                await srv.push("recent_trades", [trade(14, 2), trade(14, 3)])
                got = [(await trades.__anext__()).trade_id for _ in range(3)]
                assert got == ["1", "2", "3"]
                stats = mgr.statistics()
                assert stats.bad_frames == {} and stats.delivered_frames == 3
            await mgr.aclose()


@pytest.mark.anyio
async def test_bad_frames_that_start_well_are_counted_when_read(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="kana_async")
    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=FAST)
        with anyio.fail_after(10):
            async with (
                mgr.subscribe("recent_trades", 14) as trades,
                mgr.subscribe("orderbook", 14) as books,
            ):
                await srv.wait_for(lambda: srv.subscribed(2))
                await srv.send_raw('{"message": "recent_trades", "data": [{"market_id": "14",')
                await srv.send_raw('{"message": "recent_trades", "data": "nope"}')
                await srv.push("recent_trades", [trade(14, 9)])
                assert (await trades.__anext__()).trade_id == "9"  # the bad two were skipped
                # a NaN price cannot be ordered: counted and skipped, never raised to the reader
                await srv.push(
                    "orderbook",
                    [level(14, False, "5", "1"), {**level(14, False, "5", "1"), "price": "NaN"}],
                )
                await srv.push("recent_trades", [trade(14, 10)])
                assert (await trades.__anext__()).trade_id == "10"
                await srv.push("orderbook", book(14, 5))
                await until(lambda: books.dropped == 1)  # the NaN one was replaced
                latest = await books.__anext__()
                assert latest.transaction_version == 5
                stats = mgr.statistics()
            await mgr.aclose()
    # the NaN snapshot was replaced by the next one before anyone read it: never decoded
    assert stats.bad_frames == {"malformed_json": 1, "unexpected_shape": 1}
    assert stats.reconnects == 0
    assert len([r for r in caplog.records if "skipped a frame" in r.getMessage()]) == 2


@pytest.mark.anyio
async def test_a_nan_price_in_a_read_snapshot_is_counted_not_raised() -> None:
    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=FAST)
        with anyio.fail_after(10):
            async with mgr.subscribe("orderbook", 14) as books:
                await srv.wait_for(lambda: srv.subscribed(1))
                bad = [level(14, False, "5", "1"), {**level(14, False, "5", "1"), "price": "NaN"}]
                await srv.push("orderbook", bad)
                await until(lambda: mgr.statistics().delivered_frames == 1)
                got: list[Any] = []

                async def read() -> None:
                    got.append(await books.__anext__())

                async with anyio.create_task_group() as tg:
                    tg.start_soon(read)
                    await until(lambda: mgr.statistics().bad_frames != {})
                    assert not got  # skipped, still waiting for a usable snapshot
                    await srv.push("orderbook", book(14, 6))
                assert got[0].transaction_version == 6
                assert mgr.statistics().bad_frames == {"bad_number": 1}  # refused at decode
            await mgr.aclose()


@pytest.mark.anyio
async def test_route_cache_follows_keys_joining_and_leaving() -> None:
    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=FAST)
        with anyio.fail_after(10):
            b14 = mgr.subscribe("orderbook", 14)
            await b14.start()
            await srv.wait_for(lambda: srv.subscribed(1))
            await srv.push("orderbook", book(14, 1))  # one key: routed without reading rows
            assert (await b14.__anext__()).transaction_version == 1
            b15 = mgr.subscribe("orderbook", 15)
            await b15.start()
            await srv.wait_for(lambda: srv.subscribed(2))
            await srv.push("orderbook", book(15, 2))  # two keys now: routed by the rows
            await srv.push("orderbook", book(14, 3))
            assert (await b15.__anext__()).transaction_version == 2
            assert (await b14.__anext__()).transaction_version == 3
            await b15.aclose()
            await srv.push("orderbook", book(15, 4))  # still sent by the server: ignored
            await srv.push("orderbook", book(14, 5))
            assert (await b14.__anext__()).transaction_version == 5
            assert mgr.statistics().ignored == 1
            await srv.drop(abrupt=True)  # the new connection carries only 14 again
            await srv.wait_for(lambda: srv.subscribed(1))
            await until(lambda: mgr.statistics().reconnects == 1)
            await srv.push("orderbook", book(15, 6))  # whatever the server says: 14's only key
            assert (await b14.__anext__()).market_id == 14
            await b14.aclose()
            await mgr.aclose()


# -- idle connection ---------------------------------------------------------------------------


@pytest.mark.anyio
async def test_idle_connection_closes_after_the_linger_and_reopens_fresh() -> None:
    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=LINGER)
        with anyio.fail_after(10):
            async with mgr.subscribe("order_history", ADDR) as orders:
                await srv.wait_for(lambda: srv.subscribed(1))
                await srv.push("order_history", [order(1)])
                assert (await orders.__anext__()).order_id == "1"
            await srv.wait_for(lambda: not srv.live)  # closed by the client after the linger
            await until(lambda: mgr.state is ConnectionState.IDLE)
            assert await mgr.wait_for_state(ConnectionState.IDLE) is ConnectionState.IDLE
            with pytest.raises(Exception, match="no subscription"):
                await mgr.wait_for_state(ConnectionState.CONNECTED)
            stats = mgr.statistics()
            assert stats.tasks >= 1  # the connection is paused, not torn down
            assert (stats.frames, stats.connects, stats.reconnects) == (1, 1, 0)
            assert stats.last_error
            async with mgr.subscribe("order_history", ADDR) as again:
                await srv.wait_for(lambda: srv.subscribed(1))
                assert len(srv.conns) == 2
                await srv.push("order_history", [order(2)])
                item = await again.__anext__()
                assert not isinstance(item, Reconnected)  # a fresh connection, not a gap
                assert item.order_id == "2"
                stats = mgr.statistics()
                assert (stats.frames, stats.connects, stats.reconnects) == (2, 2, 0)
                assert mgr.state is ConnectionState.CONNECTED
            await mgr.aclose()
        assert mgr.state is ConnectionState.CLOSED
    assert not our_tasks()


@pytest.mark.anyio
async def test_a_subscription_within_the_linger_keeps_the_connection() -> None:
    options = StreamOptions(ping_interval=None, stale_timeout=None, idle_linger=0.3)
    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=options)
        with anyio.fail_after(10):
            async with mgr.subscribe("recent_trades", 14):
                await srv.wait_for(lambda: srv.subscribed(1))
            async with mgr.subscribe("recent_trades", 14) as trades:
                await srv.push("recent_trades", [trade(14, 1)])
                assert (await trades.__anext__()).trade_id == "1"
                await anyio.sleep(0.4)  # past the linger: the timer was cancelled
                assert len(srv.conns) == 1 and srv.live
                assert len(srv.live[0].subs) == 1  # not subscribed twice
            await mgr.aclose()
    assert not our_tasks()


@pytest.mark.anyio
async def test_idle_linger_none_keeps_the_connection_and_close_during_idle_close() -> None:
    options = StreamOptions(ping_interval=None, stale_timeout=None, idle_linger=None)
    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=options)
        with anyio.fail_after(10):
            async with mgr.subscribe("recent_trades", 14):
                await srv.wait_for(lambda: srv.subscribed(1))
            await anyio.sleep(0.05)
            assert srv.live and mgr.state is ConnectionState.CONNECTED
            await mgr.aclose()
        mgr = StreamManager(srv.url, options=StreamOptions(ping_interval=None, idle_linger=0))
        with anyio.fail_after(10):
            async with mgr.subscribe("recent_trades", 14):
                await srv.wait_for(lambda: len(srv.live) == 1)
            await until(lambda: mgr.state is ConnectionState.IDLE)  # the close has begun
            await mgr.aclose()  # waits for it
            assert mgr.state is ConnectionState.CLOSED
    assert not our_tasks()


@pytest.mark.anyio
async def test_subscribing_while_the_idle_connection_closes_waits_for_it() -> None:
    options = StreamOptions(ping_interval=None, stale_timeout=None, idle_linger=0)
    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=options)
        with anyio.fail_after(10):
            async with mgr.subscribe("recent_trades", 14):
                await srv.wait_for(lambda: srv.subscribed(1))
            await until(lambda: mgr.state is ConnectionState.IDLE)
            async with mgr.subscribe("recent_trades", 14) as trades:
                # the new connection's subscription (the closing one may still count as live
                # for a moment: a frame pushed to it would be lost with it). Until the server
                # has accepted the new connection, the closing one is the last it knows of
                await srv.wait_for(
                    lambda: (
                        len(srv.conns) == 2 and srv.subscribed(1) and srv.live[0] is srv.conns[-1]
                    )
                )
                await srv.push("recent_trades", [trade(14, 4)])
                assert (await trades.__anext__()).trade_id == "4"
                assert len(srv.conns) == 2
            await mgr.aclose()
    assert not our_tasks()


def test_idle_linger_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="idle_linger"):
        StreamOptions(idle_linger=-1)


@pytest.mark.anyio
async def test_a_failed_start_leaves_no_subscriber_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=FAST)
        with anyio.fail_after(10):
            async with mgr.subscribe("orderbook", 14):
                await srv.wait_for(lambda: srv.subscribed(1))

                async def broken_send(self: Any, frame: bytes) -> bool:
                    raise RuntimeError("boom")

                monkeypatch.setattr("kana_async._streams.connection.WSConnection.send", broken_send)
                failing = mgr.subscribe("orderbook", 15)
                with pytest.raises(RuntimeError, match="boom"):
                    await failing.start()
                assert failing.closed
                stats = mgr.statistics()
                assert (stats.subscribers, stats.wire_subscriptions) == (1, 1)
                monkeypatch.undo()
            assert mgr.statistics().subscribers == 0
            await mgr.aclose()


# -- one decode per frame, lazy websockets ------------------------------------------------------


@pytest.mark.anyio
async def test_a_frame_with_data_before_message_is_decoded_in_one_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import kana_async._streams.routing as routing

    calls: list[str] = []
    real_envelope, real_decode, real_whole = routing._envelope, Topic.decode, Topic.frame_decoder

    def envelope(data: bytes) -> Any:
        calls.append("envelope")
        return real_envelope(data)

    def rows(self: Topic, data: Any, key: Any) -> Any:
        calls.append(f"rows {len(bytes(data))}")
        return real_decode(self, data, key)

    def whole(self: Topic, key: Any) -> Any:
        decode = real_whole(self, key)

        def counted(frame: bytes) -> Any:
            calls.append(f"frame {len(frame)}")
            return decode(frame)

        return counted

    monkeypatch.setattr(routing, "_envelope", envelope)
    monkeypatch.setattr(Topic, "decode", rows)
    monkeypatch.setattr(Topic, "frame_decoder", whole)
    data = [{"address": ADDR, "market_id": "14", "size": "2", "trade_side": True}]
    last = json.dumps({"data": data, "message": "positions"})  # the documented layout
    middle = json.dumps({"data": [{**data[0], "size": "3"}], "message": "positions", "x": 1})
    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=FAST)
        with anyio.fail_after(10):
            async with mgr.subscribe("positions", ADDR) as positions:
                await srv.wait_for(lambda: srv.subscribed(1))
                await srv.send_raw(last)
                assert (await positions.__anext__()).size == Decimal("2")
                await srv.send_raw(middle)  # `message` elsewhere: the envelope, then the rows
                assert (await positions.__anext__()).size == Decimal("3")
            await mgr.aclose()
    rows_size = len(json.dumps([{**data[0], "size": "3"}]))
    assert calls == [f"frame {len(last)}", "envelope", f"rows {rows_size}"]


def test_importing_the_sdk_does_not_import_websockets() -> None:
    code = (
        "import sys, kana_async\n"
        "kana_async.KanaClient\n"
        "assert not any(m.split('.')[0] == 'websockets' for m in sys.modules), 'eager'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.mark.anyio
async def test_a_subscribe_frame_that_did_not_go_out_is_sent_by_the_next_subscriber(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=FAST)
        with anyio.fail_after(10):
            async with mgr.subscribe("orderbook", 14):
                await srv.wait_for(lambda: srv.subscribed(1))

                async def lost_send(self: Any, frame: bytes) -> bool:
                    return False  # e.g. the socket closed underneath

                monkeypatch.setattr(WSConnection, "send", lost_send)
                async with mgr.subscribe("orderbook", 15):
                    pass
                monkeypatch.undo()
                async with mgr.subscribe("orderbook", 15) as b15:
                    await srv.wait_for(lambda: srv.subscribed(2))  # sent this time
                    await srv.push("orderbook", book(15, 3))
                    assert (await b15.__anext__()).transaction_version == 3
            await mgr.aclose()


def test_a_cached_trailing_topic_routes_as_the_full_peek_would() -> None:
    router = Router("ws://tails")
    topic = TOPICS["positions"]
    other = "0x" + "ab" * 32
    first, _ = router.wire(topic, ADDR)
    router.mark_sent(first)
    sub: Subscription[Any] = Subscription(
        "positions", ADDR, policy=OverflowPolicy.FAIL, buffer_size=100
    )
    first.add(sub)

    def frame(address: str, size: int, tail: str = ', "message": "positions"}') -> bytes:
        row = {"address": address, "market_id": "14", "size": str(size), "trade_side": True}
        return (json.dumps({"data": [row]})[:-1] + tail).encode()

    for size in (1, 2):  # the second one through the cached tail
        router.on_frame(frame(ADDR, size))
    router.on_frame(frame(ADDR, 3, ', "message": "positionz"}'))  # another tail: peeked, unknown
    router.on_frame(frame(ADDR, 4, ', "message": "positions"} '))  # not a cached tail: peeked
    router.on_frame(frame(ADDR, 5, ',"x": 1, "message": "positions"}'))  # another member first
    router.on_frame(b'"message": "positions"}')  # no object: no member start, decoded: refused
    second, _ = router.wire(topic, other)  # a second key: the cache is forgotten ...
    router.mark_sent(second)
    late: Subscription[Any] = Subscription(
        "positions", other, policy=OverflowPolicy.FAIL, buffer_size=100
    )
    second.add(late)
    router.on_frame(frame(other, 6))  # ... so this frame is routed by its rows
    router.on_frame(frame(ADDR, 7))
    sizes = [row.size for rows in take_frames(sub) for row in rows or ()]
    assert sizes == [1, 2, 4, 5, 7]
    assert [row.size for rows in take_frames(late) for row in rows or ()] == [6]
    assert router.bad == {"unknown_topic": 1, "unexpected_shape": 1}
