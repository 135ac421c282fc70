"""Helpers shared by the REST tests (a recording MockTransport, sample rows); no tests here."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx

from kana_async import KanaClient, Network, RetryPolicy

API_KEY = "test-key-123"
WALLET = "0x" + "ab" * 32
PROFILE_RAW = "0x3c78886aa67752706b3502b12959edf92e68d85ae64b24226783d26ce6efc1e"  # 63 digits
PROFILE = "0x03c78886aa67752706b3502b12959edf92e68d85ae64b24226783d26ce6efc1e"
BIG_ID = "11905620858892513160724480"

NETWORK = Network(
    name="unit",
    rest_url="http://kana.test",
    ws_url="ws://kana.test/ws/",
    node_url="http://node.test/v1",
    chain_id=4,
    markets={"APT-USD": 1338, "BTC-USD": 1339, "ETH-USD": 1340, "SOL-USD": 2387},
)


async def no_sleep(_: float) -> None:
    """A sleep that returns at once (retry tests)."""


FAST_RETRY = RetryPolicy(max_retries=2, sleep=no_sleep, random=lambda: 0.5)


def envelope(data: Any, *, success: bool = True, message: str = "ok") -> bytes:
    """A Kana reply body."""
    return json.dumps({"success": success, "message": message, "data": data}).encode()


def reply(data: Any, status: int = 200, **kw: Any) -> httpx.Response:
    """An httpx response carrying ``data`` in the success envelope."""
    return httpx.Response(status, content=envelope(data, **kw))


class Recorder:
    """A MockTransport handler that records requests and answers from a route table.

    ``routes`` maps a path to the ``data`` to return, or to a callable ``(request) -> Response``.
    Unknown paths get a 404.
    """

    def __init__(self, routes: dict[str, Any] | None = None) -> None:
        self.routes: dict[str, Any] = dict(routes or {})
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        route = self.routes.get(request.url.path)
        if route is None:
            return httpx.Response(404, content=envelope(None, success=False, message="no route"))
        if callable(route):
            response: httpx.Response = route(request)
            return response
        return reply(route)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    def params(self, index: int = -1) -> dict[str, str]:
        return dict(self.requests[index].url.params)

    def body(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].content)


def refuse(request: httpx.Request) -> httpx.Response:
    """A handler that fails the test if anything is sent."""
    raise AssertionError(f"nothing should have been sent, got {request.method} {request.url}")


@asynccontextmanager
async def open_client(
    handler: Callable[[httpx.Request], httpx.Response], **kw: Any
) -> AsyncIterator[KanaClient]:
    """An open KanaClient over ``handler`` (wallet ``WALLET``, key ``API_KEY``)."""
    kw.setdefault("api_key", API_KEY)
    kw.setdefault("wallet_address", WALLET)
    kw.setdefault("retry", FAST_RETRY)
    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http,
        KanaClient(NETWORK, http_client=http, **kw) as kana,
    ):
        yield kana


MARKET_ROW: dict[str, Any] = {
    "__variant__": "V1",
    "market_id": "1338",
    "base_name": "APT/USDC",
    "base_decimals": 8,
    "quote_decimals": 6,
    "quote_precision": 3,
    "lot_size": "100000",
    "tick_size": "1",
    "min_lots": "500",
    "max_lots": "150000000",
    "max_leverage": "20",
    "maintenance_margin": "250",
    "max_position_value": "125000000",
    "market_address": "0xcfa0086c26787035de6b4a312875c7a70b2f9a29fa880d0cf633ef3dd0acd2c3",
    "creator": "0xb61d7b57333abf8ac036e752f19d0ba0c4baa5404db1cbf868c57dac3628f2bf",
    "custodian_id": "75",
    "is_recognised": False,
    "market_status": 1,
    "counter": "0",
}

OPEN_ORDER_ROW: dict[str, Any] = {
    "address": PROFILE,
    "market_id": "1338",
    "leverage": 20,
    "order_type": 1,
    "timestamp": 1747075649,
    "price": "5.5",
    "total_size": "10",
    "remaining_size": "7.5",
    "order_value": "55",
    "order_id": BIG_ID,
    "trade_id": "7376",
    "last_updated": 1747075650,
    "transaction_version": 2713317408,
}

ORDER_HISTORY_ROW: dict[str, Any] = {
    "address": PROFILE,
    "order_id": BIG_ID,
    "market_id": "1338",
    "order_type": 9,
    "is_market_order": True,
    "size": "10",
    "price": "5.75789140",
    "order_value": "57.57891400",
    "leverage": 20,
    "status": "Filled",
    "timestamp": 1747075649,
    "last_updated": 1747075650,
    "trade_id": "737648402019497550020622",
    "transaction_version": 2713317408,
}

POSITION_ROW: dict[str, Any] = {
    "address": PROFILE,
    "market_id": "1338",
    "leverage": 5,
    "trade_side": True,
    "size": "2.5",
    "available_order_size": "2.5",
    "value": "13.75",
    "entry_price": "5.5",
    "liq_price": "4.6612",
    "margin": "2.75",
    "tp": "0",
    "sl": None,
    "trade_id": "42",
    "last_updated": 1747075650,
    "transaction_version": 2713317408,
}

TRADE_ROW: dict[str, Any] = {
    "address": PROFILE,
    "market_id": "1338",
    "leverage": 5,
    "order_type": 3,
    "timestamp": 1747075649,
    "size": "2.5",
    "price": "5.5",
    "order_value": "13.75",
    "pnl": "-0.125",
    "fee": "0.00825",
    "entry_price": None,
    "order_id": BIG_ID,
    "trade_id": "99",
    "last_updated": 1747075650,
    "transaction_version": 2713317408,
}

STATUS_ROW: dict[str, Any] = {
    **ORDER_HISTORY_ROW,
    "status": "Partially Filled",
    "total_filled": "4",
    "remaining_size": "6",
}

TRANSFER_ROW: dict[str, Any] = {
    "address": PROFILE,
    "amount": "10",
    "is_deposit": True,
    "timestamp": 1745995346,
    "last_updated": 1746027625,
    "transaction_version": 2665483307,
}

FUNDING_ROW: dict[str, Any] = {
    "market_id": "1338",
    "address": PROFILE,
    "trade_side": True,
    "size": "2.5",
    "funding_rate": "0.0001",
    "amount": "-0.001375",
    "timestamp": 1747075649,
}

PAYLOAD: dict[str, Any] = {
    "function": "0xabc::perpetual_scripts::place_limit_order",
    "typeArguments": [],
    "functionArguments": ["1338", "true", "false", "1000", "5500", "2", "0", "0", "0"],
}
