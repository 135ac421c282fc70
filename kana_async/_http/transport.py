"""One HTTP exchange: send a request on the shared pool, translate httpx errors, map statuses.

The lower layer both the REST client and the Aptos node client use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

import httpx

from kana_async._codec import decode, decode_envelope
from kana_async._exceptions import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConnectError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestTimeoutError,
    ResponseDecodeError,
    ServerError,
    TransportError,
)
from kana_async._http import direct
from kana_async._http.progress import end_attempt, reports_progress, start_attempt
from kana_async._retry import parse_retry_after
from kana_async._version import VERSION

SDK_VERSION: Final = VERSION

USER_AGENT: Final = f"kana-async/{SDK_VERSION}"
DEFAULT_TIMEOUT: Final = httpx.Timeout(10.0, connect=5.0)

JSON_HEADERS: Final = {"content-type": "application/json"}

Pool: TypeAlias = httpx.AsyncClient
"""The shared connection pool every request goes through (an ``httpx.AsyncClient``)."""


@dataclass(frozen=True, slots=True)
class RawResponse:
    """An HTTP answer of any status, as :func:`send_raw` returns it.

    Nothing is checked or decoded yet: :meth:`raise_for_status` turns a non-2xx status into the
    typed error.

    Attributes:
        method: the request's method, e.g. ``"GET"``.
        url: the URL requested.
        status: the HTTP status code.
        headers: the answer's headers (case-insensitive look-ups).
        body: the raw body.
    """

    method: str
    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes

    def raise_for_status(self) -> None:
        """Raise the typed error if the status is not 2xx; do nothing otherwise.

        Raises:
            APIStatusError: the status is not 2xx (``BadRequestError`` 400,
                ``AuthenticationError`` 401, ``PermissionDeniedError`` 403, ``NotFoundError``
                404, ``RateLimitError`` 429, ``ServerError`` 5xx).
        """
        raise_for_status(self.status, self.body, self.headers, self.method, self.url)

    def json(self) -> Any:
        """The body decoded as JSON (untyped: numbers with a fraction become ``Decimal``).

        Returns:
            The decoded value.

        Raises:
            ResponseDecodeError: the body is not JSON.
        """
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

    Args:
        pool: the shared ``httpx.AsyncClient``.
        method: the HTTP method, e.g. ``"GET"``.
        url: the full URL.
        content: the request body, already encoded.
        headers: request headers.
        params: query parameters, already formatted as text.
        timeout: seconds, overriding the pool's timeout for this request.

    Returns:
        The answer, whatever its status.

    Raises:
        RequestTimeoutError: no complete answer within the timeout.
        ConnectError: no connection could be made (the request never left).
        TransportError: the connection failed while the request or its answer was in transit.

    :func:`may_have_reached_server` tells, for any of these, whether the server may have
    received the request. For a pool built by :func:`~kana_async._http.make_client` (either
    transport) that follows from what the transport did (whether it had started to send the
    request on a connection), not from the exception's class.
    """
    target = _url(url, params)
    attempt, token = start_attempt()
    try:
        response = await direct.send(
            pool, method, target, content=content, headers=headers, timeout=timeout
        )
    except httpx.TransportError as exc:
        on_wire = attempt.on_wire if reports_progress(pool) else None
        raise classify(exc, method, url, on_wire=on_wire) from exc
    finally:
        end_attempt(token)
    return RawResponse(method, url, response.status_code, response.headers, response.content)


#: Parsed URLs by (URL, query parameters); cleared when it reaches :data:`_URL_CACHE_SIZE`.
_URLS: Final[dict[object, httpx.URL]] = {}
_URL_CACHE_SIZE: Final = 1024


def _url(url: str, params: Mapping[str, str] | None) -> httpx.URL:
    """``url`` with ``params`` merged in, as httpx would build it, parsed once per distinct pair.

    httpx parses and percent-encodes the URL and its parameters again for every request (about
    a tenth of the CPU of a GET on the default transport); the same few endpoints and
    parameters come back all the time.
    """
    key: object = url if not params else (url, *params.items())
    try:
        parsed = _URLS.get(key)
    except TypeError:  # an unhashable parameter value (a list): parse it every time
        return httpx.Request("GET", url, params=params).url
    if parsed is None:
        parsed = httpx.Request("GET", url, params=params).url if params else httpx.URL(url)
        if len(_URLS) >= _URL_CACHE_SIZE:
            _URLS.clear()
        _URLS[key] = parsed
    return parsed


def classify(
    exc: httpx.TransportError, method: str, url: str, *, on_wire: bool | None
) -> TransportError:
    """The SDK's error for a failed request, marked with whether it may have reached the server.

    Args:
        exc: what httpx raised.
        method: the request's method, for the message.
        url: the URL requested, for the message.
        on_wire: whether the transport had started to send the request on a connection;
            ``None`` when the pool does not report it (an ``http_client`` passed in): then
            :func:`_class_says_maybe_sent` judges from the exception.

    Returns:
        :class:`RequestTimeoutError` for a timeout, :class:`ConnectError` for a request that
        never left, otherwise :class:`TransportError`. Never raises.
    """
    sent = _class_says_maybe_sent(exc) if on_wire is None else on_wire
    name = type(exc).__name__
    error: TransportError
    if isinstance(exc, httpx.TimeoutException) and _really_timed_out(exc):
        error = RequestTimeoutError(f"no answer to {method} {url} within the timeout ({name})")
    elif not sent:
        error = ConnectError(f"could not connect for {method} {url}: {exc}")
    else:
        error = TransportError(f"{method} {url} failed before an answer arrived: {name}: {exc}")
    vars(error)[_REACHED] = sent
    return error


_REACHED: Final = "_kana_may_have_reached_server"


def _aiohttp_cause(exc: BaseException) -> BaseException | None:
    """The aiohttp exception httpx-aiohttp translated into ``exc``, if that is what it is."""
    cause = exc.__cause__
    if cause is not None and type(cause).__module__.startswith("aiohttp"):
        return cause
    return None


def _really_timed_out(exc: httpx.TimeoutException) -> bool:
    """``False`` for httpx-aiohttp's ``ConnectTimeout`` that stands for a dropped connection."""
    cause = _aiohttp_cause(exc)
    return cause is None or isinstance(cause, TimeoutError)


def _class_says_maybe_sent(exc: httpx.TransportError) -> bool:
    """Whether ``exc``'s class leaves open that the request reached the server.

    Only for pools that do not report their progress. httpx's own transport raises
    ``ConnectError``, ``ConnectTimeout`` and ``PoolTimeout`` only before anything was sent;
    httpx-aiohttp also raises ``ConnectTimeout`` for a server that hung up after reading the
    request, so there only aiohttp's connector failure and a real timeout of the connect phase
    count as not sent.
    """
    if not isinstance(exc, _NEVER_SENT):
        return True
    cause = _aiohttp_cause(exc)
    if cause is None:
        return False
    import aiohttp  # already imported: it raised ``cause``

    return not isinstance(cause, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError)


#: httpx failures its own transport raises only before a byte of the request left.
_NEVER_SENT: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def may_have_reached_server(error: BaseException) -> bool:
    """Whether the request that failed with ``error`` may have reached the server.

    ``False`` only when :func:`send_raw` knows the request never left: its transport had not
    started to send it on a connection (the connection could not be made, or no pooled
    connection became free in time). Anything else, a read timeout or a connection dropped
    after the request was written, may mean the server got and executed it; so may any error
    that did not come from :func:`send_raw`. Never raises.

    Args:
        error: an error :func:`send_raw` raised.

    Returns:
        ``False`` when the request certainly never left, else ``True``.
    """
    return bool(getattr(error, _REACHED, True))


def raise_for_status(
    status: int,
    body: bytes,
    headers: Mapping[str, str],
    method: str,
    url: str,
) -> None:
    """Raise the :class:`~kana_async.APIStatusError` subclass for a non-2xx ``status``.

    The message is the server's own ``message`` when the body is a JSON envelope carrying one,
    otherwise a short default for the status. A 2xx status returns without raising.

    Args:
        status: the HTTP status code.
        body: the answer's body.
        headers: the answer's headers (``Retry-After`` is read for a 429).
        method: the request's method, for the message.
        url: the URL requested, for the message.

    Raises:
        BadRequestError: status 400.
        AuthenticationError: status 401.
        PermissionDeniedError: status 403.
        NotFoundError: status 404.
        RateLimitError: status 429 (``retry_after`` from ``Retry-After``, in seconds).
        ServerError: status 500 or above.
        APIStatusError: any other status outside 2xx.
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
