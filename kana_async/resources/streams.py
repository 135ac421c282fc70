"""``kana.streams``: typed websocket subscriptions (spec §5), all over one shared connection.

Every method returns a :class:`~kana_async._fanout.Subscription`; use it as::

    async with kana.streams.orderbook(14) as book:
        async for snapshot in book:          # an OrderBook per frame
            print(snapshot.best_bid, snapshot.best_ask)

    async with kana.streams.order_history() as orders:   # the client's profile address
        async for event in orders:
            if isinstance(event, Reconnected):
                ...  # frames were lost while disconnected: resync over REST
            else:
                print(event.order_id, event.status)

Snapshot topics (``orderbook``, ``best_price``, ``live_funding_rate``) keep only the latest frame
for a slow reader and never see :class:`~kana_async.models.stream_events.Reconnected`. Public
trades (``recent_trades``) drop the oldest frames when the reader lags (``statistics().dropped``).
Private account topics raise :class:`~kana_async.SlowConsumerError` once the reader has drained its
buffer after an overflow. ``policy=`` and ``buffer_size=`` override these defaults per call.

Account topics are keyed by the **profile** address (spec §1.6): by default the client's own,
looked up once via ``kana.portfolio.profile_address()`` when the subscription starts.

The connection opens with the first subscription and closes ``StreamOptions.idle_linger``
seconds (default 5) after the last one left; the next subscription opens a new one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kana_async._exceptions import InvalidArgumentError
from kana_async._fanout import OverflowPolicy, Subscription
from kana_async._streams import StreamManager, StreamStatistics
from kana_async._topics import RoutingKey, normalize_address
from kana_async._ws import ConnectionState, StreamOptions
from kana_async.models.account import Transfer
from kana_async.models.market_data import BestPrice, FundingRate
from kana_async.models.orderbook import OrderBook
from kana_async.models.orders import OpenOrder, OrderHistoryEntry
from kana_async.models.positions import Position
from kana_async.models.stream_events import Reconnected
from kana_async.models.trades import Trade
from kana_async.resources._base import Resource

if TYPE_CHECKING:
    from kana_async._client import KanaClient

__all__ = ["Streams"]


class Streams(Resource):
    """WebSocket subscriptions of a client; one connection carries all of them.

    Args:
        client: the owning, open :class:`~kana_async.KanaClient`.
        options: connection tuning (:class:`~kana_async._ws.StreamOptions`); defaults suit Kana.
    """

    def __init__(self, client: KanaClient, *, options: StreamOptions | None = None) -> None:
        super().__init__(client)
        self._options = options
        self._manager: StreamManager | None = None

    # -- connection --------------------------------------------------------------------------

    @property
    def manager(self) -> StreamManager:
        """The client's :class:`StreamManager` (created on first use, closed with the client)."""
        client = self._client
        client._ensure_open()
        if self._manager is None:
            manager = StreamManager(client.network.ws_url, options=self._options)
            client._on_close(manager.aclose)
            self._manager = manager
        return self._manager

    @property
    def state(self) -> ConnectionState:
        """The websocket's :class:`~kana_async._ws.ConnectionState` (``IDLE`` before any use)."""
        if self._manager is None:
            return ConnectionState.IDLE
        return self._manager.state

    async def wait_for_state(self, *states: ConnectionState) -> ConnectionState:
        """Wait until the websocket is in one of ``states``."""
        return await self.manager.wait_for_state(*states)

    def statistics(self) -> StreamStatistics:
        """Connection counters: frames, bad frames by kind, reconnects, subscriptions."""
        return self.manager.statistics()

    # -- market topics -----------------------------------------------------------------------

    def orderbook(
        self, market_id: int, *, buffer_size: int | None = None
    ) -> Subscription[OrderBook]:
        """The market's order book, one :class:`OrderBook` per frame (keep-latest)."""
        return self._sub("orderbook", self._market(market_id), None, buffer_size)

    def recent_trades(
        self,
        market_id: int,
        *,
        policy: OverflowPolicy | None = None,
        buffer_size: int | None = None,
    ) -> Subscription[Trade | Reconnected]:
        """Public trades of a market, one :class:`Trade` per row (drop-oldest with gap count)."""
        return self._sub("recent_trades", self._market(market_id), policy, buffer_size)

    def best_price(
        self, market_id: int, *, buffer_size: int | None = None
    ) -> Subscription[BestPrice]:
        """Best bid/ask of a market (keep-latest; topic shape unverified upstream)."""
        return self._sub("best_price", self._market(market_id), None, buffer_size)

    def live_funding_rate(self, *, buffer_size: int | None = None) -> Subscription[FundingRate]:
        """Funding rates, one :class:`FundingRate` per row of the latest frame (keep-latest)."""
        return self._sub("live_funding_rate", None, None, buffer_size)

    # -- account topics (profile address) ----------------------------------------------------

    def positions(
        self,
        address: str | None = None,
        *,
        policy: OverflowPolicy | None = None,
        buffer_size: int | None = None,
    ) -> Subscription[Position | Reconnected]:
        """Position updates of a profile (default: the client's), one row at a time."""
        return self._account("positions", address, policy, buffer_size)

    def trade_history(
        self,
        address: str | None = None,
        *,
        policy: OverflowPolicy | None = None,
        buffer_size: int | None = None,
    ) -> Subscription[Trade | Reconnected]:
        """The profile's fills."""
        return self._account("trade_history", address, policy, buffer_size)

    def open_orders(
        self,
        address: str | None = None,
        *,
        policy: OverflowPolicy | None = None,
        buffer_size: int | None = None,
    ) -> Subscription[OpenOrder | Reconnected]:
        """The profile's resting orders as they change."""
        return self._account("open_orders", address, policy, buffer_size)

    def order_history(
        self,
        address: str | None = None,
        *,
        policy: OverflowPolicy | None = None,
        buffer_size: int | None = None,
    ) -> Subscription[OrderHistoryEntry | Reconnected]:
        """The profile's orders (a first batch of existing ones, then changes)."""
        return self._account("order_history", address, policy, buffer_size)

    def deposit_withdraw_history(
        self,
        address: str | None = None,
        *,
        policy: OverflowPolicy | None = None,
        buffer_size: int | None = None,
    ) -> Subscription[Transfer | Reconnected]:
        """The profile's deposits and withdrawals."""
        return self._account("deposit_withdraw_history", address, policy, buffer_size)

    def live_order_history(
        self,
        address: str | None = None,
        *,
        policy: OverflowPolicy | None = None,
        buffer_size: int | None = None,
    ) -> Subscription[OrderHistoryEntry | Reconnected]:
        """Only the latest order-history row of the profile, as it happens."""
        return self._account("live_order_history", address, policy, buffer_size)

    def live_trade_history(
        self,
        address: str | None = None,
        *,
        policy: OverflowPolicy | None = None,
        buffer_size: int | None = None,
    ) -> Subscription[Trade | Reconnected]:
        """Only the latest trade of the profile, as it happens."""
        return self._account("live_trade_history", address, policy, buffer_size)

    # -- helpers -----------------------------------------------------------------------------

    def _sub(
        self,
        topic: str,
        key: RoutingKey,
        policy: OverflowPolicy | None,
        buffer_size: int | None,
    ) -> Subscription[Any]:
        return self.manager.subscribe(topic, key, policy=policy, buffer_size=buffer_size)

    def _account(
        self,
        topic: str,
        address: str | None,
        policy: OverflowPolicy | None,
        buffer_size: int | None,
    ) -> Subscription[Any]:
        if address is not None:
            return self._sub(topic, normalize_address(address), policy, buffer_size)
        client = self._client
        if client.wallet_address is None:
            raise InvalidArgumentError(
                f"{topic} needs a profile address: pass address=..., or create the client with "
                "account=... or wallet_address=... so its profile address can be looked up"
            )

        async def profile() -> RoutingKey:
            return await client.portfolio.profile_address()

        return self.manager.subscribe(topic, profile, policy=policy, buffer_size=buffer_size)
