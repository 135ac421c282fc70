"""Which transport sends the SDK's HTTP requests: httpx's own (the default) or aiohttp's."""

from __future__ import annotations

from importlib.util import find_spec
from typing import Final, Literal, TypeAlias

import httpx

from kana_async._exceptions import ArgumentTypeError, InvalidArgumentError
from kana_async._http.transport import USER_AGENT

HttpTransport: TypeAlias = Literal["httpx", "aiohttp"]
"""The names :func:`make_client` accepts."""

TRANSPORTS: Final[tuple[HttpTransport, ...]] = ("httpx", "aiohttp")

_AIOHTTP_MODULES: Final = ("aiohttp", "httpx_aiohttp")


def check_transport(transport: object) -> HttpTransport:
    """``transport`` if it names a transport that can be used here.

    Args:
        transport: ``"httpx"`` or ``"aiohttp"``.

    Returns:
        The same name.

    Raises:
        ArgumentTypeError: ``transport`` is not a ``str``.
        InvalidArgumentError: it is not one of the names.
        ImportError: ``"aiohttp"`` without the ``aiohttp`` extra installed
            (``pip install 'kana-async[aiohttp]'``).
    """
    if not isinstance(transport, str):
        raise ArgumentTypeError(f"transport must be a str, not {type(transport).__name__}")
    if transport == "httpx":
        return "httpx"
    if transport == "aiohttp":
        missing = [name for name in _AIOHTTP_MODULES if find_spec(name) is None]
        if missing:
            raise ImportError(
                f"transport='aiohttp' needs {' and '.join(missing)}: "
                "pip install 'kana-async[aiohttp]'"
            )
        return "aiohttp"
    raise InvalidArgumentError(f"transport must be one of {TRANSPORTS}, not {transport!r}")


def make_client(
    transport: HttpTransport = "httpx",
    *,
    timeout: float | httpx.Timeout,
    limits: httpx.Limits,
) -> httpx.AsyncClient:
    """The shared ``httpx.AsyncClient`` a :class:`~kana_async.KanaClient` owns.

    Both transports report when each request starts to leave on a connection, which is what
    :func:`~kana_async._http.may_have_reached_server` answers from.

    Args:
        transport: ``"httpx"`` (httpx's own connection pool, the default) or ``"aiohttp"``
            (aiohttp sends the requests through httpx-aiohttp: several times less CPU per
            request; needs the ``aiohttp`` extra).
        timeout: seconds, or an ``httpx.Timeout``, for every request.
        limits: the pool's ``httpx.Limits`` (for aiohttp: ``max_connections`` and
            ``keepalive_expiry``).

    Returns:
        The new client (the caller closes it).

    Raises:
        ArgumentTypeError: ``transport`` is not a ``str``.
        InvalidArgumentError: ``transport`` is not ``"httpx"`` or ``"aiohttp"``.
        ImportError: ``"aiohttp"`` without the ``aiohttp`` extra installed.
    """
    if check_transport(transport) == "httpx":
        from kana_async._http.probe import build_httpx_client  # httpcore: when a pool is built

        return build_httpx_client(timeout=timeout, limits=limits)
    from kana_async._http.aiohttp_pool import build_aiohttp_client  # aiohttp: on first use

    return build_aiohttp_client(timeout=timeout, limits=limits, headers={"user-agent": USER_AGENT})
