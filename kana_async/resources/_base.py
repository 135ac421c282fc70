"""What every resource shares: its client, the request helpers and argument checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import anyio

from kana_async._validation import check_int, check_market_id, check_sort_order

if TYPE_CHECKING:
    from kana_async._client import KanaClient
    from kana_async._context import ClientContext

__all__ = ["Resource", "SingleFlightCache"]

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Resource:
    """A group of endpoints on a :class:`~kana_async.KanaClient` (``kana.markets``...).

    Args:
        context: the client's context (its HTTP path, options, wallet, market list and task
            group); a :class:`~kana_async.KanaClient` stands for its own context.
    """

    def __init__(self, context: ClientContext | KanaClient) -> None:
        from kana_async._context import ClientContext

        self._context: ClientContext
        if isinstance(context, ClientContext):
            self._context = context
            self._client = context.client
        else:  # a client: resources written against the client use only its public side
            self._client = context
            self._context = getattr(context, "_context", None)  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"

    async def _read(
        self,
        path: str,
        tp: type[T] | Any,
        params: dict[str, str] | None = None,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - a per-request transport timeout
    ) -> T:
        """``GET path`` on a read endpoint, retried on transient failures; the decoded ``data``.

        ``timeout`` (seconds per request) replaces the client's for this call.
        """
        context = self._context
        http = context.http if timeout is None else context.http_with_timeout(timeout)
        result: T = await http.get(path, tp, params=params, idempotent=True)
        return result

    def _market(self, market_id: object) -> int:
        """A checked market id, against the client's known market list when there is one."""
        context: ClientContext | None = self._context
        known: frozenset[int] | None
        if context is None:  # made with a stand-in client (tests)
            known = getattr(self._client, "_known_market_ids")()  # noqa: B009
        else:
            known = context.known_market_ids()
        return check_market_id(market_id, known)

    def _user(self, user_address: str | None) -> str:
        return self._context.user(user_address)


def history_params(
    user: str,
    market_id: int | None,
    offset: int | None,
    limit: int | None,
    order: str | None,
) -> dict[str, str]:
    """The query of a history endpoint: ``userAddress`` plus the filters that were given.

    Args:
        user: the wallet address, already normalised.
        market_id: only this market (``marketId``), or ``None``.
        offset: rows to skip (``offset``), at least 0, or ``None``.
        limit: the most rows to return (``limit``), at least 1, or ``None``.
        order: ``"asc"`` (oldest first) or ``"desc"`` (newest first), or ``None``.

    Returns:
        The query parameters as text.

    Raises:
        ArgumentTypeError: ``offset`` or ``limit`` is not an ``int``.
        InvalidArgumentError: ``offset`` is negative, ``limit`` below 1, or ``order`` neither
            ``"asc"`` nor ``"desc"``.
    """
    params = {"userAddress": user}
    if market_id is not None:
        params["marketId"] = str(market_id)
    if offset is not None:
        params["offset"] = str(check_int(offset, "offset", minimum=0))
    if limit is not None:
        params["limit"] = str(check_int(limit, "limit", minimum=1))
    if order is not None:
        params["order"] = check_sort_order(order)
    return params


class SingleFlightCache(Generic[K, V]):
    """Caches ``load()`` results per key; concurrent callers for one key share a single load.

    A failed (or cancelled) load is not cached: the next waiting caller tries again.
    """

    def __init__(self) -> None:
        self._values: dict[K, V] = {}
        self._locks: dict[K, anyio.Lock] = {}

    def get(self, key: K) -> V | None:
        """The cached value for ``key``, or ``None``; never loads. Never raises.

        Args:
            key: the cache key.

        Returns:
            The value, or ``None`` when none is cached.
        """
        return self._values.get(key)

    def put(self, key: K, value: V) -> None:
        """Store a value learnt some other way. Never raises.

        Args:
            key: the cache key.
            value: the value to keep.
        """
        self._values[key] = value

    def clear(self) -> None:
        """Forget every cached value. Never raises."""
        self._values.clear()

    async def get_or_load(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        """The cached value, else the result of ``load()``, shared with concurrent callers.

        Args:
            key: the cache key.
            load: the coroutine function that fetches the value; called at most once at a
                time per key.

        Returns:
            The value.

        Raises:
            Exception: whatever ``load()`` raised; nothing is cached then, and the next
                waiting caller loads again.
        """
        if key in self._values:
            return self._values[key]
        lock = self._locks.setdefault(key, anyio.Lock())
        async with lock:
            if key in self._values:
                return self._values[key]
            value = await load()
            self._values[key] = value
            return value
