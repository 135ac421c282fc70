"""Answers to requests that aiohttp's HTTP parser refuses before any application sees them.

A request line or header longer than 8,190 bytes, more than 128 headers, a bad
``Content-Length``, raw non-ASCII bytes in the request line or a header name, a bad method or
HTTP version, a broken chunked body, TLS sent to the plain port... aiohttp answers each with a
``text/plain`` 400 from its connection handler. :class:`EnvelopeSite` serves an application with
a handler that answers them in the application's own JSON error shape instead, with the same
4xx status and a message naming what was wrong (never the raw bytes sent).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, Final

from aiohttp import web
from aiohttp.http_exceptions import InvalidURLError

__all__ = ["EnvelopeSite", "ErrorBody", "describe_parse_error"]

log = logging.getLogger("kana_async.sim")

#: Builds an application's JSON error response from a status and a message.
ErrorBody = Callable[[int, str], web.Response]

_MAX_MESSAGE: Final = 200
#: aiohttp quotes the offending bytes after these; the answer leaves them out.
_QUOTES: Final = (": b'", ': b"', ": bytearray(", " b'")


def describe_parse_error(status: int, message: str | None, exc: BaseException | None = None) -> str:
    """A one-line, ASCII description of why aiohttp refused a request. Never raises.

    Args:
        status: the HTTP status aiohttp chose.
        message: aiohttp's text (several lines, quoting the bytes received), or ``None``.
        exc: aiohttp's parse error, when there is one.

    Returns:
        For example ``"malformed HTTP request: Invalid character in Content-Length"``.
    """
    if isinstance(exc, InvalidURLError):  # its text is nothing but the URL received
        message = "invalid URL in the request line"
    parts: list[str] = []
    for line in (message or "").splitlines():
        text = line.strip()
        if not text:
            break  # aiohttp puts the quoted request bytes after a blank line
        for quote in _QUOTES:
            text = text.split(quote, 1)[0]
        parts.append(text.rstrip(":. "))
    reason = ": ".join(part for part in parts if part)
    if not reason:
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "error"
    shown = reason.encode("ascii", "backslashreplace").decode("ascii")[:_MAX_MESSAGE]
    return f"malformed HTTP request: {shown}" if status < 500 else shown


class _EnvelopeHandler(web.RequestHandler):
    """aiohttp's connection handler, answering refused requests with ``error_body``."""

    def __init__(self, manager: web.Server, *, error_body: ErrorBody, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._error_body = error_body

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if status >= 500:
            log.error("HTTP %s for %s", status, request.path, exc_info=exc)
        else:
            log.info("refused a malformed request from %s: %s", request.remote, exc)
        if request.writer.output_size > 0:  # an answer had begun: only closing is left
            raise ConnectionError("an answer was partly sent; the connection is dropped")
        response = self._error_body(status, describe_parse_error(status, message, exc))
        response.force_close()
        return response


class EnvelopeSite(web.TCPSite):
    """A TCP site whose connections answer malformed requests with ``error_body``.

    Args:
        runner: the application's set-up ``AppRunner``.
        host: the address to bind.
        port: the port (``0`` for a free one).
        error_body: builds the application's JSON error answer for a status and message.
    """

    def __init__(
        self, runner: web.AppRunner, host: str, port: int, *, error_body: ErrorBody
    ) -> None:
        super().__init__(runner, host, port)
        self._error_body_of = error_body

    async def start(self) -> None:
        """Register with the runner and listen, as ``TCPSite.start`` does.

        Raises:
            OSError: the address cannot be bound.
        """
        await web.BaseSite.start(self)
        loop = asyncio.get_running_loop()
        server = self._runner.server
        assert server is not None, "the runner is set up before its sites start"
        error_body = self._error_body_of

        def protocol() -> _EnvelopeHandler:
            return _EnvelopeHandler(server, loop=loop, error_body=error_body, access_log=None)

        self._server = await loop.create_server(protocol, self._host, self._port)
        sockets = self._server.sockets
        self._bound_port = sockets[0].getsockname()[1] if sockets else self._port
