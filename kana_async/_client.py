"""KanaClient: configuration, lifecycle, the shared HTTP pool and the resources on top of it."""

from __future__ import annotations

import logging
import os
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx

from kana_async._address import normalize_address
from kana_async._config import API_KEY_ENV, TESTNET, Network
from kana_async._context import ClientContext, ClientState, Closer, SharedState
from kana_async._exceptions import ArgumentTypeError, ClientStateError, InvalidArgumentError
from kana_async._http import HttpClient, InFlightGate, check_transport
from kana_async._options import DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_IN_FLIGHT, ClientOptions
from kana_async._secret import Secret

if TYPE_CHECKING:
    from anyio.abc import TaskGroup

    from kana_async._aptos.signer import Signer
    from kana_async._streams import StreamOptions
    from kana_async.resources.history import History
    from kana_async.resources.markets import Markets
    from kana_async.resources.orders import Orders
    from kana_async.resources.payloads import Payloads
    from kana_async.resources.portfolio import Portfolio
    from kana_async.resources.streams import Streams
    from kana_async.resources.trading import Trading

__all__ = ["DEFAULT_MAX_CONNECTIONS", "DEFAULT_MAX_IN_FLIGHT", "KanaClient"]

logger = logging.getLogger("kana_async")


class KanaClient:
    """The entry point: one client per network and account, used as ``async with``.

    ::

        async with KanaClient(TESTNET, wallet_address="0x…") as kana:
            price = await kana.markets.price(1338)
            orders = await kana.portfolio.open_orders()

    Nothing is connected or read in ``__init__``; ``async with`` (or :meth:`open`) creates the
    shared HTTP pool and :meth:`aclose` releases it. A closed client cannot be reopened.

    Every setting is in :attr:`options` (a frozen :class:`~kana_async.ClientOptions`): pass
    ``options=``, or name settings as keywords (``timeout=5``, ``rate_limit=20``,
    ``confirm_timeout=60``...), which override ``options``. :meth:`with_options` gives a client
    with other settings over the same pool, account and caches.

    Args:
        network: where the exchange lives (:data:`~kana_async.TESTNET`, ``MAINNET``, or the
            network a local simulator hands out).
        api_key: sent as ``x-api-key``; defaults to the ``KANA_API_KEY`` environment variable.
            Visible ASCII only (no spaces), at most 1,024 characters.
        account: the signer for transactions; its address becomes :attr:`wallet_address`.
        wallet_address: the wallet to read for, when there is no ``account``.
        http_client: an ``httpx.AsyncClient`` to use instead of creating one; the caller keeps
            ownership (it is not closed by :meth:`aclose`). ``limits``, ``max_connections``,
            ``transport`` and an ``httpx.Timeout`` cannot apply to it (a timeout in seconds is
            sent per request).
        options: every setting at once (:class:`~kana_async.ClientOptions`).
        stream_options: websocket tuning for :attr:`streams`; the same as
            ``options.streams``.
        **overrides: single settings by name: any field of :class:`~kana_async.ClientOptions`
            (``timeout``, ``max_connections``, ``limits``, ``transport``, ``max_in_flight``,
            ``retry``, ``rate_limit``, ``streams``, ``trading``) or of
            :class:`~kana_async.TradingOptions` (``confirm_timeout``, ``submit_retries``...).

    Raises:
        ArgumentTypeError: ``network`` is not a :class:`~kana_async.Network`, ``account`` is
            no signer, ``api_key`` is not a ``str``, or a setting has the wrong type.
        InvalidArgumentError: a setting is out of range, unknown, or cannot apply to the
            ``http_client`` passed in; ``wallet_address`` differs from the account's; the API
            key has a character a header cannot carry or is too long.

    Resources: :attr:`markets`, :attr:`portfolio`, :attr:`orders`, :attr:`history`,
    :attr:`payloads`, :attr:`trading` and :attr:`streams`.
    """

    def __init__(
        self,
        network: Network = TESTNET,
        *,
        api_key: str | None = None,
        account: Signer | None = None,
        wallet_address: str | None = None,
        http_client: httpx.AsyncClient | None = None,
        options: ClientOptions | None = None,
        stream_options: StreamOptions | None = None,
        **overrides: Any,
    ) -> None:
        given_key = Secret(api_key)  # masked from the first line: errors below never show it
        del api_key
        if not isinstance(network, Network):
            raise ArgumentTypeError(
                f"network must be a kana_async.Network, not {type(network).__name__}"
            )
        if options is not None and not isinstance(options, ClientOptions):
            raise ArgumentTypeError("options must be a kana_async.ClientOptions")
        if stream_options is not None:
            overrides["streams"] = stream_options
        if "retry" in overrides and overrides["retry"] is None:
            del overrides["retry"]  # the default policy, as before
        settings = (options or ClientOptions()).replace(**overrides)
        shared = SharedState(
            network,
            account=account,
            wallet_address=_wallet_of(account, wallet_address),
            api_key=given_key
            if given_key.reveal() is not None
            else Secret(os.environ.get(API_KEY_ENV) or None),
            http_client=http_client,
            options=settings,
        )
        self._setup(ClientContext(shared, settings, self))

    def _setup(self, context: ClientContext) -> None:
        self._context = context
        self._shared = context.shared

    # -- the resources, each built (and its module imported) on first use ------------------

    @cached_property
    def markets(self) -> Markets:
        """Market metadata and prices."""
        from kana_async.resources.markets import Markets

        return Markets(self._context)

    @cached_property
    def portfolio(self) -> Portfolio:
        """Balances, profile address, open orders and positions of a wallet."""
        from kana_async.resources.portfolio import Portfolio

        return Portfolio(self._context)

    @cached_property
    def orders(self) -> Orders:
        """Order status by id."""
        from kana_async.resources.orders import Orders

        return Orders(self._context)

    @cached_property
    def history(self) -> History:
        """Order, trade, funding, transfer and fill history (with paging iterators)."""
        from kana_async.resources.history import History

        return History(self._context)

    @cached_property
    def payloads(self) -> Payloads:
        """Unsigned transaction payloads from the "write" endpoints (no account needed)."""
        from kana_async.resources.payloads import Payloads

        return Payloads(self._context)

    def with_options(self, **changes: Any) -> KanaClient:
        """A client with other settings that shares this one's pool, account and state.

        The new client uses the same connection pool and in-flight gate, task group, market
        and profile caches, and the same trading state (sequence numbers, unresolved
        transactions, known orders); it is open and closed together with this one (closing
        either closes both). Use it for one call or for a part of a program::

            price = await kana.with_options(timeout=2, retry=NO_RETRY).markets.price(1338)
            patient = kana.with_options(confirm_timeout=120)

        Args:
            **changes: settings by name, as the constructor takes them (fields of
                :class:`~kana_async.ClientOptions` or :class:`~kana_async.TradingOptions`).

        Returns:
            The new client.

        Raises:
            InvalidArgumentError: a name is unknown, a value is out of range, or it would
                change what the shared pool or sender fixes (``limits``, ``max_connections``,
                ``transport``, ``max_in_flight``, ``submit_retries``, ``node_timeout``,
                ``close_timeout``,
                ``max_pending_transactions``, an ``httpx.Timeout``).
            ArgumentTypeError: a value has the wrong type.
        """
        options = self.options.replace(**changes)
        derived = object.__new__(KanaClient)
        derived._setup(ClientContext(self._shared, options, derived))
        return derived

    @property
    def options(self) -> ClientOptions:
        """Every setting of this client (frozen; :meth:`with_options` makes a client with
        others)."""
        return self._context.options

    @property
    def network(self) -> Network:
        """Where the exchange lives."""
        return self._shared.network

    @property
    def account(self) -> Signer | None:
        """The signer for transactions, or ``None`` for a read-only client."""
        return self._shared.account

    # -- identity --------------------------------------------------------------------------

    @property
    def wallet_address(self) -> str | None:
        """The wallet this client reads for: the account's address, else ``wallet_address``."""
        return self._shared.wallet_address

    @property
    def has_api_key(self) -> bool:
        """Whether an API key will be sent (the key itself is never exposed or logged)."""
        return self._shared.api_key is not None

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` has run."""
        return self._shared.state is ClientState.CLOSED

    def __repr__(self) -> str:
        return (
            f"<KanaClient network={self.network.name!r} wallet={self.wallet_address!r} "
            f"api_key={'set' if self.has_api_key else 'unset'} "
            f"state={self._shared.state.value}>"
        )

    # -- lifecycle -------------------------------------------------------------------------

    async def open(self) -> KanaClient:
        """Start the task group; ``async with`` calls this.

        Nothing is sent and no HTTP pool is built yet: the first REST or node request builds
        the shared pool on ``options.transport`` (httpx's own, or aiohttp's) and connects, so
        a client that only streams never pays for one.

        Returns:
            The client itself, open.

        Raises:
            ClientStateError: the client (or the one it was made from) is already open, or
                was closed (a closed client cannot be reopened; create a new one).
            ImportError: ``transport="aiohttp"`` without the ``aiohttp`` extra installed.
        """
        shared = self._shared
        if shared.state is ClientState.OPEN:
            raise ClientStateError("this KanaClient is already open")
        if shared.state is ClientState.CLOSED:
            raise ClientStateError("this KanaClient was closed; create a new one")
        check_transport(shared.root_options.transport)  # the pool itself: on the first request
        shared.gate = InFlightGate(self._gate_limit())
        await shared.tasks.start()
        shared.state = ClientState.OPEN
        logger.debug("KanaClient opened for %s (%s)", self.network.name, self.network.rest_url)
        return self

    def _gate_limit(self) -> int:
        """Slots of the pool's :class:`InFlightGate`: ``max_in_flight``, within the pool's size.

        More requests in flight than the pool has connections would only queue inside httpcore
        (slowly) and close kept-alive connections to one host to open connections to the other.
        The size of an ``http_client`` passed in is not known, so ``max_in_flight`` applies.
        """
        options = self._shared.root_options
        pool_size = options.pool_limits.max_connections
        if self._shared.injected_http is not None or pool_size is None:
            return options.max_in_flight
        return max(1, min(options.max_in_flight, pool_size))

    async def aclose(self) -> None:
        """Run registered cleanups (newest first), cancel the background tasks, then close the
        HTTP pool. Idempotent; closes the clients made by (or making) :meth:`with_options` too.

        An ``httpx.AsyncClient`` passed in as ``http_client`` is left open for its owner. If a
        cleanup fails, the others still run and the first error is raised at the end.

        The trading cleanup waits up to ``close_timeout`` seconds (a trading option) for
        signed transactions whose outcome is not known yet (and logs those still
        unresolved); stream subscriptions are closed (before the task group their tasks run
        in); background work still running is cancelled.

        Raises:
            Exception: the first error a registered cleanup raised, once all have run (the
                client is closed all the same).
        """
        shared = self._shared
        if shared.state is ClientState.CLOSED:
            return
        was_open = shared.state is ClientState.OPEN
        shared.state = ClientState.CLOSED
        first_error: BaseException | None = None
        while shared.closers:
            closer = shared.closers.pop()
            try:
                await closer()
            except Exception as exc:
                logger.warning("cleanup %r failed while closing KanaClient: %s", closer, exc)
                if first_error is None:
                    first_error = exc
        await shared.tasks.aclose()
        if was_open and shared.pool is not None and shared.injected_http is None:
            await shared.pool.aclose()
        logger.debug("KanaClient closed")
        if first_error is not None:
            raise first_error

    async def __aenter__(self) -> KanaClient:
        return await self.open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _on_close(self, callback: Closer) -> None:
        """Register an async cleanup run by :meth:`aclose` (last registered runs first)."""
        self._context.on_close(callback)

    def _ensure_open(self) -> None:
        """Raise :class:`~kana_async.ClientStateError` unless the client is open."""
        self._context.ensure_open()

    @property
    def _http(self) -> HttpClient:
        """The request path (only while open)."""
        return self._context.http

    @property
    def task_group(self) -> TaskGroup:
        """The client's anyio task group: background work the client owns runs in it.

        It is opened by :meth:`open` (in a task of its own, so it does not depend on which
        task opens or closes the client) and cancelled by :meth:`aclose`. Tasks started in it
        directly must handle their own errors: one that raises ends the group's other tasks.

        Raises:
            ClientStateError: the client is not open.
        """
        return self._context.task_group

    # -- resources written elsewhere, built on first use -------------------------------------

    # Imported on first use: those modules pull in aptos-sdk / websockets, which a REST-only
    # user never needs to load.

    @cached_property
    def trading(self) -> Trading:
        """Signed transactions: :class:`~kana_async.resources.trading.Trading`."""
        from kana_async.resources.trading import Trading

        return Trading(self._context)

    @cached_property
    def streams(self) -> Streams:
        """WebSocket subscriptions (:class:`~kana_async.resources.streams.Streams`).

        Clients made by :meth:`with_options` with the same stream settings share one
        websocket connection (one ``Streams``); other stream settings get their own. The
        websocket's tasks run in the client's :attr:`task_group`; :meth:`aclose` closes the
        streams before it ends the task group.
        """
        from kana_async.resources.streams import Streams

        shared = self._shared
        api_key = shared.api_key  # a Secret, masked down to the handshake
        if self.options.streams != shared.root_options.streams:
            return Streams(
                self, options=self.options.streams, api_key=api_key, task_group=self._task_group
            )
        if shared.streams is None:
            shared.streams = Streams(
                self, options=self.options.streams, api_key=api_key, task_group=self._task_group
            )
        found: Streams = shared.streams
        return found

    def _task_group(self) -> TaskGroup:
        """The client's task group, for the websocket's tasks (read when they first start)."""
        return self._context.task_group


def _wallet_of(account: Signer | None, wallet_address: str | None) -> str | None:
    wallet = None if wallet_address is None else normalize_address(wallet_address, what="wallet")
    if account is None:
        return wallet
    from kana_async._aptos.signer import Signer  # the protocol, only once there is an account

    if not isinstance(account, Signer):
        raise ArgumentTypeError("account must provide address, public_key and async sign(message)")
    own = normalize_address(account.address, what="account.address")
    if wallet is not None and wallet != own:
        raise InvalidArgumentError(
            f"wallet_address {wallet} differs from the account's address {own}; pass only one"
        )
    return own
