"""KanaClient lifecycle, identity and configuration."""

from __future__ import annotations

import httpx
import pytest

from kana_async import (
    MAINNET,
    TESTNET,
    ClientStateError,
    InvalidAddressError,
    InvalidArgumentError,
    KanaClient,
    Network,
)
from tests.backends_support import anyio_backend  # noqa: F401
from tests.rest_support import NETWORK, WALLET, Recorder, refuse

PRICE = {"bestAskPrice": "1", "bestBidPrice": "1"}


class FakeSigner:
    """Just enough of the Signer protocol."""

    def __init__(self, address: str) -> None:
        self._address = address

    @property
    def address(self) -> str:
        return self._address

    @property
    def public_key(self) -> bytes:
        return b"\x01" * 32

    async def sign(self, message: bytes) -> bytes:
        return b"\x00" * 64


def test_constructor_does_no_io_and_defaults_to_testnet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KANA_API_KEY", raising=False)

    def no_client(*args: object, **kw: object) -> None:
        raise AssertionError("no httpx client may be built in __init__")

    monkeypatch.setattr(httpx, "AsyncClient", no_client)
    kana = KanaClient()
    assert kana.network is TESTNET
    assert kana.wallet_address is None
    assert not kana.has_api_key
    assert not kana.closed


@pytest.mark.anyio
async def test_use_before_open_raises_client_state_error() -> None:
    kana = KanaClient(NETWORK, wallet_address=WALLET)
    with pytest.raises(ClientStateError, match="async with"):
        await kana.markets.price(1338)
    with pytest.raises(RuntimeError):  # ClientStateError is a RuntimeError
        kana._ensure_open()


@pytest.mark.anyio
async def test_use_after_close_raises_and_close_is_idempotent() -> None:
    async with KanaClient(NETWORK) as kana:
        http = kana._http.httpx
        assert not http.is_closed
    assert kana.closed
    assert http.is_closed  # we created it, we closed it
    await kana.aclose()
    await kana.aclose()
    with pytest.raises(ClientStateError, match="closed"):
        await kana.markets.price(1338)
    with pytest.raises(ClientStateError, match="closed"):
        await kana.open()


@pytest.mark.anyio
async def test_open_twice_raises() -> None:
    async with KanaClient(NETWORK) as kana:
        with pytest.raises(ClientStateError, match="already open"):
            await kana.open()


@pytest.mark.anyio
async def test_closing_a_never_opened_client_is_fine() -> None:
    kana = KanaClient(NETWORK)
    await kana.aclose()
    assert kana.closed
    with pytest.raises(ClientStateError):
        await kana.open()


@pytest.mark.anyio
async def test_injected_http_client_is_used_and_not_closed() -> None:
    recorder = Recorder({"/getMarketPrice": PRICE})
    async with httpx.AsyncClient(transport=httpx.MockTransport(recorder)) as http:
        async with KanaClient(NETWORK, http_client=http) as kana:
            assert kana._http.httpx is http
            await kana.markets.price(1338)
        assert not http.is_closed
        assert len(recorder.requests) == 1


@pytest.mark.anyio
async def test_the_pool_is_built_by_the_first_request_shared_and_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import kana_async._context

    recorder = Recorder({"/getMarketPrice": PRICE})
    built: list[httpx.AsyncClient] = []

    def make_client(transport: str, **settings: object) -> httpx.AsyncClient:
        built.append(httpx.AsyncClient(transport=httpx.MockTransport(recorder)))
        return built[-1]

    monkeypatch.setattr(kana_async._context, "make_client", make_client)
    async with KanaClient(NETWORK) as idle:
        assert not idle.closed
    assert built == []  # a client that sends nothing (one that only streams) builds no pool
    async with KanaClient(NETWORK) as kana:
        assert built == []  # opening builds nothing either
        other = kana.with_options(timeout=5.0)
        await kana.markets.price(1338)
        await other.markets.price(1338)
        assert len(built) == 1 and len(recorder.requests) == 2  # one pool for both
        assert not built[0].is_closed
    assert built[0].is_closed  # the client built it, so it closes it


@pytest.mark.anyio
async def test_on_close_callbacks_run_in_reverse_and_errors_surface() -> None:
    order: list[str] = []

    async def first() -> None:
        order.append("first")

    async def broken() -> None:
        order.append("broken")
        raise OSError("cleanup failed")

    async def last() -> None:
        order.append("last")

    kana = KanaClient(NETWORK)
    await kana.open()
    kana._on_close(first)
    kana._on_close(broken)
    kana._on_close(last)
    http = kana._http.httpx
    with pytest.raises(OSError, match="cleanup failed"):
        await kana.aclose()
    assert order == ["last", "broken", "first"]
    assert http.is_closed  # the pool is closed even though a cleanup failed
    await kana.aclose()  # second close: nothing runs again
    assert order == ["last", "broken", "first"]
    with pytest.raises(ClientStateError):
        kana._on_close(first)


def test_wallet_address_is_normalised_and_checked() -> None:
    assert KanaClient(NETWORK, wallet_address="0xABC").wallet_address == "0x" + "0" * 61 + "abc"
    with pytest.raises(InvalidAddressError):
        KanaClient(NETWORK, wallet_address="not an address")


def test_account_address_becomes_the_wallet() -> None:
    signer = FakeSigner("0x" + "CD" * 32)
    kana = KanaClient(NETWORK, account=signer)
    assert kana.wallet_address == "0x" + "cd" * 32
    assert kana.account is signer
    same = KanaClient(NETWORK, account=signer, wallet_address="0x" + "cd" * 32)
    assert same.wallet_address == kana.wallet_address
    with pytest.raises(InvalidArgumentError, match="differs"):
        KanaClient(NETWORK, account=signer, wallet_address=WALLET)
    with pytest.raises(TypeError, match="account"):
        KanaClient(NETWORK, account="0x1")  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_reads_needing_a_wallet_fail_clearly_without_one() -> None:
    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as http,
        KanaClient(NETWORK, http_client=http) as kana,
    ):
        with pytest.raises(InvalidArgumentError, match="user_address"):
            await kana.portfolio.positions()
        with pytest.raises(InvalidArgumentError, match="user_address"):
            await kana.payloads.deposit("1")


def test_repr_hides_the_api_key() -> None:
    kana = KanaClient(MAINNET, api_key="super-secret-key", wallet_address="0x1")
    text = repr(kana)
    assert "super-secret-key" not in text
    assert "api_key=set" in text
    assert "mainnet" in text
    assert kana.has_api_key
    assert "super-secret-key" not in repr(kana.markets)


def test_constructor_rejects_bad_settings() -> None:
    with pytest.raises(TypeError, match="Network"):
        KanaClient("testnet")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="max_in_flight"):
        KanaClient(NETWORK, max_in_flight=0)
    with pytest.raises(TypeError, match="max_in_flight"):
        KanaClient(NETWORK, max_in_flight=2.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="max_connections"):
        KanaClient(NETWORK, max_connections=0)
    with pytest.raises(InvalidArgumentError, match="rate_limit"):
        KanaClient(NETWORK, rate_limit=-1)


@pytest.mark.anyio
async def test_pool_limits_and_timeout_reach_httpx() -> None:
    async with KanaClient(NETWORK, max_connections=7, timeout=3.5) as kana:
        http = kana._http.httpx
        assert http.timeout == httpx.Timeout(3.5)
        pool = http._transport._pool  # type: ignore[attr-defined]
        assert pool._max_connections == 7


def test_resources_exist_and_are_built_once() -> None:
    from kana_async.resources.streams import Streams
    from kana_async.resources.trading import Trading

    kana = KanaClient(NETWORK)
    for name in ("markets", "portfolio", "orders", "history", "payloads", "trading", "streams"):
        assert getattr(kana, name) is getattr(kana, name)
    assert isinstance(kana.trading, Trading)
    assert isinstance(kana.streams, Streams)


def test_custom_network() -> None:
    local = Network(
        name="sim",
        rest_url="http://127.0.0.1:1/",
        ws_url="ws://x",
        node_url="http://n/v1/",
        chain_id=4,
    )
    assert local.rest_url == "http://127.0.0.1:1"
    kana = KanaClient(local)
    assert kana._context.known_market_ids() is None  # no market list: ids are not checked


@pytest.mark.anyio
async def test_in_flight_gate_fits_the_pool_it_guards() -> None:
    async with KanaClient(NETWORK, max_connections=4, max_in_flight=10) as kana:
        assert kana._http.gate.limit == 4  # more would only queue inside httpcore
    async with KanaClient(NETWORK, max_in_flight=3) as kana:
        assert kana._http.gate.limit == 3
    limits = httpx.Limits(max_connections=None)
    async with KanaClient(NETWORK, limits=limits, max_in_flight=7) as kana:
        assert kana._http.gate.limit == 7
    async with httpx.AsyncClient() as http, KanaClient(NETWORK, http_client=http) as kana:
        assert kana._http.gate.limit == 10  # a pool passed in: its size is not known
