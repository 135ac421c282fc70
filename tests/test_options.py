"""Options in one place: ClientOptions / TradingOptions, with_options, per-call timeouts, errors."""

from __future__ import annotations

import dataclasses

import anyio
import httpx
import pytest

from kana_async import (
    NO_RETRY,
    ArgumentTypeError,
    ClientOptions,
    ClientStateError,
    InvalidArgumentError,
    KanaClient,
    RetryPolicy,
    ServerError,
    TradingOptions,
)
from tests.backends_support import anyio_backend  # noqa: F401
from tests.rest_support import (
    FAST_RETRY,
    NETWORK,
    STATUS_ROW,
    WALLET,
    Recorder,
    open_client,
)

PRICE = {"bestAskPrice": "5.5", "bestBidPrice": "5.4"}


def test_options_are_frozen_and_each_trading_setting_is_named_directly() -> None:
    options = ClientOptions()
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.timeout = 3  # type: ignore[misc]
    changed = options.replace(timeout=3, confirm_timeout=60, check_position_leverage=False)
    assert changed.timeout == 3
    assert changed.trading.confirm_timeout == 60
    assert changed.trading.check_position_leverage is False
    assert options.trading == TradingOptions()  # the original is untouched
    assert changed.trading.send_options().confirm_timeout == 60
    with pytest.raises(InvalidArgumentError, match=r"unknown client option.*bogus"):
        options.replace(bogus=1)


def test_bad_values_are_refused_with_the_setting_named() -> None:
    with pytest.raises(InvalidArgumentError, match="max_in_flight"):
        ClientOptions(max_in_flight=0)
    with pytest.raises(ArgumentTypeError, match="max_in_flight"):
        ClientOptions(max_in_flight=True)
    with pytest.raises(InvalidArgumentError, match="rate_limit"):
        ClientOptions(rate_limit=0)
    with pytest.raises(InvalidArgumentError, match="timeout"):
        ClientOptions(timeout=-1)
    with pytest.raises(InvalidArgumentError, match="confirm_timeout"):
        TradingOptions(confirm_timeout=0)
    with pytest.raises(InvalidArgumentError, match="submit_retries"):
        TradingOptions(submit_retries=-1)
    with pytest.raises(ArgumentTypeError, match="check_position_leverage"):
        TradingOptions(check_position_leverage=1)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="unknown client option"):
        KanaClient(NETWORK, max_inflight=3)


def test_constructor_keywords_and_options_land_in_one_record() -> None:
    base = ClientOptions(rate_limit=5, trading=TradingOptions(close_timeout=2))
    kana = KanaClient(NETWORK, options=base, max_in_flight=4, submit_retries=1, retry=None)
    assert kana.options.rate_limit == 5 and kana.options.max_in_flight == 4
    assert kana.options.trading.close_timeout == 2 and kana.options.trading.submit_retries == 1
    assert kana.options.retry == RetryPolicy()
    assert kana.trading.submit_retries == 1 and kana.trading.close_timeout == 2


def test_trading_settings_are_read_only() -> None:
    kana = KanaClient(NETWORK, confirm_timeout=5)
    assert kana.trading.confirm_timeout == 5 and kana.trading.options.confirm_timeout == 5
    for name in ("close_timeout", "submit_retries", "check_position_leverage", "options"):
        with pytest.raises(AttributeError):
            setattr(kana.trading, name, 1)


@pytest.mark.anyio
async def test_with_options_shares_the_pool_and_changes_only_what_was_asked() -> None:
    failing = {"n": 0}

    def flaky(request: httpx.Request) -> httpx.Response:
        failing["n"] += 1
        return httpx.Response(503)

    recorder = Recorder({"/getMarketPrice": PRICE, "/getMarketInfo": flaky})
    async with open_client(recorder, rate_limit=1000) as kana:
        strict = kana.with_options(retry=NO_RETRY)
        assert strict.options.retry is NO_RETRY and kana.options.retry is FAST_RETRY
        assert strict._http.httpx is kana._http.httpx  # one pool
        assert strict._http.gate is kana._http.gate  # one in-flight limit
        assert strict._http._limiter is kana._http._limiter  # one rate limit (same rate)
        assert strict.wallet_address == WALLET and strict.task_group is kana.task_group
        with pytest.raises(ServerError):
            await strict.markets.info(1338)
        assert failing["n"] == 1  # not retried by the strict client
        with pytest.raises(ServerError):
            await kana.markets.info(1338)
        assert failing["n"] == 4  # 1 + 2 retries by the original
        assert (await strict.markets.price(1338)).best_bid_price is not None
    assert strict.closed  # closed together


@pytest.mark.anyio
async def test_a_timeout_in_seconds_is_sent_with_each_request() -> None:
    recorder = Recorder({"/getMarketPrice": PRICE})
    async with open_client(recorder, timeout=4) as kana:
        await kana.markets.price(1338)
        await kana.with_options(timeout=0.5).markets.price(1338)
        await kana.markets.price(1338)
    seen = [r.extensions["timeout"] for r in recorder.requests]
    assert seen[0] == {"connect": 4, "read": 4, "write": 4, "pool": 4}
    assert seen[1] == {"connect": 0.5, "read": 0.5, "write": 0.5, "pool": 0.5}
    assert seen[2] == seen[0]


@pytest.mark.anyio
async def test_the_pool_a_client_creates_takes_the_timeout_and_a_derived_one_overrides_it() -> None:
    async with KanaClient(NETWORK, timeout=7) as kana:
        assert kana._http.httpx.timeout == httpx.Timeout(7)
        assert kana._http.timeout is None  # the pool's own applies
        assert kana.with_options(timeout=2)._http.timeout == 2


def test_options_that_cannot_apply_are_refused() -> None:
    http = httpx.AsyncClient()
    for bad in (
        {"limits": httpx.Limits(max_connections=3)},
        {"max_connections": 3},
        {"timeout": httpx.Timeout(3)},
    ):
        with pytest.raises(InvalidArgumentError, match="http_client you pass in"):
            KanaClient(NETWORK, http_client=http, **bad)
    kana = KanaClient(NETWORK)
    for name, value in (
        ("max_connections", 3),
        ("max_in_flight", 3),
        ("submit_retries", 0),
        ("close_timeout", 1),
        ("node_timeout", 1),
        ("max_pending_transactions", 5),
    ):
        with pytest.raises(InvalidArgumentError, match=f"cannot change {name}"):
            kana.with_options(**{name: value})
    with pytest.raises(InvalidArgumentError, match="takes seconds"):
        kana.with_options(timeout=httpx.Timeout(2))
    assert kana.with_options(max_in_flight=kana.options.max_in_flight).options == kana.options


@pytest.mark.anyio
async def test_the_task_group_runs_work_until_close_and_not_before_open() -> None:
    kana = KanaClient(NETWORK)
    with pytest.raises(ClientStateError):
        _ = kana.task_group
    stopped = anyio.Event()

    async def forever() -> None:
        try:
            await anyio.sleep_forever()
        finally:
            stopped.set()

    async with kana:
        kana.task_group.start_soon(forever)
        await anyio.wait_all_tasks_blocked()
        assert not stopped.is_set()
    assert stopped.is_set()  # aclose() cancelled it


@pytest.mark.anyio
async def test_reads_that_take_a_timeout_send_it_with_their_requests_only() -> None:
    recorder = Recorder(
        {
            "/getMarketPrice": PRICE,
            "/getOpenOrders": [],
            "/getPositions": [],
            "/fetchOrderStatusById": STATUS_ROW,
        }
    )
    async with open_client(recorder) as kana:
        await kana.markets.price(1338, timeout=0.25)
        await kana.portfolio.open_orders(timeout=0.25)
        await kana.portfolio.positions(1338, timeout=0.25)
        await kana.orders.status(1338, "7", timeout=0.25)
        await kana.markets.price(1338)  # the client's own again
        with pytest.raises(InvalidArgumentError, match="timeout"):
            await kana.markets.price(1338, timeout=0)
        with pytest.raises(ArgumentTypeError, match="timeout"):
            await kana.markets.price(1338, timeout="1")  # type: ignore[arg-type]
    per_call = {"connect": 0.25, "read": 0.25, "write": 0.25, "pool": 0.25}
    seen = [r.extensions["timeout"] for r in recorder.requests]
    assert seen[:4] == [per_call] * 4
    assert len(seen) == 5 and seen[4] != per_call  # nothing sent for the refused ones


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # aiohttp runs on asyncio only
@pytest.mark.anyio
async def test_transport_aiohttp_builds_the_pool_on_aiohttp_and_reads_the_simulator() -> None:
    from httpx_aiohttp import AiohttpTransport

    from kana_async.sim.server import Simulator

    async with Simulator(seed=3) as sim:
        market = min(sim.markets)
        async with KanaClient(sim.network, transport="aiohttp") as kana:
            assert kana.options.transport == "aiohttp"
            assert isinstance(kana._http.httpx._transport, AiohttpTransport)
            over_aiohttp = await kana.markets.all()
        async with KanaClient(sim.network) as plain:
            assert not isinstance(plain._http.httpx._transport, AiohttpTransport)
            over_httpx = await plain.markets.all()
    assert market in {m.market_id for m in over_aiohttp}
    assert over_aiohttp == over_httpx


def test_transport_is_checked_early_and_fixed_for_the_pool() -> None:
    with pytest.raises(InvalidArgumentError, match="transport"):
        KanaClient(NETWORK, transport="curl")
    with pytest.raises(ArgumentTypeError, match="transport"):
        ClientOptions(transport=1)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match=r"transport.*http_client you pass in"):
        KanaClient(NETWORK, http_client=httpx.AsyncClient(), transport="aiohttp")
    assert KanaClient(NETWORK, http_client=httpx.AsyncClient(), transport="httpx")
    with pytest.raises(InvalidArgumentError, match="cannot change transport"):
        KanaClient(NETWORK).with_options(transport="aiohttp")
