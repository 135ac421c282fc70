"""Every setting of a :class:`~kana_async.KanaClient` in one frozen record.

:class:`ClientOptions` holds the transport, retry, rate-limit, stream and trading settings;
:class:`TradingOptions` the trading ones inside it. Each setting has one meaning. Both are
frozen: a client's settings never change under it; ``kana.with_options(...)`` gives a client
with other settings that shares the first one's connection pool, account and caches.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal

import httpx

from kana_async._exceptions import ArgumentTypeError, InvalidArgumentError
from kana_async._http import DEFAULT_TIMEOUT, check_transport
from kana_async._retry import RetryPolicy

if TYPE_CHECKING:
    from kana_async._aptos.sender import SendOptions
    from kana_async._streams import StreamOptions

__all__ = [
    "POOL_SETTINGS",
    "SHARED_TRADING_SETTINGS",
    "ClientOptions",
    "TradingOptions",
    "check_seconds",
]

DEFAULT_MAX_CONNECTIONS: Final = 10
DEFAULT_MAX_IN_FLIGHT: Final = 10
#: The longest timeout accepted, in seconds (about 11.6 days): a larger one is surely a mistake
#: (milliseconds?) and overflows the socket and timer calls below the client.
MAX_SECONDS: Final = 10**6
#: The largest count (connections, retries...) and requests-per-second accepted.
_MAX_COUNT: Final = 10**6
#: Gas amounts and prices are u64 fields of the signed transaction. (A node refuses more than
#: its own bounds, e.g. 2,000,000 units, with a typed TransactionRejectedError.)
_MAX_U64: Final = 2**64 - 1
#: An Aptos mempool holds at most 100 sequence-numbered transactions of one account.
_MAX_PENDING: Final = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class TradingOptions:
    """Settings of ``kana.trading`` (signing, submitting and confirming transactions).

    Args:
        max_gas_amount: gas units each transaction may use at most (a u64; a node refuses
            more than its own bound, 2,000,000 on Aptos, when the transaction arrives).
        gas_unit_price: octas per gas unit (a u64); ``None`` for the node's estimate (cached
            briefly).
        expiration_seconds: seconds a signed transaction stays executable.
        confirm_timeout: seconds a trading call waits for the outcome by default (the client
            keeps resolving the transaction after that).
        max_resign: how often a refused sequence number is replaced by a fresh one.
        submit_retries: re-sends of the same signed bytes after a timeout, 429 or 5xx.
        node_timeout: seconds each request to the Aptos node may take.
        close_timeout: seconds ``aclose()`` waits for unresolved transactions before it
            reports them.
        check_position_leverage: read the account's positions before an order that opens one,
            to refuse a leverage that differs from the open position's.
        max_pending_transactions: transactions of the account outstanding at once, at most 100
            (an Aptos mempool parks 100 per account); more wait for earlier ones to commit.

    Durations are positive and at most :data:`MAX_SECONDS`; other counts at most 1,000,000.

    Raises:
        ArgumentTypeError: a count is not an ``int`` or ``check_position_leverage`` not a bool.
        InvalidArgumentError: a count or duration is out of range.
    """

    max_gas_amount: int = 20_000
    gas_unit_price: int | None = None
    expiration_seconds: int = 30
    confirm_timeout: float = 30.0
    max_resign: int = 8
    submit_retries: int = 5
    node_timeout: float = 10.0
    close_timeout: float = 10.0
    check_position_leverage: bool = True
    max_pending_transactions: int = 100

    def __post_init__(self) -> None:
        _count(self.max_gas_amount, "max_gas_amount", 1, _MAX_U64)
        if self.gas_unit_price is not None:
            _count(self.gas_unit_price, "gas_unit_price", 1, _MAX_U64)
        _count(self.expiration_seconds, "expiration_seconds", 1, MAX_SECONDS)
        _count(self.max_resign, "max_resign", 1)
        _count(self.submit_retries, "submit_retries", 0)
        _count(self.max_pending_transactions, "max_pending_transactions", 1, _MAX_PENDING)
        for name in ("confirm_timeout", "node_timeout", "close_timeout"):
            check_seconds(getattr(self, name), name)
        if not isinstance(self.check_position_leverage, bool):
            raise ArgumentTypeError("check_position_leverage must be a bool")

    def send_options(self) -> SendOptions:
        """The gas, expiry and confirmation part, as the transaction sender takes it.

        Returns:
            The :class:`~kana_async._aptos.sender.SendOptions`. Never raises.
        """
        from kana_async._aptos.sender import SendOptions  # aptos-sdk only once trading is used

        return SendOptions(
            max_gas_amount=self.max_gas_amount,
            gas_unit_price=self.gas_unit_price,
            expiration_seconds=self.expiration_seconds,
            confirm_timeout=self.confirm_timeout,
            max_resign=self.max_resign,
        )


#: Settings of the connection pool itself: a client made by ``with_options`` shares the pool,
#: so it cannot have other values for them.
POOL_SETTINGS: Final = frozenset({"limits", "max_connections", "max_in_flight", "transport"})
#: Trading settings of the one sender an account has (its node client, its sequence numbers and
#: the wait on close), shared by every client made by ``with_options``.
SHARED_TRADING_SETTINGS: Final = frozenset(
    {"submit_retries", "node_timeout", "close_timeout", "max_pending_transactions"}
)
_TRADING_FIELDS: Final = frozenset(f.name for f in dataclasses.fields(TradingOptions))


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientOptions:
    """Every setting of a :class:`~kana_async.KanaClient`, frozen.

    ::

        options = ClientOptions(timeout=5, trading=TradingOptions(confirm_timeout=60))
        async with KanaClient(TESTNET, options=options) as kana:
            patient = kana.with_options(timeout=30)   # same pool, other timeout

    Args:
        timeout: each HTTP request to the REST API, in seconds or as an ``httpx.Timeout``
            (connect, read, write and pool separately). An ``httpx.Timeout`` is the pool's
            default and applies only to a pool the client creates; a number also applies to
            each request of a client made by ``with_options``.
        max_connections: size of the connection pool the client creates (REST and node
            requests together); ignored when ``limits`` is given.
        limits: the full ``httpx.Limits`` of the pool the client creates.
        transport: what sends the HTTP requests of the pool the client creates: ``"httpx"``
            (httpx's own connection pool, the default) or ``"aiohttp"`` (aiohttp underneath
            the same ``httpx.AsyncClient`` interface, several times less CPU per request;
            asyncio only; needs the ``aiohttp`` extra). Must be the default with an injected
            ``http_client``.
        max_in_flight: HTTP requests on the wire at once, REST and Aptos node together (never
            more than the pool's connections when the client creates the pool); more wait.
        retry: how REST reads are retried (:class:`~kana_async.RetryPolicy`).
        rate_limit: requests per second the client sends at most on average (bursts of one
            second's worth), shared by its tasks; ``None`` for no limit.
        streams: websocket tuning for ``kana.streams`` (:class:`~kana_async.StreamOptions`);
            ``None`` for the defaults.
        trading: settings of ``kana.trading`` (:class:`TradingOptions`).

    A timeout in seconds is at most :data:`MAX_SECONDS`; counts and ``rate_limit`` at most
    1,000,000.

    Raises:
        ArgumentTypeError: a value has the wrong type.
        InvalidArgumentError: a value is out of range, or ``transport`` is not a known name.
        ImportError: ``transport="aiohttp"`` without the ``aiohttp`` extra installed.
    """

    timeout: float | httpx.Timeout = field(default_factory=lambda: DEFAULT_TIMEOUT)
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    limits: httpx.Limits | None = None
    transport: Literal["httpx", "aiohttp"] = "httpx"
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    rate_limit: float | None = None
    streams: StreamOptions | None = None
    trading: TradingOptions = field(default_factory=TradingOptions)

    def __post_init__(self) -> None:
        if not isinstance(self.timeout, httpx.Timeout):
            check_seconds(self.timeout, "timeout")
        check_transport(self.transport)
        _count(self.max_in_flight, "max_in_flight", 1)
        if self.limits is None:
            _count(self.max_connections, "max_connections", 1)
        elif not isinstance(self.limits, httpx.Limits):
            raise ArgumentTypeError("limits must be an httpx.Limits")
        if not isinstance(self.retry, RetryPolicy):
            raise ArgumentTypeError("retry must be a kana_async.RetryPolicy")
        if self.rate_limit is not None:
            if isinstance(self.rate_limit, bool) or not isinstance(self.rate_limit, int | float):
                raise ArgumentTypeError("rate_limit must be a number of requests per second")
            if not 0 < self.rate_limit <= _MAX_COUNT:
                raise InvalidArgumentError(
                    "rate_limit must be a positive number of requests per second, "
                    f"at most {_MAX_COUNT:,}"
                )
        if not isinstance(self.trading, TradingOptions):
            raise ArgumentTypeError("trading must be a kana_async.TradingOptions")

    @property
    def pool_limits(self) -> httpx.Limits:
        """The ``httpx.Limits`` of a pool the client creates: ``limits``, else
        ``max_connections`` connections (all kept alive). Never raises."""
        if self.limits is not None:
            return self.limits
        return httpx.Limits(
            max_connections=self.max_connections, max_keepalive_connections=self.max_connections
        )

    def replace(self, **changes: Any) -> ClientOptions:
        """A copy with ``changes``, where trading settings may be named directly.

        ``options.replace(timeout=3, confirm_timeout=60)`` sets ``timeout`` and
        ``trading.confirm_timeout``: the keywords are fields of :class:`ClientOptions` or of
        :class:`TradingOptions`.

        Returns:
            The new options (checked like new ones).

        Raises:
            InvalidArgumentError: a name is neither, or a value is out of range.
            ArgumentTypeError: a value has the wrong type.
        """
        own = {f.name for f in dataclasses.fields(ClientOptions)}
        unknown = sorted(set(changes) - own - _TRADING_FIELDS)
        if unknown:
            raise InvalidArgumentError(f"unknown client option(s): {', '.join(unknown)}")
        trading_changes = {k: v for k, v in changes.items() if k in _TRADING_FIELDS}
        client_changes = {k: v for k, v in changes.items() if k in own}
        trading = client_changes.pop("trading", self.trading)
        if trading_changes:
            if not isinstance(trading, TradingOptions):
                raise ArgumentTypeError("trading must be a kana_async.TradingOptions")
            trading = dataclasses.replace(trading, **trading_changes)
        return dataclasses.replace(self, trading=trading, **client_changes)


def _count(value: object, name: str, minimum: int, maximum: int = _MAX_COUNT) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentTypeError(f"{name} must be an int")
    if value < minimum:
        raise InvalidArgumentError(f"{name} must be at least {minimum}")
    if value > maximum:
        raise InvalidArgumentError(f"{name} must be at most {maximum:,}")


def check_seconds(value: object, name: str) -> None:
    """Check that ``value`` is a positive number of seconds.

    Args:
        value: the value to check.
        name: the setting's name, for the message.

    Raises:
        ArgumentTypeError: it is not an ``int`` or ``float``.
        InvalidArgumentError: it is not positive, or above :data:`MAX_SECONDS`.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ArgumentTypeError(f"{name} must be a number of seconds")
    if value > MAX_SECONDS:  # also infinity; a huge int is compared exactly, without float()
        raise InvalidArgumentError(f"{name} must be at most {MAX_SECONDS:,} seconds")
    if not value > 0:
        raise InvalidArgumentError(f"{name} must be a positive number of seconds")
