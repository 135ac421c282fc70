"""KanaClient: configuration, lifecycle, the shared HTTP pool and the resources on top of it."""

from __future__ import annotations

import enum
import logging
import os
from collections.abc import Awaitable, Callable
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Final

import httpx

from kana_async._address import normalize_address
from kana_async._aptos.signer import Signer
from kana_async._background import BackgroundTasks
from kana_async._config import API_KEY_ENV, TESTNET, Network
from kana_async._exceptions import ArgumentTypeError, ClientStateError, InvalidArgumentError
from kana_async._http import DEFAULT_TIMEOUT, HttpClient, InFlightGate, build_httpx_client
from kana_async._retry import RetryPolicy
from kana_async.resources.history import History
from kana_async.resources.markets import Markets
from kana_async.resources.orders import Orders
from kana_async.resources.payloads import Payloads
from kana_async.resources.portfolio import Portfolio

if TYPE_CHECKING:
    from kana_async._streams import StreamOptions
    from kana_async.resources.streams import Streams
    from kana_async.resources.trading import Trading

__all__ = ["KanaClient"]

logger = logging.getLogger("kana_async")

DEFAULT_MAX_CONNECTIONS: Final = 10
DEFAULT_MAX_IN_FLIGHT: Final = 10

Closer = Callable[[], Awaitable[object]]


class _State(enum.Enum):
    NEW = "new"
    OPEN = "open"
    CLOSED = "closed"


class KanaClient:
    """The entry point: one client per network and account, used as ``async with``.

    ::

        async with KanaClient(TESTNET, wallet_address="0x…") as kana:
            price = await kana.markets.price(1338)
            orders = await kana.portfolio.open_orders()

    Nothing is connected or read in ``__init__``; ``async with`` (or :meth:`open`) creates the
    shared HTTP pool and :meth:`aclose` releases it. A closed client cannot be reopened.

    Args:
        network: where the exchange lives (:data:`~kana_async.TESTNET`, ``MAINNET``, or the
            network a local simulator hands out).
        api_key: sent as ``x-api-key``; defaults to the ``KANA_API_KEY`` environment variable.
        account: the signer for transactions; its address becomes :attr:`wallet_address`.
        wallet_address: the wallet to read for, when there is no ``account``.
        http_client: an ``httpx.AsyncClient`` to use instead of creating one; the caller keeps
            ownership (it is not closed by :meth:`aclose`).
        timeout: seconds, or an ``httpx.Timeout``, for every REST call.
        max_connections: size of the connection pool (ignored when ``limits`` is given).
        limits: full ``httpx.Limits`` for the pool.
        retry: how read requests are retried (:class:`~kana_async.RetryPolicy`).
        rate_limit: client-side limit in requests per second, shared by all tasks; ``None``
            for no limit.
        max_in_flight: most HTTP requests on the wire at once, REST and Aptos node calls
            together (never more than the pool's ``max_connections`` when the client creates
            the pool); more wait their turn.
        stream_options: websocket tuning for :attr:`streams` (keepalive, watchdog, backoff).

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
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        limits: httpx.Limits | None = None,
        retry: RetryPolicy | None = None,
        rate_limit: float | None = None,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        stream_options: StreamOptions | None = None,
    ) -> None:
        if not isinstance(network, Network):
            raise ArgumentTypeError(
                f"network must be a kana_async.Network, not {type(network).__name__}"
            )
        if isinstance(max_in_flight, bool) or not isinstance(max_in_flight, int):
            raise ArgumentTypeError("max_in_flight must be an int")
        if max_in_flight < 1:
            raise InvalidArgumentError("max_in_flight must be at least 1")
        if limits is None and max_connections < 1:
            raise InvalidArgumentError("max_connections must be at least 1")
        if rate_limit is not None and rate_limit <= 0:
            raise InvalidArgumentError(
                "rate_limit must be a positive number of requests per second"
            )
        self.network = network
        self.account = account
        self._api_key = api_key if api_key is not None else os.environ.get(API_KEY_ENV) or None
        self._wallet_address = _wallet_of(account, wallet_address)
        self._injected_http = http_client
        self._timeout = timeout
        self._limits = limits or httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        )
        self._retry = retry if retry is not None else RetryPolicy()
        self._rate_limit = rate_limit
        self._max_in_flight = max_in_flight
        self._stream_options = stream_options
        self._state = _State.NEW
        self._http_client: HttpClient | None = None
        self._tasks = BackgroundTasks()
        self._closers: list[Closer] = []
        self._loaded_market_ids: frozenset[int] | None = None

        self.markets = Markets(self)
        """Market metadata and prices."""
        self.portfolio = Portfolio(self)
        """Balances, profile address, open orders and positions of a wallet."""
        self.orders = Orders(self)
        """Order status by id."""
        self.history = History(self)
        """Order, trade, funding, transfer and fill history (with paging iterators)."""
        self.payloads = Payloads(self)
        """Unsigned transaction payloads from the "write" endpoints (no account needed)."""

    # -- identity --------------------------------------------------------------------------

    @property
    def wallet_address(self) -> str | None:
        """The wallet this client reads for: the account's address, else ``wallet_address``."""
        return self._wallet_address

    @property
    def has_api_key(self) -> bool:
        """Whether an API key will be sent (the key itself is never exposed or logged)."""
        return bool(self._api_key)

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` has run."""
        return self._state is _State.CLOSED

    def __repr__(self) -> str:
        return (
            f"<KanaClient network={self.network.name!r} wallet={self._wallet_address!r} "
            f"api_key={'set' if self._api_key else 'unset'} state={self._state.value}>"
        )

    # -- lifecycle -------------------------------------------------------------------------

    async def open(self) -> KanaClient:
        """Create the shared HTTP pool and start the background tasks; ``async with`` calls this.

        Nothing is sent: the first request connects.

        Returns:
            The client itself, open.

        Raises:
            ClientStateError: the client is already open, or was closed (a closed client
                cannot be reopened; create a new one).
        """
        if self._state is _State.OPEN:
            raise ClientStateError("this KanaClient is already open")
        if self._state is _State.CLOSED:
            raise ClientStateError("this KanaClient was closed; create a new one")
        client = self._injected_http or build_httpx_client(
            timeout=self._timeout, limits=self._limits
        )
        self._http_client = HttpClient(
            client,
            base_url=self.network.rest_url,
            api_key=self._api_key,
            retry=self._retry,
            rate_limit=self._rate_limit,
            max_in_flight=self._max_in_flight,
            gate=InFlightGate(self._gate_limit()),
        )
        await self._tasks.start()
        self._state = _State.OPEN
        logger.debug("KanaClient opened for %s (%s)", self.network.name, self.network.rest_url)
        return self

    def _gate_limit(self) -> int:
        """Slots of the pool's :class:`InFlightGate`: ``max_in_flight``, within the pool's size.

        More requests in flight than the pool has connections would only queue inside httpcore
        (slowly) and close kept-alive connections to one host to open connections to the other.
        The size of an ``http_client`` passed in is not known, so ``max_in_flight`` applies.
        """
        pool_size = None if self._injected_http is not None else self._limits.max_connections
        if pool_size is None:
            return self._max_in_flight
        return max(1, min(self._max_in_flight, pool_size))

    async def aclose(self) -> None:
        """Run registered cleanups (newest first), then close the HTTP pool. Idempotent.

        An ``httpx.AsyncClient`` passed in as ``http_client`` is left open for its owner. If a
        cleanup fails, the others still run and the first error is raised at the end.

        The trading cleanup waits up to ``kana.trading.close_timeout`` seconds for signed
        transactions whose outcome is not known yet (and logs those still unresolved); stream
        subscriptions are closed; background work still running is cancelled.

        Raises:
            Exception: the first error a registered cleanup raised, once all have run (the
                client is closed all the same).
        """
        if self._state is _State.CLOSED:
            return
        was_open = self._state is _State.OPEN
        self._state = _State.CLOSED
        first_error: BaseException | None = None
        while self._closers:
            closer = self._closers.pop()
            try:
                await closer()
            except Exception as exc:
                logger.warning("cleanup %r failed while closing KanaClient: %s", closer, exc)
                if first_error is None:
                    first_error = exc
        await self._tasks.aclose()
        if was_open and self._http_client is not None and self._injected_http is None:
            await self._http_client.httpx.aclose()
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
        if self._state is _State.CLOSED:
            raise ClientStateError("this KanaClient is closed")
        self._closers.append(callback)

    def _ensure_open(self) -> None:
        """Raise :class:`~kana_async.ClientStateError` unless the client is open."""
        if self._state is _State.NEW:
            raise ClientStateError(
                "KanaClient is not open; use 'async with KanaClient(...) as kana:' "
                "(or 'await kana.open()') before calling it"
            )
        if self._state is _State.CLOSED:
            raise ClientStateError("this KanaClient was closed; create a new one")

    @property
    def _http(self) -> HttpClient:
        """The request path (only while open)."""
        self._ensure_open()
        assert self._http_client is not None
        return self._http_client

    # -- helpers for resources -------------------------------------------------------------

    def _user(self, user_address: str | None) -> str:
        """``user_address`` normalised, else the client's wallet; raise if there is neither."""
        if user_address is not None:
            return normalize_address(user_address, what="user_address")
        if self._wallet_address is None:
            raise InvalidArgumentError(
                "no wallet address: pass user_address=..., or create the client with "
                "account=... or wallet_address=..."
            )
        return self._wallet_address

    def _known_market_ids(self) -> frozenset[int] | None:
        """Market ids to check against: the loaded list, else the network's; ``None`` if unknown."""
        if self._loaded_market_ids is not None:
            return self._loaded_market_ids
        ids = frozenset(self.network.markets.values())
        return ids or None

    def _set_loaded_markets(self, ids: frozenset[int]) -> None:
        if ids:
            self._loaded_market_ids = ids

    # -- resources written elsewhere, built on first use -------------------------------------

    # Imported on first use: those modules pull in aptos-sdk / websockets, which a REST-only
    # user never needs to load.

    @cached_property
    def trading(self) -> Trading:
        """Signed transactions: :class:`~kana_async.resources.trading.Trading`."""
        from kana_async.resources.trading import Trading

        return Trading(self)

    @cached_property
    def streams(self) -> Streams:
        """WebSocket subscriptions (:class:`~kana_async.resources.streams.Streams`)."""
        from kana_async.resources.streams import Streams

        return Streams(self, options=self._stream_options, api_key=self._api_key)


def _wallet_of(account: Signer | None, wallet_address: str | None) -> str | None:
    wallet = None if wallet_address is None else normalize_address(wallet_address, what="wallet")
    if account is None:
        return wallet
    if not isinstance(account, Signer):
        raise ArgumentTypeError("account must provide address, public_key and async sign(message)")
    own = normalize_address(account.address, what="account.address")
    if wallet is not None and wallet != own:
        raise InvalidArgumentError(
            f"wallet_address {wallet} differs from the account's address {own}; pass only one"
        )
    return own
