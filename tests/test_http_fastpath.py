"""The request path's shortcuts build exactly what httpx would build itself."""

from __future__ import annotations

import httpx
import pytest

from kana_async._http import HttpClient, send_raw
from kana_async._http import transport as transport_module


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("http://api/getMarketPrice", {"marketId": "1338"}),
        ("http://api/getOrderHistory", {"userAddress": "0xAB", "marketId": "14", "offset": "0"}),
        ("http://api/path with space", {"q": "a b&c=d/é"}),
        ("http://api/already?x=1", {"y": "2"}),
        ("http://api/plain", None),
        ("http://api/list", {"ids": ["1", "2"]}),  # unhashable: not cached, still right
    ],
)
async def test_urls_match_what_httpx_builds(url: str, params: dict[str, object] | None) -> None:
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as pool:
        for _ in range(2):  # the second time from the cache
            await send_raw(pool, "GET", url, params=params)  # type: ignore[arg-type]
        expected = pool.build_request("GET", url, params=params).url  # type: ignore[arg-type]
    assert seen == [expected, expected]
    assert str(seen[0]) == str(expected)


@pytest.mark.anyio
async def test_url_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport_module, "_URL_CACHE_SIZE", 4)
    transport_module._URLS.clear()

    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200))) as p:
        for i in range(10):
            await send_raw(p, "GET", f"http://node/v1/transactions/by_hash/0x{i:064x}")
    assert 1 <= len(transport_module._URLS) <= 4


@pytest.mark.anyio
async def test_prebuilt_headers_are_sent_per_method() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"success": True, "message": "", "data": {}})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as pool:
        http = HttpClient(pool, base_url="http://api", api_key="key-1")
        await http.get("/a", dict, params={"m": "1"})
        await http.post("/b", dict, body={"x": 1}, idempotent=False)
        await http.get("/a", dict)
    get, post, bare = seen
    assert get.headers["x-api-key"] == post.headers["x-api-key"] == "key-1"
    assert "content-type" not in get.headers and "content-type" not in bare.headers
    assert post.headers["content-type"] == "application/json"
    assert post.content == b'{"x":1}'
    assert str(get.url) == "http://api/a?m=1" and str(bare.url) == "http://api/a"
