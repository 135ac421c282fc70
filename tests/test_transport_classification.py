"""Whether a failed request may have reached the server, on both transports, over real sockets.

Each test starts a small asyncio server on 127.0.0.1 that misbehaves in one way, sends a POST
through a pool from ``make_client`` and checks the SDK's error and ``may_have_reached_server``:

* the connection is refused → ``ConnectError``, certainly not sent;
* the server reads the whole request, then hangs up → ``TransportError``, may have been sent
  (httpx-aiohttp reports this as ``httpx.ConnectTimeout``, which the SDK must not take for a
  connect failure);
* the server reads the whole request, then answers after the timeout → ``RequestTimeoutError``,
  may have been sent;
* the pool's only connection is busy past the pool timeout → ``RequestTimeoutError``, not sent.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import anyio
import httpx
import pytest

from kana_async import ConnectError, RequestTimeoutError, TransportError
from kana_async._http import make_client, may_have_reached_server, send_raw
from kana_async._http.progress import reports_progress

pytestmark = pytest.mark.anyio

TRANSPORTS = ["httpx", "aiohttp"]
BODY = b'{"signed":"0x01"}'

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def read_request(reader: asyncio.StreamReader) -> bytes:
    """The whole request: headers, then as many body bytes as its Content-Length says."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return head + await reader.readexactly(length)


@asynccontextmanager
async def serving(handler: Handler) -> AsyncIterator[str]:
    """A server on 127.0.0.1 port 0 running ``handler`` for each connection; yields its URL."""

    async def wrapped(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await handler(reader, writer)
        finally:
            writer.close()

    server = await asyncio.start_server(wrapped, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}/v1/transactions"


def client(transport: str, *, timeout: float = 5.0, connections: int = 4) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    pool = make_client(transport, timeout=httpx.Timeout(timeout), limits=limits)  # type: ignore[arg-type]
    assert reports_progress(pool)
    return pool


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens there once the socket is closed


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_refused_connection_is_never_sent(transport: str) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1/transactions"
    async with client(transport) as pool:
        with anyio.fail_after(10), pytest.raises(ConnectError) as info:
            await send_raw(pool, "POST", url, content=BODY)
    assert may_have_reached_server(info.value) is False


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_hang_up_after_the_full_request_may_have_been_sent(transport: str) -> None:
    got: list[bytes] = []

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        got.append(await read_request(reader))  # the server has the whole request...
        # ...and the connection closes (``serving`` closes it) without an answer

    async with serving(hang_up) as url, client(transport) as pool:
        with anyio.fail_after(10), pytest.raises(TransportError) as info:
            await send_raw(pool, "POST", url, content=BODY)
    assert got and got[0].endswith(BODY)
    assert not isinstance(info.value, ConnectError | RequestTimeoutError)
    assert may_have_reached_server(info.value) is True


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_slow_answer_after_the_full_request_may_have_been_sent(transport: str) -> None:
    got: list[bytes] = []

    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        got.append(await read_request(reader))
        await asyncio.sleep(30)  # past the client's timeout; cancelled when the server closes

    async with serving(slow) as url, client(transport, timeout=0.3) as pool:
        with anyio.fail_after(10), pytest.raises(RequestTimeoutError) as info:
            await send_raw(pool, "POST", url, content=BODY)
    assert got and got[0].endswith(BODY)
    assert may_have_reached_server(info.value) is True


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_waiting_for_a_busy_pool_past_the_timeout_is_never_sent(transport: str) -> None:
    got: list[bytes] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        got.append(await read_request(reader))
        await asyncio.sleep(30)

    async with serving(hold) as url, client(transport, connections=1) as pool:
        first = asyncio.ensure_future(send_raw(pool, "POST", url, content=BODY, timeout=5.0))
        while not got:  # noqa: ASYNC110 - until the first request holds the only connection
            await asyncio.sleep(0.01)
        with anyio.fail_after(10), pytest.raises(RequestTimeoutError) as info:
            await send_raw(pool, "POST", url, content=BODY, timeout=0.2)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
    assert len(got) == 1  # the second request never reached the server
    assert may_have_reached_server(info.value) is False


async def test_an_injected_httpx_aiohttp_client_is_judged_conservatively() -> None:
    """A pool the SDK did not build reports nothing; the exception's cause decides."""
    from httpx_aiohttp import AiohttpTransport

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)

    async with (
        serving(hang_up) as url,
        httpx.AsyncClient(transport=AiohttpTransport()) as pool,
    ):
        assert not reports_progress(pool)
        with anyio.fail_after(10), pytest.raises(TransportError) as dropped:
            await send_raw(pool, "POST", url, content=BODY)
        refused_url = f"http://127.0.0.1:{free_port()}/v1/transactions"
        with anyio.fail_after(10), pytest.raises(ConnectError) as refused:
            await send_raw(pool, "POST", refused_url, content=BODY)
    # httpx-aiohttp calls both of these httpx.ConnectTimeout
    assert isinstance(dropped.value.__cause__, httpx.ConnectTimeout)
    assert isinstance(refused.value.__cause__, httpx.ConnectTimeout)
    assert may_have_reached_server(dropped.value) is True
    assert may_have_reached_server(refused.value) is False
