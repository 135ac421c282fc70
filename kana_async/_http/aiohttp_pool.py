"""The aiohttp transport: an ``httpx.AsyncClient`` whose requests aiohttp sends (httpx-aiohttp).

The only module of the SDK that imports aiohttp or httpx-aiohttp (the ``aiohttp`` extra). The
rest of the request path sees an ordinary ``httpx.AsyncClient``; this module adds what the
request path needs from it:

* its connector marks the request "on the wire" as soon as a connection is handed to it
  (:func:`~kana_async._http.progress.mark_on_wire`): from then on aiohttp writes the request,
  whatever exception it raises later (httpx-aiohttp turns a server that hung up after reading
  the request into ``httpx.ConnectTimeout``);
* aiohttp errors that httpx-aiohttp passes through untranslated become
  ``httpx.RemoteProtocolError``, so the request path sees only httpx's exceptions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import httpx
from aiohttp.connector import Connection
from aiohttp.tracing import Trace
from httpx_aiohttp import AiohttpTransport

from kana_async._http.direct import allow_direct
from kana_async._http.progress import mark_on_wire, register_reporting_pool


class _ReportingConnector(aiohttp.TCPConnector):
    """A TCP connector that marks the current request as sent once it has a connection."""

    async def connect(
        self,
        req: aiohttp.ClientRequest,
        traces: list[Trace],
        timeout: aiohttp.ClientTimeout,  # noqa: ASYNC109 - aiohttp's interface
    ) -> Connection:
        connection = await super().connect(req, traces, timeout)
        mark_on_wire()  # the request is written on this connection next
        return connection


class _Body(httpx.AsyncByteStream):
    """The answer's body, with untranslated aiohttp errors turned into httpx's."""

    def __init__(self, inner: httpx.AsyncByteStream, request: httpx.Request) -> None:
        self._inner = inner
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                yield chunk
        except aiohttp.ClientError as exc:
            raise httpx.RemoteProtocolError(str(exc), request=self._request) from exc

    async def aclose(self) -> None:
        await self._inner.aclose()


class _Transport(AiohttpTransport):
    """httpx-aiohttp's transport; aiohttp errors it does not translate become httpx's."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await super().handle_async_request(request)
        except aiohttp.ClientError as exc:
            raise httpx.RemoteProtocolError(str(exc), request=request) from exc
        stream = response.stream
        assert isinstance(stream, httpx.AsyncByteStream)
        response.stream = _Body(stream, request)
        return response


def build_aiohttp_client(
    *, timeout: float | httpx.Timeout, limits: httpx.Limits, headers: dict[str, str]
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` whose requests aiohttp sends, reporting when each goes out.

    The aiohttp session is made at the first request (aiohttp needs a running event loop);
    closing the client closes it. Never raises.

    Args:
        timeout: seconds, or an ``httpx.Timeout``, for every request (connect → aiohttp's
            ``sock_connect``, read → ``sock_read``, pool → ``connect``).
        limits: ``max_connections`` bounds aiohttp's connector (``None``: unbounded) and
            ``keepalive_expiry`` is its keep-alive time.
        headers: sent with every request.

    Returns:
        The new client (the caller closes it).
    """
    connector_kw: dict[str, Any] = {"limit": limits.max_connections or 0}
    if limits.keepalive_expiry is not None:
        connector_kw["keepalive_timeout"] = limits.keepalive_expiry

    def session() -> aiohttp.ClientSession:
        return aiohttp.ClientSession(connector=_ReportingConnector(**connector_kw))

    # verify=False only stops httpx-aiohttp from loading a CA bundle for a connector it would
    # build itself; it never builds one here (``session`` is ours, its connector verifies TLS
    # with aiohttp's defaults).
    transport = _Transport(client=session, verify=False, trust_env=False)
    client = httpx.AsyncClient(transport=transport, timeout=timeout, headers=headers)
    register_reporting_pool(client)
    allow_direct(client)  # no auth, hooks, redirects or cookies on a pool of ours
    return client
