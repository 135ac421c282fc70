"""The single request path to the Kana REST API, and the only module that knows httpx's errors.

Every call goes: build the request → client-side rate limit (optional, shared by all tasks) →
in-flight limit (the pool's :class:`InFlightGate`; httpcore gets slow with many queued
requests) → send → on a
retryable failure of a *read*, wait and go again → map the HTTP status to an exception
(:func:`raise_for_status`, the one place that does it) → check the envelope's ``success`` flag →
decode ``data`` into the endpoint's type.

The Aptos node client (:mod:`kana_async._node`) shares the pool through the lower layer:
:func:`send_raw` sends one request and translates httpx's exceptions into ours (keeping, for
:func:`may_have_reached_server`, whether the request may have reached the server), and
:class:`RawResponse` is what comes back; its status goes through the same
:func:`raise_for_status`. Both clients take their turn at the same :class:`InFlightGate`, so the
REST calls and the node calls *together* never put more requests on the pool than it has
connections: requests never queue inside httpcore (whose pool rescans every connection for every
queued request) and a request for one host never has to close a kept-alive connection to the
other host to get a connection of its own.
"""

from __future__ import annotations

import asyncio
import logging
import select
import socket
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Final, TypeAlias, TypeVar

import httpcore
import httpx
from aiolimiter import AsyncLimiter

from kana_async._codec import decode, decode_envelope, encode
from kana_async._exceptions import (
    APIError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConnectError,
    KanaError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestTimeoutError,
    ResponseDecodeError,
    ServerError,
    TransportError,
    UnsuccessfulResponseError,
)
from kana_async._retry import RetryPolicy, parse_retry_after

__all__ = [
    "DEFAULT_TIMEOUT",
    "SDK_VERSION",
    "USER_AGENT",
    "HttpClient",
    "InFlightGate",
    "Pool",
    "ProbeCachingBackend",
    "RawResponse",
    "build_httpx_client",
    "may_have_reached_server",
    "raise_for_status",
    "send_raw",
    "use_probe_caching_backend",
]

logger = logging.getLogger("kana_async")

T = TypeVar("T")


def _sdk_version() -> str:
    try:
        return version("kana-async")
    except PackageNotFoundError:  # pragma: no cover - a source tree without metadata
        return "0+unknown"


SDK_VERSION: Final = _sdk_version()

USER_AGENT: Final = f"kana-async/{SDK_VERSION}"
DEFAULT_TIMEOUT: Final = httpx.Timeout(10.0, connect=5.0)

_JSON_HEADERS: Final = {"content-type": "application/json"}

Pool: TypeAlias = httpx.AsyncClient
"""The shared connection pool every request goes through (an ``httpx.AsyncClient``)."""


@dataclass(frozen=True, slots=True)
class RawResponse:
    """An HTTP answer of any status, as :func:`send_raw` returns it.

    ``headers`` look-ups are case-insensitive. Nothing is checked or decoded yet: pass it to
    :meth:`raise_for_status` to turn a non-2xx status into the typed error.
    """

    method: str
    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes

    def raise_for_status(self) -> None:
        """Raise the typed :class:`~kana_async.APIStatusError` if the status is not 2xx."""
        raise_for_status(self.status, self.body, self.headers, self.method, self.url)

    def json(self) -> Any:
        """The body decoded as JSON; :class:`~kana_async.ResponseDecodeError` if it is not."""
        try:
            return decode(self.body, Any)
        except ResponseDecodeError as exc:
            raise ResponseDecodeError(
                f"the answer is not JSON: {exc.message}",
                method=self.method,
                url=self.url,
                status_code=self.status,
                body=self.body,
            ) from None


async def send_raw(
    pool: Pool,
    method: str,
    url: str,
    *,
    content: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    timeout: float | None = None,  # noqa: ASYNC109 - a per-request transport timeout
) -> RawResponse:
    """Send one request over ``pool``; any status comes back as a :class:`RawResponse`.

    ``timeout`` (seconds) overrides the pool's timeout for this request.

    Raises:
        RequestTimeoutError: no complete answer within the timeout.
        ConnectError: no connection could be made (the request never left).
        TransportError: the connection failed while the request or its answer was in transit.

    :func:`may_have_reached_server` tells, for any of these, whether the server may have
    received the request (everything except a connection that was never made).
    """
    per_request = httpx.USE_CLIENT_DEFAULT if timeout is None else timeout
    try:
        response = await pool.request(
            method, url, content=content, headers=headers, params=params, timeout=per_request
        )
    except httpx.TimeoutException as exc:
        raise RequestTimeoutError(
            f"no answer to {method} {url} within the timeout ({type(exc).__name__})"
        ) from exc
    except httpx.ConnectError as exc:
        raise ConnectError(f"could not connect for {method} {url}: {exc}") from exc
    except httpx.TransportError as exc:
        raise TransportError(
            f"{method} {url} failed before an answer arrived: {type(exc).__name__}: {exc}"
        ) from exc
    return RawResponse(method, url, response.status_code, response.headers, response.content)


#: httpx failures that happen before a single byte of the request left this process.
_NEVER_SENT: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def may_have_reached_server(error: BaseException) -> bool:
    """Whether the request that failed with ``error`` may have reached the server.

    ``False`` only when :func:`send_raw` knows the request never left (the connection could
    not be made, or no pooled connection became free). Anything else, a read timeout or a
    connection dropped mid-request, may mean the server got and executed it.
    """
    return not isinstance(error.__cause__, _NEVER_SENT)


class _Slot:
    """``async with``: one request in flight at an :class:`InFlightGate`."""

    __slots__ = ("_gate", "_outer")

    def __init__(self, gate: InFlightGate, outer: asyncio.Semaphore | None) -> None:
        self._gate = gate
        self._outer = outer

    async def __aenter__(self) -> None:
        outer = self._outer
        if outer is None:
            await self._gate._slots.acquire()
        else:
            await outer.acquire()
            try:
                await self._gate._slots.acquire()
            except BaseException:
                outer.release()
                raise
        self._gate._entered()

    async def __aexit__(self, *exc_info: object) -> None:
        self._gate._left()
        self._gate._slots.release()
        if self._outer is not None:
            self._outer.release()


class InFlightGate:
    """The most requests in flight at once on one connection pool, whoever sends them.

    One gate is shared by every client of a pool (the REST :class:`HttpClient` and the Aptos
    node client of a :class:`~kana_async.KanaClient`). Keep ``limit`` at or below the pool's
    connection count: then no request ever waits inside httpcore, whose pool rescans every
    connection for every waiting request and, when it is full, closes an idle connection to one
    host to open one to another (a new TCP, on a real network TLS, connection per request).

    Long polls (``wait_by_hash``) go through :meth:`long_poll`, which admits at most
    ``long_poll_limit`` (default: half of ``limit``, at least one) of them at once, so that
    waiting for transactions never takes every slot from submissions and REST calls.

    ``in_flight`` is the number of requests inside the gate now and ``peak`` the highest it has
    been (statistics, tests).
    """

    def __init__(self, limit: int, *, long_poll_limit: int | None = None) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError("the in-flight limit must be an int of at least 1")
        long_limit = max(1, limit // 2) if long_poll_limit is None else long_poll_limit
        if not 1 <= long_limit <= limit:
            raise ValueError("long_poll_limit must be between 1 and the in-flight limit")
        self.limit = limit
        self.long_poll_limit = long_limit
        self.in_flight = 0
        self.peak = 0
        self._slots = asyncio.Semaphore(limit)
        self._long = asyncio.Semaphore(long_limit)
        self._slot = _Slot(self, None)
        self._long_slot = _Slot(self, self._long)

    def __repr__(self) -> str:
        return f"<InFlightGate {self.in_flight}/{self.limit} in flight>"

    def slot(self) -> _Slot:
        """``async with gate.slot():`` around one request."""
        return self._slot

    def long_poll(self) -> _Slot:
        """``async with gate.long_poll():`` around one long poll (fewer of them at once)."""
        return self._long_slot

    def _entered(self) -> None:
        self.in_flight += 1
        if self.in_flight > self.peak:
            self.peak = self.in_flight

    def _left(self) -> None:
        self.in_flight -= 1


def build_httpx_client(
    *, timeout: float | httpx.Timeout, limits: httpx.Limits
) -> httpx.AsyncClient:
    """The shared ``httpx.AsyncClient`` a :class:`~kana_async.KanaClient` owns.

    Its direct connection pool gets the :class:`ProbeCachingBackend` (see there).
    """
    client = httpx.AsyncClient(timeout=timeout, limits=limits, headers={"user-agent": USER_AGENT})
    use_probe_caching_backend(client)
    return client


def use_probe_caching_backend(client: httpx.AsyncClient) -> bool:
    """Give ``client``'s direct connection pool a :class:`ProbeCachingBackend`.

    httpx has no option for a pool's network backend, so this reaches into two private
    attributes (the transport's httpcore pool and that pool's backend). It must run before the
    first request. When the layout is not the one expected (another httpx or httpcore version,
    a custom or proxy transport) nothing is changed and ``False`` comes back: the client works
    the same, only without the saving.
    """
    pool = getattr(client._transport, "_pool", None)
    if not _CAN_POLL or type(pool) is not httpcore.AsyncConnectionPool or pool.connections:
        return False
    backend = getattr(pool, "_network_backend", None)
    if not isinstance(backend, httpcore.AsyncNetworkBackend):
        return False
    if not isinstance(backend, ProbeCachingBackend):
        pool._network_backend = ProbeCachingBackend(backend)
    return True


#: ``select.poll`` exists (not on Windows, where the default probe stays in place).
_CAN_POLL: Final = sys.platform != "win32" and hasattr(select, "poll")


class ProbeCachingBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that answers "is this idle socket readable?" cheaply.

    Every time a request starts or ends, httpcore's pool asks each idle kept-alive connection
    whether its socket is readable (a server that closed it). Through the default anyio
    backend each answer builds anyio's whole socket-attribute table (a ``getpeername`` system
    call among it) before the actual ``poll``: ~70 % of the cost of one probe, and with ten
    idle connections in the pool that was ~1 ms of CPU per order of the trading benchmark.
    Streams of this backend keep their socket object and only ``poll`` it. Everything else
    is passed through to the wrapped backend unchanged.
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
        """Connect through the wrapped backend."""
        stream = await self.inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _ProbeCachingStream(stream)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Connect through the wrapped backend."""
        stream = await self.inner.connect_unix_socket(path, timeout, socket_options)
        return _ProbeCachingStream(stream)

    async def sleep(self, seconds: float) -> None:
        """Sleep through the wrapped backend."""
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
        if info != "is_readable":
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


class HttpClient:
    """Sends requests to one REST base URL through a shared ``httpx.AsyncClient``.

    ``gate`` is the pool's :class:`InFlightGate`, shared with every other client of the pool
    (the Aptos node client takes it from :attr:`gate`); without one, the client makes its own
    of ``max_in_flight`` slots. ``retries`` counts every retry made, for statistics and tests.
    """

    def __init__(
        self,
        httpx_client: httpx.AsyncClient,
        *,
        base_url: str,
        api_key: str | None = None,
        retry: RetryPolicy | None = None,
        rate_limit: float | None = None,
        max_in_flight: int = 10,
        gate: InFlightGate | None = None,
    ) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self.httpx = httpx_client
        self.base_url = base_url.rstrip("/")
        self.retry = retry if retry is not None else RetryPolicy()
        self.retries = 0
        self._headers: dict[str, str] = {"user-agent": USER_AGENT, "accept": "application/json"}
        if api_key:
            self._headers["x-api-key"] = api_key
        self.gate = gate if gate is not None else InFlightGate(max_in_flight)
        self._limiter: AsyncLimiter | None = None
        if rate_limit is not None:
            if rate_limit <= 0:
                raise ValueError("rate_limit must be a positive number of requests per second")
            # A bucket of one second's worth of requests (at least one): bursts up to that size.
            period = 1.0 if rate_limit >= 1 else 1.0 / rate_limit
            self._limiter = AsyncLimiter(max(rate_limit, 1.0), period)

    @property
    def pool(self) -> Pool:
        """The shared connection pool (for the Aptos node client, which shares it)."""
        return self.httpx

    async def get(
        self,
        path: str,
        tp: type[T] | Any,
        *,
        params: Mapping[str, str] | None = None,
        idempotent: bool = True,
    ) -> T:
        """``GET path?params`` and decode ``data`` as ``tp``; retried only if ``idempotent``."""
        return await self.request("GET", path, tp, params=params, idempotent=idempotent)

    async def post(self, path: str, tp: type[T] | Any, *, body: Any, idempotent: bool) -> T:
        """``POST path`` with a JSON ``body`` (Decimals as exact numbers), decode ``data``."""
        return await self.request("POST", path, tp, body=body, idempotent=idempotent)

    async def request(
        self,
        method: str,
        path: str,
        tp: type[T] | Any,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        idempotent: bool,
    ) -> T:
        """Send one API call, retrying a read after a retryable failure; return decoded ``data``.

        Args:
            method: ``GET`` or ``POST``.
            path: endpoint path starting with ``/``.
            tp: the type ``data`` decodes into.
            params: query parameters, already formatted as text.
            body: JSON body for POST (encoded with Decimals as exact numbers).
            idempotent: ``True`` for reads. Payload endpoints pass ``False`` and are never retried.
        """
        url = self.base_url + path
        content = None if body is None else encode(body)
        attempt = 0
        while True:
            try:
                raw = await self._send(method, url, params, content)
                result: T = _unwrap(raw, tp, method, url)
                return result
            except KanaError as exc:
                delay = self.retry.delay_for(exc, attempt) if idempotent else None
                if delay is None:
                    raise
                attempt += 1
                self.retries += 1
                logger.debug(
                    "retrying %s %s in %.3fs (retry %s of %s) after: %s",
                    method,
                    path,
                    delay,
                    attempt,
                    self.retry.max_retries,
                    exc,
                )
                await self.retry.sleep(delay)

    async def _send(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        content: bytes | None,
    ) -> bytes:
        if self._limiter is not None:
            await self._limiter.acquire()
        headers = self._headers if content is None else {**self._headers, **_JSON_HEADERS}
        async with self.gate.slot():
            logger.debug("%s %s %s", method, url, params or "")
            response = await send_raw(
                self.httpx, method, url, params=params, content=content, headers=headers
            )
        logger.debug("%s %s -> %s (%s bytes)", method, url, response.status, len(response.body))
        response.raise_for_status()
        return response.body


def raise_for_status(
    status: int,
    body: bytes,
    headers: Mapping[str, str],
    method: str,
    url: str,
) -> None:
    """Raise the :class:`~kana_async.APIStatusError` subclass for a non-2xx ``status``.

    The message is the server's own ``message`` when the body is a JSON envelope carrying one,
    otherwise a short default for the status.
    """
    if 200 <= status < 300:
        return
    message = _server_message(body) or _DEFAULT_MESSAGES.get(status) or f"HTTP status {status}"
    kw: dict[str, Any] = {"method": method, "url": url, "status_code": status, "body": body}
    if status == 429:
        raise RateLimitError(
            message, retry_after=parse_retry_after(headers.get("retry-after")), **kw
        )
    cls = _STATUS_ERRORS.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else APIStatusError
    raise cls(message, **kw)


_STATUS_ERRORS: Final[dict[int, type[APIStatusError]]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
}

_DEFAULT_MESSAGES: Final = {
    400: "bad request: the server rejected a parameter",
    401: "missing or invalid API key (pass api_key= or set KANA_API_KEY)",
    403: "this API key may not call this endpoint",
    404: "not found",
    429: "too many requests",
}


def _server_message(body: bytes) -> str:
    if not body:
        return ""
    try:
        return decode_envelope(body).message.strip()
    except ResponseDecodeError:
        text = body[:200].decode("utf-8", "replace").strip()
        return text if text and not text.startswith("<") else ""


def _unwrap(body: bytes, tp: Any, method: str, url: str) -> Any:
    kw: dict[str, Any] = {"method": method, "url": url, "body": body}
    try:
        envelope = decode_envelope(body)
    except APIError as exc:
        raise ResponseDecodeError(exc.message, **kw) from None
    ok = envelope.ok
    if ok is False:
        raise UnsuccessfulResponseError(
            envelope.message or "the server answered success: false without a reason", **kw
        )
    if ok is None:
        raise ResponseDecodeError("the reply has neither a 'success' nor a 'status' flag", **kw)
    try:
        return decode(envelope.data, tp)
    except APIError as exc:
        raise ResponseDecodeError(exc.message, **kw) from None
