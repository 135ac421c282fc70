"""The simulator's Kana REST API: every endpoint of spec §3 as an aiohttp application.

Conventions (see :mod:`kana_async.sim.wire` for the row shapes):

* Replies are ``{"success": true, "message": ..., "data": ...}``; errors are
  ``{"success": false, "message": ...}`` with status 400 (the message names the bad or missing
  parameter), 401 (an API key is configured and ``x-api-key`` is missing or wrong), 404 (unknown
  path, market or order), 405, 429 / 503 (faults).
* Request sizes, prices and amounts are **human units** (``size=1.5`` APT, ``price=5.75`` USD,
  ``amount=100`` USDT); a value off the market's lot / tick grid is a 400 naming the parameter.
* Write endpoints return ``{function, typeArguments, functionArguments}`` in **on-chain integer
  units** (lots, ticks, quote units) for the entry functions of :mod:`kana_async.sim.contract`.
  GET endpoints return every argument as a string (``"true"``, ``"1000"``); the POST endpoints
  return JSON numbers / bools / arrays, u128 order ids included (the documented precision hazard
  for clients that decode JSON numbers as doubles).
* Balances (``getWalletAccountBalance``, ``getProfileBalanceSnapshot``, ``getNetProfileBalance``)
  are JSON numbers in USDT; ``getAccountAptBalance`` is a JSON number in APT (not octas).
  ``getLastPlacedPrice`` is the last trade price (the mark price before the first trade).
* History endpoints take ``offset`` (default 0), ``limit`` (default 50) and ``order``
  (``desc``, newest first, by default; or ``asc``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from typing import Any, Final

from aiohttp import web

from kana_async.sim import wire
from kana_async.sim.accounts import ProfileDirectory
from kana_async.sim.engine import Exchange, OrderRecord
from kana_async.sim.faults import Faults
from kana_async.sim.rest_params import (
    DEFAULT_LIMIT,
    Params,
    cancel_vectors,
    iso_seconds,
    order_vectors,
    page,
    payload,
    unix_seconds,
)
from kana_async.sim.wire import WireError, bad

__all__ = ["DEFAULT_LIMIT", "build_rest_app"]

log = logging.getLogger("kana_async.sim")

#: APT has 8 decimals (octas).
_OCTAS_PER_APT: Final = 8

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# -- the application -------------------------------------------------------------------------


class _RestApi:
    """Handlers over one exchange; see :func:`build_rest_app`."""

    def __init__(
        self,
        exchange: Exchange,
        faults: Faults,
        directory: ProfileDirectory,
        api_key: str | None,
        apt_balance: Callable[[str], int],
    ) -> None:
        self.ex = exchange
        self.faults = faults
        self.directory = directory
        self.api_key = api_key
        self.apt_balance = apt_balance

    # -- plumbing ---------------------------------------------------------------------------

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

    def get(self, fn: Callable[[Params], tuple[str, Any]]) -> _Handler:
        """Wrap a query-string endpoint."""

        async def handler(request: web.Request) -> web.StreamResponse:
            message, data = fn(Params(request.query, self.ex.markets))
            return _ok(message, data)

        return handler

    def post(self, fn: Callable[[Params], tuple[str, Any]]) -> _Handler:
        """Wrap a JSON-body endpoint (floats parsed as Decimal, big ints exact)."""

        async def handler(request: web.Request) -> web.StreamResponse:
            text = await request.text()
            try:
                body = json.loads(text or "null", parse_float=Decimal)
            except ValueError:
                raise WireError(400, "request body must be a JSON object") from None
            if not isinstance(body, dict):
                raise WireError(400, "request body must be a JSON object")
            message, data = fn(Params(body, self.ex.markets))
            return _ok(message, data)

        return handler

    def _wallet(self, p: Params) -> str:
        wallet = p.wallet()
        self.directory.remember(wallet)
        return wallet

    # -- markets ----------------------------------------------------------------------------

    def market_info(self, p: Params) -> tuple[str, Any]:
        return "Market information fetched successfully", [wire.market_info_row(p.market())]

    def assets_info(self, p: Params) -> tuple[str, Any]:
        if p.has("marketId"):
            return "Perpetual asset info fetched successfully", [wire.market_info_row(p.market())]
        if not p.has("baseName"):
            raise WireError(400, "missing required parameter: give 'marketId' or 'baseName'")
        wanted = str(p.raw("baseName")).upper().replace("/", "-").split("-", 1)[0].strip()
        rows = [
            wire.market_info_row(spec)
            for spec in self.ex.markets.values()
            if wire.symbol_of(spec).split("-", 1)[0] == wanted
        ]
        if not rows:
            raise WireError(404, f"no market with baseName {p.raw('baseName')!r}")
        return "Perpetual asset info fetched successfully", rows

    def all_markets(self, p: Params) -> tuple[str, Any]:
        rows = [wire.market_info_row(spec) for spec in self.ex.markets.values()]
        return "All perpetual markets fetched successfully", rows

    def market_price(self, p: Params) -> tuple[str, Any]:
        spec = p.market()
        bid, ask = self.ex.best_bid_ask(spec.market_id)
        data = {
            "bestAskPrice": None if ask is None else _num(spec.ticks_to_price(ask)),
            "bestBidPrice": None if bid is None else _num(spec.ticks_to_price(bid)),
        }
        return "Market price fetched successfully", data

    def last_price(self, p: Params) -> tuple[str, Any]:
        spec = p.market()
        ticks = self.ex.last_price(spec.market_id)
        if ticks is None:
            ticks = self.ex.mark_price(spec.market_id)
        return "Last execution price fetched successfully", _num(spec.ticks_to_price(ticks))

    def all_trades(self, p: Params) -> tuple[str, Any]:
        spec = p.market()
        trades = self.ex.market_trades(spec.market_id, p.integer("limit", DEFAULT_LIMIT))
        rows = [wire.public_trade_row(spec, t) for t in reversed(trades)]
        return "Trades fetched successfully", rows

    # -- balances ---------------------------------------------------------------------------

    def wallet_balance(self, p: Params) -> tuple[str, Any]:
        units = self.ex.wallet_balance(self._wallet(p))
        return "Fetched wallet account balance successfully", _quote(units)

    def profile_balance(self, p: Params) -> tuple[str, Any]:
        units = self.ex.trading_balance(self._wallet(p))
        return "Fetched profile balance snapshot successfully", _quote(units)

    def net_profile_balance(self, p: Params) -> tuple[str, Any]:
        units = self.ex.net_profile_balance(self._wallet(p))
        return "Fetched net profile balance successfully", _quote(units)

    def apt_balance_of(self, p: Params) -> tuple[str, Any]:
        octas = self.apt_balance(self._wallet(p))
        return "Fetched APT balance successfully", _num(Decimal(octas).scaleb(-_OCTAS_PER_APT))

    def profile_address(self, p: Params) -> tuple[str, Any]:
        return "Profile address fetched successfully", self.directory.remember(p.wallet())

    # -- account state ----------------------------------------------------------------------

    def open_orders(self, p: Params) -> tuple[str, Any]:
        wallet, spec = self._wallet(p), p.optional_market()
        orders = self.ex.open_orders(wallet, spec.market_id if spec else None)
        rows = [wire.open_order_row(self.ex.markets[o.market_id], o) for o in orders]
        return "Open orders fetched successfully", rows

    def open_order_ids(self, p: Params) -> tuple[str, Any]:
        wallet, spec = self._wallet(p), p.optional_market()
        orders = self.ex.open_orders(wallet, spec.market_id if spec else None)
        return "Open order ids fetched successfully", [str(o.order_id) for o in orders]

    def positions(self, p: Params) -> tuple[str, Any]:
        wallet, spec = self._wallet(p), p.optional_market()
        found = self.ex.positions(wallet, spec.market_id if spec else None)
        rows = [wire.position_row(self.ex.markets[x.market_id], x) for x in found]
        return "Positions fetched successfully", rows

    def order_status(self, p: Params) -> tuple[str, Any]:
        spec = p.market()
        order_id = p.integer("orderId")
        order = self.ex.order(spec.market_id, order_id)
        if order is None:
            raise WireError(404, f"order {order_id} not found in market {spec.market_id}")
        return "Order status fetched successfully", wire.order_status_row(spec, order)

    # -- history ----------------------------------------------------------------------------

    def order_history(self, p: Params) -> tuple[str, Any]:
        wallet, spec = self._wallet(p), p.optional_market()
        orders: list[OrderRecord] = self.ex.order_history(wallet, spec.market_id if spec else None)
        rows = [wire.order_history_row(self.ex.markets[o.market_id], o) for o in orders]
        return "Order history fetched successfully", page(p, rows)

    def trade_history(self, p: Params) -> tuple[str, Any]:
        wallet, spec = self._wallet(p), p.optional_market()
        fills = self.ex.trades(wallet, spec.market_id if spec else None)
        rows = [wire.fill_row(self.ex.markets[f.market_id], f) for f in fills]
        return "Trade history fetched successfully", page(p, rows)

    def funding_history(self, p: Params) -> tuple[str, Any]:
        wallet, spec = self._wallet(p), p.optional_market()
        pays = self.ex.funding_history(wallet, spec.market_id if spec else None)
        rows = [wire.funding_payment_row(self.ex.markets[f.market_id], f) for f in pays]
        return "Funding history fetched successfully", page(p, rows)

    def transfer_history(self, p: Params) -> tuple[str, Any]:
        rows = [wire.transfer_row(t) for t in self.ex.transfers(self._wallet(p))]
        return "Deposit and withdraw history fetched successfully", page(p, rows)

    def fills(self, p: Params) -> tuple[str, Any]:
        spec = p.market()
        start, end = iso_seconds(p, "from"), iso_seconds(p, "to")
        if end < start:
            raise bad("to", "must not be before 'from'")
        order_id = p.integer("orderId") if p.has("orderId") else None
        if p.has("address"):
            profile = p.wallet("address")
            wallet = self.directory.wallet_of(profile)
            fills = self.ex.trades(wallet, spec.market_id) if wallet else []
            rows = [
                wire.fill_row(spec, f)
                for f in fills
                if start <= f.timestamp <= end and order_id in (None, f.order_id)
            ]
        else:
            trades = self.ex.market_trades(spec.market_id, self.ex.history_limit)
            rows = [
                wire.public_trade_row(spec, t)
                for t in trades
                if start <= t.timestamp <= end
                and order_id in (None, t.taker_order_id, t.maker_order_id)
            ]
        return "Fills fetched successfully", rows

    def fills_for_timestamp(self, p: Params) -> tuple[str, Any]:
        wallet, spec = self._wallet(p), p.optional_market()
        start = unix_seconds(p, "fromTimestamp", 0)
        end = unix_seconds(p, "toTimestamp", 2**63)
        fills = self.ex.trades(wallet, spec.market_id if spec else None)
        rows = [
            wire.fill_row(self.ex.markets[f.market_id], f)
            for f in fills
            if start <= f.timestamp <= end
        ]
        return "Fills fetched successfully", page(p, rows)

    # -- write endpoints (payloads) ---------------------------------------------------------

    def deposit(self, p: Params) -> tuple[str, Any]:
        wallet, units = self._wallet(p), p.units("amount")
        return "Deposit payload built", payload("deposit", [wallet, units], as_strings=True)

    def withdraw(self, p: Params) -> tuple[str, Any]:
        spec, units, wallet = p.market(), p.units("amount"), self._wallet(p)
        args = [wallet, spec.market_id, units]
        return "Withdraw payload built", payload("withdraw_specific_market", args, as_strings=True)

    def limit_order(self, p: Params) -> tuple[str, Any]:
        spec = p.market()
        args = [
            spec.market_id,
            p.boolean("tradeSide"),
            p.boolean("direction"),
            p.lots(spec, "size"),
            p.ticks(spec, "price"),
            p.integer("leverage"),
            p.u8("restriction", 0),
            p.ticks(spec, "takeProfit", 0),
            p.ticks(spec, "stopLoss", 0),
        ]
        return "Limit order payload built", payload("place_limit_order", args, as_strings=True)

    def market_order(self, p: Params) -> tuple[str, Any]:
        spec = p.market()
        args = [
            spec.market_id,
            p.boolean("tradeSide"),
            p.boolean("direction"),
            p.lots(spec, "size"),
            p.integer("leverage"),
            p.ticks(spec, "takeProfit", 0),
            p.ticks(spec, "stopLoss", 0),
        ]
        return "Market order payload built", payload("place_market_order", args, as_strings=True)

    def take_profit(self, p: Params) -> tuple[str, Any]:
        spec = p.market()
        args = [spec.market_id, p.boolean("tradeSide"), p.ticks(spec, "newTakeProfitPrice")]
        return "Take profit payload built", payload("update_take_profit", args, as_strings=True)

    def stop_loss(self, p: Params) -> tuple[str, Any]:
        spec = p.market()
        args = [spec.market_id, p.boolean("tradeSide"), p.ticks(spec, "newStopLossPrice")]
        return "Stop loss payload built", payload("update_stop_loss", args, as_strings=True)

    def collapse(self, p: Params) -> tuple[str, Any]:
        args = [p.market().market_id]
        return "Collapse position payload built", payload(
            "collapse_position", args, as_strings=True
        )

    def add_margin(self, p: Params) -> tuple[str, Any]:
        spec = p.market()
        args = [spec.market_id, p.boolean("tradeSide"), p.units("amount")]
        return "Add margin payload built", payload("add_margin", args, as_strings=True)

    def settle_pnl(self, p: Params) -> tuple[str, Any]:
        spec, wallet = p.market(), self._wallet(p)
        args = [wallet, spec.market_id]
        return "Settle PnL payload built", payload("settle_pnl", args, as_strings=True)

    def cancel_multiple(self, p: Params) -> tuple[str, Any]:
        args = [p.market().market_id, *cancel_vectors(p)]
        return "Cancel orders payload built", payload(
            "cancel_multiple_orders", args, as_strings=False
        )

    def place_multiple(self, p: Params) -> tuple[str, Any]:
        spec = p.market()
        args = [spec.market_id, *order_vectors(p, spec)]
        return "Place orders payload built", payload(
            "place_multiple_orders", args, as_strings=False
        )

    def cancel_and_place(self, p: Params) -> tuple[str, Any]:
        spec = p.market()
        args = [spec.market_id, *cancel_vectors(p), *order_vectors(p, spec)]
        return "Cancel and place orders payload built", payload(
            "cancel_and_place_multiple_orders", args, as_strings=False
        )


def build_rest_app(
    exchange: Exchange,
    faults: Faults,
    *,
    directory: ProfileDirectory | None = None,
    api_key: str | None = None,
    apt_balance: Callable[[str], int] = lambda _address: 0,
) -> web.Application:
    """The REST application (routes at the root, as on ``perps-tradeapi.kanalabs.io``).

    Args:
        exchange: the engine the read endpoints query.
        faults: shared fault switches (``rest_delay``, ``rest_429``, ``rest_5xx``).
        directory: profile → wallet lookup shared with the websocket hub.
        api_key: when set, every request must carry it in ``x-api-key`` (else 401).
        apt_balance: APT balance of a wallet in octas (the fake node's).
    """
    api = _RestApi(exchange, faults, directory or ProfileDirectory(), api_key, apt_balance)
    app = web.Application(middlewares=[api.middleware])
    gets: dict[str, Callable[[Params], tuple[str, Any]]] = {
        "/getMarketInfo": api.market_info,
        "/getPerpetualAssetsInfo": api.assets_info,
        "/getPerpetualAssetsInfo/allMarkets": api.all_markets,
        "/getMarketPrice": api.market_price,
        "/getLastPlacedPrice": api.last_price,
        "/getAllTrades": api.all_trades,
        "/getWalletAccountBalance": api.wallet_balance,
        "/getProfileBalanceSnapshot": api.profile_balance,
        "/getNetProfileBalance": api.net_profile_balance,
        "/getAccountAptBalance": api.apt_balance_of,
        "/getProfileAddress": api.profile_address,
        "/getOpenOrders": api.open_orders,
        "/getOpenOrdersFromContract": api.open_orders,
        "/getAllOpenOrderIds": api.open_order_ids,
        "/getPositions": api.positions,
        "/getPositionsFromContract": api.positions,
        "/getOrderStatusByOrderId": api.order_status,
        "/fetchOrderStatusById": api.order_status,
        "/getOrderHistory": api.order_history,
        "/getTradeHistory": api.trade_history,
        "/getFundingHistory": api.funding_history,
        "/getDepositAndWithdrawHistory": api.transfer_history,
        "/getFills": api.fills,
        "/getFillsForGivenTimestamp": api.fills_for_timestamp,
        "/deposit": api.deposit,
        "/withdrawSpecifiMarket": api.withdraw,
        "/placeLimitOrder": api.limit_order,
        "/placeMarketOrder": api.market_order,
        "/updateTakeProfit": api.take_profit,
        "/updateStopLoss": api.stop_loss,
        "/collapsePosition": api.collapse,
        "/addMargin": api.add_margin,
        "/settlePnl": api.settle_pnl,
    }
    posts: dict[str, Callable[[Params], tuple[str, Any]]] = {
        "/cancelMultipleOrders": api.cancel_multiple,
        "/placeMultipleOrders": api.place_multiple,
        "/cancelAndPlaceMultipleOrders": api.cancel_and_place,
    }
    for path, fn in gets.items():
        app.router.add_get(path, api.get(fn), allow_head=False)
    for path, fn in posts.items():
        app.router.add_post(path, api.post(fn))
    return app


# -- helpers ---------------------------------------------------------------------------------


def _ok(message: str, data: Any) -> web.Response:
    body = wire.ENCODER.encode({"success": True, "message": message, "data": data})
    return web.Response(body=body, content_type="application/json")


def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> web.Response:
    body = wire.ENCODER.encode({"success": False, "message": message})
    return web.Response(status=status, body=body, content_type="application/json", headers=headers)


def _num(value: Decimal) -> Decimal:
    return wire.decimal_number(value)


def _quote(units: int) -> Decimal:
    return _num(Decimal(units).scaleb(-wire.QUOTE_DECIMALS))
