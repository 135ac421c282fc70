"""kana_async: the asyncio-native SDK for Kana Perps (perpetual futures on Aptos).

::

    import kana_async

    async with kana_async.KanaClient(kana_async.TESTNET, wallet_address="0x…") as kana:
        price = await kana.markets.price(1338)

One :class:`KanaClient` per network and account holds the resources: ``kana.markets``,
``kana.portfolio``, ``kana.orders`` and ``kana.history`` (REST reads), ``kana.payloads``
(unsigned transaction payloads), ``kana.trading`` (signed and submitted transactions, needs
``account=``) and ``kana.streams`` (websocket subscriptions). Each method's docstring names the
REST path it calls, its arguments' units, what it returns and what it raises.

Units: prices, sizes and amounts are human units as :class:`~decimal.Decimal` (prices in quote
currency per unit of base asset, sizes in the base asset, amounts in the collateral stablecoin);
a ``float`` is refused wherever money is passed in. Market parameters
(:class:`MarketInfo`) and transaction payloads are on-chain integers (lots, ticks, collateral
units). u128 order ids are exact decimal strings (or ``int``), never ``float``. Timestamps are
Unix time in seconds unless a name says otherwise (``timestamp_usec``).

Errors: what the SDK raises derives from :class:`KanaError` (bad input, HTTP and transport
failures, failed transactions, stream failures); each method's ``Raises:`` section lists what
it can raise.

Everything public is re-exported here; the modules themselves are private. ``import kana_async``
loads the REST client; the stream classes (and websockets), :class:`Account` (and aptos-sdk), the
models and the rest load when first read, so a REST-only program never imports them.
"""

from __future__ import annotations

import typing

from kana_async import models as _models

# Loaded with the package: the client and what building one needs (its settings, the networks
# and the errors every call can raise). Everything else below loads on first use.
from kana_async._address import is_address, normalize_address
from kana_async._client import KanaClient
from kana_async._config import MAINNET, TESTNET, Network

# Errors
from kana_async._exceptions import (
    APIError,
    APIStatusError,
    ArgumentTypeError,
    AuthenticationError,
    BadRequestError,
    ClientStateError,
    ConcurrentReadError,
    ConnectError,
    InvalidAddressError,
    InvalidArgumentError,
    KanaError,
    MoveAbortError,
    NotFoundError,
    OutcomeUnknownError,
    PermissionDeniedError,
    PrecisionError,
    RateLimitError,
    RequestTimeoutError,
    ResponseDecodeError,
    ServerError,
    SlowConsumerError,
    StreamError,
    StreamHandshakeRefusedError,
    StreamTaskError,
    SubscriptionClosedError,
    TransactionError,
    TransactionRejectedError,
    TransportError,
    UnknownMarketError,
    UnknownSymbolError,
    UnsuccessfulResponseError,
)
from kana_async._http import SDK_VERSION as __version__
from kana_async._lazy import lazy_exports as _lazy_exports
from kana_async._options import ClientOptions, TradingOptions
from kana_async._retry import NO_RETRY, RetryPolicy

if typing.TYPE_CHECKING:
    # What type checkers see; at run time these names load on first use (see _LAZY).
    from kana_async._aptos.signer import Signer
    from kana_async._aptos.signing import Account
    from kana_async._pagination import PageIterator
    from kana_async._streams import (
        ConnectionState,
        OverflowPolicy,
        StreamOptions,
        StreamStatistics,
        Subscription,
        SubscriptionStatistics,
    )
    from kana_async.models import (
        BestPrice,
        Direction,
        FundingEntry,
        FundingRate,
        MarketInfo,
        MarketPrice,
        OpenOrder,
        OrderBook,
        OrderBookLevel,
        OrderCancelled,
        OrderFilled,
        OrderHistoryEntry,
        OrderPlaced,
        OrderStatus,
        OrderStatusInfo,
        OrderType,
        PendingTransaction,
        Position,
        Reconnected,
        Restriction,
        Side,
        Trade,
        TransactionEvents,
        TransactionOutcome,
        TransactionPayload,
        TransactionResult,
        Transfer,
        UnresolvedTransaction,
    )
    from kana_async.models.requests import OrderRequest

#: The module each name loaded on first use comes from: the streams (and websockets) on the
#: first stream class, aptos-sdk on the first ``Account``, the models with the first of them.
_LAZY: dict[str, str] = {
    "Signer": "kana_async._aptos.signer",
    "Account": "kana_async._aptos.signing",
    "PageIterator": "kana_async._pagination",
    **dict.fromkeys(
        (
            "ConnectionState",
            "OverflowPolicy",
            "StreamOptions",
            "StreamStatistics",
            "Subscription",
            "SubscriptionStatistics",
        ),
        "kana_async._streams",
    ),
    # every model, as the models package lists them (it loads each on first use too)
    **dict.fromkeys(_models.__all__, "kana_async.models"),
    "OrderRequest": "kana_async.models.requests",
}


# Run time only: type checkers see the names imported above and still flag unknown ones.
if not typing.TYPE_CHECKING:
    __getattr__, __dir__ = _lazy_exports(__name__, globals(), _LAZY)


# Keep sorted; tests/test_public_api.py checks it is complete and sorted.
__all__ = [
    "MAINNET",
    "NO_RETRY",
    "TESTNET",
    "APIError",
    "APIStatusError",
    "Account",
    "ArgumentTypeError",
    "AuthenticationError",
    "BadRequestError",
    "BestPrice",
    "ClientOptions",
    "ClientStateError",
    "ConcurrentReadError",
    "ConnectError",
    "ConnectionState",
    "Direction",
    "FundingEntry",
    "FundingRate",
    "InvalidAddressError",
    "InvalidArgumentError",
    "KanaClient",
    "KanaError",
    "MarketInfo",
    "MarketPrice",
    "MoveAbortError",
    "Network",
    "NotFoundError",
    "OpenOrder",
    "OrderBook",
    "OrderBookLevel",
    "OrderCancelled",
    "OrderFilled",
    "OrderHistoryEntry",
    "OrderPlaced",
    "OrderRequest",
    "OrderStatus",
    "OrderStatusInfo",
    "OrderType",
    "OutcomeUnknownError",
    "OverflowPolicy",
    "PageIterator",
    "PendingTransaction",
    "PermissionDeniedError",
    "Position",
    "PrecisionError",
    "RateLimitError",
    "Reconnected",
    "RequestTimeoutError",
    "ResponseDecodeError",
    "Restriction",
    "RetryPolicy",
    "ServerError",
    "Side",
    "Signer",
    "SlowConsumerError",
    "StreamError",
    "StreamHandshakeRefusedError",
    "StreamOptions",
    "StreamStatistics",
    "StreamTaskError",
    "Subscription",
    "SubscriptionClosedError",
    "SubscriptionStatistics",
    "Trade",
    "TradingOptions",
    "TransactionError",
    "TransactionEvents",
    "TransactionOutcome",
    "TransactionPayload",
    "TransactionRejectedError",
    "TransactionResult",
    "Transfer",
    "TransportError",
    "UnknownMarketError",
    "UnknownSymbolError",
    "UnresolvedTransaction",
    "UnsuccessfulResponseError",
    "__version__",
    "is_address",
    "normalize_address",
]
