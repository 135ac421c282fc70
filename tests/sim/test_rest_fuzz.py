"""The simulator's REST API answers any input like a venue: a 4xx JSON envelope, never 500.

Property-based over every endpoint (each parameter replaced by adversarial values, bodies
mangled), plus one regression test per input that used to break it. Every fuzzed request is
followed by a normal one that must still be answered. A request left unanswered within the
client timeout (a blocked event loop) fails the test as a hang. The module prints one summary
line per property (inputs fuzzed, server errors = answers >= 500, hangs); run
``python -m pytest tests/sim/test_rest_fuzz.py -p no:randomly -q`` to see them
(``KANA_SIM_FUZZ_SCALE=10`` multiplies the example counts).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kana_async.resources._checks import MAX_CANCELS_PER_CALL, MAX_ORDERS_PER_CALL
from kana_async.sim.rest import build_rest_app
from kana_async.sim.rest.body import MAX_BODY_BYTES, MAX_DEPTH
from kana_async.sim.rest.params import MAX_CANCELS, MAX_ORDERS

from .fuzz_support import (
    APT,
    EXTRA_NAMES,
    GET_ENDPOINTS,
    HANG_AFTER,
    HTTP_LINE_LIMIT,
    POST_ENDPOINTS,
    SCALE,
    SimThread,
    Tally,
    assert_http_layer_400,
    check_answer,
    encode_query,
    json_body,
    json_fragments,
    print_summaries,
    query_values,
    raw_bodies,
    send,
    still_serves,
)

FUZZ = settings(
    max_examples=400 * SCALE,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def sim_thread() -> Iterator[SimThread]:
    with SimThread() as thread:
        yield thread


@pytest.fixture(scope="module")
def client(sim_thread: SimThread) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim_thread.rest_url, timeout=HANG_AFTER) as c:
        yield c


@pytest.fixture(scope="module")
def tallies(request: pytest.FixtureRequest) -> Iterator[dict[str, Tally]]:
    """One :class:`Tally` per property; their summaries are written when the module ends."""
    found: dict[str, Tally] = {}
    yield found
    print_summaries(request, "simulator REST fuzz", found)


def tally_of(tallies: dict[str, Tally], name: str) -> Tally:
    return tallies.setdefault(name, Tally())


def message(response: httpx.Response, status: int) -> str:
    """The error message of a ``status`` JSON envelope."""
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["success"] is False
    text: str = body["message"]
    return text


# -- coverage of the table -------------------------------------------------------------------


def test_fuzz_table_covers_every_route(sim_thread: SimThread) -> None:
    sim = sim_thread.sim
    assert sim is not None
    app = build_rest_app(sim.exchange, sim.faults)
    routes = {(r.method, r.resource.canonical) for r in app.router.routes() if r.resource}
    table = {("GET", p) for p in GET_ENDPOINTS} | {("POST", p) for p in POST_ENDPOINTS}
    assert routes == table


def test_every_valid_base_request_is_answered_200(client: httpx.Client) -> None:
    for path, params in GET_ENDPOINTS.items():
        response = client.get(path, params=params)
        assert response.status_code in (200, 404), (path, response.text)  # 404: no such order
        assert response.status_code == 200 or "order" in response.json()["message"], path
    for path, body in POST_ENDPOINTS.items():
        response = client.post(path, json=body)
        assert response.status_code == 200, (path, response.text)


# -- properties ------------------------------------------------------------------------------


@FUZZ
@given(data=st.data())
def test_fuzzed_queries_get_a_json_envelope(
    client: httpx.Client, tallies: dict[str, Tally], data: st.DataObject
) -> None:
    path = data.draw(st.sampled_from(sorted(GET_ENDPOINTS)), label="path")
    params = dict(GET_ENDPOINTS[path])
    names = st.sampled_from(sorted({*params, *EXTRA_NAMES}))
    changes = data.draw(
        st.dictionaries(names, st.none() | query_values, min_size=1, max_size=3), label="changes"
    )
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = value
    tally = tally_of(tallies, "query parameters")
    url = f"{path}?{encode_query(params)}"
    response = send(client, tally, "GET", url)
    if len(url) > HTTP_LINE_LIMIT:  # refused by aiohttp's HTTP parser, before the app
        assert_http_layer_400(response, tally)
    else:
        check_answer(response, tally)
    still_serves(client)


@FUZZ
@given(data=st.data())
def test_fuzzed_json_bodies_get_a_json_envelope(
    client: httpx.Client, tallies: dict[str, Tally], data: st.DataObject
) -> None:
    path = data.draw(st.sampled_from(sorted(POST_ENDPOINTS)), label="path")
    base = POST_ENDPOINTS[path]
    names = st.sampled_from(sorted({*base, *EXTRA_NAMES, "restrictions", "takeProfits"}))
    changes = data.draw(
        st.dictionaries(names, st.none() | json_fragments, min_size=1, max_size=3),
        label="changes",
    )
    body = json_body(base, changes).encode("utf-8", "surrogatepass")
    tally = tally_of(tallies, "JSON body fields")
    headers = {"content-type": "application/json"}
    check_answer(send(client, tally, "POST", path, content=body, headers=headers), tally)
    still_serves(client)


@settings(FUZZ, max_examples=150 * SCALE)
@given(path=st.sampled_from(sorted(POST_ENDPOINTS)), body=raw_bodies)
def test_malformed_bodies_get_a_json_envelope(
    client: httpx.Client, tallies: dict[str, Tally], path: str, body: bytes
) -> None:
    tally = tally_of(tallies, "whole bodies")
    check_answer(send(client, tally, "POST", path, content=body), tally)
    still_serves(client)


@settings(FUZZ, max_examples=150 * SCALE)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]),
    path=st.one_of(
        st.sampled_from(sorted({*GET_ENDPOINTS, *POST_ENDPOINTS})),
        st.text(max_size=30).map(lambda t: "/" + t),
    ),
)
def test_unknown_paths_and_methods_get_a_json_envelope(
    client: httpx.Client, tallies: dict[str, Tally], method: str, path: str
) -> None:
    tally = tally_of(tallies, "paths and methods")
    url = "/" + "/".join(_quote_segment(s) for s in path[1:].split("/"))
    response = send(client, tally, method, url)
    if method == "HEAD":  # a HEAD answer has no body: only the status can be checked
        tally.inputs += 1
        tally.statuses[str(response.status_code)] += 1
        assert 400 <= response.status_code < 500
    else:
        check_answer(response, tally)
    still_serves(client)


def _quote_segment(segment: str) -> str:
    return urllib.parse.quote(segment.encode("utf-8", "surrogatepass"), safe="")


# -- regressions: each input that once answered 500, hung or answered text/plain -------------


@pytest.mark.parametrize(
    ("path", "params", "name"),
    [
        ("/getMarketInfo", {"marketId": "1e99999"}, "marketId"),
        ("/getMarketInfo", {"marketId": "1e1000000"}, "marketId"),
        ("/getMarketInfo", {"marketId": "9" * 5000}, "marketId"),
        ("/getMarketInfo", {"marketId": "1e99999999999999999999999999999999999"}, "marketId"),
        ("/getMarketInfo", {"marketId": "²"}, "marketId"),
        ("/getMarketInfo", {"marketId": "１３３８"}, "marketId"),
        ("/getOrderHistory", {"userAddress": "0x1", "limit": "9" * 5000}, "limit"),
        ("/getAllTrades", {"marketId": str(APT), "limit": "1e999999999"}, "limit"),
        (
            "/placeLimitOrder",
            {**GET_ENDPOINTS["/placeLimitOrder"], "restriction": "1e999999999"},
            "restriction",
        ),
        ("/placeLimitOrder", {**GET_ENDPOINTS["/placeLimitOrder"], "size": "1e40"}, "size"),
        ("/placeLimitOrder", {**GET_ENDPOINTS["/placeLimitOrder"], "price": "1e-999999"}, "price"),
        ("/deposit", {"userAddress": "0x1", "amount": "1e999999999"}, "amount"),
        ("/getFills", {**GET_ENDPOINTS["/getFills"], "from": "9" * 5000}, "from"),
    ],
)
def test_named_query_cases_are_400_naming_the_parameter(
    client: httpx.Client, path: str, params: dict[str, str], name: str
) -> None:
    text = message(client.get(path, params=params), 400)
    assert f"'{name}'" in text
    assert len(text) < 300
    still_serves(client)


def test_a_url_over_the_http_line_limit_is_a_json_400(client: httpx.Client) -> None:
    """aiohttp's parser refuses it before the app runs; the answer is still the envelope."""
    tally = Tally()
    url = "/getMarketInfo?marketId=" + "9" * HTTP_LINE_LIMIT
    assert_http_layer_400(client.get(url), tally)
    assert tally.statuses == {"400": 1}
    still_serves(client)


def test_lone_surrogate_in_a_query_is_400(client: httpx.Client) -> None:
    text = message(client.get("/getMarketInfo?marketId=%ED%A0%80"), 400)
    assert "'marketId'" in text


def test_zero_with_a_huge_exponent_is_just_zero(client: httpx.Client) -> None:
    params = {**GET_ENDPOINTS["/placeLimitOrder"], "takeProfit": "0e999999999"}
    response = client.get("/placeLimitOrder", params=params)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["functionArguments"][7] == "0"


def _orders(**changes: str) -> bytes:
    return json_body(POST_ENDPOINTS["/placeMultipleOrders"], dict(changes)).encode(
        "utf-8", "surrogatepass"
    )


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        (_orders(restriction="1e999999999"), 400, "'restriction'"),
        (_orders(restriction='"1e999999999"'), 400, "'restriction'"),
        (_orders(marketId="1e1000000"), 400, "'marketId'"),
        (_orders(marketId="9" * 5000), 400, "'marketId'"),
        (_orders(sizes="[1e999999999]"), 400, "'sizes[0]'"),
        (_orders(sizes="[1e99999999999999999999999999999999999]"), 400, "'sizes[0]'"),
        (_orders(marketId="-1e-99999999999999999999999999"), 400, "'marketId'"),
        (_orders(marketId='"\\ud800"'), 400, "'marketId'"),
        (_orders(sizes='["\\udfff"]'), 400, "'sizes[0]'"),
        (_orders(note='"a\\ud800"'), 400, "'note'"),  # refused even where nothing reads it
        (_orders(**{"\ud800": "1"}), 400, "surrogate"),  # in a key
        (_orders(marketId="NaN"), 400, "NaN"),
        (_orders(marketId="[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)), 400, "deeper"),
        (b'{"marketId": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 413, "larger"),
        (b'{"marketId": ' + b"[" * 40_000 + b"]" * 40_000 + b"}", 400, "deeper"),
        (b'{"marketId": "\xff"}', 400, "UTF-8"),
        (b'{"marketId": "\xed\xa0\x80"}', 400, "UTF-8"),
        (b"[]", 400, "JSON object"),
        (b"", 400, "JSON object"),
    ],
)
def test_named_body_cases_are_4xx(
    client: httpx.Client, body: bytes, status: int, needle: str
) -> None:
    text = message(client.post("/placeMultipleOrders", content=body), status)
    assert needle in text
    still_serves(client)


def test_body_size_limit_is_exact(client: httpx.Client) -> None:
    base = json_body(POST_ENDPOINTS["/placeMultipleOrders"], {}).encode()
    padded = base[:-1] + b',"pad":"' + b"x" * (MAX_BODY_BYTES - len(base) - 9) + b'"}'
    assert len(padded) == MAX_BODY_BYTES
    assert client.post("/placeMultipleOrders", content=padded).status_code == 200
    over = padded[:-2] + b'x"}'
    message(client.post("/placeMultipleOrders", content=over), 413)


def test_chunked_body_over_the_limit_is_413(client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"marketId": 1338, "pad": "'
        for _ in range(20):
            yield b"x" * 10_000
        yield b'"}'

    message(client.post("/placeMultipleOrders", content=chunks()), 413)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/nope", 404),
        ("GET", "/getMarketInfo/extra", 404),
        ("POST", "/getMarketInfo", 405),
        ("GET", "/placeMultipleOrders", 405),
        ("DELETE", "/cancelMultipleOrders", 405),
    ],
)
def test_unknown_paths_and_methods_answer_json(
    client: httpx.Client, method: str, path: str, status: int
) -> None:
    assert message(client.request(method, path), status)


def test_number_limits_are_exact_and_valid_spellings_still_pass(client: httpx.Client) -> None:
    ok = client.get("/getMarketInfo", params={"marketId": "0" * 96 + str(APT)})  # 100 chars
    assert ok.status_code == 200, ok.text
    too_long = client.get("/getMarketInfo", params={"marketId": "0" * 97 + str(APT)})
    assert "at most 100" in message(too_long, 400)
    for spelling in (f" {APT} ", f"{APT}.0", "1.338e3", f"+{APT}"):
        response = client.get("/getMarketInfo", params={"marketId": spelling})
        assert response.status_code == 200, (spelling, response.text)


def test_u64_arguments_must_fit_a_u64(client: httpx.Client) -> None:
    base = GET_ENDPOINTS["/placeLimitOrder"]
    # APT-USD: 1 lot = 0.001 APT, so this size is exactly u64::MAX lots
    largest = client.get("/placeLimitOrder", params={**base, "size": "18446744073709551.615"})
    assert largest.status_code == 200, largest.text
    assert largest.json()["data"]["functionArguments"][3] == str(2**64 - 1)
    over = client.get("/placeLimitOrder", params={**base, "size": "18446744073709551.616"})
    assert "u64" in message(over, 400)


def test_leverages_and_order_ids_must_fit_their_on_chain_types(client: httpx.Client) -> None:
    base = GET_ENDPOINTS["/placeLimitOrder"]
    over_u64 = client.get("/placeLimitOrder", params={**base, "leverage": str(2**64)})
    assert "leverage" in (text := message(over_u64, 400)) and "u64" in text
    body = POST_ENDPOINTS["/placeMultipleOrders"]
    orders = len(body["orderTypes"])
    many = client.post("/placeMultipleOrders", json={**body, "leverages": [2**64] * orders})
    assert "leverages[0]" in (text := message(many, 400)) and "u64" in text
    cancels = POST_ENDPOINTS["/cancelMultipleOrders"]
    rest = list(cancels["cancelOrderIds"])[1:]
    ids = [str(2**128), *rest]
    too_big = client.post("/cancelMultipleOrders", json={**cancels, "cancelOrderIds": ids})
    assert "cancelOrderIds[0]" in (text := message(too_big, 400)) and "u128" in text
    largest = client.post(
        "/cancelMultipleOrders", json={**cancels, "cancelOrderIds": [str(2**128 - 1), *rest]}
    )
    assert largest.status_code == 200, largest.text  # u128::MAX itself is a valid id


def test_all_trades_limit_has_the_documented_page_cap(client: httpx.Client) -> None:
    params = GET_ENDPOINTS["/getAllTrades"]
    assert client.get("/getAllTrades", params={**params, "limit": "1000"}).status_code == 200
    over = client.get("/getAllTrades", params={**params, "limit": "1001"})
    assert "limit" in message(over, 400)


@pytest.mark.parametrize("path", sorted(POST_ENDPOINTS))
def test_multi_order_bodies_are_bounded_per_call(client: httpx.Client, path: str) -> None:
    """At most MAX_ORDERS orders and MAX_CANCELS ids per call; the fullest passes, one more: 400."""

    def body(orders: int, cancels: int) -> dict[str, Any]:
        fields: dict[str, Any] = {"marketId": APT, "restriction": 0}
        if "cancelOrderIds" in POST_ENDPOINTS[path]:
            fields["cancelOrderIds"] = [str(10**20 + i) for i in range(cancels)]
            fields["orderSides"] = [True] * cancels
        if "orderTypes" in POST_ENDPOINTS[path]:
            fields.update(
                orderTypes=[True] * orders,
                tradeSides=[True] * orders,
                directions=[False] * orders,
                sizes=["0.01"] * orders,
                prices=["5"] * orders,
                leverages=[2] * orders,
            )
        return fields

    fullest = client.post(path, json=body(MAX_ORDERS, MAX_CANCELS))
    assert fullest.status_code == 200, fullest.text[:300]
    arguments = fullest.json()["data"]["functionArguments"]
    assert max(len(a) for a in arguments if isinstance(a, list)) == max(MAX_ORDERS, MAX_CANCELS)
    if "orderTypes" in POST_ENDPOINTS[path]:
        assert "'orderTypes'" in message(client.post(path, json=body(MAX_ORDERS + 1, 1)), 400)
    if "cancelOrderIds" in POST_ENDPOINTS[path]:
        assert "'cancelOrderIds'" in message(client.post(path, json=body(1, MAX_CANCELS + 1)), 400)
    still_serves(client)


def test_the_simulator_and_the_sdk_bound_multi_order_calls_alike() -> None:
    assert (MAX_ORDERS, MAX_CANCELS) == (MAX_ORDERS_PER_CALL, MAX_CANCELS_PER_CALL)
