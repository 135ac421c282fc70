"""WSConnection over real sockets: connect, resubscribe, backoff, keepalive, watchdog, state."""

from __future__ import annotations

import asyncio
import json
import socket

import anyio
import pytest

from kana_async._streams.connection import WSConnection
from kana_async._streams.options import ConnectionState, StreamOptions
from tests.ws_support import FakeKana

FAST = StreamOptions(
    ping_interval=None,
    ping_timeout=None,
    stale_timeout=None,
    backoff_initial=0.01,
    backoff_max=0.05,
    close_timeout=0.5,
    open_timeout=2.0,
)

SUB = json.dumps({"topic": "orderbook", "market_id": "14"}).encode()


class Recorder:
    """Collects what a WSConnection hands to its owner."""

    def __init__(self, frames: list[bytes] | None = None, expect: bool = False) -> None:
        self.frames: list[bytes] = []
        self.connected: list[tuple[int, float, str]] = []
        self.sub_frames = frames if frames is not None else [SUB]
        self.expect = expect
        self.changed = asyncio.Event()

    def on_frame(self, data: bytes) -> None:
        self.frames.append(data)
        self.changed.set()

    def on_connected(self, reconnects: int, downtime: float, reason: str) -> None:
        self.connected.append((reconnects, downtime, reason))
        self.changed.set()

    def connection(self, url: str, options: StreamOptions = FAST) -> WSConnection:
        return WSConnection(
            url,
            options,
            on_frame=self.on_frame,
            subscribe_frames=lambda: self.sub_frames,
            on_connected=self.on_connected,
            expect_traffic=lambda: self.expect,
        )

    async def wait(self, predicate: object) -> None:
        assert callable(predicate)
        while not predicate():
            self.changed.clear()
            await self.changed.wait()


def _our_tasks() -> list[asyncio.Task[object]]:
    return [t for t in asyncio.all_tasks() if t.get_name().startswith("kana-ws")]


@pytest.mark.anyio
async def test_connects_subscribes_reads_and_closes() -> None:
    rec = Recorder()
    async with FakeKana() as srv:
        conn = rec.connection(srv.url)
        assert conn.state is ConnectionState.IDLE
        with anyio.fail_after(10):
            conn.start()
            conn.start()  # idempotent
            await srv.wait_for(lambda: srv.subscribed(1))
            assert srv.live[0].subs == [{"topic": "orderbook", "market_id": "14"}]
            assert await conn.wait_for_state(ConnectionState.CONNECTED) is ConnectionState.CONNECTED
            await srv.push("orderbook", [])
            await rec.wait(lambda: len(rec.frames) == 1)
            assert json.loads(rec.frames[0]) == {"message": "orderbook", "data": []}
            assert isinstance(rec.frames[0], bytes)
            assert rec.connected == [(0, 0.0, "")]
            assert await conn.send(b'{"topic":"positions","address":"0x1"}')
            await srv.wait_for(lambda: srv.subscribed(2))
            await conn.aclose()
            await conn.aclose()  # idempotent
        assert conn.state is ConnectionState.CLOSED
        assert not await conn.send(SUB)
        assert conn.frames == 1 and conn.connects == 1 and conn.reconnects == 0
        assert not _our_tasks()


@pytest.mark.anyio
@pytest.mark.parametrize("abrupt", [False, True])
async def test_reconnects_and_resubscribes_after_a_drop(abrupt: bool) -> None:
    rec = Recorder()
    async with FakeKana() as srv:
        conn = rec.connection(srv.url)
        with anyio.fail_after(10):
            conn.start()
            await srv.wait_for(lambda: srv.subscribed(1))
            await srv.push("orderbook", [])
            await rec.wait(lambda: len(rec.frames) == 1)
            await srv.drop(abrupt=abrupt)
            await rec.wait(lambda: len(rec.connected) == 2)
            await srv.wait_for(lambda: srv.subscribed(1))
            await srv.push("orderbook", [])
            await rec.wait(lambda: len(rec.frames) == 2)
            await conn.aclose()
        assert len(srv.conns) == 2
        assert srv.conns[1].subs == [{"topic": "orderbook", "market_id": "14"}]
        assert conn.reconnects == 1
        reconnects, downtime, reason = rec.connected[1]
        assert reconnects == 1 and downtime >= 0
        assert reason  # why the previous connection ended
        assert not _our_tasks()


@pytest.mark.anyio
async def test_connect_failures_back_off_and_retry_until_closed() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    rec = Recorder()
    conn = rec.connection(f"ws://127.0.0.1:{port}/ws/")
    with anyio.fail_after(10):
        conn.start()
        while conn.failed_attempts < 3:
            await conn.wait_for_state(ConnectionState.BACKOFF)
            await conn.wait_for_state(ConnectionState.CONNECTING)
        await conn.aclose()
    assert conn.connects == 0
    assert "Error" in conn.last_error
    assert conn.state is ConnectionState.CLOSED
    assert not _our_tasks()


def test_backoff_grows_exponentially_to_the_cap_with_jitter() -> None:
    exact = StreamOptions(backoff_initial=0.5, backoff_max=4.0, backoff_factor=2.0, jitter=0.0)
    assert [exact.backoff(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    jittered = StreamOptions(backoff_initial=1.0, backoff_max=1.0, jitter=0.5)
    delays = {jittered.backoff(1) for _ in range(50)}
    assert all(0.5 <= d <= 1.0 for d in delays)
    assert len(delays) > 1


@pytest.mark.parametrize(
    "kw",
    [
        {"backoff_initial": -1.0},
        {"backoff_initial": 5.0, "backoff_max": 1.0},
        {"backoff_factor": 0.5},
        {"jitter": 1.5},
        {"stale_timeout": 0.0},
    ],
)
def test_options_reject_bad_values(kw: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        StreamOptions(**kw)  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_stall_is_detected_by_keepalive_and_healed() -> None:
    """TCP open, no frames, pings unanswered: the ping timeout replaces the connection."""
    rec = Recorder()
    opts = StreamOptions(
        ping_interval=0.1,
        ping_timeout=0.2,
        stale_timeout=None,
        backoff_initial=0.01,
        backoff_max=0.05,
        close_timeout=0.2,
    )
    async with FakeKana() as srv:
        conn = rec.connection(srv.url, opts)
        with anyio.fail_after(10):
            conn.start()
            await srv.wait_for(lambda: srv.subscribed(1))
            srv.stall()
            await rec.wait(lambda: len(rec.connected) == 2)
            await srv.wait_for(lambda: srv.subscribed(1))
            await srv.push("orderbook", [])
            await rec.wait(lambda: len(rec.frames) == 1)
            await conn.aclose()
        assert conn.reconnects == 1
        assert "keepalive" in rec.connected[1][2] or "1011" in rec.connected[1][2]
        assert not _our_tasks()


@pytest.mark.anyio
async def test_watchdog_replaces_a_silent_connection_that_should_be_busy() -> None:
    """Pings are answered but no frame comes: the staleness watchdog reconnects."""
    rec = Recorder(expect=True)
    opts = StreamOptions(
        ping_interval=None,
        ping_timeout=None,
        stale_timeout=0.2,
        backoff_initial=0.01,
        backoff_max=0.05,
        close_timeout=0.2,
    )
    async with FakeKana() as srv:
        conn = rec.connection(srv.url, opts)
        with anyio.fail_after(10):
            conn.start()
            await rec.wait(lambda: len(rec.connected) == 3)
            await conn.aclose()
        assert conn.reconnects == 2
        assert "stale" in rec.connected[1][2]
        assert not _our_tasks()


@pytest.mark.anyio
async def test_watchdog_leaves_quiet_topics_alone() -> None:
    rec = Recorder(expect=False)
    opts = StreamOptions(ping_interval=None, stale_timeout=0.05, backoff_initial=0.01)
    async with FakeKana() as srv:
        conn = rec.connection(srv.url, opts)
        with anyio.fail_after(10):
            conn.start()
            await srv.wait_for(lambda: srv.subscribed(1))
            await anyio.sleep(0.5)  # ten stale periods of silence
            await srv.push("orderbook", [])
            await rec.wait(lambda: len(rec.frames) == 1)
            await conn.aclose()
        assert conn.reconnects == 0 and len(srv.conns) == 1


@pytest.mark.anyio
async def test_an_error_in_the_frame_handler_does_not_drop_the_connection() -> None:
    seen: list[bytes] = []
    two = asyncio.Event()

    def on_frame(data: bytes) -> None:
        seen.append(data)
        if len(seen) == 2:
            two.set()
        if len(seen) == 1:
            raise RuntimeError("bug downstream")

    async with FakeKana() as srv:
        conn = WSConnection(
            srv.url,
            FAST,
            on_frame=on_frame,
            subscribe_frames=lambda: [SUB],
            on_connected=lambda *a: None,
        )
        with anyio.fail_after(10):
            conn.start()
            await srv.wait_for(lambda: srv.subscribed(1))
            await srv.push("orderbook", [])
            await srv.push("orderbook", [])
            await two.wait()
            await conn.aclose()
        assert conn.reconnects == 0 and len(srv.conns) == 1


@pytest.mark.anyio
async def test_abort_forces_a_reconnect() -> None:
    rec = Recorder()
    async with FakeKana() as srv:
        conn = rec.connection(srv.url)
        conn.abort()  # not connected yet: nothing happens
        with anyio.fail_after(10):
            conn.start()
            await srv.wait_for(lambda: srv.subscribed(1))
            await rec.wait(lambda: len(rec.connected) == 1)
            conn.abort("test")
            await rec.wait(lambda: len(rec.connected) == 2)
            await conn.aclose()
        assert rec.connected[1][0] == 1
        assert rec.connected[1][2] == "test" or rec.connected[1][2]


@pytest.mark.anyio
async def test_unexpected_connect_errors_are_logged_and_retried(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import kana_async._ws as ws_module

    real = ws_module.connect
    calls = 0

    def flaky(*args: object, **kw: object) -> object:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("surprise")
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(ws_module, "connect", flaky)
    rec = Recorder()
    async with FakeKana() as srv:
        conn = rec.connection(srv.url)
        with anyio.fail_after(10):
            conn.start()
            await srv.wait_for(lambda: srv.subscribed(1))
            await conn.aclose()
    assert calls == 2 and conn.failed_attempts == 1 and conn.connects == 1
    assert any("unexpected connect error" in r.getMessage() for r in caplog.records)


@pytest.mark.anyio
async def test_a_bad_url_keeps_retrying_without_crashing() -> None:
    rec = Recorder()
    conn = rec.connection("http://127.0.0.1:1/not-a-websocket-url")
    with anyio.fail_after(10):
        conn.start()
        while conn.failed_attempts < 2:  # noqa: ASYNC110 - state owned by the connection task
            await anyio.sleep(0.01)
        await conn.aclose()
    assert "InvalidURI" in conn.last_error
