"""``kana_async.recording``: record frames from real websocket servers and read them back."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import anyio
import pytest

from kana_async._config import Network
from kana_async._exceptions import ArgumentTypeError, InvalidAddressError, InvalidArgumentError
from kana_async.recording import (
    RECORDING_FORMAT,
    RECORDING_VERSION,
    load_recording,
    record,
)
from kana_async.sim.server import Simulator
from tests.ws_support import ADDR, FAST, FakeKana, our_tasks, until

pytestmark = pytest.mark.anyio

APT = 1338


def fake_network(url: str) -> Network:
    return Network(
        name="fake", rest_url="http://127.0.0.1:1", ws_url=url, node_url="http://127.0.0.1:1/v1",
        chain_id=2, markets={"APT-USD": 14},
    )  # fmt: skip


async def test_records_the_simulator_books_and_trades(tmp_path: Path) -> None:
    path = tmp_path / "sim.jsonl"
    async with Simulator(seed=5, tick_interval=0.01) as sim:
        subs: list[tuple[str, str | int | None]] = [
            ("orderbook", APT),
            ("recent_trades", str(APT)),
            ("best_price", APT),
        ]
        with anyio.fail_after(30):
            count = await record(sim.network, subs, path, max_frames=40, options=FAST)
        markets = dict(sim.network.markets)
    assert count == 40
    rec = load_recording(path)
    assert rec.network == "sim" and rec.markets == markets
    assert rec.subscriptions == (("orderbook", APT), ("recent_trades", APT), ("best_price", APT))
    assert len(rec.frames) == 40
    times = [f.t for f in rec.frames]
    assert times == sorted(times) and times[0] >= 0
    assert {f.topic for f in rec.frames} <= {"orderbook", "recent_trades", "best_price"}
    assert all(f.key == APT for f in rec.frames)
    # One snapshot per subscription (a single connection), each the topic's first frame.
    snapshots = [f for f in rec.frames if f.snapshot]
    assert sorted(str(f.topic) for f in snapshots) == ["best_price", "orderbook", "recent_trades"]
    for snap in snapshots:
        first = next(f for f in rec.frames if f.topic == snap.topic)
        assert first is snap
    books = [json.loads(f.raw) for f in rec.frames if f.topic == "orderbook"]
    assert len(books) > 1 and all(b["message"] == "orderbook" and b["data"] for b in books)
    assert our_tasks() == []


async def test_raw_frames_are_kept_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / "fake.jsonl"
    # Digits a float round trip would lose, a u128 id, and a newline in the JSON whitespace.
    first = '{"message": "recent_trades",\n "data": [{"market_id": "14", "price": 5.7500000000000001, "order_id": 340282366920938463463374607431768211455}]}'  # noqa: E501
    second = '{"message":"orderbook","data":[{"market_id":"14","is_ask":true,"price":5.750,"size":"1.25"}]}'  # noqa: E501
    async with FakeKana() as srv:
        network = fake_network(srv.url)
        task = asyncio.create_task(
            record(network, [("recent_trades", 14), ("orderbook", "14")], path, max_frames=3,
                   options=FAST)
        )  # fmt: skip
        with anyio.fail_after(10):
            await srv.wait_for(lambda: srv.subscribed(2))
            for text in (first, second, "{definitely not json"):
                await srv.send_raw(text)
            assert await task == 3
    assert srv.conns[0].subs == [
        {"topic": "recent_trades", "market_id": "14"},
        {"topic": "orderbook", "market_id": "14"},
    ]
    rec = load_recording(path)
    assert rec.markets == {"APT-USD": 14} and rec.ws_url == srv.url
    raws = [f.raw for f in rec.frames]
    assert raws[0] == first.replace("\n", " ").encode()
    assert raws[1] == second.encode()
    assert raws[2] == b"{definitely not json"
    assert [(f.topic, f.key, f.snapshot) for f in rec.frames] == [
        ("recent_trades", 14, True),
        ("orderbook", 14, True),
        (None, None, False),
    ]
    lines = path.read_bytes().splitlines()
    assert len(lines) == 4
    header = json.loads(lines[0])
    assert (header["format"], header["version"]) == (RECORDING_FORMAT, RECORDING_VERSION)
    assert json.loads(lines[3])["text"] == "{definitely not json"


async def test_a_reconnect_marks_the_next_frames_as_snapshots(tmp_path: Path) -> None:
    path = tmp_path / "reconnect.jsonl"
    frame = json.dumps({"message": "orderbook", "data": [{"market_id": "14", "price": 1}]})
    async with FakeKana() as srv:
        task = asyncio.create_task(
            record(fake_network(srv.url), [("orderbook", 14)], path, max_frames=3, options=FAST)
        )
        with anyio.fail_after(10):
            await srv.wait_for(lambda: srv.subscribed(1))
            await srv.send_raw(frame)
            await srv.send_raw(frame)
            await until(lambda: len(path.read_bytes().splitlines()) == 3)
            await srv.drop(abrupt=True)
            await srv.wait_for(lambda: len(srv.conns) == 2 and srv.subscribed(1))
            await srv.send_raw(frame)
            assert await task == 3
    assert [f.snapshot for f in load_recording(path).frames] == [True, False, True]


async def test_duration_stops_a_quiet_recording(tmp_path: Path) -> None:
    path = tmp_path / "quiet.jsonl"
    async with Simulator(seed=5, market_maker=False, tick_interval=60) as sim:
        with anyio.fail_after(10):
            count = await record(
                sim.network, [("orderbook", APT)], path, duration=0.3, options=FAST
            )
    assert count == 1  # the subscription's snapshot, then nothing moved
    assert [f.snapshot for f in load_recording(path).frames] == [True]


async def test_cancelling_leaves_a_readable_file(tmp_path: Path) -> None:
    path = tmp_path / "cancelled.jsonl"
    async with FakeKana() as srv:
        task = asyncio.create_task(
            record(fake_network(srv.url), [("positions", ADDR)], path, options=FAST)
        )
        with anyio.fail_after(10):
            await srv.wait_for(lambda: srv.subscribed(1))
            await srv.push("positions", [{"address": ADDR, "market_id": "14"}])
            await until(lambda: len(path.read_bytes().splitlines()) == 2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    (only,) = load_recording(path).frames
    assert (only.topic, only.key, only.snapshot) == ("positions", ADDR, True)
    assert our_tasks() == []


async def test_bad_arguments_are_refused_before_connecting(tmp_path: Path) -> None:
    network = fake_network("ws://127.0.0.1:1/ws/")  # nothing listens there
    path = tmp_path / "never.jsonl"
    with pytest.raises(InvalidArgumentError, match="at least one"):
        await record(network, [], path)
    with pytest.raises(InvalidArgumentError, match="unknown topic"):
        await record(network, [("orderbooks", 14)], path)
    with pytest.raises(ArgumentTypeError):
        await record(network, [("orderbook", "abc")], path)
    with pytest.raises(InvalidAddressError):
        await record(network, [("positions", "0xnot-an-address")], path)
    with pytest.raises(InvalidArgumentError, match="max_frames"):
        await record(network, [("orderbook", 14)], path, max_frames=0)
    with pytest.raises(InvalidArgumentError, match="duration"):
        await record(network, [("orderbook", 14)], path, duration=0)
    assert not path.exists()


def test_load_refuses_what_is_not_a_recording(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    header = {"format": RECORDING_FORMAT, "version": RECORDING_VERSION, "network": "x"}
    cases = {
        b"": "empty file",
        b"not json\n": "header line is not JSON",
        b'{"format": "something-else", "version": 1}\n': "not a kana-async-recording",
        json.dumps({**header, "version": 99}).encode() + b"\n": "version 99",
        json.dumps(header).encode() + b'\n{"frame": {}}\n': r"bad\.jsonl:2: not a recorded",
        json.dumps(header).encode() + b"\n[1, 2]\n": r"bad\.jsonl:2: not a recorded",
    }
    for content, message in cases.items():
        path.write_bytes(content)
        with pytest.raises(ValueError, match=message):
            load_recording(path)
    path.write_bytes(json.dumps(header).encode() + b"\n")
    assert load_recording(path).frames == ()
