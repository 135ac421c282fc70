"""When and how long to wait before retrying a read request.

Only read endpoints are retried, and only after a failure that left no effect on the server:
a connection that could not be made or broke before an answer, HTTP 429 (waiting as long as the
server's ``Retry-After`` asks) and HTTP 5xx. Delays grow exponentially with *full jitter*: each
wait is uniform in ``[0, min(max_delay, base_delay * 2**attempt)]``, so many clients retrying at
once spread out instead of hammering the server in step.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from time import time
from typing import Final

import anyio

from kana_async._exceptions import (
    ArgumentTypeError,
    ConnectError,
    InvalidArgumentError,
    KanaError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    TransportError,
)

__all__ = ["NO_RETRY", "RetryPolicy", "parse_retry_after"]

#: The most retries, and the longest delay in seconds (one day), a policy accepts.
_MAX_RETRIES: Final = 1000
_MAX_DELAY: Final = 86_400


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How read requests are retried.

    Args:
        max_retries: retries after the first attempt (0 disables retrying).
        base_delay: seconds; the first retry waits up to this long.
        max_delay: seconds; no backoff wait is longer.
        max_retry_after: the longest ``Retry-After`` (seconds) the client will wait for; a 429
            asking for more is raised at once as :class:`~kana_async.RateLimitError`.
        sleep: the coroutine used to wait (tests inject a fake one).
        random: returns a float in ``[0, 1)`` for the jitter (tests inject a fixed one).

    Raises:
        ArgumentTypeError: ``max_retries`` is not an ``int`` or a delay not a number.
        InvalidArgumentError: ``max_retries`` is negative or above 1,000, or a delay is
            negative, not finite or above a day (86,400 s).
    """

    max_retries: int = 2
    base_delay: float = 0.25
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    sleep: Callable[[float], Awaitable[None]] = field(default=anyio.sleep, compare=False)
    random: Callable[[], float] = field(default=random.random, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.max_retries, bool) or not isinstance(self.max_retries, int):
            raise ArgumentTypeError("max_retries must be an int")
        if not 0 <= self.max_retries <= _MAX_RETRIES:
            raise InvalidArgumentError(f"max_retries must be 0 to {_MAX_RETRIES:,}")
        for name in ("base_delay", "max_delay", "max_retry_after"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ArgumentTypeError(f"{name} must be a number of seconds, got {value!r:.40}")
            if not 0 <= value <= _MAX_DELAY:  # NaN and infinity fail this too
                if value < 0:
                    raise InvalidArgumentError("retry delays must be 0 or more")
                raise InvalidArgumentError(f"{name} must be 0 to {_MAX_DELAY:,} seconds")

    def backoff(self, attempt: int) -> float:
        """The jittered wait before a retry. Never raises.

        Uniform in ``[0, min(max_delay, base_delay * 2**attempt))`` (full jitter).

        Args:
            attempt: how many retries were already made (0 before the first).

        Returns:
            The wait in seconds.
        """
        ceiling = min(self.max_delay, self.base_delay * (2.0**attempt))
        return self.random() * ceiling

    def delay_for(self, error: KanaError, attempt: int) -> float | None:
        """How long to wait before retrying a read after ``error``. Never raises.

        Connection failures, HTTP 429 and HTTP 5xx are retried; a timeout is not (the server
        may still be working on the request). A 429 waits as long as its ``Retry-After``
        asks, unless that is more than ``max_retry_after``.

        Args:
            error: the failure of the last attempt.
            attempt: how many retries were already made (0 before the first).

        Returns:
            The wait in seconds, or ``None`` to give up and raise ``error`` now.
        """
        if attempt >= self.max_retries or not is_retryable(error):
            return None
        if isinstance(error, RateLimitError) and error.retry_after is not None:
            if error.retry_after > self.max_retry_after:
                return None
            return max(0.0, error.retry_after)
        return self.backoff(attempt)


NO_RETRY = RetryPolicy(max_retries=0)
"""A policy that never retries."""


def is_retryable(error: KanaError) -> bool:
    """Whether a read request may safely be retried after ``error``. Never raises.

    Args:
        error: the failure of the last attempt.

    Returns:
        ``True`` for a connection failure, a connection broken before an answer, HTTP 429 and
        HTTP 5xx; ``False`` for a timeout (the server may still be working on the request) and
        anything else.
    """
    if isinstance(error, RequestTimeoutError):
        return False
    return isinstance(error, ConnectError | TransportError | RateLimitError | ServerError)


def parse_retry_after(value: str | None, *, now: Callable[[], float] = time) -> float | None:
    """A ``Retry-After`` header as seconds to wait. Never raises.

    Args:
        value: the header's text: delta-seconds (``"2"``, ``"0.5"``) or an HTTP date; ``None``
            when the header was absent.
        now: the current Unix time in seconds (tests inject a fixed one).

    Returns:
        The wait in seconds (never negative), or ``None`` if the value is absent or unusable.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        return max(0.0, when.timestamp() - now())
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return None
    return max(0.0, seconds)
