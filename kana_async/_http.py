"""The single request path to the Kana REST API, and the only module that knows httpx's errors.

Every call goes: build the request → client-side rate limit (optional, shared by all tasks) →
in-flight limit (a semaphore; httpcore gets slow with many queued requests) → send → on a
retryable failure of a *read*, wait and go again → map the HTTP status to an exception
(:func:`raise_for_status`, the one place that does it) → check the envelope's ``success`` flag →
decode ``data`` into the endpoint's type.

The Aptos node client (:mod:`kana_async._node`) shares the pool through the lower layer:
:func:`send_raw` sends one request and translates httpx's exceptions into ours (keeping, for
:func:`may_have_reached_server`, whether the request may have reached the server), and
:class:`RawResponse` is what comes back; its status goes through the same
:func:`raise_for_status`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Final, TypeAlias, TypeVar

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
    "Pool",
    "RawResponse",
    "build_httpx_client",
    "may_have_reached_server",
    "raise_for_status",
    "send_raw",
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


def build_httpx_client(
    *, timeout: float | httpx.Timeout, limits: httpx.Limits
) -> httpx.AsyncClient:
    """The shared ``httpx.AsyncClient`` a :class:`~kana_async.KanaClient` owns."""
    return httpx.AsyncClient(timeout=timeout, limits=limits, headers={"user-agent": USER_AGENT})


class HttpClient:
    """Sends requests to one REST base URL through a shared ``httpx.AsyncClient``.

    ``retries`` counts every retry made, for statistics and tests.
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
        self._in_flight = asyncio.Semaphore(max_in_flight)
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
        async with self._in_flight:
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
