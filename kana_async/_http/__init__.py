"""The single request path to the Kana REST API, and the only module that knows httpx's errors.

Every call goes: build the request → client-side rate limit (optional, shared by all tasks) →
in-flight limit (the pool's :class:`InFlightGate`; httpcore gets slow with many queued
requests) → send → on a
retryable failure of a *read*, wait and go again → map the HTTP status to an exception
(:func:`raise_for_status`, the one place that does it) → check the envelope's ``success`` flag →
decode ``data`` into the endpoint's type.

The Aptos node client (:mod:`kana_async._aptos.node`) shares the pool through the lower layer:
:func:`send_raw` sends one request and translates httpx's exceptions into ours (keeping, for
:func:`may_have_reached_server`, whether the request may have reached the server), and
:class:`RawResponse` is what comes back; its status goes through the same
:func:`raise_for_status`. Both clients take their turn at the same :class:`InFlightGate`, so the
REST calls and the node calls *together* never put more requests on the pool than it has
connections: requests never queue inside httpcore (whose pool rescans every connection for every
queued request) and a request for one host never has to close a kept-alive connection to the
other host to get a connection of its own.

:func:`make_client` builds the pool on one of two transports, httpx's own (the default) or
aiohttp's (the ``aiohttp`` extra). Either reports, per request, whether it had started to send the
request on a connection (:mod:`kana_async._http.progress`): that, not the exception's class,
decides whether a failure "may have reached the server". Requests on the pools the SDK builds go
straight to httpx's transport, past its auth/redirect/cookie layer (:mod:`kana_async._http.direct`);
a pool passed in as ``http_client`` gets ``pool.request`` and the exception-class rules.
"""

from typing import TYPE_CHECKING

from kana_async._http.client import HttpClient
from kana_async._http.factory import TRANSPORTS, HttpTransport, check_transport, make_client
from kana_async._http.gate import InFlightGate
from kana_async._http.transport import (
    DEFAULT_TIMEOUT,
    SDK_VERSION,
    USER_AGENT,
    Pool,
    RawResponse,
    classify,
    may_have_reached_server,
    raise_for_status,
    send_raw,
)
from kana_async._lazy import lazy_exports as _lazy_exports

if TYPE_CHECKING:
    from kana_async._http.probe import (
        ProbeCachingBackend,
        build_httpx_client,
        use_probe_caching_backend,
    )

# httpx's own pool (and httpcore under it) loads when the first pool is built, not on import.
_LAZY: dict[str, str] = dict.fromkeys(
    ("ProbeCachingBackend", "build_httpx_client", "use_probe_caching_backend"),
    "kana_async._http.probe",
)

# Run time only: type checkers see the names imported above and still flag unknown ones.
if not TYPE_CHECKING:
    __getattr__, __dir__ = _lazy_exports(__name__, globals(), _LAZY)

__all__ = [
    "DEFAULT_TIMEOUT",
    "SDK_VERSION",
    "TRANSPORTS",
    "USER_AGENT",
    "HttpClient",
    "HttpTransport",
    "InFlightGate",
    "Pool",
    "ProbeCachingBackend",
    "RawResponse",
    "build_httpx_client",
    "check_transport",
    "classify",
    "make_client",
    "may_have_reached_server",
    "raise_for_status",
    "send_raw",
    "use_probe_caching_backend",
]
