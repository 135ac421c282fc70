"""How far one request got: whether its bytes may have started to leave on a connection.

An exception's class cannot say whether the server may have received a request (httpx-aiohttp,
for one, reports a server that hung up after reading the request as ``httpx.ConnectTimeout``).
So the transport itself reports it: the network streams of the pools :func:`make_client`
builds call :func:`mark_on_wire` just before they put request bytes on a connection (or, for
aiohttp, as soon as a connection is handed to the request), and :func:`track` gives each request
an :class:`Attempt` that those calls mark. They find it through a context variable: the
transport runs inside the task that sent the request.

Pools that report this are registered with :func:`register_reporting_pool`; for any other pool
(an ``http_client`` passed in) the request path falls back to the exception's class.
"""

from __future__ import annotations

import weakref
from contextvars import ContextVar, Token
from typing import Final


class Attempt:
    """One request's progress.

    Attributes:
        on_wire: ``True`` once the transport started to send the request on a connection (the
            server may have received it from then on); ``False`` while nothing left.
    """

    __slots__ = ("on_wire",)

    def __init__(self) -> None:
        self.on_wire = False


_CURRENT: Final[ContextVar[Attempt | None]] = ContextVar("kana_async_http_attempt", default=None)


def start_attempt() -> tuple[Attempt, Token[Attempt | None]]:
    """Make the current task's next request report into a new :class:`Attempt`. Never raises.

    Returns:
        The attempt and the token :func:`end_attempt` needs.
    """
    attempt = Attempt()
    return attempt, _CURRENT.set(attempt)


def end_attempt(token: Token[Attempt | None]) -> None:
    """Stop reporting into the attempt :func:`start_attempt` made. Never raises.

    Args:
        token: what :func:`start_attempt` returned with the attempt.
    """
    _CURRENT.reset(token)


def mark_on_wire() -> None:
    """Record that the current request's bytes may be leaving now. Never raises.

    Called by the transport (network stream or connector), in the task sending the request; does
    nothing outside a tracked request.
    """
    attempt = _CURRENT.get()
    if attempt is not None:
        attempt.on_wire = True


_REPORTING: Final[weakref.WeakSet[object]] = weakref.WeakSet()


def register_reporting_pool(pool: object) -> None:
    """Note that ``pool``'s transport calls :func:`mark_on_wire` for every request. Never raises.

    Args:
        pool: the ``httpx.AsyncClient`` (kept by weak reference).
    """
    _REPORTING.add(pool)


def reports_progress(pool: object) -> bool:
    """Whether ``pool`` was registered with :func:`register_reporting_pool`. Never raises.

    Args:
        pool: an ``httpx.AsyncClient``.

    Returns:
        ``True`` when its attempts' ``on_wire`` can be trusted.
    """
    return pool in _REPORTING
