"""Tuning of the websocket connection, and the states it goes through."""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from importlib.util import find_spec
from typing import Final, Literal

from kana_async._exceptions import ArgumentTypeError, InvalidArgumentError

__all__ = ["ConnectionState", "StreamOptions"]

#: The fields that are durations (seconds) or factors, and those of them that may be ``None``.
_SECONDS = (
    "ping_interval",
    "ping_timeout",
    "stale_timeout",
    "open_timeout",
    "close_timeout",
    "backoff_initial",
    "backoff_max",
    "backoff_factor",
    "jitter",
    "idle_linger",
)
_OPTIONAL = frozenset({"ping_interval", "ping_timeout", "stale_timeout", "idle_linger"})


#: The websocket libraries a stream can run on.
_TRANSPORTS: Final = ("websockets", "aiohttp")

#: The largest duration (seconds) or factor a stream option may be.
_MAX_NUMBER: Final = 10**6
#: The largest ``max_size`` (bytes) a stream option may be.
_MAX_SIZE: Final = 2**32


def _check_number(name: str, value: object, *, optional: bool) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ArgumentTypeError(f"{name} must be a number of seconds, got {value!r}")
    # compared before any float conversion: 10**400 or NaN fail here, typed
    if not -_MAX_NUMBER <= value <= _MAX_NUMBER:
        raise InvalidArgumentError(
            f"{name} must be finite and at most {_MAX_NUMBER:,}, got {value!r:.40}"
        )


@cache
def _aiohttp_usable() -> bool:
    """Whether an aiohttp that can hand text frames over as bytes (3.14+) is installed."""
    if find_spec("aiohttp") is None:
        return False
    try:
        major, minor = (int(part) for part in version("aiohttp").split(".")[:2])
    except (PackageNotFoundError, ValueError):
        return False
    return (major, minor) >= (3, 14)


class ConnectionState(enum.Enum):
    """Where the websocket connection is in its life.

    Attributes:
        IDLE: not connected and not trying: no subscription so far, or paused because none is
            left (the next subscription connects again).
        CONNECTING: opening the TCP connection and the websocket handshake.
        CONNECTED: connected; subscriptions are (re)sent and frames are read.
        BACKOFF: lost or failed; waiting before the next attempt.
        CLOSED: closed for good (the client closed).
    """

    IDLE = "idle"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    BACKOFF = "backoff"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class StreamOptions:
    """Tuning of the websocket connection (``KanaClient(stream_options=...)``).

    Every duration is in seconds. The defaults suit Kana: a connection whose peer stops
    answering (a half-open TCP connection) is noticed within ``ping_interval + ping_timeout``
    (8 s) by the keepalive, and within ``stale_timeout`` plus an eighth of it (9 s) by the
    watchdog while a steady-traffic topic is subscribed.

    Attributes:
        ping_interval: seconds between keepalive pings (``None``: no pings).
        ping_timeout: seconds to wait for a pong before declaring the connection dead
            (``None``: pings are sent but never time out).
        stale_timeout: seconds of silence after which a connection that carries a
            steady-traffic topic (order book, best price) is replaced (``None``: no watchdog).
        open_timeout: seconds allowed for TCP connect + websocket handshake.
        close_timeout: seconds allowed for the closing handshake before the TCP is dropped.
        backoff_initial: first reconnect delay in seconds.
        backoff_max: longest reconnect delay in seconds.
        backoff_factor: growth of the delay per consecutive failure.
        jitter: fraction (0..1) by which each delay is randomly shortened.
        max_size: largest accepted message in bytes (``None``: no limit).
        compression: ``"deflate"`` to offer permessage-deflate, ``None`` to decline it.
        idle_linger: seconds the connection stays open after its last subscription left; then
            it is paused (closed, its counters kept) and the next subscription connects again
            (``None``: never pause it).
        transport: the websocket library: ``"websockets"`` (the default; asyncio and trio)
            or ``"aiohttp"`` (its compiled frame parser: less CPU per message; asyncio only;
            needs the ``aiohttp`` extra, aiohttp 3.14+). On trio, ``"aiohttp"`` ends each
            subscription with a :class:`~kana_async.StreamHandshakeRefusedError` saying so.

    Raises:
        InvalidArgumentError: (a ``ValueError``) ``backoff_initial`` is negative or above
            ``backoff_max``, ``backoff_factor`` is below 1, ``jitter`` is outside 0..1, a
            duration is not finite or above 1,000,000 s (a factor above 1,000,000), a timeout or
            interval is not positive, ``max_size`` is below 1 or above 2**32, ``compression``
            is not ``"deflate"`` or ``None``, ``idle_linger`` is negative, or ``transport``
            is not ``"websockets"`` or ``"aiohttp"``.
        ArgumentTypeError: (a ``TypeError``) a duration is not a number, or ``max_size`` is not
            an ``int``.
        ImportError: ``transport="aiohttp"`` without aiohttp 3.14 or later installed
            (``pip install 'kana-async[aiohttp]'``).
    """

    ping_interval: float | None = 4.0
    ping_timeout: float | None = 4.0
    stale_timeout: float | None = 8.0
    open_timeout: float = 10.0
    close_timeout: float = 2.0
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    backoff_factor: float = 2.0
    jitter: float = 0.5
    max_size: int | None = 16 * 1024 * 1024
    compression: str | None = "deflate"
    idle_linger: float | None = 5.0
    transport: Literal["websockets", "aiohttp"] = "websockets"

    def __post_init__(self) -> None:
        for name in _SECONDS:
            _check_number(name, getattr(self, name), optional=name in _OPTIONAL)
        if self.max_size is not None and (
            isinstance(self.max_size, bool) or not isinstance(self.max_size, int)
        ):
            raise ArgumentTypeError(f"max_size must be an int or None, got {self.max_size!r}")
        if self.compression not in ("deflate", None):
            raise InvalidArgumentError(
                f"compression must be 'deflate' or None, got {self.compression!r}"
            )
        if not 0 <= self.backoff_initial <= self.backoff_max:
            raise InvalidArgumentError("need 0 <= backoff_initial <= backoff_max")
        if not self.backoff_factor >= 1:
            raise InvalidArgumentError("backoff_factor must be >= 1")
        if not 0 <= self.jitter <= 1:
            raise InvalidArgumentError("jitter must be between 0 and 1")
        for name in ("ping_interval", "ping_timeout", "stale_timeout"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise InvalidArgumentError(f"{name} must be positive or None")
        for name in ("open_timeout", "close_timeout"):
            if not getattr(self, name) > 0:
                raise InvalidArgumentError(f"{name} must be positive")
        if self.max_size is not None and not 1 <= self.max_size <= _MAX_SIZE:
            raise InvalidArgumentError(f"max_size must be from 1 to {_MAX_SIZE:,} bytes or None")
        if self.idle_linger is not None and not self.idle_linger >= 0:
            raise InvalidArgumentError("idle_linger must be >= 0 or None")
        if self.transport not in _TRANSPORTS:
            raise InvalidArgumentError(
                f"transport must be 'websockets' or 'aiohttp', got {self.transport!r:.40}"
            )
        if self.transport == "aiohttp" and not _aiohttp_usable():
            raise ImportError(
                "StreamOptions(transport='aiohttp') needs aiohttp 3.14 or later: "
                "pip install 'kana-async[aiohttp]'"
            )

    def backoff(self, failures: int) -> float:
        """The jittered wait before the next connection attempt. Never raises.

        ``min(backoff_max, backoff_initial * backoff_factor ** (failures - 1))``, shortened
        at random by up to ``jitter`` of itself.

        Args:
            failures: consecutive failures so far (1 for the first).

        Returns:
            The wait in seconds.
        """
        exponent = min(max(failures - 1, 0), 64)
        base = min(self.backoff_max, self.backoff_initial * self.backoff_factor**exponent)
        return base * (1.0 - self.jitter * random.random())
