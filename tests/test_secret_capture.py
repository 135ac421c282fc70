"""The API key is not in anything an error reporter captures, on REST and on the websocket.

Error reporters (Sentry-style) walk a traceback's frames and record ``repr()`` of every local
variable and, for objects, of their attributes. :func:`captured` does the same, recursively to
a bounded depth, over every exception of the chain (and their attributes), and also keeps the
exceptions' ``str``/``repr`` and what pickling them gives. The REST calls fail by a refused
connection and by a wrong key (401), on both transports, and succeed with the right key; the
websocket handshake is refused and accepted; the client's whole object graph is walked after
each. The key must never appear, and the simulator accepting it proves it was still sent.
"""

from __future__ import annotations

import dataclasses
import logging
import pickle
import socket
import traceback
from decimal import Decimal
from types import ModuleType
from typing import Any

import httpx
import pytest

from kana_async import NO_RETRY, KanaClient, KanaError, Network, Side
from kana_async._aptos.signing import Account
from kana_async._exceptions import ArgumentTypeError, InvalidArgumentError
from kana_async._http.headers import MaskedHeaders
from kana_async._secret import LogSafeText, Secret, SecretBytes, SecretText
from kana_async._streams.aiohttp_websocket import open_socket as aiohttp_open_socket
from kana_async._streams.options import StreamOptions
from kana_async._streams.websocket import open_socket
from kana_async.models.orderbook import OrderBook
from kana_async.sim import Simulator

pytestmark = pytest.mark.anyio

API_KEY = "kana-live-" + "Zx9" * 12
OTHER_KEY = "kana-live-the-right-one"
FAST = StreamOptions(backoff_initial=0.01, backoff_max=0.05, close_timeout=0.3)
# recorded by their repr, not walked into (a module's globals are code, not the call's state)
_ATOMS = (str, bytes, bytearray, int, float, bool, type(None), ModuleType)
# deep enough to reach websockets' handshake request headers from the client (9 steps)
_MAX_DEPTH = 10


class Walk:
    """What a locals-capturing reporter records from a set of roots."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.types: set[str] = set()
        self._seen: set[int] = set()

    def visit(self, value: Any, depth: int = 0) -> None:
        if id(value) in self._seen or depth > _MAX_DEPTH:
            return
        self._seen.add(id(value))
        self.types.add(type(value).__qualname__)
        try:
            self.texts.append(repr(value))
        except Exception as exc:  # a broken repr is recorded as such by reporters
            self.texts.append(f"<repr failed: {exc!r}>")
        if isinstance(value, _ATOMS):
            return
        children: list[Any] = []
        if isinstance(value, dict):
            children = [*value.keys(), *value.values()]
        elif isinstance(value, list | tuple | set | frozenset):
            children = list(value)
        elif not isinstance(value, Secret):  # a Secret is opaque: its repr is all it shows
            attributes = getattr(value, "__dict__", None)
            if isinstance(attributes, dict):
                children = list(attributes.values())
            for cls in type(value).__mro__:
                for name in getattr(cls, "__slots__", ()):
                    if isinstance(name, str) and hasattr(value, name):
                        children.append(getattr(value, name))
        for child in children:
            self.visit(child, depth + 1)

    def exception(self, exc: BaseException) -> None:
        chain: BaseException | None = exc
        while chain is not None and id(chain) not in self._seen:
            self.texts += [str(chain), repr(chain), "".join(traceback.format_exception(chain))]
            try:
                self.texts.append(repr(pickle.dumps(chain)))
            except Exception as failed:
                self.texts.append(repr(failed))
            self.visit(chain)
            for frame, _ in traceback.walk_tb(chain.__traceback__):
                if frame.f_code.co_filename != __file__:  # the test's frames hold its inputs
                    self.visit(dict(frame.f_locals))
            chain = chain.__cause__ or chain.__context__

    def leaks(self, secret: str = API_KEY) -> list[str]:
        return [text[:160] for text in self.texts if secret in text]


def captured(*roots: Any) -> Walk:
    walk = Walk()
    for root in roots:
        if isinstance(root, BaseException):
            walk.exception(root)
        else:
            walk.visit(root)
    return walk


def test_the_walk_finds_a_key_held_in_plain_headers() -> None:
    # The reporter model is not blind: plain holders of the key are caught, masked ones not.
    plain = [{"x-api-key": API_KEY}, httpx.Headers({"x-api-key": API_KEY}), [API_KEY.encode()]]
    for holder in plain:
        assert captured({"headers": holder}).leaks()
    masked = MaskedHeaders({"x-api-key": API_KEY})
    built = httpx.Request("GET", "http://h/", headers=masked)  # httpx copies into plain Headers
    request_walk = captured(built, masked, {"ws": {"x-api-key": LogSafeText(API_KEY)}})
    assert request_walk.leaks() == []
    assert "Headers" in request_walk.types and "SecretBytes" in request_walk.types
    assert built.headers["x-api-key"] == API_KEY  # the request still carries the key


def test_masked_header_values_keep_their_text_for_the_writers() -> None:
    text = SecretText(API_KEY)
    assert str(text) == API_KEY and text + "" == API_KEY and f"{text}" == API_KEY
    assert isinstance(text.encode("ascii"), SecretBytes)
    assert bytes(text.encode()) == API_KEY.encode()
    logged = LogSafeText(API_KEY)
    assert f"{logged}" == API_KEY and "%s" % (logged,) == "<secret>"  # noqa: UP031 - as logging formats and str(logged) == "<secret>"
    for value in (text, logged, text.encode()):
        assert API_KEY not in repr(value)
        with pytest.raises(TypeError, match="pickle"):
            pickle.dumps(value)
    assert isinstance(text.encode().decode(), SecretText)


@pytest.mark.parametrize(
    ("key", "error"),
    [
        (5, ArgumentTypeError),
        (API_KEY.encode(), ArgumentTypeError),
        (API_KEY + "\r\nx-evil: 1", InvalidArgumentError),
        (API_KEY[:9] + " " + API_KEY[9:], InvalidArgumentError),
        (API_KEY + "é", InvalidArgumentError),
        (API_KEY + "\x00", InvalidArgumentError),
        (API_KEY * 40, InvalidArgumentError),
    ],
)
def test_a_bad_api_key_is_refused_before_io_without_quoting_it(key: object, error: type) -> None:
    with pytest.raises(error, match="api_key") as info:
        KanaClient(api_key=key)  # type: ignore[arg-type]
    assert captured(info.value).leaks() == []


def test_a_bad_api_key_from_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KANA_API_KEY", API_KEY + " ")
    with pytest.raises(InvalidArgumentError, match="KANA_API_KEY") as info:
        KanaClient()
    assert captured(info.value).leaks() == []


def _closed_network() -> Network:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return Network(
        name="closed",
        rest_url=f"http://127.0.0.1:{port}",
        ws_url=f"ws://127.0.0.1:{port}/ws/",
        node_url=f"http://127.0.0.1:{port}/v1",
        chain_id=4,
        markets={"APT-USD": 1338},
    )


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_a_refused_rest_connection_records_no_key(transport: str) -> None:
    async with KanaClient(
        _closed_network(), api_key=API_KEY, retry=NO_RETRY, transport=transport
    ) as kana:
        with pytest.raises(KanaError) as caught:
            await kana.markets.price(1338)
        walk = captured(caught.value, kana)
    assert "AsyncClient" in walk.types  # the walk did reach the request path's objects
    assert walk.leaks() == []


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_a_wrong_key_401_and_a_right_key_record_no_key(transport: str) -> None:
    async with Simulator(seed=2, api_key=OTHER_KEY, market_maker=False) as sim:
        market = sim.network.market_id("APT-USD")
        async with KanaClient(
            sim.network, api_key=API_KEY, retry=NO_RETRY, transport=transport
        ) as kana:
            with pytest.raises(KanaError) as caught:
                await kana.markets.price(market)
            assert getattr(caught.value, "status_code", None) == 401
            refused = captured(caught.value, kana)
        async with KanaClient(sim.network, api_key=OTHER_KEY, transport=transport) as kana:
            info = await kana.markets.info(market)  # answered: the key got there
            assert info.market_id == market
            accepted = captured(kana)
    assert refused.leaks() == []
    assert accepted.leaks(OTHER_KEY) == []


def _walked_a_connection(types: set[str]) -> bool:
    """Whether the walk reached websockets' client connection (or the SDK's subclass of it)."""
    return any(t.rsplit(".", 1)[-1] in ("ClientConnection", "SinkConnection") for t in types)


async def _refused_handshake(
    sim: Simulator, connect: Any, options: StreamOptions
) -> tuple[Walk, Walk]:
    """What a reporter records of a handshake refused (401) for the wrong key.

    Refused once on the socket itself (``connect``: a library's ``open_socket``) and once
    through a client's order-book stream; returns both walks.
    """
    headers: dict[str, str] = {"x-api-key": LogSafeText(API_KEY)}
    with pytest.raises(Exception, match="401") as caught:
        async with connect(sim.network.ws_url, options, headers):
            pass
    low_level = captured(caught.value)
    async with KanaClient(sim.network, api_key=API_KEY, stream_options=options) as kana:
        with pytest.raises(KanaError, match="401") as refused:
            async with kana.streams.orderbook(sim.network.market_id("APT-USD")) as books:
                await books.__anext__()
        through_client = captured(refused.value, kana)
    return low_level, through_client


async def test_a_refused_websocket_handshake_records_no_key() -> None:
    async with Simulator(seed=2, api_key=OTHER_KEY, market_maker=False) as sim:
        low_level, through_client = await _refused_handshake(sim, open_socket, FAST)
    assert _walked_a_connection(low_level.types)  # the handshake's own objects were walked
    assert low_level.leaks() == []
    assert through_client.leaks() == []


async def test_an_accepted_handshake_and_its_debug_log_record_no_key(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with (
        Simulator(seed=2, api_key=API_KEY, market_maker=False) as sim,
        KanaClient(sim.network, api_key=API_KEY, stream_options=FAST) as kana,
        kana.streams.orderbook(sim.network.market_id("APT-USD")) as books,
    ):
        assert isinstance(await books.__anext__(), OrderBook)  # the key was accepted
        walk = captured(kana)
    handshake = [r.getMessage() for r in caplog.records if r.name.startswith("websockets")]
    assert "> x-api-key: <secret>" in handshake  # websockets logged the header, masked
    assert _walked_a_connection(walk.types) and "Headers" in walk.types
    assert walk.leaks() == []
    assert API_KEY not in caplog.text


async def test_the_aiohttp_handshake_refused_and_accepted_records_no_key(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # aiohttp writes each header with str(): the masked value must reach it as a str whose
    # str() is the key (the simulator accepts it) while every repr stays masked
    caplog.set_level(logging.DEBUG)
    options = dataclasses.replace(FAST, transport="aiohttp")
    async with Simulator(seed=2, api_key=OTHER_KEY, market_maker=False) as sim:
        low_level, through_client = await _refused_handshake(sim, aiohttp_open_socket, options)
        async with (
            KanaClient(sim.network, api_key=OTHER_KEY, stream_options=options) as kana,
            kana.streams.orderbook(sim.network.market_id("APT-USD")) as books,
        ):
            assert isinstance(await books.__anext__(), OrderBook)  # the key was accepted
            accepted = captured(kana)
    assert {"WSServerHandshakeError", "RequestInfo"} <= low_level.types
    assert "ClientWebSocketResponse" in accepted.types  # the live connection was walked
    assert low_level.leaks() == [] and through_client.leaks() == []
    assert accepted.leaks(OTHER_KEY) == []
    assert API_KEY not in caplog.text and OTHER_KEY not in caplog.text


async def test_the_key_goes_to_the_kana_host_and_never_to_the_aptos_node() -> None:
    seen: list[tuple[str, str | None]] = []

    async def record(request: httpx.Request) -> None:
        seen.append((str(request.url), request.headers.get("x-api-key")))

    async with (
        Simulator(seed=2, api_key=API_KEY, market_maker=False) as sim,
        httpx.AsyncClient(event_hooks={"request": [record]}) as pool,
    ):
        funded = sim.new_account(apt=Decimal("10"), usdt=Decimal("1000"))
        account = Account.from_hex(funded.private_key_hex)
        async with KanaClient(
            sim.network, account=account, api_key=API_KEY, http_client=pool
        ) as kana:
            market = sim.network.market_id("APT-USD")
            info = await kana.markets.info(market)
            await kana.trading.deposit(Decimal("100"))  # payload from Kana, transaction to the node
            await kana.trading.place_limit_order(
                market, side=Side.LONG, size=info.min_size, price=info.tick * 1000, leverage=2
            )
        node = [key for url, key in seen if url.startswith(sim.network.node_url)]
        kana_host = [key for url, key in seen if url.startswith(sim.network.rest_url)]
    assert len(node) >= 4 and len(kana_host) >= 3  # reads, payloads, submissions, waits
    assert set(node) == {None}
    assert set(kana_host) == {API_KEY}
