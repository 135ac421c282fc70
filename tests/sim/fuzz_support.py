"""Fuzzing harness for the simulator's REST API and websocket hub.

A :class:`SimThread` runs a real :class:`~kana_async.sim.server.Simulator` on its own event loop
in a background thread, so the (synchronous) hypothesis tests and the report script
(``python -m tests.sim.fuzz_report``) talk to it over real sockets. :class:`Tally` counts what
the fuzzed requests got back; a request that gets no answer within the client's timeout counts
as a hang, an answer of 500 or more as a server error.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final

import httpx
from hypothesis import strategies as st

from kana_async.sim.server import Simulator

APT: Final = 1338
WALLET: Final = "0x" + "ab" * 32
#: Longest URL (path and query) aiohttp's HTTP parser accepts; a longer one is refused before
#: any application code runs (the simulator's connection handler answers it with the envelope).
HTTP_LINE_LIMIT: Final = 8190
#: Multiplies every property's example count: ``KANA_SIM_FUZZ_SCALE=10`` for a longer run.
SCALE: Final = max(1, int(os.environ.get("KANA_SIM_FUZZ_SCALE", "1")))
#: Seconds a fuzzed request may go unanswered before it counts as a hang (not a time assertion:
#: a generous bound that only a blocked event loop exceeds).
HANG_AFTER: Final = 30.0


class SimThread:
    """A quiet simulator served from a background thread; use as a context manager."""

    def __init__(self) -> None:
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fuzz-sim", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self.rest_url = ""
        self.ws_url = ""
        self.node_url = ""
        self.sim: Simulator | None = None

    def __enter__(self) -> SimThread:
        self._thread.start()
        self._ready.wait(60)
        if self._error is not None:
            raise self._error
        if not self.rest_url:
            raise RuntimeError("simulator thread did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(60)
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # handed to the test thread
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with Simulator(seed=3, market_maker=False, tick_interval=60) as sim:
            self.sim = sim
            self.rest_url = sim.network.rest_url
            self.ws_url = sim.network.ws_url
            self.node_url = sim.network.node_url
            self._ready.set()
            await self._stop.wait()


@dataclass
class Tally:
    """What the fuzzed inputs got back."""

    inputs: int = 0
    server_errors: int = 0
    hangs: int = 0
    statuses: Counter[str] = field(default_factory=Counter)

    def summary(self, what: str) -> str:
        """One line for the README: inputs, server errors, hangs and what the answers were."""
        histogram = ", ".join(f"{k}: {v}" for k, v in sorted(self.statuses.items()))
        return (
            f"{what}: {self.inputs} inputs fuzzed, {self.server_errors} server errors, "
            f"{self.hangs} hangs (answers {histogram})"
        )


def print_summaries(request: Any, what: str, tallies: dict[str, Tally]) -> None:
    """Print each tally's summary past pytest's output capture (``request``: a fixture's)."""
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        for name, tally in tallies.items():
            print(f"\n{tally.summary(f'{what}, {name}')}")


# -- the documented endpoints and a valid request of each ------------------------------------

_ORDERS: Final[dict[str, Any]] = {
    "orderTypes": [True],
    "tradeSides": [True],
    "directions": [False],
    "sizes": [1],
    "prices": [5.5],
    "leverages": [2],
}
_CANCELS: Final[dict[str, Any]] = {"cancelOrderIds": ["1"], "orderSides": [True]}
_LIST: Final = {"userAddress": WALLET, "marketId": str(APT), "offset": "0", "limit": "10"}
_ORDER: Final = {"marketId": str(APT), "tradeSide": "true", "direction": "false"}

#: Every GET endpoint with a valid query (every parameter it reads, optional ones included).
GET_ENDPOINTS: Final[dict[str, dict[str, str]]] = {
    "/getMarketInfo": {"marketId": str(APT)},
    "/getPerpetualAssetsInfo": {"baseName": "APT"},
    "/getPerpetualAssetsInfo/allMarkets": {},
    "/getMarketPrice": {"marketId": str(APT)},
    "/getLastPlacedPrice": {"marketId": str(APT)},
    "/getAllTrades": {"marketId": str(APT), "limit": "5"},
    "/getWalletAccountBalance": {"userAddress": WALLET},
    "/getProfileBalanceSnapshot": {"userAddress": WALLET},
    "/getNetProfileBalance": {"userAddress": WALLET},
    "/getAccountAptBalance": {"userAddress": WALLET},
    "/getProfileAddress": {"userAddress": WALLET},
    "/getAllOpenOrderIds": {"userAddress": WALLET, "marketId": str(APT)},
    "/getOrderStatusByOrderId": {"marketId": str(APT), "orderId": "1"},
    "/fetchOrderStatusById": {"marketId": str(APT), "orderId": "1"},
    "/getDepositAndWithdrawHistory": {**_LIST, "order": "asc"},
    "/getFills": {
        "marketId": str(APT),
        "from": "2024-11-21T00:00:00Z",
        "to": "2030-01-01T00:00:00Z",
        "address": WALLET,
        "orderId": "1",
    },
    "/getFillsForGivenTimestamp": {
        **_LIST,
        "fromTimestamp": "0",
        "toTimestamp": "1900000000",
        "order": "desc",
    },
    "/getOpenOrders": _LIST,
    "/getOpenOrdersFromContract": _LIST,
    "/getPositions": _LIST,
    "/getPositionsFromContract": _LIST,
    "/getOrderHistory": {**_LIST, "order": "asc"},
    "/getTradeHistory": {**_LIST, "order": "desc"},
    "/getFundingHistory": _LIST,
    "/deposit": {"userAddress": WALLET, "amount": "100"},
    "/withdrawSpecifiMarket": {"userAddress": WALLET, "marketId": str(APT), "amount": "1.5"},
    "/placeLimitOrder": {
        **_ORDER,
        "size": "1",
        "price": "5.5",
        "leverage": "2",
        "restriction": "0",
        "takeProfit": "6",
        "stopLoss": "5",
    },
    "/placeMarketOrder": {**_ORDER, "size": "1", "leverage": "2", "takeProfit": "0"},
    "/updateTakeProfit": {"marketId": str(APT), "tradeSide": "true", "newTakeProfitPrice": "6"},
    "/updateStopLoss": {"marketId": str(APT), "tradeSide": "false", "newStopLossPrice": "5"},
    "/collapsePosition": {"marketId": str(APT)},
    "/addMargin": {"marketId": str(APT), "tradeSide": "true", "amount": "10"},
    "/settlePnl": {"userAddress": WALLET, "marketId": str(APT)},
}
#: Every POST endpoint with a valid JSON body.
POST_ENDPOINTS: Final[dict[str, dict[str, Any]]] = {
    "/cancelMultipleOrders": {"marketId": APT, **_CANCELS},
    "/placeMultipleOrders": {"marketId": APT, **_ORDERS, "restriction": 0},
    "/cancelAndPlaceMultipleOrders": {"marketId": APT, **_CANCELS, **_ORDERS},
}
#: Parameter names a request may carry besides its endpoint's own (wrong-endpoint, junk).
EXTRA_NAMES: Final = ("marketId", "limit", "restriction", "restrictions", "x", "", "\ud800")

# -- adversarial values ----------------------------------------------------------------------

#: Values that broke or stalled the simulator, and their relatives.
NASTY_TEXT: Final = (
    "",
    " ",
    "1e99999",
    "1e1000000",
    "1e999999999",
    "-1e999999999",
    "0e999999999",
    "1e-999999999",
    "1e99999999999999999999999999999999999",
    "9" * 5000,
    "1" * 101,
    "1" * 100,
    "18446744073709551616",
    "340282366920938463463374607431768211456",
    "1e100",
    "1e101",
    "1e-101",
    "²",
    "٣",
    "１２３",
    "1_000",
    "0x10",
    "\ud800",
    "\udfff",
    "a\ud800b",
    "\x00",
    "\u202e1",
    "NaN",
    "-Infinity",
    "inf",
    "sNaN",
    "-1",
    "-0",
    "+1",
    "1.5",
    "0.0000001",
    ".",
    "e5",
    "1e",
    "--1",
    "1.2.3",
    "\t7\n",
    "true",
    "True",
    "null",
    "[]",
    "{}",
    "0x" + "f" * 65,
    "0x" + "0" * 64,
    "0xZZ",
    "2024-11-21T00:00:00",
    "9999-12-31T23:59:59+23:59",
    "0001-01-01T00:00:00-23:59",
    "asc",
    "DESC",
    "x" * 3000,
)

#: A query value: a nasty literal, a random number in some spelling or random text.
query_values: Final = st.one_of(
    st.sampled_from(NASTY_TEXT),
    st.integers().map(str),
    st.integers(min_value=0, max_value=2**130).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(repr),
    st.from_regex(r"[+-]?[0-9]{0,8}(\.[0-9]{0,8})?([eE][+-]?[0-9]{1,40})?", fullmatch=True),
    st.text(max_size=40),
)


def encode_query(params: dict[str, str]) -> str:
    """``params`` as a query string; lone surrogates go out as their (invalid) UTF-8 bytes."""
    return "&".join(f"{_quote(k)}={_quote(v)}" for k, v in params.items())


def _quote(text: str) -> str:
    return urllib.parse.quote(text.encode("utf-8", "surrogatepass"), safe="")


#: JSON text of one adversarial JSON value (numbers as literals the encoder could not write).
_json_scalars: Final = st.one_of(
    st.sampled_from(
        (
            "1e999999999",
            "-1e999999999",
            "1e1000000",
            "0e999999999",
            "1e-999999999",
            "1e99999999999999999999999999999999999",
            "-1e-99999999999999999999999999",
            "9" * 5000,
            "1" * 101,
            "340282366920938463463374607431768211456",
            "18446744073709551616",
            "-1",
            "-0",
            "0.5",
            "1E2",
            "NaN",
            "Infinity",
            "-Infinity",
            "true",
            "false",
            "null",
            '"\\ud800"',
            '"\\udfff\\ud800"',
            '"1e999999999"',
            '"\\u00b2"',
            "{}",
            "[]",
        )
    ),
    st.integers().map(str),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    query_values.map(lambda v: json.dumps(v, ensure_ascii=True)),
)
json_fragments: Final = st.recursive(
    _json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda items: "[" + ",".join(items) + "]"),
        st.integers(min_value=1, max_value=3000).map(lambda n: "[" * n + "1" + "]" * n),
    ),
    max_leaves=8,
)


def json_body(base: dict[str, Any], changes: dict[str, str | None]) -> str:
    """``base`` as JSON text with each changed key set to a raw JSON fragment (None: dropped)."""
    parts = {k: json.dumps(v) for k, v in base.items()}
    for key, fragment in changes.items():
        if fragment is None:
            parts.pop(key, None)
        else:
            parts[key] = fragment
    return "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in parts.items()) + "}"


#: Whole bodies that are not a well-formed object at all.
raw_bodies: Final = st.one_of(
    st.binary(max_size=200),
    st.sampled_from(
        (
            b"",
            b"null",
            b"[]",
            b'"x"',
            b"1e999999999",
            b"{",
            b'{"marketId": 1338,',
            b"\xef\xbb\xbf{}",
            b'{"marketId": "\xff"}',
            b'{"marketId": "\xed\xa0\x80"}',
            b'{"\\ud800": 1}',
            b'{"marketId": 1338, "marketId": NaN}',
            b"{" + b'"a":' * 1 + b"[" * 100_000 + b"]" * 100_000 + b"}",
            b'{"a": "' + b"x" * 120_000 + b'"}',
        )
    ),
    st.integers(min_value=1, max_value=50_000).map(
        lambda n: b'{"marketId": ' + b"[" * n + b"]" * n + b"}"
    ),
)


# -- one fuzzed exchange ---------------------------------------------------------------------


def check_answer(response: httpx.Response, tally: Tally) -> None:
    """Count ``response`` and assert it is a JSON envelope below 500."""
    tally.inputs += 1
    tally.statuses[str(response.status_code)] += 1
    if response.status_code >= 500:
        tally.server_errors += 1
    assert response.status_code < 500, (response.request.url, response.text[:300])
    assert response.headers["content-type"].startswith("application/json"), response.text[:300]
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("message"), str), body
    if response.status_code >= 400:
        assert body["success"] is False, body
    else:
        assert body["success"] is True, body


def assert_http_layer_400(response: httpx.Response, tally: Tally) -> None:
    """Count a request line too long for the HTTP parser: the JSON 400 envelope all the same."""
    check_answer(response, tally)
    assert response.status_code == 400, response.text[:300]
    assert f"more than {HTTP_LINE_LIMIT} bytes" in response.json()["message"], response.text


def send(client: httpx.Client, tally: Tally, method: str, url: str, **kw: Any) -> httpx.Response:
    """One fuzzed request; a timeout counts as a hang (and fails the test)."""
    try:
        return client.request(method, url, **kw)
    except httpx.TimeoutException:
        tally.inputs += 1
        tally.hangs += 1
        raise


def still_serves(client: httpx.Client) -> None:
    """A normal request right after a fuzzed one is answered normally."""
    response = client.get("/getMarketInfo", params={"marketId": str(APT)})
    assert response.status_code == 200, response.text[:300]
    assert response.json()["data"][0]["market_id"] == str(APT)
