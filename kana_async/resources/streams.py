"""``kana.streams``: typed websocket subscriptions, all over one shared connection.

Every method returns a :class:`~kana_async.Subscription`; use it as::

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

Account topics are keyed by the **profile** address (not the wallet address): by default the
client's own, looked up once via ``kana.portfolio.profile_address()`` when the subscription
starts.

The connection opens with the first subscription and pauses ``StreamOptions.idle_linger``
seconds (default 5) after the last one left (its socket closes, its counters stay); the next
subscription connects again. Streams run on asyncio and trio.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kana_async._exceptions import InvalidArgumentError
from kana_async._secret import LogSafeText, Secret
from kana_async._streams import (
    ConnectionState,
    OverflowPolicy,
    RoutingKey,
    StreamManager,
    StreamOptions,
    StreamStatistics,
    Subscription,
    normalize_address,
)
from kana_async.models.account import Transfer
from kana_async.models.market_data import BestPrice, FundingRate
from kana_async.models.orderbook import OrderBook
from kana_async.models.orders import OpenOrder, OrderHistoryEntry
from kana_async.models.positions import Position
from kana_async.models.stream_events import Reconnected
from kana_async.models.trades import Trade
from kana_async.resources._base import Resource

if TYPE_CHECKING:
    from collections.abc import Callable

    from anyio.abc import TaskGroup

    from kana_async._client import KanaClient

__all__ = ["Streams"]


class Streams(Resource):
    """``kana.streams``: websocket subscriptions of a client; one connection carries them all.

    Each method returns a :class:`~kana_async.Subscription` at once, without I/O; the
    subscription registers on the wire when it starts (``async with`` or its first
    ``__anext__``). The connection opens with the first subscription, reconnects and resubscribes
    on its own, and closes ``idle_linger`` seconds after the last subscription left.

    Args:
        client: the owning :class:`~kana_async.KanaClient`.
        options: connection tuning (:class:`~kana_async.StreamOptions`); the defaults suit Kana.
        api_key: sent as ``x-api-key`` on the websocket handshake (a ``str`` or a
            :class:`~kana_async._secret.Secret` holding one); ``None`` to send none. It is kept
            as :class:`~kana_async._secret.LogSafeText` down to the handshake's bytes, so no
            ``repr`` of the headers and no DEBUG log of the websocket library shows it.
        task_group: an anyio task group (the client's) to run the websocket's background tasks
            in, or a function returning it (called when the connection is first needed, so the
            client's group can open later); ``None`` for the stream manager's own. The client
            must close the streams before that task group exits.
    """

    def __init__(
        self,
        client: KanaClient,
        *,
        options: StreamOptions | None = None,
        api_key: Secret[str] | str | None = None,
        task_group: TaskGroup | Callable[[], TaskGroup] | None = None,
    ) -> None:
        super().__init__(client)
        self._options = options
        key = api_key.reveal() if isinstance(api_key, Secret) else api_key
        self._headers: dict[str, str] | None = {"x-api-key": LogSafeText(key)} if key else None
        self._task_group = task_group
        self._manager: StreamManager | None = None

    # -- connection --------------------------------------------------------------------------

    @property
    def manager(self) -> StreamManager:
        """The client's ``StreamManager``, created on first use and closed with the client.

        Raises :class:`~kana_async.ClientStateError` when the client is not open.
        """
        client = self._client
        client._ensure_open()
        if self._manager is None:
            manager = StreamManager(
                client.network.ws_url,
                options=self._options,
                headers=self._headers,
                task_group=self._task_group() if callable(self._task_group) else self._task_group,
            )
            client._on_close(manager.aclose)
            self._manager = manager
        return self._manager

    @property
    def state(self) -> ConnectionState:
        """The websocket's :class:`~kana_async.ConnectionState` (``IDLE`` before any use)."""
        if self._manager is None:
            return ConnectionState.IDLE
        return self._manager.state

    async def wait_for_state(self, *states: ConnectionState) -> ConnectionState:
        """Wait until the websocket is in one of ``states``.

        Args:
            *states: the :class:`~kana_async.ConnectionState` values to wait for.

        Returns:
            The state reached (at once if it is already one of ``states``).

        Raises:
            ClientStateError: the client is not open, or no subscription has started a
                connection and the wanted states are not ``IDLE`` / ``CLOSED`` (nothing would
                ever change the state).
        """
        return await self.manager.wait_for_state(*states)

    def statistics(self) -> StreamStatistics:
        """Counters of the client's websocket connections, over every connection it opened.

        Returns:
            A :class:`~kana_async.StreamStatistics`: frames received and delivered, skipped bad
            frames by kind, connects and reconnects, active subscriptions.

        Raises:
            ClientStateError: the client is not open.
        """
        return self.manager.statistics()

    # -- market topics -----------------------------------------------------------------------

    def orderbook(
        self, market_id: int, *, buffer_size: int | None = None
    ) -> Subscription[OrderBook]:
        """A market's order book, one whole :class:`~kana_async.OrderBook` per frame.

        Subscribes to the websocket topic ``orderbook`` (``market_id``). A slow reader only
        ever sees the latest book (older snapshots are replaced, counted in ``dropped``) and
        never receives :class:`~kana_async.Reconnected`: the next frame replaces what was missed.

        Args:
            market_id: the market, e.g. ``1338``; an ``int`` or a string of digits.
            buffer_size: how many frames may wait for a slow reader (default 1: only the
                latest snapshot is kept).

        Returns:
            A :class:`~kana_async.Subscription` yielding :class:`~kana_async.OrderBook`
            snapshots (prices in quote currency, sizes in base asset, ``Decimal``).

        Raises:
            UnknownMarketError: ``market_id`` is not one of the exchange's markets.
            InvalidArgumentError: ``market_id`` is negative or larger than a u64.
            ArgumentTypeError: ``market_id`` is not an ``int`` or a string of digits.
            ClientStateError: the client is not open.
            ValueError: ``buffer_size`` is negative or above a million (an
                ``InvalidArgumentError``); one that is not an ``int``, or a ``policy`` that is
                not an ``OverflowPolicy``, raises ``ArgumentTypeError`` (a ``TypeError``).
        """
        return self._sub("orderbook", self._market(market_id), None, buffer_size)

    def recent_trades(
        self,
        market_id: int,
        *,
        policy: OverflowPolicy | None = None,
        buffer_size: int | None = None,
    ) -> Subscription[Trade | Reconnected]:
        """A market's public trades as they happen.

        Subscribes to the websocket topic ``recent_trades`` (``market_id``).

        Args:
            market_id: the market, e.g. ``1338``; an ``int`` or a string of digits.
            policy: what a full buffer does (default ``OverflowPolicy.DROP_OLDEST``: the
                oldest frame is dropped and counted in the subscription's ``dropped``).
            buffer_size: how many frames may wait for a slow reader (default 256).

        Returns:
            A :class:`~kana_async.Subscription` yielding one :class:`~kana_async.Trade` per
            trade (price in quote currency, size in base asset, ``Decimal``), and a
            :class:`~kana_async.Reconnected` notice after each reconnect.

        Raises:
            UnknownMarketError: ``market_id`` is not one of the exchange's markets.
            InvalidArgumentError: ``market_id`` is negative or larger than a u64.
            ArgumentTypeError: ``market_id`` is not an ``int`` or a string of digits.
            ClientStateError: the client is not open.
            ValueError: ``buffer_size`` is negative or above a million (an
                ``InvalidArgumentError``); one that is not an ``int``, or a ``policy`` that is
                not an ``OverflowPolicy``, raises ``ArgumentTypeError`` (a ``TypeError``).
        """
        return self._sub("recent_trades", self._market(market_id), policy, buffer_size)

    def best_price(
        self, market_id: int, *, buffer_size: int | None = None
    ) -> Subscription[BestPrice]:
        """A market's best bid and ask as they change.

        Subscribes to the websocket topic ``best_price`` (``market_id``; frames named
        ``bestPrice`` are accepted too). Kana does not document this topic's rows, so every
        field of :class:`~kana_async.BestPrice` may be ``None``. Keeps only the latest frame
        for a slow reader, and never yields :class:`~kana_async.Reconnected`.

        Args:
            market_id: the market, e.g. ``1338``; an ``int`` or a string of digits.
            buffer_size: how many frames may wait for a slow reader (default 1: only the
                latest snapshot is kept).

        Returns:
            A :class:`~kana_async.Subscription` yielding :class:`~kana_async.BestPrice` rows
            (prices in quote currency, ``Decimal``).

        Raises:
            UnknownMarketError: ``market_id`` is not one of the exchange's markets.
            InvalidArgumentError: ``market_id`` is negative or larger than a u64.
            ArgumentTypeError: ``market_id`` is not an ``int`` or a string of digits.
            ClientStateError: the client is not open.
            ValueError: ``buffer_size`` is negative or above a million (an
                ``InvalidArgumentError``); one that is not an ``int``, or a ``policy`` that is
                not an ``OverflowPolicy``, raises ``ArgumentTypeError`` (a ``TypeError``).
        """
        return self._sub("best_price", self._market(market_id), None, buffer_size)

    def live_funding_rate(self, *, buffer_size: int | None = None) -> Subscription[FundingRate]:
        """Every market's current funding rate as it changes.

        Subscribes to the websocket topic ``live_funding_rate`` (no key). Keeps only the latest
        frame for a slow reader, and never yields :class:`~kana_async.Reconnected`.

        Args:
            buffer_size: how many frames may wait for a slow reader (default 1: only the
                latest snapshot is kept).

        Returns:
            A :class:`~kana_async.Subscription` yielding one :class:`~kana_async.FundingRate`
            per market in each frame (the rate as a ``Decimal`` fraction, as the server sends
            it).

        Raises:
            ClientStateError: the client is not open.
            ValueError: ``buffer_size`` is negative or above a million (an
                ``InvalidArgumentError``); one that is not an ``int``, or a ``policy`` that is
                not an ``OverflowPolicy``, raises ``ArgumentTypeError`` (a ``TypeError``).
        """
        return self._sub("live_funding_rate", None, None, buffer_size)

    # -- account topics (profile address) ----------------------------------------------------

    def positions(
        self,
        address: str | None = None,
        *,
        policy: OverflowPolicy | None = None,
        buffer_size: int | None = None,
    ) -> Subscription[Position | Reconnected]:
        """A profile's positions as they change.

        Subscribes to the websocket topic ``positions`` for a **profile** address.
        Rows arrive in human units (``Decimal`` sizes and prices) as the indexer sends them.

        Args:
            address: the profile address to follow; ``None`` (the default) for the client's
                own, looked up with ``GET /getProfileAddress`` when the subscription starts.
            policy: what a full buffer does (default ``OverflowPolicy.FAIL``: the reader
                drains what was buffered, then :class:`~kana_async.SlowConsumerError` is
                raised).
            buffer_size: how many frames may wait for the reader (default 1024).

        Returns:
            A :class:`~kana_async.Subscription` yielding :class:`~kana_async.Position` rows, and a
            :class:`~kana_async.Reconnected` notice after each reconnect (rows sent while
            disconnected are lost: resync over REST).

        Raises:
            InvalidArgumentError: ``address`` is ``None`` and the client has no wallet.
            InvalidAddressError: ``address`` is not an Aptos address.
            ArgumentTypeError: ``address`` is not a string.
            ClientStateError: the client is not open.
            ValueError: ``buffer_size`` is negative or above a million (an
                ``InvalidArgumentError``); one that is not an ``int``, or a ``policy`` that is
                not an ``OverflowPolicy``, raises ``ArgumentTypeError`` (a ``TypeError``).
        """
        return self._account("positions", address, policy, buffer_size)

    def trade_history(
        self,
        address: str | None = None,
        *,
        policy: OverflowPolicy | None = None,
        buffer_size: int | None = None,
    ) -> Subscription[Trade | Reconnected]:
        """A profile's fills (its trades) as they happen.

        Subscribes to the websocket topic ``trade_history`` for a **profile** address.
        Rows arrive in human units (``Decimal`` sizes and prices) as the indexer sends them.

        Args:
            address: the profile address to follow; ``None`` (the default) for the client's
                own, looked up with ``GET /getProfileAddress`` when the subscription starts.
            policy: what a full buffer does (default ``OverflowPolicy.FAIL``: the reader
                drains what was buffered, then :class:`~kana_async.SlowConsumerError` is
                raised).
            buffer_size: how many frames may wait for the reader (default 1024).

        Returns:
            A :class:`~kana_async.Subscription` yielding :class:`~kana_async.Trade` rows, and a
            :class:`~kana_async.Reconnected` notice after each reconnect (rows sent while
            disconnected are lost: resync over REST).

        Raises:
            InvalidArgumentError: ``address`` is ``None`` and the client has no wallet.
            InvalidAddressError: ``address`` is not an Aptos address.
            ArgumentTypeError: ``address`` is not a string.
            ClientStateError: the client is not open.
            ValueError: ``buffer_size`` is negative or above a million (an
                ``InvalidArgumentError``); one that is not an ``int``, or a ``policy`` that is
                not an ``OverflowPolicy``, raises ``ArgumentTypeError`` (a ``TypeError``).
        """
        return self._account("trade_history", address, policy, buffer_size)

    def open_orders(
        self,
        address: str | None = None,
        *,
        policy: OverflowPolicy | None = None,
        buffer_size: int | None = None,
    ) -> Subscription[OpenOrder | Reconnected]:
        """A profile's resting orders as they change.

        Subscribes to the websocket topic ``open_orders`` for a **profile** address.
        Rows arrive in human units (``Decimal`` sizes and prices) as the indexer sends them.

        Args:
            address: the profile address to follow; ``None`` (the default) for the client's
                own, looked up with ``GET /getProfileAddress`` when the subscription starts.
            policy: what a full buffer does (default ``OverflowPolicy.FAIL``: the reader
                drains what was buffered, then :class:`~kana_async.SlowConsumerError` is
                raised).
            buffer_size: how many frames may wait for the reader (default 1024).

        Returns:
            A :class:`~kana_async.Subscription` yielding :class:`~kana_async.OpenOrder` rows, and a
            :class:`~kana_async.Reconnected` notice after each reconnect (rows sent while
            disconnected are lost: resync over REST).

        Raises:
            InvalidArgumentError: ``address`` is ``None`` and the client has no wallet.
            InvalidAddressError: ``address`` is not an Aptos address.
            ArgumentTypeError: ``address`` is not a string.
            ClientStateError: the client is not open.
            ValueError: ``buffer_size`` is negative or above a million (an
                ``InvalidArgumentError``); one that is not an ``int``, or a ``policy`` that is
                not an ``OverflowPolicy``, raises ``ArgumentTypeError`` (a ``TypeError``).
        """
        return self._account("open_orders", address, policy, buffer_size)

    def order_history(
        self,
        address: str | None = None,
        *,
        policy: OverflowPolicy | None = None,
        buffer_size: int | None = None,
    ) -> Subscription[OrderHistoryEntry | Reconnected]:
        """A profile's orders: first a batch of existing ones, then every change.

        Subscribes to the websocket topic ``order_history`` for a **profile** address.
        Rows arrive in human units (``Decimal`` sizes and prices) as the indexer sends them.

        Args:
            address: the profile address to follow; ``None`` (the default) for the client's
                own, looked up with ``GET /getProfileAddress`` when the subscription starts.
            policy: what a full buffer does (default ``OverflowPolicy.FAIL``: the reader
                drains what was buffered, then :class:`~kana_async.SlowConsumerError` is
                raised).
            buffer_size: how many frames may wait for the reader (default 1024).

        Returns:
            A :class:`~kana_async.Subscription` yielding
            :class:`~kana_async.OrderHistoryEntry` rows, and a :class:`~kana_async.Reconnected`
            notice after each reconnect (rows sent while disconnected are lost: resync over
            REST).

        Raises:
            InvalidArgumentError: ``address`` is ``None`` and the client has no wallet.
            InvalidAddressError: ``address`` is not an Aptos address.
            ArgumentTypeError: ``address`` is not a string.
            ClientStateError: the client is not open.
            ValueError: ``buffer_size`` is negative or above a million (an
                ``InvalidArgumentError``); one that is not an ``int``, or a ``policy`` that is
                not an ``OverflowPolicy``, raises ``ArgumentTypeError`` (a ``TypeError``).
        """
        return self._account("order_history", address, policy, buffer_size)

    def deposit_withdraw_history(
        self,
        address: str | None = None,
        *,
        policy: OverflowPolicy | None = None,
        buffer_size: int | None = None,
    ) -> Subscription[Transfer | Reconnected]:
        """A profile's deposits and withdrawals of collateral.

        Subscribes to the websocket topic ``deposit_withdraw_history`` for a **profile** address.
        Rows arrive in human units (``Decimal`` sizes and prices) as the indexer sends them.

        Args:
            address: the profile address to follow; ``None`` (the default) for the client's
                own, looked up with ``GET /getProfileAddress`` when the subscription starts.
            policy: what a full buffer does (default ``OverflowPolicy.FAIL``: the reader
                drains what was buffered, then :class:`~kana_async.SlowConsumerError` is
                raised).
            buffer_size: how many frames may wait for the reader (default 1024).

        Returns:
            A :class:`~kana_async.Subscription` yielding :class:`~kana_async.Transfer` rows
            (amounts in the collateral stablecoin), and a :class:`~kana_async.Reconnected`
            notice after each reconnect (rows sent while disconnected are lost: resync over
            REST).

        Raises:
            InvalidArgumentError: ``address`` is ``None`` and the client has no wallet.
            InvalidAddressError: ``address`` is not an Aptos address.
            ArgumentTypeError: ``address`` is not a string.
            ClientStateError: the client is not open.
            ValueError: ``buffer_size`` is negative or above a million (an
                ``InvalidArgumentError``); one that is not an ``int``, or a ``policy`` that is
                not an ``OverflowPolicy``, raises ``ArgumentTypeError`` (a ``TypeError``).
        """
        return self._account("deposit_withdraw_history", address, policy, buffer_size)

    def live_order_history(
        self,
        address: str | None = None,
        *,
        policy: OverflowPolicy | None = None,
        buffer_size: int | None = None,
    ) -> Subscription[OrderHistoryEntry | Reconnected]:
        """A profile's latest order change, one row each time.

        Subscribes to the websocket topic ``live_order_history`` for a **profile** address. Unlike
        :meth:`order_history` there is no first batch: only the most recent row is pushed.
        Rows arrive in human units (``Decimal`` sizes and prices) as the indexer sends them.

        Args:
            address: the profile address to follow; ``None`` (the default) for the client's
                own, looked up with ``GET /getProfileAddress`` when the subscription starts.
            policy: what a full buffer does (default ``OverflowPolicy.FAIL``: the reader
                drains what was buffered, then :class:`~kana_async.SlowConsumerError` is
                raised).
            buffer_size: how many frames may wait for the reader (default 1024).

        Returns:
            A :class:`~kana_async.Subscription` yielding
            :class:`~kana_async.OrderHistoryEntry` rows, and a :class:`~kana_async.Reconnected`
            notice after each reconnect (rows sent while disconnected are lost: resync over
            REST).

        Raises:
            InvalidArgumentError: ``address`` is ``None`` and the client has no wallet.
            InvalidAddressError: ``address`` is not an Aptos address.
            ArgumentTypeError: ``address`` is not a string.
            ClientStateError: the client is not open.
            ValueError: ``buffer_size`` is negative or above a million (an
                ``InvalidArgumentError``); one that is not an ``int``, or a ``policy`` that is
                not an ``OverflowPolicy``, raises ``ArgumentTypeError`` (a ``TypeError``).
        """
        return self._account("live_order_history", address, policy, buffer_size)

    def live_trade_history(
        self,
        address: str | None = None,
        *,
        policy: OverflowPolicy | None = None,
        buffer_size: int | None = None,
    ) -> Subscription[Trade | Reconnected]:
        """A profile's latest fill, one row each time.

        Subscribes to the websocket topic ``live_trade_history`` for a **profile** address. Unlike
        :meth:`trade_history` only the most recent row is pushed.
        Rows arrive in human units (``Decimal`` sizes and prices) as the indexer sends them.

        Args:
            address: the profile address to follow; ``None`` (the default) for the client's
                own, looked up with ``GET /getProfileAddress`` when the subscription starts.
            policy: what a full buffer does (default ``OverflowPolicy.FAIL``: the reader
                drains what was buffered, then :class:`~kana_async.SlowConsumerError` is
                raised).
            buffer_size: how many frames may wait for the reader (default 1024).

        Returns:
            A :class:`~kana_async.Subscription` yielding :class:`~kana_async.Trade` rows, and a
            :class:`~kana_async.Reconnected` notice after each reconnect (rows sent while
            disconnected are lost: resync over REST).

        Raises:
            InvalidArgumentError: ``address`` is ``None`` and the client has no wallet.
            InvalidAddressError: ``address`` is not an Aptos address.
            ArgumentTypeError: ``address`` is not a string.
            ClientStateError: the client is not open.
            ValueError: ``buffer_size`` is negative or above a million (an
                ``InvalidArgumentError``); one that is not an ``int``, or a ``policy`` that is
                not an ``OverflowPolicy``, raises ``ArgumentTypeError`` (a ``TypeError``).
        """
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
