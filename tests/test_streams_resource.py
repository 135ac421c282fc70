"""``kana.streams`` (the Streams resource) over a stand-in client and a local websocket server."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest

from kana_async._config import Network
from kana_async._exceptions import ArgumentTypeError, ClientStateError, InvalidArgumentError
from kana_async._streams.options import ConnectionState, StreamOptions
from kana_async._streams.subscription import OverflowPolicy
from kana_async.resources.streams import Streams
from tests.ws_support import ADDR, SHORT, SHORT_FULL, FakeKana, every_socket, order

FAST = StreamOptions(ping_interval=None, stale_timeout=None, backoff_initial=0.01)

anyio_backend = every_socket()


class _Portfolio:
    def __init__(self) -> None:
        self.calls = 0

    async def profile_address(self) -> str:
        self.calls += 1
        return SHORT


class FakeClient:
    """Just what Streams uses of KanaClient."""

    def __init__(self, ws_url: str, wallet: str | None = ADDR) -> None:
        self.network = Network("test", "http://127.0.0.1:1", ws_url, "http://127.0.0.1:1/v1", 4)
        self.wallet_address = wallet
        self.portfolio = _Portfolio()
        self.closers: list[Callable[[], Awaitable[None]]] = []
        self.open = True
        self._stream_options = FAST

    def _ensure_open(self) -> None:
        if not self.open:
            raise ClientStateError("closed")

    def _on_close(self, callback: Callable[[], Awaitable[None]]) -> None:
        self.closers.append(callback)

    def _known_market_ids(self) -> frozenset[int] | None:
        return frozenset({14, 15})

    async def aclose(self) -> None:
        self.open = False
        for closer in reversed(self.closers):
            await closer()


@pytest.mark.anyio
async def test_account_topics_default_to_the_clients_profile_address() -> None:
    async with FakeKana() as srv:
        client = FakeClient(srv.url)
        streams = Streams(client)  # type: ignore[arg-type]
        assert streams.state is ConnectionState.IDLE
        with anyio.fail_after(10):
            async with streams.order_history() as orders, streams.positions(ADDR) as pos:
                assert orders.key == SHORT_FULL and pos.key == ADDR
                await srv.wait_for(lambda: srv.subscribed(2))
                assert await streams.wait_for_state(ConnectionState.CONNECTED) is (
                    ConnectionState.CONNECTED
                )
                await srv.push("order_history", [order(9, address=SHORT)])
                assert (await orders.__anext__()).order_id == "9"
                assert streams.statistics().subscribers == 2
            assert client.portfolio.calls == 1
            assert len(client.closers) == 1  # the manager closes with the client
            await client.aclose()
        assert streams.state is ConnectionState.CLOSED
        with pytest.raises(ClientStateError):
            streams.orderbook(14)


@pytest.mark.anyio
async def test_every_topic_method_subscribes_with_its_documented_frame() -> None:
    async with FakeKana() as srv:
        client = FakeClient(srv.url)
        streams = Streams(client)  # type: ignore[arg-type]
        subs: list[Any] = [
            streams.orderbook(14),
            streams.recent_trades(14, policy=OverflowPolicy.FAIL, buffer_size=5),
            streams.best_price(15),
            streams.live_funding_rate(),
            streams.positions(),
            streams.trade_history(),
            streams.open_orders(),
            streams.order_history(),
            streams.deposit_withdraw_history(),
            streams.live_order_history(),
            streams.live_trade_history(buffer_size=7),
        ]
        with anyio.fail_after(10):
            for sub in subs:
                await sub.start()
            await srv.wait_for(lambda: srv.subscribed(len(subs)))
            sent = srv.live[0].subs
            await client.aclose()
    assert {"topic": "orderbook", "market_id": "14"} in sent
    assert {"topic": "best_price", "market_id": "15"} in sent
    assert {"topic": "live_funding_rate"} in sent
    assert {"topic": "live_trade_history", "address": SHORT_FULL} in sent
    assert subs[1].policy is OverflowPolicy.FAIL and subs[1].buffer_size == 5
    assert subs[-1].buffer_size == 7


def test_bad_arguments_fail_before_any_io() -> None:
    client = FakeClient("ws://127.0.0.1:9/ws/", wallet=None)
    streams = Streams(client)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="address=") as info:
        streams.positions()
    assert "profile address" in str(info.value)
    with pytest.raises(InvalidArgumentError):
        streams.orderbook(99)  # not a known market
    with pytest.raises(InvalidArgumentError):
        streams.trade_history("0xnothex")
    client.open = False
    with pytest.raises(ClientStateError):
        streams.statistics()


@pytest.mark.anyio
async def test_server_error_frames_are_counted_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    async with FakeKana() as srv:
        client = FakeClient(srv.url)
        streams = Streams(client)  # type: ignore[arg-type]
        with anyio.fail_after(10):
            async with streams.orderbook(14) as book:
                await srv.wait_for(lambda: srv.subscribed(1))
                await srv.push("error", [{"error": "unknown market_id '14'"}])
                await srv.push("orderbook", [])
                assert (await book.__anext__()).is_empty
            stats = streams.statistics()
            await client.aclose()
    assert stats.bad_frames == {"server_error": 1}
    assert any("unknown market_id" in r.getMessage() for r in caplog.records)


@pytest.mark.anyio
async def test_the_api_key_goes_on_the_handshake_and_tasks_run_in_the_given_group() -> None:
    async with FakeKana() as srv:
        client = FakeClient(srv.url)
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                streams = Streams(client, options=FAST, api_key="k-123", task_group=tg)  # type: ignore[arg-type]
                async with streams.order_history(ADDR) as orders:
                    await srv.wait_for(lambda: srv.subscribed(1))
                    await srv.push("order_history", [order(1)])
                    assert (await orders.__anext__()).order_id == "1"
                await client.aclose()  # before the task group exits
        assert srv.headers[0]["x-api-key"] == "k-123"
        bare = Streams(FakeClient(srv.url), options=FAST)  # type: ignore[arg-type]
        with anyio.fail_after(10):
            async with bare.recent_trades(14):
                await srv.wait_for(lambda: len(srv.headers) == 2 and srv.subscribed(1))
            await bare.manager.aclose()
        assert "x-api-key" not in srv.headers[1]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"buffer_size": 1.5}, ArgumentTypeError),
        ({"buffer_size": True}, ArgumentTypeError),
        ({"buffer_size": -1}, InvalidArgumentError),
        ({"buffer_size": 10**9}, InvalidArgumentError),
        ({"policy": "fail"}, ArgumentTypeError),
    ],
)
def test_bad_subscription_arguments_are_typed_errors_before_any_io(
    kwargs: dict[str, Any], error: type[Exception]
) -> None:
    streams = Streams(FakeClient("ws://127.0.0.1:1/ws/"))  # type: ignore[arg-type]
    with pytest.raises(error):
        streams.recent_trades(14, **kwargs)
    assert streams.manager.statistics().tasks == 0


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"ping_interval": "5"}, ArgumentTypeError),
        ({"open_timeout": float("nan")}, InvalidArgumentError),
        ({"stale_timeout": float("inf")}, InvalidArgumentError),
        ({"backoff_max": True}, ArgumentTypeError),
        ({"max_size": 1.5}, ArgumentTypeError),
        ({"compression": "gzip"}, InvalidArgumentError),
        ({"jitter": float("nan")}, InvalidArgumentError),
    ],
)
def test_bad_stream_options_are_typed_errors(
    kwargs: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        StreamOptions(**kwargs)
