"""The frame sink: whole messages handed to the reader as the socket parses them (websockets).

The tests against a real server also run over aiohttp (fragments joined, control frames between
data frames answered and seen), which joins fragments and reads control frames itself.
"""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal

import anyio
import pytest
from websockets.frames import Frame, Opcode

from kana_async._streams import StreamManager
from kana_async._streams.websocket import MAX_FRAGMENTS, PENDING_HIGH, FrameSink
from tests.ws_support import ADDR, FAST, FakeKana, every_socket

anyio_backend = every_socket()


class _Flow:
    """Records the sink's pause and resume calls."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def pause(self) -> None:
        self.calls.append("pause")

    def resume(self) -> None:
        self.calls.append("resume")


def _sink() -> tuple[FrameSink, _Flow]:
    flow = _Flow()
    return FrameSink(flow.pause, flow.resume), flow


def _fragments(parts: list[bytes]) -> list[Frame]:
    frames = [
        Frame(Opcode.TEXT if i == 0 else Opcode.CONT, p, fin=False) for i, p in enumerate(parts)
    ]
    frames[-1] = Frame(frames[-1].opcode, parts[-1], fin=True)
    return frames


def test_whole_and_fragmented_messages_are_delivered_in_order_as_bytes() -> None:
    sink, _ = _sink()
    got: list[bytes] = []
    sink.attach(got.append)
    sink.put(Frame(Opcode.TEXT, b'{"a": 1}'))
    for frame in _fragments([b'{"b"', bytearray(b": "), memoryview(b"2}")]):
        sink.put(frame)
    sink.put(Frame(Opcode.TEXT, bytearray(b"[3]")))
    assert got == [b'{"a": 1}', b'{"b": 2}', b"[3]"]
    assert all(type(m) is bytes for m in got)


def test_messages_before_the_reader_attaches_wait_and_reading_pauses_past_the_mark() -> None:
    sink, flow = _sink()
    for i in range(PENDING_HIGH + 2):
        sink.put(Frame(Opcode.TEXT, b"%d" % i))
    assert flow.calls == ["pause"]  # once, past the mark
    got: list[bytes] = []
    sink.attach(got.append)
    assert got == [b"%d" % i for i in range(PENDING_HIGH + 2)]
    assert flow.calls == ["pause", "resume"]
    sink.put(Frame(Opcode.TEXT, b"next"))
    assert got[-1] == b"next"


def test_after_detach_messages_are_dropped_and_a_paused_socket_resumes() -> None:
    sink, flow = _sink()
    for i in range(PENDING_HIGH + 1):
        sink.put(Frame(Opcode.TEXT, b"%d" % i))
    sink.detach()
    assert flow.calls == ["pause", "resume"]
    sink.put(Frame(Opcode.TEXT, b"late"))  # nobody reads any more: dropped, never kept
    got: list[bytes] = []
    sink.attach(got.append)
    assert got == []


def test_a_message_in_too_many_fragments_is_skipped_and_counted_the_next_one_delivered() -> None:
    sink, _ = _sink()
    got: list[bytes] = []
    sink.attach(got.append)
    for frame in _fragments([b"x"] * (MAX_FRAGMENTS + 10)):
        sink.put(frame)
    assert got == [] and sink.skipped == 1
    sink.put(Frame(Opcode.TEXT, b"ok"))
    for frame in _fragments([b"a", b"b"]):
        sink.put(frame)
    assert got == [b"ok", b"ab"] and sink.skipped == 1


def test_close_forgets_a_half_received_message() -> None:
    sink, _ = _sink()
    got: list[bytes] = []
    sink.attach(got.append)
    sink.put(Frame(Opcode.TEXT, b"half", fin=False))
    sink.close()
    assert sink.closed
    sink.put(Frame(Opcode.TEXT, b"whole"))
    assert got == [b"whole"]  # the fragment did not stick to it


@pytest.mark.anyio
async def test_a_fragmented_frame_from_a_real_server_arrives_whole() -> None:
    row = {"address": ADDR, "market_id": "14", "size": "2", "trade_side": True}
    text = json.dumps({"data": [row], "message": "positions"})
    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=FAST)
        with anyio.fail_after(10):
            async with mgr.subscribe("positions", ADDR) as positions:
                await srv.wait_for(lambda: srv.subscribed(1))

                async def send_fragmented() -> None:
                    for conn in srv.live:
                        await conn.ws.send([text[:10], text[10:50], text[50:]])

                await srv._call(send_fragmented)
                got = await positions.__anext__()
                assert got.size == Decimal("2")
            stats = mgr.statistics()
            await mgr.aclose()
    assert stats.frames == 1 and stats.bad_frames == {}


@pytest.mark.anyio
async def test_control_frames_between_data_frames_are_still_the_librarys() -> None:
    # data frames go straight to the sink; a ping from the server between two of them must
    # still be answered by the library (its pong resolves the server's ping), and the client's
    # own keepalive pings must still see their pongs (the connection stays up, no reconnect)
    rows = [
        {"address": ADDR, "market_id": "14", "size": str(n), "trade_side": True} for n in (1, 2)
    ]
    texts = [json.dumps({"data": [row], "message": "positions"}) for row in rows]
    opts = dataclasses.replace(FAST, ping_interval=0.05, ping_timeout=0.1)
    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=opts)
        with anyio.fail_after(10):
            async with mgr.subscribe("positions", ADDR) as positions:
                await srv.wait_for(lambda: srv.subscribed(1))

                async def ping_between() -> float:
                    (conn,) = srv.live
                    await conn.ws.send(texts[0])
                    pong = await conn.ws.ping()
                    await conn.ws.send(texts[1])
                    latency: float = await pong
                    return latency

                assert await srv._call(ping_between) >= 0.0  # the client answered it
                assert (await positions.__anext__()).size == Decimal(1)
                assert (await positions.__anext__()).size == Decimal(2)
                await anyio.sleep(0.4)  # several keepalive rounds, each needing its pong
            stats = mgr.statistics()
            await mgr.aclose()
    assert stats.frames == 2 and stats.reconnects == 0 and stats.bad_frames == {}


def test_an_error_of_the_callback_is_logged_counted_and_the_next_message_delivered(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sink, _ = _sink()
    got: list[bytes] = []

    def deliver(data: bytes) -> None:
        if data == b"bad":
            raise RuntimeError("a bug downstream")
        got.append(data)

    sink.put(Frame(Opcode.TEXT, b"bad"))  # waiting for the reader: delivered at attach
    sink.put(Frame(Opcode.TEXT, b"1"))
    with caplog.at_level("ERROR", logger="kana_async"):
        sink.attach(deliver, "ws://sink")
        sink.put(Frame(Opcode.TEXT, b"bad"))  # as it arrives
        sink.put(Frame(Opcode.TEXT, b"2"))
    assert got == [b"1", b"2"]
    assert sink.frames == 4
    errors = [r for r in caplog.records if "error while handling a frame" in r.getMessage()]
    assert len(errors) == 2 and all("ws://sink" in r.getMessage() for r in errors)
    assert all(r.exc_info and r.exc_info[0] is RuntimeError for r in errors)
