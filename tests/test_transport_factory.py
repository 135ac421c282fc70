"""make_client: both transports answer real requests; bad transport names are refused early."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import anyio
import httpx
import msgspec
import pytest

from kana_async import ArgumentTypeError, InvalidArgumentError
from kana_async._http import USER_AGENT, HttpClient, check_transport, make_client

from .test_transport_classification import read_request, serving

LIMITS = httpx.Limits(max_connections=2, max_keepalive_connections=2)
ENVELOPE = b'{"success":true,"message":"ok","data":{"bestAskPrice":"5.7579"}}'


class Price(msgspec.Struct, rename="camel"):
    best_ask_price: Decimal


@pytest.mark.anyio
@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_both_transports_carry_requests_and_keep_connections(transport: Any) -> None:
    seen: list[bytes] = []
    connections = 0

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        while True:
            try:
                seen.append(await read_request(reader))
            except asyncio.IncompleteReadError:
                return
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                b"content-length: %d\r\n\r\n%s" % (len(ENVELOPE), ENVELOPE)
            )
            await writer.drain()

    async with serving(answer) as url:
        base = url.removesuffix("/v1/transactions")
        async with make_client(transport, timeout=5.0, limits=LIMITS) as pool:
            http = HttpClient(pool, base_url=base, api_key="k")
            with anyio.fail_after(10):
                for _ in range(3):
                    price = await http.get("/getMarketPrice", Price, params={"marketId": "14"})
                    assert price.best_ask_price == Decimal("5.7579")
    assert len(seen) == 3 and connections == 1  # one kept-alive connection
    head = seen[0].lower()
    assert head.startswith(b"get /getmarketprice?marketid=14 http/1.1\r\n")
    assert f"user-agent: {USER_AGENT}".lower().encode() in head
    assert b"x-api-key: k" in head


def test_transport_names_are_checked() -> None:
    assert check_transport("httpx") == "httpx"
    assert check_transport("aiohttp") == "aiohttp"
    with pytest.raises(InvalidArgumentError, match="one of"):
        check_transport("requests")
    with pytest.raises(ArgumentTypeError):
        check_transport(None)
    with pytest.raises(InvalidArgumentError):
        make_client("curl", timeout=1.0, limits=LIMITS)  # type: ignore[arg-type]


def test_missing_aiohttp_extra_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    import kana_async._http.factory as factory

    monkeypatch.setattr(factory, "find_spec", lambda name: None)
    with pytest.raises(ImportError, match=r"kana-async\[aiohttp\]"):
        check_transport("aiohttp")
