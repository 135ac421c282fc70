"""Every error kana_async raises.

One tree, rooted at :class:`KanaError`, so ``except KanaError`` catches anything the SDK raised::

    KanaError
    ├── InvalidArgumentError (ValueError)      bad input, caught before any I/O
    │   ├── InvalidAddressError                not a 0x-prefixed hex Aptos address
    │   ├── UnknownMarketError                 market id not in the known market list
    │   │   └── UnknownSymbolError (KeyError)  market symbol not on the network
    │   └── PrecisionError                     price/size off the market's tick or lot
    ├── ArgumentTypeError (TypeError)          wrong Python type (e.g. float for money)
    ├── ClientStateError (RuntimeError)        client used before ``async with`` / after close
    ├── APIError                               the Kana REST API answered, but not with data
    │   ├── APIStatusError                     non-2xx HTTP status
    │   │   ├── BadRequestError                400
    │   │   ├── AuthenticationError            401
    │   │   ├── PermissionDeniedError          403
    │   │   ├── NotFoundError                  404
    │   │   ├── RateLimitError                 429 (``retry_after`` seconds, if sent)
    │   │   └── ServerError                    5xx
    │   ├── UnsuccessfulResponseError          2xx with ``success: false``
    │   └── ResponseDecodeError                malformed JSON or an unexpected shape
    ├── TransportError                         the request never got an answer
    │   ├── ConnectError                       connection refused / DNS / TLS
    │   └── RequestTimeoutError (TimeoutError) no answer within the timeout
    ├── TransactionError                       an Aptos transaction did not succeed
    │   ├── TransactionRejectedError           definitely not executed as wanted
    │   │   │                                  (node refused it, or it aborted on chain)
    │   │   └── MoveAbortError                 committed with ``success: false``; Kana abort code
    │   └── OutcomeUnknownError                signed bytes left; we lost sight of them (``hash``)
    └── StreamError                            websocket subscriptions
        ├── SlowConsumerError                  an event-topic subscriber fell behind; data lost
        ├── SubscriptionClosedError            the subscription or its client was closed
        ├── StreamHandshakeRefusedError        the server refused the websocket for good (401...)
        ├── ConcurrentReadError                a second task read one subscription at once
        └── StreamTaskError                    a background task of the stream crashed

``str(exc)`` is always a readable sentence. Status errors keep ``status_code``, ``message`` (the
server's own text when it sent one) and ``body``; transaction errors keep the transaction ``hash``.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "APIError",
    "APIStatusError",
    "ArgumentTypeError",
    "AuthenticationError",
    "BadRequestError",
    "ClientStateError",
    "ConcurrentReadError",
    "ConnectError",
    "InvalidAddressError",
    "InvalidArgumentError",
    "KanaError",
    "MoveAbortError",
    "NotFoundError",
    "OutcomeUnknownError",
    "PermissionDeniedError",
    "PrecisionError",
    "RateLimitError",
    "RequestTimeoutError",
    "ResponseDecodeError",
    "ServerError",
    "SlowConsumerError",
    "StreamError",
    "StreamHandshakeRefusedError",
    "StreamTaskError",
    "SubscriptionClosedError",
    "TransactionError",
    "TransactionRejectedError",
    "TransportError",
    "UnknownMarketError",
    "UnknownSymbolError",
    "UnsuccessfulResponseError",
]


class KanaError(Exception):
    """Base class of every error raised by kana_async."""


# -- bad input -------------------------------------------------------------------------------


class InvalidArgumentError(KanaError, ValueError):
    """An argument has the right type but an unusable value; nothing was sent."""


class InvalidAddressError(InvalidArgumentError):
    """A string is not an Aptos address (``0x`` followed by 1 to 64 hex digits)."""


class UnknownMarketError(InvalidArgumentError):
    """A market id is not among the markets the exchange lists."""


class UnknownSymbolError(UnknownMarketError, KeyError):
    """A market symbol is not among a network's markets; also a ``KeyError`` (what a symbol
    look-up raised before), so code that catches either keeps working."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class PrecisionError(InvalidArgumentError):
    """A price or size is not a multiple of the market's tick or lot; nothing was sent.

    Args:
        message: the readable sentence ``str(exc)`` shows.
        nearest: the valid values either side of the one given (human units, ``Decimal``), so
            the caller can pick one; empty when there are none to offer.

    Attributes:
        nearest: as above.
    """

    def __init__(self, message: str, *, nearest: tuple[Any, ...] = ()) -> None:
        super().__init__(message)
        self.nearest = nearest


class ArgumentTypeError(KanaError, TypeError):
    """An argument has the wrong type (for example a ``float`` where money is expected)."""


class ClientStateError(KanaError, RuntimeError):
    """The client was used before ``async with`` opened it, or after it was closed."""


# -- REST API --------------------------------------------------------------------------------


class APIError(KanaError):
    """The Kana REST API answered, but the answer was not usable data.

    ``str(exc)`` reads ``"HTTP <status>: <message> (<method> <url>)"`` (the parts known).

    Args:
        message: the server's own message when it sent one, else a readable default.
        method: the HTTP method of the request, e.g. ``"GET"``.
        url: the URL requested.
        status_code: the HTTP status, or ``None`` when not relevant.
        body: the raw body of the answer, when there was one.

    Attributes:
        message: as above.
        method: as above.
        url: as above.
        status_code: as above.
        body: as above.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        url: str = "",
        status_code: int | None = None,
        body: bytes | None = None,
    ) -> None:
        self.message = message
        self.method = method
        self.url = url
        self.status_code = status_code
        self.body = body
        where = f" ({method} {url})" if method else ""
        status = f"HTTP {status_code}: " if status_code is not None else ""
        super().__init__(f"{status}{message}{where}")


class APIStatusError(APIError):
    """The server answered with a non-2xx HTTP status."""


class BadRequestError(APIStatusError):
    """HTTP 400: the server rejected a parameter; ``message`` names it."""


class AuthenticationError(APIStatusError):
    """HTTP 401: missing or invalid API key (set ``api_key=`` or ``KANA_API_KEY``)."""


class PermissionDeniedError(APIStatusError):
    """HTTP 403: the API key is not allowed to call this endpoint."""


class NotFoundError(APIStatusError):
    """HTTP 404: unknown path or resource."""


class RateLimitError(APIStatusError):
    """HTTP 429: too many requests.

    Args:
        message: the server's message, or a readable default.
        retry_after: the server's ``Retry-After`` hint in seconds, or ``None`` if it sent none
            (or one that could not be read).

    Attributes:
        retry_after: as above.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServerError(APIStatusError):
    """HTTP 5xx: the server failed."""


class UnsuccessfulResponseError(APIError):
    """The server answered 2xx with ``"success": false``; ``message`` is its reason."""


class ResponseDecodeError(APIError):
    """The body was not JSON, or not the documented shape."""


# -- transport -------------------------------------------------------------------------------


class TransportError(KanaError):
    """No answer was received (connection failed or timed out)."""


class ConnectError(TransportError):
    """The connection could not be established (refused, DNS, TLS)."""


class RequestTimeoutError(TransportError, TimeoutError):
    """No complete answer arrived within the configured timeout."""


# -- transactions ----------------------------------------------------------------------------


class TransactionError(KanaError):
    """An Aptos transaction did not succeed.

    Args:
        message: the readable sentence ``str(exc)`` shows.
        hash: the transaction's hash once it was signed (``0x`` + 64 hex digits), else
            ``None``.

    Attributes:
        hash: as above.
    """

    def __init__(self, message: str, *, hash: str | None = None) -> None:
        super().__init__(message)
        self.hash = hash


class TransactionRejectedError(TransactionError):
    """The transaction definitely did not do what was asked: the node refused it, or it aborted.

    Args:
        message: the readable sentence ``str(exc)`` shows.
        hash: the transaction's hash once it was signed, else ``None``.
        vm_status: the node's ``vm_status`` text, when it gave one.
        error_code: the node's error code (e.g. ``"invalid_transaction_update"``), when it
            gave one.

    Attributes:
        vm_status: as above.
        error_code: as above.
    """

    def __init__(
        self,
        message: str,
        *,
        hash: str | None = None,
        vm_status: str | None = None,
        error_code: str | None = None,
    ) -> None:
        super().__init__(message, hash=hash)
        self.vm_status = vm_status
        self.error_code = error_code


class MoveAbortError(TransactionRejectedError):
    """The transaction was committed with ``success: false`` because a Move function aborted.

    The gas was spent and the sequence number used; nothing else changed.

    Args:
        message: the readable sentence ``str(exc)`` shows.
        hash: the transaction's hash.
        vm_status: the node's ``vm_status`` text, e.g. ``"Move abort in 0x…::perpetual_core:
            E_INVALID_LEVERAGE(0x3ee)"``.
        abort_code: the numeric abort code, e.g. ``1006``.
        code_name: Kana's constant for the code (e.g. ``"E_INVALID_LEVERAGE"`` for 1006,
            ``"E_INSUFFICIENT_LIQUIDITY_IN_ORDERBOOK"`` for 1007), or ``None`` when unknown.
        version: the ledger version the transaction was committed at.

    Attributes:
        abort_code: as above.
        code_name: as above.
        version: as above.
    """

    def __init__(
        self,
        message: str,
        *,
        hash: str | None = None,
        vm_status: str | None = None,
        abort_code: int | None = None,
        code_name: str | None = None,
        version: int | None = None,
    ) -> None:
        super().__init__(message, hash=hash, vm_status=vm_status)
        self.abort_code = abort_code
        self.code_name = code_name
        self.version = version


class OutcomeUnknownError(TransactionError):
    """The signed transaction may or may not have been executed.

    It left this process but no final answer came back (timeout, lost connection). Look it up by
    ``hash`` before doing anything that could place the same order twice.
    """


# -- streams ---------------------------------------------------------------------------------


class StreamError(KanaError):
    """A websocket subscription failed."""


class SlowConsumerError(StreamError):
    """An event-topic subscriber did not keep up; its buffer overflowed and events were lost.

    Raised by the subscription's iterator after the subscriber has drained what was buffered.
    Resync over REST and subscribe again (or read faster, or raise ``buffer_size``).

    Args:
        message: the readable sentence ``str(exc)`` shows.
        dropped: how many frames were lost.

    Attributes:
        dropped: as above.
    """

    def __init__(self, message: str, *, dropped: int = 0) -> None:
        super().__init__(message)
        self.dropped = dropped


class SubscriptionClosedError(StreamError):
    """The subscription, or the client that owns it, was closed."""


class StreamHandshakeRefusedError(StreamError):
    """The websocket server refused the connection in a way retrying will not change.

    Raised from every subscription of the connection: the handshake was answered with an HTTP
    status such as 401 (missing or wrong API key), 403 or 404 (wrong URL), or the URL itself is
    malformed. Transient failures (refused TCP, timeouts, 5xx) are retried instead.

    Args:
        message: the readable sentence ``str(exc)`` shows.
        status_code: the HTTP status of the refusal, ``None`` when no answer was involved (a
            malformed URL).

    Attributes:
        status_code: as above.
    """

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class ConcurrentReadError(StreamError):
    """A second task read a subscription while another task was already waiting on it.

    One subscription has one reader; for several readers, open one subscription each (they
    share the wire subscription).
    """


class StreamTaskError(StreamError):
    """A background task of the websocket stream (reader, keepalive, watchdog) crashed.

    Raised from the subscriptions the task served; the original error is its ``__cause__`` and
    was logged at ERROR.
    """
