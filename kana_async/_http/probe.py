"""The shared ``httpx.AsyncClient`` and its cheaper idle-connection probe."""

from __future__ import annotations

import select
import socket
import ssl
import sys
from collections.abc import Iterable
from functools import cache
from typing import Any, Final

import httpcore
import httpx

from kana_async._http.direct import allow_direct
from kana_async._http.progress import mark_on_wire, register_reporting_pool
from kana_async._http.transport import USER_AGENT


def build_httpx_client(
    *, timeout: float | httpx.Timeout, limits: httpx.Limits
) -> httpx.AsyncClient:
    """The shared ``httpx.AsyncClient`` a :class:`~kana_async.KanaClient` owns.

    Its direct connection pool gets the :class:`ProbeCachingBackend` (see there), whose streams
    also report when a request's bytes start to leave (:mod:`kana_async._http.progress`), so a
    failed request is classified by what happened on its connection; requests skip httpx's
    client layer (:mod:`kana_async._http.direct`). Never raises.

    Args:
        timeout: seconds, or an ``httpx.Timeout``, for every request.
        limits: the pool's ``httpx.Limits``.

    Returns:
        The new client (the caller closes it).
    """
    client = httpx.AsyncClient(
        timeout=timeout,
        limits=limits,
        headers={"user-agent": USER_AGENT},
        verify=default_tls_context(),
    )
    if use_probe_caching_backend(client):
        register_reporting_pool(client)
    allow_direct(client)  # no auth, hooks, redirects or cookies on a pool of ours
    return client


@cache
def default_tls_context() -> ssl.SSLContext:
    """httpx's own default certificate verification, built once per process. Never raises.

    The same context httpx makes for ``verify=True`` (certifi's CA bundle, or the
    ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` the environment names when the first client is
    built): loading the bundle costs ~30 ms of CPU, which every new client paid, a REST request
    or not (a stream-only bot, each client of a test suite). A context may serve many clients.

    Returns:
        The shared context (hostnames and certificates checked).
    """
    return httpx.create_ssl_context(trust_env=True)


def use_probe_caching_backend(client: httpx.AsyncClient) -> bool:
    """Give ``client``'s direct connection pool a :class:`ProbeCachingBackend`.

    httpx has no option for a pool's network backend, so this reaches into two private
    attributes (the transport's httpcore pool and that pool's backend). It must run before the
    first request. When the layout is not the one expected (another httpx or httpcore version,
    a custom or proxy transport) nothing is changed and ``False`` comes back: the client works
    the same, only without the saving. Never raises.

    Args:
        client: the client whose pool to change.

    Returns:
        Whether the backend was put in place (or already was).
    """
    pool = getattr(client._transport, "_pool", None)
    if type(pool) is not httpcore.AsyncConnectionPool or pool.connections:
        return False
    backend = getattr(pool, "_network_backend", None)
    if not isinstance(backend, httpcore.AsyncNetworkBackend):
        return False
    if not isinstance(backend, ProbeCachingBackend):
        pool._network_backend = ProbeCachingBackend(backend)
    return True


#: ``select.poll`` exists (not on Windows, where the wrapped stream's probe answers).
_CAN_POLL: Final = sys.platform != "win32" and hasattr(select, "poll")


class ProbeCachingBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that answers "is this idle socket readable?" cheaply.

    Every time a request starts or ends, httpcore's pool asks each idle kept-alive connection
    whether its socket is readable (a server that closed it). Through the default anyio
    backend each answer builds anyio's whole socket-attribute table (a ``getpeername`` system
    call among it) before the actual ``poll``: ~70 % of the cost of one probe, and with ten
    idle connections in the pool that was ~1 ms of CPU per order of the trading benchmark.
    Streams of this backend keep their socket object and only ``poll`` it (where
    ``select.poll`` exists; elsewhere the wrapped probe answers). They also call
    :func:`~kana_async._http.progress.mark_on_wire` before every write, which tells the request
    path that the server may have received the request. Everything else is passed through to
    the wrapped backend unchanged.

    Args:
        inner: the backend every call except the probe is passed to.
    """

    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self.inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Open a TCP connection through the wrapped backend.

        Args:
            host: the host name or address.
            port: the TCP port.
            timeout: seconds allowed for connecting, or ``None``.
            local_address: the local address to bind, or ``None``.
            socket_options: options set on the socket.

        Returns:
            The stream, with the cheap readability probe.

        Raises:
            Exception: what the wrapped backend raises when it cannot connect (httpcore's
                ``ConnectError`` / ``ConnectTimeout``).
        """
        stream = await self.inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _ProbeCachingStream(stream)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Open a Unix-socket connection through the wrapped backend.

        Args:
            path: the socket's path.
            timeout: seconds allowed for connecting, or ``None``.
            socket_options: options set on the socket.

        Returns:
            The stream, with the cheap readability probe.

        Raises:
            Exception: what the wrapped backend raises when it cannot connect (httpcore's
                ``ConnectError`` / ``ConnectTimeout``).
        """
        stream = await self.inner.connect_unix_socket(path, timeout, socket_options)
        return _ProbeCachingStream(stream)

    async def sleep(self, seconds: float) -> None:
        """Sleep through the wrapped backend. Never raises.

        Args:
            seconds: how long.
        """
        await self.inner.sleep(seconds)


class _ProbeCachingStream(httpcore.AsyncNetworkStream):
    """A network stream that keeps its socket object for the readability probe."""

    __slots__ = ("_inner", "_sock")

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._sock: socket.socket | None = None

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        mark_on_wire()  # before the first byte: a failed write may still have sent part of it
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.start_tls(ssl_context, server_hostname, timeout)
        return _ProbeCachingStream(stream)

    def get_extra_info(self, info: str) -> Any:
        if info != "is_readable" or not _CAN_POLL:
            return self._inner.get_extra_info(info)
        sock = self._sock
        if sock is None:
            sock = self._sock = self._inner.get_extra_info("socket")
            if sock is None:  # not a socket stream: ask the wrapped stream every time
                return self._inner.get_extra_info(info)
        fd = sock.fileno()
        if fd < 0:  # closed: the next read would return b""
            return True
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(0))
