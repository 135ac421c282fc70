"""The REST request path: rate limit, in-flight gate, send, retry, status, envelope, decode."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, TypeVar

import httpx

from kana_async._codec import decode, decode_envelope, encode
from kana_async._exceptions import (
    APIError,
    KanaError,
    ResponseDecodeError,
    UnsuccessfulResponseError,
)
from kana_async._http.gate import InFlightGate
from kana_async._http.headers import MaskedHeaders
from kana_async._http.transport import JSON_HEADERS, USER_AGENT, Pool, send_raw
from kana_async._ratelimit import RateLimiter
from kana_async._retry import RetryPolicy
from kana_async._secret import Secret

logger = logging.getLogger("kana_async")

T = TypeVar("T")


class HttpClient:
    """Sends requests to one REST base URL through a shared ``httpx.AsyncClient``.

    Args:
        httpx_client: the shared pool; not closed by this class.
        base_url: the REST base URL, e.g. ``https://perps-tradeapi.kanalabs.io``.
        api_key: sent as ``x-api-key`` on every request when given.
        retry: how reads are retried (default :class:`~kana_async.RetryPolicy()`).
        rate_limit: a client-side limit in requests per second (bursts of up to one
            second's worth), or ``None`` for none.
        max_in_flight: slots of the gate made when ``gate`` is not given.
        gate: the pool's :class:`InFlightGate`, shared with every other client of the pool
            (the Aptos node client takes it from :attr:`gate`).
        limiter: a rate limiter shared with other clients (instead of one of ``rate_limit``).
        timeout: seconds for each request, overriding the pool's timeout; ``None`` for the
            pool's.

    Attributes:
        retries: every retry made so far (statistics and tests).

    Raises:
        ValueError: ``max_in_flight`` is below 1 or ``rate_limit`` is not positive.
    """

    def __init__(
        self,
        httpx_client: httpx.AsyncClient,
        *,
        base_url: str,
        api_key: Secret[str] | str | None = None,
        retry: RetryPolicy | None = None,
        rate_limit: float | None = None,
        max_in_flight: int = 10,
        gate: InFlightGate | None = None,
        limiter: RateLimiter | None = None,
        timeout: float | None = None,
    ) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self.httpx = httpx_client
        self.base_url = base_url.rstrip("/")
        self.retry = retry if retry is not None else RetryPolicy()
        self.retries = 0
        # Built once (httpx normalises a plain dict's headers again on every request), and
        # masked: the failed request's frames hold them, and error reporters record frames.
        self._get_headers = MaskedHeaders({"user-agent": USER_AGENT, "accept": "application/json"})
        if api_key:
            self._get_headers["x-api-key"] = (
                api_key.reveal() if isinstance(api_key, Secret) else api_key
            )
        self._post_headers = MaskedHeaders(self._get_headers)
        self._post_headers.update(JSON_HEADERS)
        self.gate = gate if gate is not None else InFlightGate(max_in_flight)
        self.timeout = timeout
        self._limiter = limiter
        if limiter is None and rate_limit is not None:
            self._limiter = RateLimiter(rate_limit)

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
        """``GET path?params``; the reply's ``data`` decoded as ``tp``.

        Args:
            path: the endpoint path, starting with ``/``.
            tp: the type ``data`` decodes into.
            params: query parameters, already formatted as text.
            idempotent: retry after a retryable failure (``True`` for reads).

        Returns:
            The decoded ``data``.

        Raises:
            APIStatusError: a non-2xx status (``BadRequestError``, ``AuthenticationError``,
                ``PermissionDeniedError``, ``NotFoundError``, ``RateLimitError``,
                ``ServerError``).
            UnsuccessfulResponseError: a 2xx answer with ``"success": false``.
            ResponseDecodeError: the body is not the envelope, has neither ``success`` nor
                ``status``, or ``data`` is not of type ``tp``.
            TransportError: no answer (``ConnectError``, ``RequestTimeoutError``).
        """
        return await self.request("GET", path, tp, params=params, idempotent=idempotent)

    async def post(self, path: str, tp: type[T] | Any, *, body: Any, idempotent: bool) -> T:
        """``POST path`` with a JSON ``body``; the reply's ``data`` decoded as ``tp``.

        Args:
            path: the endpoint path, starting with ``/``.
            tp: the type ``data`` decodes into.
            body: the JSON body (``Decimal`` written as exact numbers).
            idempotent: retry after a retryable failure (payload endpoints pass ``False``).

        Returns:
            The decoded ``data``.

        Raises:
            APIStatusError: a non-2xx status (``BadRequestError``, ``AuthenticationError``,
                ``PermissionDeniedError``, ``NotFoundError``, ``RateLimitError``,
                ``ServerError``).
            UnsuccessfulResponseError: a 2xx answer with ``"success": false``.
            ResponseDecodeError: the body is not the envelope, has neither ``success`` nor
                ``status``, or ``data`` is not of type ``tp``.
            TransportError: no answer (``ConnectError``, ``RequestTimeoutError``).
        """
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
            idempotent: ``True`` to retry after a retryable failure (reads, and payload requests,
                which execute nothing); ``False`` sends once.

        Returns:
            The decoded ``data``.

        Raises:
            APIStatusError: a non-2xx status (``BadRequestError``, ``AuthenticationError``,
                ``PermissionDeniedError``, ``NotFoundError``, ``RateLimitError``,
                ``ServerError``).
            UnsuccessfulResponseError: a 2xx answer with ``"success": false``.
            ResponseDecodeError: the body is not the envelope, has neither ``success`` nor
                ``status``, or ``data`` is not of type ``tp``.
            TransportError: no answer (``ConnectError``, ``RequestTimeoutError``).
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
        headers = self._get_headers if content is None else self._post_headers
        async with self.gate.slot():
            logger.debug("%s %s %s", method, url, params or "")
            response = await send_raw(
                self.httpx,
                method,
                url,
                params=params,
                content=content,
                headers=headers,
                timeout=self.timeout,
            )
        logger.debug("%s %s -> %s (%s bytes)", method, url, response.status, len(response.body))
        response.raise_for_status()
        return response.body


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
