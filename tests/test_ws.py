"""WSConnection over real sockets: connect, resubscribe, backoff, keepalive, watchdog, state."""

from __future__ import annotations

import dataclasses
import json
import socket
from typing import Any

import anyio
import pytest
from anyio.abc import TaskGroup

from kana_async._exceptions import InvalidArgumentError, StreamHandshakeRefusedError
from kana_async._streams.connection import WSConnection
from kana_async._streams.options import ConnectionState, StreamOptions
from tests.ws_support import FakeKana, every_socket, until

anyio_backend = every_socket()

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
        self.changed = anyio.Event()

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
            self.changed = anyio.Event()
            await self.changed.wait()


def start(tg: TaskGroup, conn: WSConnection) -> None:
    """Run the connection's loop in ``tg`` and ask it to connect."""
    tg.start_soon(conn.run)
    conn.resume()


def refusable(
    url: str, options: StreamOptions = FAST
) -> tuple[WSConnection, list[StreamHandshakeRefusedError]]:
    """A connection to ``url`` that only sends :data:`SUB`, and the refusals it hands over."""
    refused: list[StreamHandshakeRefusedError] = []
    conn = WSConnection(
        url,
        options,
        on_frame=lambda data: None,
        subscribe_frames=lambda: [SUB],
        on_connected=lambda *a: None,
        on_fatal=refused.append,
    )
    return conn, refused


@pytest.mark.anyio
async def test_connects_subscribes_reads_and_closes() -> None:
    rec = Recorder()
    async with FakeKana() as srv:
        conn = rec.connection(srv.url)
        assert conn.state is ConnectionState.IDLE
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                start(tg, conn)
                await srv.wait_for(lambda: srv.subscribed(1))
                assert srv.live[0].subs == [{"topic": "orderbook", "market_id": "14"}]
                assert (
                    await conn.wait_for_state(ConnectionState.CONNECTED)
                    is ConnectionState.CONNECTED
                )
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


@pytest.mark.anyio
@pytest.mark.parametrize("abrupt", [False, True])
async def test_reconnects_and_resubscribes_after_a_drop(abrupt: bool) -> None:
    rec = Recorder()
    async with FakeKana() as srv:
        conn = rec.connection(srv.url)
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                start(tg, conn)
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


@pytest.mark.anyio
async def test_connect_failures_back_off_and_retry_until_closed() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    rec = Recorder()
    conn = rec.connection(f"ws://127.0.0.1:{port}/ws/")
    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            start(tg, conn)
            while conn.failed_attempts < 3:
                await conn.wait_for_state(ConnectionState.BACKOFF)
                await conn.wait_for_state(ConnectionState.CONNECTING)
            await conn.aclose()
    assert conn.connects == 0
    assert "Error" in conn.last_error
    assert conn.state is ConnectionState.CLOSED


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
            async with anyio.create_task_group() as tg:
                start(tg, conn)
                await srv.wait_for(lambda: srv.subscribed(1))
                await srv.stall()
                await rec.wait(lambda: len(rec.connected) == 2)
                await srv.wait_for(lambda: srv.subscribed(1))
                await srv.push("orderbook", [])
                await rec.wait(lambda: len(rec.frames) == 1)
                await conn.aclose()
        assert conn.reconnects == 1
        assert "keepalive" in rec.connected[1][2] or "1011" in rec.connected[1][2]


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
            async with anyio.create_task_group() as tg:
                start(tg, conn)
                await rec.wait(lambda: len(rec.connected) == 3)
                await conn.aclose()
        assert conn.reconnects == 2
        assert "stale" in rec.connected[1][2]


@pytest.mark.anyio
async def test_watchdog_leaves_quiet_topics_alone() -> None:
    rec = Recorder(expect=False)
    opts = StreamOptions(ping_interval=None, stale_timeout=0.05, backoff_initial=0.01)
    async with FakeKana() as srv:
        conn = rec.connection(srv.url, opts)
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                start(tg, conn)
                await srv.wait_for(lambda: srv.subscribed(1))
                await anyio.sleep(0.5)  # ten stale periods of silence
                await srv.push("orderbook", [])
                await rec.wait(lambda: len(rec.frames) == 1)
                await conn.aclose()
        assert conn.reconnects == 0 and len(srv.conns) == 1


@pytest.mark.anyio
async def test_an_error_in_the_frame_handler_does_not_drop_the_connection() -> None:
    seen: list[bytes] = []
    two = anyio.Event()

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
            async with anyio.create_task_group() as tg:
                start(tg, conn)
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
            async with anyio.create_task_group() as tg:
                start(tg, conn)
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
    calls = 0

    def flaky(*args: Any, **kw: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("surprise")
        return real(*args, **kw)

    rec = Recorder()
    async with FakeKana() as srv:
        conn = rec.connection(srv.url)
        real = conn._lib.open_socket
        conn._lib = conn._lib._replace(open_socket=flaky)
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                start(tg, conn)
                await srv.wait_for(lambda: srv.subscribed(1))
                await conn.aclose()
    assert calls == 2 and conn.failed_attempts == 1 and conn.connects == 1
    assert any("unexpected connect error" in r.getMessage() for r in caplog.records)


@pytest.mark.anyio
@pytest.mark.parametrize("url", ["http://127.0.0.1:1/not-a-websocket-url", "ws://[::1/broken"])
async def test_a_malformed_url_is_refused_for_good_at_the_first_attempt(url: str) -> None:
    conn, refused = refusable(url)
    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            start(tg, conn)
            await until(lambda: bool(refused))
            assert conn.state is ConnectionState.IDLE  # parked, not retrying
            await conn.aclose()
    assert conn.failed_attempts == 1 and conn.connects == 0
    assert refused[0].status_code is None and "URL" in str(refused[0])


@pytest.mark.anyio
@pytest.mark.parametrize("status", [401, 403, 404])
async def test_a_handshake_refused_with_a_final_status_is_not_retried(status: int) -> None:
    async with FakeKana(status=status) as srv:
        conn, refused = refusable(srv.url)
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                start(tg, conn)
                await until(lambda: bool(refused))
                await conn.wait_for_state(ConnectionState.IDLE)
                await conn.aclose()
    assert srv.handshakes == 1 and conn.failed_attempts == 1
    assert refused[0].status_code == status


@pytest.mark.anyio
async def test_a_handshake_answered_503_keeps_retrying() -> None:
    async with FakeKana(status=503) as srv:
        conn, refused = refusable(srv.url)
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                start(tg, conn)
                await until(lambda: conn.failed_attempts >= 3)
                await conn.aclose()
    assert not refused and srv.handshakes >= 3
    assert "503" in conn.last_error


@pytest.mark.anyio
async def test_a_message_above_max_size_ends_the_connection_and_is_counted() -> None:
    # the protocol's answer to a message above the limit is a close with 1009; the loop counts
    # it as oversized, reconnects, and reads the next (small) message
    rec = Recorder()
    async with FakeKana() as srv:
        conn = rec.connection(srv.url, dataclasses.replace(FAST, max_size=1_000))
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                start(tg, conn)
                await srv.wait_for(lambda: srv.subscribed(1))
                await srv.push("orderbook", ["x" * 2_000])
                await rec.wait(lambda: len(rec.connected) == 2)
                await srv.wait_for(lambda: srv.subscribed(1))
                await srv.push("orderbook", [])
                await rec.wait(lambda: len(rec.frames) == 1)
                await conn.aclose()
    assert rec.frames == [b'{"message": "orderbook", "data": []}']
    assert conn.oversized == 1 and conn.reconnects == 1
    assert len(srv.conns) == 2


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
@pytest.mark.parametrize("transport", ["websockets", "aiohttp"])
async def test_the_transport_option_picks_the_websocket_library(transport: str) -> None:
    # no fixture patch here: StreamOptions(transport=...) alone chooses the client library,
    # which names itself in the handshake's User-Agent
    rec = Recorder()
    async with FakeKana() as srv:
        conn = rec.connection(srv.url, dataclasses.replace(FAST, transport=transport))  # type: ignore[arg-type]
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                start(tg, conn)
                await srv.wait_for(lambda: srv.subscribed(1))
                await srv.push("orderbook", [])
                await rec.wait(lambda: len(rec.frames) == 1)
                await conn.aclose()
    (agent,) = {h["user-agent"] for h in srv.headers}
    assert transport in agent.lower()
    assert rec.frames == [b'{"message": "orderbook", "data": []}']


@pytest.mark.parametrize("anyio_backend", ["trio"])
@pytest.mark.anyio
async def test_the_aiohttp_transport_on_trio_is_refused_for_good_without_connecting() -> None:
    async with FakeKana() as srv:
        conn, refused = refusable(srv.url, dataclasses.replace(FAST, transport="aiohttp"))
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                start(tg, conn)
                await until(lambda: bool(refused))
                await conn.aclose()
    assert "asyncio only" in str(refused[0]) and conn.failed_attempts == 1
    assert srv.handshakes == 0


def test_the_transport_option_is_checked() -> None:
    with pytest.raises(InvalidArgumentError, match="transport must be 'websockets' or 'aiohttp'"):
        StreamOptions(transport="trio-websocket")  # type: ignore[arg-type]


def test_the_aiohttp_transport_without_aiohttp_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import kana_async._streams.options as options

    monkeypatch.setattr(options, "find_spec", lambda name: None)
    options._aiohttp_usable.cache_clear()
    with pytest.raises(ImportError, match=r"pip install 'kana-async\[aiohttp\]'"):
        StreamOptions(transport="aiohttp")
    monkeypatch.undo()
    monkeypatch.setattr(options, "version", lambda name: "3.13.3")  # no text frames as bytes
    options._aiohttp_usable.cache_clear()
    with pytest.raises(ImportError, match=r"aiohttp 3\.14 or later"):
        StreamOptions(transport="aiohttp")
    monkeypatch.undo()
    options._aiohttp_usable.cache_clear()
    assert StreamOptions(transport="aiohttp").transport == "aiohttp"
    assert StreamOptions().transport == "websockets"
