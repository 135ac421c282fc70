"""History iterators walk offset/limit pages until a short page."""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import pytest

from kana_async import PageIterator, Trade
from tests.backends_support import anyio_backend  # noqa: F401
from tests.rest_support import (
    ORDER_HISTORY_ROW,
    TRADE_ROW,
    WALLET,
    Recorder,
    open_client,
    reply,
)


def paged(rows: list[dict[str, object]]) -> Recorder:
    """A route table serving ``rows`` by the request's offset/limit, on every history path."""

    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        limit = int(request.url.params["limit"])
        return reply(rows[offset : offset + limit])

    paths = [
        "/getOrderHistory",
        "/getTradeHistory",
        "/getFundingHistory",
        "/getFillsForGivenTimestamp",
    ]
    return Recorder(dict.fromkeys(paths, handler))


def trades(n: int) -> list[dict[str, object]]:
    return [{**TRADE_ROW, "trade_id": str(i)} for i in range(n)]


@pytest.mark.anyio
async def test_iter_trades_walks_all_pages() -> None:
    recorder = paged(trades(25))
    async with open_client(recorder) as kana:
        seen = [t.trade_id async for t in kana.history.iter_trades(1338, page_size=10, order="asc")]
    assert seen == [str(i) for i in range(25)]
    assert [(r.url.params["offset"], r.url.params["limit"]) for r in recorder.requests] == [
        ("0", "10"),
        ("10", "10"),
        ("20", "10"),
    ]
    assert all(r.url.path == "/getTradeHistory" for r in recorder.requests)
    first = recorder.params(0)
    assert (
        first["userAddress"] == WALLET and first["marketId"] == "1338" and first["order"] == "asc"
    )


@pytest.mark.anyio
async def test_exact_multiple_needs_one_empty_page() -> None:
    recorder = paged(trades(20))
    async with open_client(recorder) as kana:
        rows = await kana.history.iter_trades(page_size=10).collect()
    assert len(rows) == 20
    assert len(recorder.requests) == 3  # 10, 10, then an empty page ends it


@pytest.mark.anyio
async def test_each_history_iterator_uses_its_endpoint() -> None:
    recorder = paged([ORDER_HISTORY_ROW] * 3)
    async with open_client(recorder) as kana:
        orders = await kana.history.iter_orders(page_size=2).collect()
        funding = await kana.history.iter_funding(page_size=5).collect()
        fills = await kana.history.iter_fills(
            from_timestamp=1, to_timestamp=2, page_size=2
        ).collect()
    assert len(orders) == 3 and len(funding) == 3 and len(fills) == 3
    paths = [r.url.path for r in recorder.requests]
    assert paths == [
        "/getOrderHistory",
        "/getOrderHistory",
        "/getFundingHistory",
        "/getFillsForGivenTimestamp",
        "/getFillsForGivenTimestamp",
    ]
    assert recorder.params(-1)["fromTimestamp"] == "1"
    assert recorder.params(-1)["toTimestamp"] == "2"


@pytest.mark.anyio
async def test_iteration_is_lazy_and_can_stop_early() -> None:
    recorder = paged(trades(100))
    async with open_client(recorder) as kana:
        iterator = kana.history.iter_trades(page_size=10)
        assert recorder.requests == []  # nothing fetched before iterating
        first = await iterator.collect(limit=15)
    assert len(first) == 15
    assert iterator.pages_fetched == 2
    assert len(recorder.requests) == 2


@pytest.mark.anyio
async def test_a_server_ignoring_offset_does_not_loop_forever() -> None:
    recorder = Recorder({"/getTradeHistory": trades(10)})
    async with open_client(recorder) as kana:
        rows = await kana.history.iter_trades(page_size=10).collect()
    assert len(rows) == 10
    assert len(recorder.requests) == 2


@pytest.mark.anyio
async def test_page_iterator_with_plain_fetch_and_max_pages() -> None:
    calls: list[tuple[int, int]] = []

    async def fetch(offset: int, limit: int) -> Sequence[int]:
        calls.append((offset, limit))
        return list(range(offset, offset + limit))  # endless

    it = PageIterator(fetch, page_size=3, start=6, max_pages=2)
    assert [x async for x in it] == [6, 7, 8, 9, 10, 11]
    assert calls == [(6, 3), (9, 3)]
    assert [x async for x in it] == []  # exhausted stays exhausted


@pytest.mark.anyio
async def test_errors_propagate_from_a_page() -> None:
    answers = iter([reply([TRADE_ROW] * 2), httpx.Response(400, content=b"")])
    recorder = Recorder({"/getTradeHistory": lambda _: next(answers)})
    async with open_client(recorder) as kana:
        got: list[Trade] = []
        with pytest.raises(Exception, match="HTTP 400"):
            async for trade in kana.history.iter_trades(page_size=2):
                got.append(trade)
    assert len(got) == 2
