"""Walking ``offset``/``limit`` pages of a history endpoint as one async iterator."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from kana_async._validation import check_int

__all__ = ["DEFAULT_PAGE_SIZE", "PageIterator"]

logger = logging.getLogger("kana_async")

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 100

FetchPage = Callable[[int, int], Awaitable[Sequence[T]]]
"""``fetch(offset, limit)`` returns one page of at most ``limit`` rows."""


class PageIterator(Generic[T]):
    """Yields every row of a paged endpoint, fetching the next page only when needed.

    Pages are requested with growing ``offset`` until a page comes back shorter than
    ``page_size`` (the last page). A plain iterator object rather than an async generator, so
    breaking out of ``async for`` early leaves nothing to finalise.

    Args:
        fetch: ``fetch(offset, limit)`` returning one page.
        page_size: rows asked for per request.
        start: offset of the first row.
        max_pages: safety stop for a server that ignores ``offset`` (``None``: no limit).
            Independently, paging stops (with a warning logged) when a page repeats the one
            before it.

    Attributes:
        pages_fetched: how many pages were requested so far.

    Raises:
        ArgumentTypeError: ``page_size`` or ``start`` is not an ``int``.
        InvalidArgumentError: ``page_size`` is below 1 or ``start`` is negative.
    """

    def __init__(
        self,
        fetch: FetchPage[T],
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        start: int = 0,
        max_pages: int | None = None,
    ) -> None:
        self._fetch = fetch
        self._page_size = check_int(page_size, "page_size", minimum=1)
        self._offset = check_int(start, "start", minimum=0)
        self._max_pages = max_pages
        self._buffer: list[T] = []
        self._index = 0
        self._done = False
        self._last_page: Sequence[T] | None = None
        self.pages_fetched = 0
        """How many pages were requested so far."""

    def __aiter__(self) -> PageIterator[T]:
        return self

    async def __anext__(self) -> T:
        while self._index >= len(self._buffer):
            if self._done:
                raise StopAsyncIteration
            await self._next_page()
        item = self._buffer[self._index]
        self._index += 1
        return item

    async def _next_page(self) -> None:
        page = await self._fetch(self._offset, self._page_size)
        self.pages_fetched += 1
        if page and self._last_page is not None and list(page) == list(self._last_page):
            # The server ignored ``offset``: stop instead of looping over one page forever.
            logger.warning(
                "history paging stopped: offset %s returned the same page again", self._offset
            )
            self._buffer, self._index, self._done = [], 0, True
            return
        self._last_page = page
        self._buffer = list(page)
        self._index = 0
        self._offset += len(page)
        if len(page) < self._page_size or (
            self._max_pages is not None and self.pages_fetched >= self._max_pages
        ):
            self._done = True

    async def collect(self, limit: int | None = None) -> list[T]:
        """Read the remaining rows into a list, fetching pages as needed.

        Args:
            limit: stop after this many rows (``None``: read to the end).

        Returns:
            The rows, in the order the pages return them.

        Raises:
            KanaError: a page request failed (the ``APIError`` / ``TransportError`` of the
                endpoint); the rows read so far are lost, but the iterator can be resumed.
        """
        rows: list[T] = []
        async for row in self:
            rows.append(row)
            if limit is not None and len(rows) >= limit:
                break
        return rows
