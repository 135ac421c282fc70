"""The request path: status → exception, envelope, decoding, retries, limits, headers, logging."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime

import anyio
import httpcore
import httpx
import pytest

from kana_async import (
    NO_RETRY,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConnectError,
    KanaError,
    MarketPrice,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestTimeoutError,
    ResponseDecodeError,
    RetryPolicy,
    ServerError,
    TransportError,
    UnsuccessfulResponseError,
)
from kana_async._http import (
    HttpClient,
    RawResponse,
    may_have_reached_server,
    raise_for_status,
    send_raw,
)
from kana_async._retry import parse_retry_after
from tests.backends_support import anyio_backend  # noqa: F401
from tests.rest_support import (
    API_KEY,
    FAST_RETRY,
    PAYLOAD,
    Recorder,
    envelope,
    open_client,
    reply,
)

PRICE = {"bestAskPrice": "5.5", "bestBidPrice": "5.4"}


def status_reply(status: int, body: bytes = b"", **headers: str) -> httpx.Response:
    return httpx.Response(status, content=body, headers=headers)


# -- status mapping ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (429, RateLimitError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (418, APIStatusError),
    ],
)
def test_raise_for_status_maps_every_status(status: int, error: type[APIStatusError]) -> None:
    body = envelope(None, success=False, message=f"server says {status}")
    with pytest.raises(error) as info:
        raise_for_status(status, body, {}, "GET", "http://x/getMarketPrice")
    assert type(info.value) is error
    assert info.value.status_code == status
    assert info.value.message == f"server says {status}"
    assert info.value.body == body
    assert f"HTTP {status}: server says {status}" in str(info.value)
    assert "GET http://x/getMarketPrice" in str(info.value)


def test_raise_for_status_passes_2xx_and_has_readable_defaults() -> None:
    raise_for_status(200, b"", {}, "GET", "u")
    raise_for_status(204, b"", {}, "GET", "u")
    with pytest.raises(AuthenticationError, match="KANA_API_KEY"):
        raise_for_status(401, b"", {}, "GET", "u")
    with pytest.raises(ServerError, match="Bad Gateway from nginx"):
        raise_for_status(502, b"Bad Gateway from nginx", {}, "GET", "u")
    with pytest.raises(ServerError, match="HTTP status 500"):
        raise_for_status(500, b"<html>oops</html>", {}, "GET", "u")


def test_rate_limit_error_carries_retry_after() -> None:
    with pytest.raises(RateLimitError) as info:
        raise_for_status(429, b"", {"retry-after": "7"}, "GET", "u")
    assert info.value.retry_after == 7.0


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after(None) is None
    assert parse_retry_after("") is None
    assert parse_retry_after("2.5") == 2.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after("nan") is None
    assert parse_retry_after("soon") is None
    now = datetime(2026, 1, 1, tzinfo=UTC)
    date = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(date, now=now.timestamp) == pytest.approx(30.0)


@pytest.mark.anyio
@pytest.mark.parametrize("status", [400, 401, 403, 404, 429, 500, 503])
async def test_client_raises_typed_status_errors_with_server_message(status: int) -> None:
    body = envelope(None, success=False, message="explained by server")
    recorder = Recorder({"/getMarketPrice": lambda _: status_reply(status, body)})
    async with open_client(recorder, retry=NO_RETRY) as kana:
        with pytest.raises(APIStatusError) as info:
            await kana.markets.price(1338)
    assert info.value.status_code == status
    assert info.value.message == "explained by server"
    assert info.value.url == "http://kana.test/getMarketPrice"
    assert info.value.method == "GET"
    assert API_KEY not in str(info.value)


# -- envelope and decoding --------------------------------------------------------------------


@pytest.mark.anyio
async def test_success_false_raises_with_the_server_message() -> None:
    recorder = Recorder(
        {"/getMarketPrice": lambda _: reply(None, success=False, message="Market not found")}
    )
    async with open_client(recorder) as kana:
        with pytest.raises(UnsuccessfulResponseError, match="Market not found") as info:
            await kana.markets.price(1338)
    assert info.value.message == "Market not found"
    assert info.value.status_code is None
    assert len(recorder.requests) == 1  # not retried


@pytest.mark.anyio
async def test_legacy_status_envelope_is_accepted() -> None:
    legacy = b'{"status": true, "message": "ok", "data": {"bestAskPrice": 1, "bestBidPrice": 2}}'
    failed = b'{"status": false, "message": "legacy failure", "data": null}'
    answers = iter([legacy, failed])
    recorder = Recorder({"/getMarketPrice": lambda _: httpx.Response(200, content=next(answers))})
    async with open_client(recorder) as kana:
        price = await kana.markets.price(1338)
        assert price == MarketPrice(best_ask_price=Decimal(1), best_bid_price=Decimal(2))
        with pytest.raises(UnsuccessfulResponseError, match="legacy failure"):
            await kana.markets.price(1338)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("body", "match"),
    [
        (b"<html>not json</html>", "not a JSON envelope"),
        (b'{"success": true, "message": "ok", "data": ', "not a JSON envelope"),
        (b"[1, 2, 3]", "not a JSON envelope"),
        (b'{"message": "no flag", "data": {}}', "neither a 'success' nor a 'status'"),
        (b'{"success": true, "data": [1, 2]}', "unexpected response shape"),
        (b'{"success": true, "data": {"bestAskPrice": "cheap"}}', "unexpected response shape"),
        (b'{"success": true, "data": null}', "unexpected response shape"),
    ],
)
async def test_malformed_or_wrong_shape_raises_decode_error(body: bytes, match: str) -> None:
    recorder = Recorder({"/getMarketPrice": lambda _: httpx.Response(200, content=body)})
    async with open_client(recorder) as kana:
        with pytest.raises(ResponseDecodeError, match=match) as info:
            await kana.markets.price(1338)
    assert info.value.body == body
    assert info.value.url.endswith("/getMarketPrice")
    assert len(recorder.requests) == 1  # decoding problems are not retried


# -- transport errors -------------------------------------------------------------------------


@pytest.mark.anyio
async def test_timeout_becomes_request_timeout_error_and_is_not_retried() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    recorder = Recorder({"/getMarketPrice": handler})
    async with open_client(recorder) as kana:
        with pytest.raises(RequestTimeoutError) as info:
            await kana.markets.price(1338)
    assert isinstance(info.value, TimeoutError)
    assert isinstance(info.value.__cause__, httpx.ReadTimeout)
    assert len(recorder.requests) == 1


@pytest.mark.anyio
async def test_connection_refused_is_connect_error_after_retries() -> None:
    # A port nobody listens on: bind, learn the port, close.
    with __import__("socket").socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    http = HttpClient(httpx.AsyncClient(), base_url=f"http://127.0.0.1:{port}", retry=FAST_RETRY)
    async with http.httpx:
        with anyio.fail_after(10), pytest.raises(ConnectError) as info:
            await http.get("/getMarketPrice", MarketPrice, params={"marketId": "1338"})
    assert isinstance(info.value, TransportError)
    assert http.retries == 2


@pytest.mark.anyio
async def test_other_transport_errors_are_transport_errors() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("server hung up", request=request)

    async with open_client(Recorder({"/getMarketPrice": handler}), retry=NO_RETRY) as kana:
        with pytest.raises(TransportError, match="server hung up"):
            await kana.markets.price(1338)


# -- retries ----------------------------------------------------------------------------------


class Sleeps:
    """A fake sleep that records what it was asked to wait."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def flaky(*failures: httpx.Response, then: object = PRICE) -> Recorder:
    """A route that fails with ``failures`` in order, then answers ``then``."""
    answers = iter(failures)

    def handler(request: httpx.Request) -> httpx.Response:
        return next(answers, None) or reply(then)

    return Recorder({"/getMarketPrice": handler, "/placeLimitOrder": handler})


@pytest.mark.anyio
async def test_reads_retry_5xx_and_429_then_succeed() -> None:
    sleeps = Sleeps()
    policy = RetryPolicy(
        max_retries=3, base_delay=1.0, max_delay=10.0, sleep=sleeps, random=lambda: 1.0
    )
    recorder = flaky(status_reply(503), status_reply(500), status_reply(429))
    async with open_client(recorder, retry=policy) as kana:
        price = await kana.markets.price(1338)
        assert kana._http.retries == 3
    assert price.best_ask_price == Decimal("5.5")
    assert len(recorder.requests) == 4
    assert sleeps.waits == [1.0, 2.0, 4.0]  # exponential: base * 2**attempt (jitter fixed at 1)


@pytest.mark.anyio
async def test_backoff_is_capped_and_jittered() -> None:
    policy = RetryPolicy(max_retries=10, base_delay=1.0, max_delay=3.0, random=lambda: 0.5)
    assert [policy.backoff(a) for a in range(4)] == [0.5, 1.0, 1.5, 1.5]
    zero = RetryPolicy(random=lambda: 0.0)
    assert zero.backoff(5) == 0.0


@pytest.mark.anyio
async def test_retry_after_is_honoured() -> None:
    sleeps = Sleeps()
    policy = RetryPolicy(max_retries=2, sleep=sleeps, random=lambda: 0.0)
    recorder = flaky(status_reply(429, **{"Retry-After": "3"}))
    async with open_client(recorder, retry=policy) as kana:
        await kana.markets.price(1338)
    assert sleeps.waits == [3.0]


@pytest.mark.anyio
async def test_retry_after_beyond_the_cap_raises_at_once() -> None:
    sleeps = Sleeps()
    policy = RetryPolicy(max_retries=2, max_retry_after=5, sleep=sleeps)
    recorder = flaky(status_reply(429, **{"Retry-After": "120"}))
    async with open_client(recorder, retry=policy) as kana:
        with pytest.raises(RateLimitError) as info:
            await kana.markets.price(1338)
    assert info.value.retry_after == 120
    assert sleeps.waits == []
    assert len(recorder.requests) == 1


@pytest.mark.anyio
async def test_retries_give_up_after_max_retries() -> None:
    sleeps = Sleeps()
    policy = RetryPolicy(max_retries=2, sleep=sleeps)
    recorder = flaky(*(status_reply(502) for _ in range(10)))
    async with open_client(recorder, retry=policy) as kana:
        with pytest.raises(ServerError):
            await kana.markets.price(1338)
        assert kana._http.retries == 2
    assert len(recorder.requests) == 3
    assert len(sleeps.waits) == 2


@pytest.mark.anyio
@pytest.mark.parametrize("status", [400, 401, 403, 404])
async def test_client_errors_are_never_retried(status: int) -> None:
    recorder = flaky(status_reply(status))
    async with open_client(recorder) as kana:
        with pytest.raises(APIStatusError):
            await kana.markets.price(1338)
        assert kana._http.retries == 0
    assert len(recorder.requests) == 1


@pytest.mark.anyio
@pytest.mark.parametrize("failure", [503, 429, "connect"])
async def test_payload_endpoints_are_retried_like_reads(failure: int | str) -> None:
    """Asking for a payload executes nothing (and nothing is signed yet): retried like a read."""
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if failure == "connect":
            raise httpx.ConnectError("refused", request=request)
        assert isinstance(failure, int)
        return status_reply(failure, **{"Retry-After": "0"})

    policy = RetryPolicy(max_retries=2, sleep=Sleeps())
    async with open_client(Recorder({"/placeLimitOrder": handler}), retry=policy) as kana:
        with pytest.raises(KanaError):
            await kana.payloads.place_limit_order(1338, side=True, size="1", price="5", leverage=1)
        assert kana._http.retries == 2
    assert calls == 3


@pytest.mark.anyio
async def test_post_payload_endpoints_are_retried_like_reads() -> None:
    recorder = Recorder({"/cancelMultipleOrders": lambda _: status_reply(500)})
    async with open_client(recorder, retry=RetryPolicy(max_retries=3, sleep=Sleeps())) as kana:
        with pytest.raises(ServerError):
            await kana.payloads.cancel_multiple_orders(1338, [("1", True)])
    assert len(recorder.requests) == 4


def test_retry_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="max_retries"):
        RetryPolicy(max_retries=-1)
    with pytest.raises(TypeError):
        RetryPolicy(max_retries=True)
    with pytest.raises(ValueError, match="delays"):
        RetryPolicy(base_delay=-1)


# -- headers, limits, logging -----------------------------------------------------------------


@pytest.mark.anyio
async def test_no_api_key_header_when_there_is_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KANA_API_KEY", raising=False)
    recorder = Recorder({"/getMarketPrice": PRICE})
    async with open_client(recorder, api_key=None) as kana:
        await kana.markets.price(1338)
    assert "x-api-key" not in recorder.last.headers


@pytest.mark.anyio
async def test_api_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KANA_API_KEY", "from-env")
    recorder = Recorder({"/getMarketPrice": PRICE})
    async with open_client(recorder, api_key=None) as kana:
        await kana.markets.price(1338)
    assert recorder.last.headers["x-api-key"] == "from-env"


@pytest.mark.anyio
async def test_debug_logging_never_shows_the_api_key(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="kana_async")
    recorder = flaky(status_reply(500))
    async with open_client(recorder) as kana:
        await kana.markets.price(1338)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "/getMarketPrice" in text
    assert "retrying" in text
    assert API_KEY not in text


@pytest.mark.anyio
async def test_in_flight_limit_caps_concurrent_requests() -> None:
    in_flight = 0
    peak = 0
    gate = anyio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await gate.wait()
        in_flight -= 1
        return reply(PRICE)

    async with open_client(handler, max_in_flight=3) as kana:  # type: ignore[arg-type]
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                for _ in range(12):
                    tg.start_soon(kana.markets.price, 1338)
                await anyio.wait_all_tasks_blocked()
                assert in_flight == 3
                gate.set()
    assert peak == 3


@pytest.mark.anyio
async def test_rate_limit_is_applied_before_sending() -> None:
    recorder = Recorder({"/getMarketPrice": PRICE})
    # One request per 1000 s: a bucket of one; the second request must wait, unsent.
    async with open_client(recorder, rate_limit=0.001) as kana:
        limiter = kana._http._limiter
        assert limiter is not None and limiter.rate == 0.001 and limiter.burst == 1
        await kana.markets.price(1338)
        async with anyio.create_task_group() as group:
            group.start_soon(kana.markets.price, 1338)
            await anyio.wait_all_tasks_blocked()
            assert len(recorder.requests) == 1  # held by the limiter, not on the wire
            group.cancel_scope.cancel()
    assert len(recorder.requests) == 1


def test_http_client_checks_its_limits() -> None:
    client = httpx.AsyncClient()
    with pytest.raises(ValueError, match="max_in_flight"):
        HttpClient(client, base_url="http://x", max_in_flight=0)
    with pytest.raises(ValueError, match="rate_limit"):
        HttpClient(client, base_url="http://x", rate_limit=0)
    slow = HttpClient(client, base_url="http://x/", rate_limit=0.5)
    assert slow.base_url == "http://x"
    assert slow._limiter is not None and slow._limiter.rate == 0.5 and slow._limiter.burst == 1


@pytest.mark.anyio
async def test_payload_reply_decoding_is_exact() -> None:
    async with open_client(Recorder({"/collapsePosition": PAYLOAD})) as kana:
        payload = await kana.payloads.collapse_position(1338)
    assert payload.module_name == "perpetual_scripts"
    assert payload.module_address == "0xabc"


# -- the raw transport the node client shares --------------------------------------------------


def raising(exc: Exception) -> httpx.AsyncClient:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("failure", "error", "reached"),
    [
        (httpx.ConnectError("refused"), ConnectError, False),
        (httpx.ConnectTimeout("no syn-ack"), RequestTimeoutError, False),
        (httpx.PoolTimeout("pool full"), RequestTimeoutError, False),
        (httpx.ReadTimeout("slow"), RequestTimeoutError, True),
        (httpx.WriteTimeout("slow write"), RequestTimeoutError, True),
        (httpx.ReadError("reset by peer"), TransportError, True),
        (httpx.RemoteProtocolError("hung up"), TransportError, True),
    ],
)
async def test_send_raw_translates_transport_errors_and_may_have_landed(
    failure: Exception, error: type[KanaError], reached: bool
) -> None:
    async with raising(failure) as pool:
        with pytest.raises(error) as info:
            await send_raw(pool, "POST", "http://node/v1/transactions", content=b"tx")
    assert type(info.value) is error
    assert "POST http://node/v1/transactions" in str(info.value)
    assert info.value.__cause__ is failure
    assert may_have_reached_server(info.value) is reached


def test_may_have_reached_server_is_conservative_for_foreign_errors() -> None:
    assert may_have_reached_server(TransportError("no cause known")) is True
    assert may_have_reached_server(ValueError("x")) is True


@pytest.mark.anyio
async def test_send_raw_returns_any_status_with_headers_and_body() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            429, json={"message": "slow down", "error_code": "x"}, headers={"Retry-After": "2"}
        )

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as pool:
        raw = await send_raw(
            pool,
            "GET",
            "http://node/v1/x",
            params={"a": "1"},
            headers={"x-test": "yes"},
            timeout=3.0,
        )
    assert (raw.method, raw.url, raw.status) == ("GET", "http://node/v1/x", 429)
    assert raw.headers["retry-after"] == "2"  # case-insensitive
    assert raw.json() == {"message": "slow down", "error_code": "x"}
    assert seen[0].url.params["a"] == "1" and seen[0].headers["x-test"] == "yes"
    assert seen[0].extensions["timeout"]["read"] == 3.0
    with pytest.raises(RateLimitError) as info:
        raw.raise_for_status()
    assert info.value.retry_after == 2.0 and info.value.message == "slow down"
    assert info.value.body == raw.body and info.value.url == "http://node/v1/x"


def test_raw_response_json_errors_are_decode_errors() -> None:
    raw = RawResponse("GET", "http://node/v1", 200, {}, b"not json")
    with pytest.raises(ResponseDecodeError, match="not JSON") as info:
        raw.json()
    assert info.value.status_code == 200 and info.value.body == b"not json"
    RawResponse("GET", "http://node/v1", 204, {}, b"").raise_for_status()  # 2xx: no error


def test_node_error_bodies_go_through_the_same_status_mapping() -> None:
    body = b'{"message":"Invalid transaction: SEQUENCE_NUMBER_TOO_OLD","error_code":"vm_error"}'
    with pytest.raises(BadRequestError, match="SEQUENCE_NUMBER_TOO_OLD") as info:
        RawResponse("POST", "http://node/v1/transactions", 400, {}, body).raise_for_status()
    assert info.value.status_code == 400 and info.value.body == body


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # an asyncio server in the test
async def test_send_raw_over_a_real_socket_refused_and_dropped() -> None:
    import asyncio
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with httpx.AsyncClient() as pool:
        with anyio.fail_after(10), pytest.raises(ConnectError) as refused:
            await send_raw(pool, "POST", f"http://127.0.0.1:{port}/v1/transactions", content=b"x")
        assert may_have_reached_server(refused.value) is False

        async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")  # the request arrived...
            writer.close()  # ...and the connection drops before any answer
            await writer.wait_closed()

        server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
        async with server:
            url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1/transactions"
            with anyio.fail_after(10), pytest.raises(TransportError) as dropped:
                await send_raw(pool, "POST", url, content=b"x")
        assert not isinstance(dropped.value, ConnectError)
        assert may_have_reached_server(dropped.value) is True


@pytest.mark.anyio
async def test_http_client_exposes_its_pool() -> None:
    async with httpx.AsyncClient() as pool:
        assert HttpClient(pool, base_url="http://x").pool is pool


def test_only_the_http_module_imports_httpx() -> None:
    import pathlib

    import kana_async

    package = pathlib.Path(kana_async.__file__).parent
    importers = sorted(
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if "import httpx" in path.read_text(encoding="utf-8")
    )
    # _client.py names httpx only as the type of a caller-injected pool, _options.py for the
    # httpx.Timeout / httpx.Limits a caller may pass; the _http package is the boundary
    # (transport, pool set-up, request path).
    outside = ("_client.py", "_options.py")
    assert all(name in outside or name.startswith("_http/") for name in importers)
    assert "_client.py" in importers and "_http/transport.py" in importers


# -- the in-flight gate ---------------------------------------------------------------------------


def test_in_flight_gate_checks_its_limits() -> None:
    from kana_async._http import InFlightGate

    for bad in (0, -1, True, 2.5):
        with pytest.raises(ValueError, match="at least 1"):
            InFlightGate(bad)  # type: ignore[arg-type]
    for bad_long in (0, 5):
        with pytest.raises(ValueError, match="long_poll_limit"):
            InFlightGate(4, long_poll_limit=bad_long)
    gate = InFlightGate(5)
    assert (gate.limit, gate.long_poll_limit) == (5, 2)
    assert InFlightGate(1).long_poll_limit == 1
    assert "0/5" in repr(gate)


@pytest.mark.anyio
async def test_in_flight_gate_caps_requests_and_long_polls() -> None:
    from kana_async._http import InFlightGate

    gate = InFlightGate(3)  # long polls: at most 1 of the 3 slots
    release = anyio.Event()
    polls_now = polls_peak = 0

    async def request() -> None:
        async with gate.slot():
            await release.wait()

    async def long_poll() -> None:
        nonlocal polls_now, polls_peak
        async with gate.long_poll():
            polls_now += 1
            polls_peak = max(polls_peak, polls_now)
            await release.wait()
            polls_now -= 1

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            for _ in range(4):
                tg.start_soon(long_poll)
            await anyio.wait_all_tasks_blocked()
            assert (gate.in_flight, polls_now) == (1, 1)  # one poll; two slots stay free
            for _ in range(4):
                tg.start_soon(request)
            await anyio.wait_all_tasks_blocked()
            assert gate.in_flight == 3
            release.set()
    assert (gate.in_flight, gate.peak, polls_peak) == (0, 3, 1)


@pytest.mark.anyio
async def test_a_cancelled_long_poll_gives_back_its_share() -> None:
    from kana_async._http import InFlightGate

    gate = InFlightGate(1, long_poll_limit=1)
    with anyio.fail_after(10):
        # The only slot is taken: the poll waits for it while holding its long-poll share.
        async with anyio.create_task_group() as tg, gate.slot():
            scope = anyio.CancelScope()

            async def poll() -> None:
                with scope:
                    async with gate.long_poll():
                        pytest.fail("the slot was free")  # pragma: no cover

            tg.start_soon(poll)
            await anyio.wait_all_tasks_blocked()
            scope.cancel()
        async with gate.long_poll():  # the share was given back: this does not hang
            assert gate.in_flight == 1
    assert gate.in_flight == 0


# -- the probe-caching network backend ------------------------------------------------------------


class ClosingServer:
    """A raw HTTP/1.1 server on 127.0.0.1 that answers once per connection, then hangs up."""

    def __init__(self) -> None:
        self.connections = 0
        self.closed = anyio.Event()
        self.port = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n")
            writer.write(b"content-length: 2\r\n\r\n{}")  # keep-alive (no "connection: close")
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()  # ... and then the server closes the kept-alive connection anyway
        await writer.wait_closed()
        self.closed.set()


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # an asyncio server in the test
async def test_probe_caching_backend_sees_a_server_hang_up() -> None:
    from kana_async._http import ProbeCachingBackend

    server = ClosingServer()
    tcp = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = tcp.sockets[0].getsockname()[1]
    try:
        backend = ProbeCachingBackend(httpcore.AnyIOBackend())
        stream = await backend.connect_tcp("127.0.0.1", port)
        assert stream.get_extra_info("is_readable") is False  # open and quiet
        assert stream.get_extra_info("server_addr") == ("127.0.0.1", port)  # passed through
        await stream.write(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
        with anyio.fail_after(10):
            await server.closed.wait()  # answered and hung up (on loopback: already here)
        assert stream.get_extra_info("is_readable") is True
        assert (await stream.read(4096)).startswith(b"HTTP/1.1 200")
        await stream.aclose()
        assert stream.get_extra_info("is_readable") is True  # closed: reads as the end
        await backend.sleep(0)
    finally:
        tcp.close()
        await tcp.wait_closed()


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # an asyncio server in the test
async def test_pool_drops_a_connection_the_server_closed() -> None:
    from kana_async._http import ProbeCachingBackend, build_httpx_client

    server = ClosingServer()
    tcp = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = tcp.sockets[0].getsockname()[1]
    try:
        limits = httpx.Limits(max_connections=2, max_keepalive_connections=2)
        async with build_httpx_client(timeout=5.0, limits=limits) as client:
            pool = client._transport._pool  # type: ignore[attr-defined]
            assert isinstance(pool._network_backend, ProbeCachingBackend)
            with anyio.fail_after(10):
                first = await send_raw(client, "GET", f"http://127.0.0.1:{port}/a")
                await server.closed.wait()
                # The kept-alive connection is dead: the probe must say so, so that the pool
                # opens a new one instead of sending on the closed one.
                second = await send_raw(client, "GET", f"http://127.0.0.1:{port}/b")
        assert (first.status, second.status) == (200, 200)
        assert server.connections == 2
    finally:
        tcp.close()
        await tcp.wait_closed()


@pytest.mark.anyio
async def test_probe_caching_backend_passes_other_streams_through() -> None:
    from kana_async._http import ProbeCachingBackend

    backend = ProbeCachingBackend(httpcore.AsyncMockBackend([b"data"]))
    stream = await backend.connect_unix_socket("/nowhere")
    assert stream.get_extra_info("is_readable") is None  # no socket: the inner answer
    tls = await stream.start_tls(ssl_context=None)  # type: ignore[arg-type]
    assert type(tls) is type(stream)
    assert tls.get_extra_info("ssl_object") is not None
    assert await tls.read(10) == b"data"
    await tls.write(b"x")
    await tls.aclose()


def test_probe_caching_backend_is_only_put_where_it_fits() -> None:
    from kana_async._http import ProbeCachingBackend, use_probe_caching_backend

    mocked = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    assert use_probe_caching_backend(mocked) is False  # not an httpcore pool: left alone
    plain = httpx.AsyncClient()
    assert use_probe_caching_backend(plain) is True
    assert use_probe_caching_backend(plain) is True  # idempotent: wrapped once
    backend = plain._transport._pool._network_backend  # type: ignore[attr-defined]
    assert isinstance(backend, ProbeCachingBackend)
    assert not isinstance(backend.inner, ProbeCachingBackend)
