"""What resources get from their client: a small context instead of the client's private parts.

:class:`SharedState` is what a :class:`~kana_async.KanaClient` and every client made from it by
``with_options`` share: the connection pool and its in-flight gate, the task group, the account,
the lifecycle, the caches and the trading state (sequence numbers, unresolved transactions,
known orders). :class:`ClientContext` is one client's view of it: the shared state plus that
client's :class:`~kana_async.ClientOptions` and the REST request path built for them.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from kana_async._address import normalize_address
from kana_async._api_key import check_api_key
from kana_async._background import BackgroundTasks
from kana_async._config import Network
from kana_async._exceptions import ClientStateError, InvalidArgumentError
from kana_async._http import HttpClient, InFlightGate, Pool, make_client
from kana_async._options import (
    POOL_SETTINGS,
    SHARED_TRADING_SETTINGS,
    ClientOptions,
    check_seconds,
)
from kana_async._ratelimit import RateLimiter
from kana_async._secret import Secret
from kana_async.resources._base import SingleFlightCache

if TYPE_CHECKING:
    from anyio.abc import TaskGroup

    from kana_async._aptos.signer import Signer
    from kana_async._client import KanaClient
    from kana_async.models.markets import MarketInfo

__all__ = ["ClientContext", "ClientState", "Closer", "SharedState"]

log = logging.getLogger("kana_async")

#: An async cleanup run when the client closes.
Closer = Callable[[], Awaitable[object]]


class ClientState(enum.Enum):
    """Where a client is in its life.

    Attributes:
        NEW: not opened yet.
        OPEN: between ``open()`` and ``aclose()``.
        CLOSED: closed for good (a client is never reopened).
    """

    NEW = "new"
    OPEN = "open"
    CLOSED = "closed"


class SharedState:
    """What a client and the clients made from it by ``with_options`` share.

    Args:
        network: where the exchange lives.
        account: the signer, or ``None``.
        wallet_address: the normalised wallet to read for, or ``None``.
        api_key: sent as ``x-api-key``: a :class:`Secret` holding the key as given (``None``
            or ``""`` for none); checked, and kept as a ``Secret[str]``.
        http_client: an injected ``httpx.AsyncClient`` (its owner closes it), or ``None`` to
            build the pool on the first request.
        options: the first client's options (the pool is built from them).

    Raises:
        ArgumentTypeError: ``api_key`` is not a ``str``.
        InvalidArgumentError: ``api_key`` is too long or not visible ASCII.
    """

    def __init__(
        self,
        network: Network,
        *,
        account: Signer | None,
        wallet_address: str | None,
        api_key: Secret[Any],
        http_client: Pool | None,
        options: ClientOptions,
    ) -> None:
        self.network = network
        self.account = account
        self.wallet_address = wallet_address
        self.api_key: Secret[str] | None = check_api_key(api_key)
        self.injected_http = http_client
        self.root_options = options
        self.state = ClientState.NEW
        self.pool: Pool | None = None
        self.gate: InFlightGate | None = None
        self.tasks = BackgroundTasks()
        self.closers: list[Closer] = []
        self.limiters: dict[float, RateLimiter] = {}
        self.loaded_market_ids: frozenset[int] | None = None
        self.market_info: SingleFlightCache[int, MarketInfo] = SingleFlightCache()
        self.profiles: SingleFlightCache[str, str] = SingleFlightCache()
        self.trading: Any = None  # the trading state, made on first use by kana.trading
        self.streams: Any = None  # kana.streams with the first client's stream settings

    def limiter(self, rate: float | None) -> RateLimiter | None:
        """The one rate limiter of ``rate`` requests per second (shared by the clients that
        have that rate), or ``None`` for no limit. Never raises.

        Args:
            rate: requests per second, or ``None``.

        Returns:
            The limiter, or ``None``.
        """
        if rate is None:
            return None
        found = self.limiters.get(rate)
        if found is None:
            found = self.limiters[rate] = RateLimiter(rate)
        return found


class ClientContext:
    """One client's view of the shared state, with that client's options.

    Args:
        shared: the state shared with the related clients.
        options: this client's settings.
        client: the client itself (resources use each other through its public API).

    Raises:
        InvalidArgumentError: ``options`` ask for what the shared pool cannot do (an
            ``httpx.Timeout`` other than the pool's; see :meth:`check_options`).
    """

    def __init__(self, shared: SharedState, options: ClientOptions, client: KanaClient) -> None:
        check_options(shared, options)
        self.shared = shared
        self.options = options
        self.client = client
        self._http: HttpClient | None = None

    # -- identity ----------------------------------------------------------------------------

    @property
    def network(self) -> Network:
        """Where the exchange lives."""
        return self.shared.network

    @property
    def account(self) -> Signer | None:
        """The signer for transactions, or ``None``."""
        return self.shared.account

    def user(self, user_address: str | None) -> str:
        """``user_address`` normalised, else the client's wallet.

        Args:
            user_address: a wallet address, or ``None`` for the client's own.

        Returns:
            The normalised address.

        Raises:
            InvalidArgumentError: ``user_address`` is not an address, or it is ``None`` and the
                client has no wallet.
        """
        if user_address is not None:
            return normalize_address(user_address, what="user_address")
        wallet = self.shared.wallet_address
        if wallet is None:
            raise InvalidArgumentError(
                "no wallet address: pass user_address=..., or create the client with "
                "account=... or wallet_address=..."
            )
        return wallet

    # -- markets known ---------------------------------------------------------------------

    def known_market_ids(self) -> frozenset[int] | None:
        """Market ids to check against: the loaded list, else the network's. Never raises.

        Returns:
            The ids, or ``None`` when no list is known (ids are not checked then).
        """
        if self.shared.loaded_market_ids is not None:
            return self.shared.loaded_market_ids
        ids = frozenset(self.shared.network.markets.values())
        return ids or None

    def set_loaded_markets(self, ids: frozenset[int]) -> None:
        """Remember the exchange's market list (an empty one is ignored). Never raises.

        Args:
            ids: every market id the exchange listed.
        """
        if ids:
            self.shared.loaded_market_ids = ids

    # -- lifecycle ---------------------------------------------------------------------------

    def ensure_open(self) -> None:
        """Check the client is open.

        Raises:
            ClientStateError: it is not open yet, or it was closed.
        """
        state = self.shared.state
        if state is ClientState.NEW:
            raise ClientStateError(
                "KanaClient is not open; use 'async with KanaClient(...) as kana:' "
                "(or 'await kana.open()') before calling it"
            )
        if state is ClientState.CLOSED:
            raise ClientStateError("this KanaClient was closed; create a new one")

    def on_close(self, callback: Closer) -> None:
        """Register an async cleanup run by ``aclose()`` (last registered runs first).

        Args:
            callback: the coroutine function to call.

        Raises:
            ClientStateError: the client is closed.
        """
        if self.shared.state is ClientState.CLOSED:
            raise ClientStateError("this KanaClient is closed")
        self.shared.closers.append(callback)

    @property
    def tasks(self) -> BackgroundTasks:
        """The client's background work (one anyio task group, cancelled by ``aclose()``)."""
        return self.shared.tasks

    @property
    def task_group(self) -> TaskGroup:
        """The client's anyio task group, for components that run their own tasks in it.

        Raises:
            ClientStateError: the client is not open.
        """
        self.ensure_open()
        return self.shared.tasks.task_group

    @property
    def http(self) -> HttpClient:
        """The REST request path with this client's retry, rate limit and timeout.

        The first use by any of the related clients builds the shared pool (a client that only
        streams never builds one).

        Raises:
            ClientStateError: the client is not open.
            ImportError: ``transport="aiohttp"`` and the ``aiohttp`` extra cannot be imported.
        """
        self.ensure_open()
        if self._http is None:
            shared = self.shared
            if shared.pool is None:  # the first request of any of the related clients
                options = shared.root_options
                shared.pool = shared.injected_http or make_client(
                    options.transport, timeout=options.timeout, limits=options.pool_limits
                )
            assert shared.gate is not None
            timeout = self.options.timeout
            self._http = HttpClient(
                shared.pool,
                base_url=shared.network.rest_url,
                api_key=shared.api_key,
                retry=self.options.retry,
                gate=shared.gate,
                limiter=shared.limiter(self.options.rate_limit),
                timeout=_per_request_timeout(shared, timeout),
            )
        return self._http

    def http_with_timeout(self, timeout: float) -> HttpClient:
        """The REST request path of :attr:`http` with ``timeout`` seconds for each request.

        Args:
            timeout: seconds each request may take.

        Returns:
            A request path over the same pool, gate, retry policy and rate limit.

        Raises:
            ClientStateError: the client is not open.
            ArgumentTypeError: ``timeout`` is not a number.
            InvalidArgumentError: ``timeout`` is not positive.
        """
        check_seconds(timeout, "timeout")
        base = self.http
        return HttpClient(
            base.httpx,
            base_url=self.shared.network.rest_url,
            api_key=self.shared.api_key,
            retry=self.options.retry,
            gate=base.gate,
            limiter=self.shared.limiter(self.options.rate_limit),
            timeout=float(timeout),
        )


def check_options(shared: SharedState, options: ClientOptions) -> None:
    """Refuse options the shared pool cannot honour.

    A client made by ``with_options`` shares the pool, so pool settings stay those of the
    first client; a timeout given as an ``httpx.Timeout`` is the pool's own. An injected
    ``http_client`` is configured by its owner: ``limits``, ``max_connections`` and an
    ``httpx.Timeout`` and a ``transport`` other than ``"httpx"`` cannot apply to it (a timeout
    in seconds can: it is sent per request).

    Args:
        shared: the shared state.
        options: the options to check.

    Raises:
        InvalidArgumentError: an option cannot apply; the message names it.
    """
    root = shared.root_options
    if options is not root:
        changed = [n for n in sorted(POOL_SETTINGS) if getattr(options, n) != getattr(root, n)]
        changed += [
            name
            for name in sorted(SHARED_TRADING_SETTINGS)
            if getattr(options.trading, name) != getattr(root.trading, name)
        ]
        if changed:
            raise InvalidArgumentError(
                f"with_options cannot change {', '.join(changed)}: a client made by "
                "with_options shares the pool and the account's sender; create a new KanaClient"
            )
        if _is_pool_timeout(options.timeout) and options.timeout != root.timeout:
            raise InvalidArgumentError(
                "with_options(timeout=...) takes seconds: an httpx.Timeout is the pool's own"
            )
    if shared.injected_http is not None:
        defaults = ClientOptions()
        wrong = [
            name
            for name in ("limits", "max_connections", "transport")
            if getattr(options, name) != getattr(defaults, name)
        ]
        if _is_pool_timeout(options.timeout) and options.timeout != defaults.timeout:
            wrong.append("timeout (as an httpx.Timeout)")
        if wrong:
            raise InvalidArgumentError(
                f"{', '.join(wrong)} cannot apply to an http_client you pass in: configure "
                "that httpx.AsyncClient itself (a timeout in seconds is sent per request)"
            )


def _per_request_timeout(shared: SharedState, timeout: object) -> float | None:
    """Seconds to send with each request, or ``None`` where the pool's own timeout applies."""
    if _is_pool_timeout(timeout) or not isinstance(timeout, int | float):
        return None  # an httpx.Timeout: the pool was built with it (checked by check_options)
    if shared.injected_http is None and timeout == shared.root_options.timeout:
        return None
    return float(timeout)


def _is_pool_timeout(timeout: object) -> bool:
    """Whether ``timeout`` is an ``httpx.Timeout`` (not a number of seconds)."""
    return isinstance(timeout, bool) or not isinstance(timeout, int | float)
