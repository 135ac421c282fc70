"""The REST application: routes, the fault / API-key / error middleware and reply envelopes."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from typing import Any

from aiohttp import web

from kana_async.sim import wire
from kana_async.sim.accounts import ProfileDirectory
from kana_async.sim.engine import Exchange
from kana_async.sim.faults import Faults
from kana_async.sim.latency import LatencyModel, Middleware, latency_middleware
from kana_async.sim.wire import WireError

from .body import read_json_object
from .params import Params
from .reads import ACCOUNT_LISTS, ReadApi, Reply
from .writes import GET_WRITES, POST_WRITES

__all__ = ["build_rest_app", "error_response", "log_requests"]

log = logging.getLogger("kana_async.sim")
#: One INFO line per HTTP request (``kana-async sim -v`` shows them).
request_log = logging.getLogger("kana_async.sim.requests")

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_Endpoint = Callable[[Params], Reply]


@web.middleware
async def log_requests(request: web.Request, handler: _Handler) -> web.StreamResponse:
    """Log ``METHOD path?query status duration`` at INFO once the handler has answered.

    Costs one level check per request when INFO is off. A websocket upgrade is logged when the
    connection ends; a handler that raises is logged with status 500 and the error re-raised.
    """
    if not request_log.isEnabledFor(logging.INFO):
        return await handler(request)
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        elapsed_ms = (time.perf_counter() - started) * 1000
        request_log.info(
            "%s %s %s %s %.1fms", request.host, request.method, request.path_qs, status, elapsed_ms
        )


class _RestApp:
    """Request plumbing over one exchange; see :func:`build_rest_app`."""

    def __init__(
        self, exchange: Exchange, faults: Faults, directory: ProfileDirectory, api_key: str | None
    ) -> None:
        self.ex = exchange
        self.faults = faults
        self.directory = directory
        self.api_key = api_key

    @web.middleware
    async def middleware(self, request: web.Request, handler: _Handler) -> web.StreamResponse:
        """Faults, API key, and the error envelope around every handler."""
        faults = self.faults
        if faults.rest_delay > 0:
            await asyncio.sleep(faults.rest_delay)
        if faults.rest_429 > 0 and faults.take("rest_429"):
            retry_after = wire.human(Decimal(repr(float(faults.rest_retry_after))))
            return _error(429, "rate limit exceeded", headers={"Retry-After": retry_after})
        if faults.rest_5xx > 0 and faults.take("rest_5xx"):
            return _error(503, "service temporarily unavailable")
        if self.api_key is not None and request.headers.get("x-api-key") != self.api_key:
            return _error(401, "missing or invalid API key (send it in the x-api-key header)")
        try:
            return await handler(request)
        except WireError as exc:
            return _error(exc.status, exc.message)
        except web.HTTPException as exc:
            if exc.status >= 400:
                return _error(exc.status, exc.reason or "error")
            raise
        except Exception:
            log.exception("REST handler %s failed", request.path)
            return _error(500, "internal server error")

    def _params(self, values: Mapping[str, Any]) -> Params:
        return Params(values, self.ex.markets, self.directory.remember)

    def get(self, fn: _Endpoint) -> _Handler:
        """Wrap a query-string endpoint."""

        async def handler(request: web.Request) -> web.StreamResponse:
            return _ok(*fn(self._params(request.query)))

        return handler

    def post(self, fn: _Endpoint) -> _Handler:
        """Wrap a JSON-body endpoint (floats parsed as Decimal, big ints exact)."""

        async def handler(request: web.Request) -> web.StreamResponse:
            return _ok(*fn(self._params(await read_json_object(request))))

        return handler


def build_rest_app(
    exchange: Exchange,
    faults: Faults,
    *,
    directory: ProfileDirectory | None = None,
    api_key: str | None = None,
    apt_balance: Callable[[str], int] = lambda _address: 0,
    latency: LatencyModel | None = None,
) -> web.Application:
    """The REST application (routes at the root, as on ``perps-tradeapi.kanalabs.io``).

    Args:
        exchange: the engine the read endpoints query.
        faults: shared fault switches (``rest_delay``, ``rest_429``, ``rest_5xx``).
        directory: profile → wallet lookup shared with the websocket hub.
        api_key: when set, every request must carry it in ``x-api-key`` (else 401).
        apt_balance: APT balance of a wallet in octas (the fake node's).
        latency: when given (and enabled), every request is held back by the model's delay
            for its endpoint before the faults and the handler run.
    """
    directory = directory or ProfileDirectory()
    rest = _RestApp(exchange, faults, directory, api_key)
    reads = ReadApi(exchange, directory, apt_balance)
    gets: dict[str, _Endpoint] = {
        "/getMarketInfo": reads.market_info,
        "/getPerpetualAssetsInfo": reads.assets_info,
        "/getPerpetualAssetsInfo/allMarkets": reads.all_markets,
        "/getMarketPrice": reads.market_price,
        "/getLastPlacedPrice": reads.last_price,
        "/getAllTrades": reads.all_trades,
        "/getWalletAccountBalance": reads.wallet_balance,
        "/getProfileBalanceSnapshot": reads.profile_balance,
        "/getNetProfileBalance": reads.net_profile_balance,
        "/getAccountAptBalance": reads.apt_balance_of,
        "/getProfileAddress": reads.profile_address,
        "/getAllOpenOrderIds": reads.open_order_ids,
        "/getOrderStatusByOrderId": reads.order_status,
        "/fetchOrderStatusById": reads.order_status,
        "/getDepositAndWithdrawHistory": reads.transfer_history,
        "/getFills": reads.fills,
        "/getFillsForGivenTimestamp": reads.fills_for_timestamp,
        **GET_WRITES,
    }
    for path, listing in ACCOUNT_LISTS.items():
        gets[path] = functools.partial(listing, exchange)
    middlewares: list[Middleware] = [log_requests, rest.middleware]
    if latency is not None and latency.enabled:
        unavailable = functools.partial(_error, 503, "service temporarily unavailable")
        middlewares.insert(0, latency_middleware(latency, "rest", unavailable=unavailable))
    app = web.Application(middlewares=middlewares)
    for path, fn in gets.items():
        app.router.add_get(path, rest.get(fn), allow_head=False)
    for path, fn in POST_WRITES.items():
        app.router.add_post(path, rest.post(fn))
    return app


def _ok(message: str, data: Any) -> web.Response:
    body = wire.ENCODER.encode({"success": True, "message": message, "data": data})
    return web.Response(body=body, content_type="application/json")


def error_response(status: int, message: str) -> web.Response:
    """The REST error envelope ``{"success": false, "message": ...}`` with HTTP ``status``.

    Args:
        status: the HTTP status (4xx for bad requests).
        message: what was wrong.

    Returns:
        The JSON response. Never raises.
    """
    return _error(status, message)


def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> web.Response:
    body = wire.ENCODER.encode({"success": False, "message": message})
    return web.Response(status=status, body=body, content_type="application/json", headers=headers)
