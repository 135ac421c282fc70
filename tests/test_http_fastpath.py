"""The request path's shortcuts build exactly what httpx would build itself."""

from __future__ import annotations

import httpx
import pytest

from kana_async._http import HttpClient, direct, send_raw
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


@pytest.mark.anyio
@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_sdk_pools_send_what_httpx_client_request_sends(transport: str) -> None:
    """The shortcut past httpx's client layer puts the same request on the wire."""
    import asyncio

    from kana_async._http import make_client

    from .test_transport_classification import read_request, serving

    seen: list[bytes] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                seen.append(await read_request(reader))
            except asyncio.IncompleteReadError:
                return
            writer.write(b"HTTP/1.1 201 Created\r\nx-answer: yes\r\ncontent-length: 2\r\n\r\nok")
            await writer.drain()

    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with serving(answer) as url:
        async with make_client(transport, timeout=5.0, limits=limits) as ours:  # type: ignore[arg-type]
            assert ours in direct._DIRECT  # this pool takes the shortcut
            mine = await send_raw(
                ours, "POST", url, content=b'{"a":1}', headers={"x-api-key": "k"}, params={"q": "1"}
            )
        async with httpx.AsyncClient(headers={"user-agent": ours.headers["user-agent"]}) as plain:
            theirs = await send_raw(
                plain,
                "POST",
                url,
                content=b'{"a":1}',
                headers={"x-api-key": "k"},
                params={"q": "1"},
            )
    assert (mine.status, mine.body, mine.headers["x-answer"]) == (201, b"ok", "yes")
    assert (theirs.status, theirs.body) == (201, b"ok")

    def head(raw: bytes) -> tuple[bytes, set[bytes]]:
        first, *lines = raw.split(b"\r\n\r\n")[0].split(b"\r\n")
        return first, {line.lower() for line in lines}

    mine_line, mine_headers = head(seen[0])
    theirs_line, theirs_headers = head(seen[1])
    assert mine_line == theirs_line == b"POST /v1/transactions?q=1 HTTP/1.1"
    assert seen[0].endswith(b'{"a":1}') and seen[1].endswith(b'{"a":1}')
    for line in theirs_headers:  # everything httpx's client sends, the SDK's pool sends too
        name = line.split(b":")[0]
        if transport == "aiohttp" and name in (b"accept-encoding", b"connection"):
            continue  # aiohttp writes its own values of these
        assert line in mine_headers, line


@pytest.mark.anyio
@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_a_closed_sdk_pool_refuses_requests_like_httpx(transport: str) -> None:
    from kana_async._http import make_client

    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    pool = make_client(transport, timeout=1.0, limits=limits)  # type: ignore[arg-type]
    await pool.aclose()
    with pytest.raises(RuntimeError, match="client has been closed"):
        await send_raw(pool, "GET", "http://127.0.0.1:1/never")
