"""Handlers of the REST read endpoints: markets, prices, balances, account state, history.

Every handler takes :class:`~.params.Params` and returns ``(message, data)``; the account-list
endpoints of the same shape (wallet + optional market → rows, maybe paged) are one table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, Generic, Protocol, TypeVar

from kana_async.sim import wire
from kana_async.sim.accounts import ProfileDirectory
from kana_async.sim.engine import Exchange
from kana_async.sim.markets import MarketSpec

from .params import DEFAULT_LIMIT, MAX_LIMIT, Params, iso_seconds, page, unix_seconds

__all__ = ["ACCOUNT_LISTS", "AccountList", "ReadApi", "Reply"]

#: ``(message, data)`` of a successful reply.
Reply = tuple[str, Any]


class _InMarket(Protocol):
    @property
    def market_id(self) -> int: ...


R = TypeVar("R", bound=_InMarket)

#: APT has 8 decimals (octas).
_OCTAS_PER_APT: Final = 8


def number(value: Decimal) -> Decimal:
    """A decimal normalised for a JSON number reply."""
    return wire.decimal_number(value)


def quote(units: int) -> Decimal:
    """Quote units as a JSON number in USDT."""
    return number(Decimal(units).scaleb(-wire.QUOTE_DECIMALS))


@dataclass(frozen=True, slots=True)
class AccountList(Generic[R]):
    """An endpoint listing a wallet's records (optionally of one market) as rows."""

    message: str
    fetch: Callable[[Exchange, str, int | None], Sequence[R]]
    row: Callable[[MarketSpec, R], wire.Row]
    paged: bool = True

    def __call__(self, ex: Exchange, p: Params) -> Reply:
        """The reply for one request."""
        records = self.fetch(ex, p.user(), p.market_id())
        rows = [self.row(ex.markets[r.market_id], r) for r in records]
        return self.message, page(p, rows) if self.paged else rows


#: The wallet + optional market endpoints, by path.
ACCOUNT_LISTS: Final[dict[str, AccountList[Any]]] = {
    "/getOpenOrders": AccountList(
        "Open orders fetched successfully",
        Exchange.open_orders,
        wire.open_order_row,
        paged=False,
    ),
    "/getPositions": AccountList(
        "Positions fetched successfully", Exchange.positions, wire.position_row, paged=False
    ),
    "/getOrderHistory": AccountList(
        "Order history fetched successfully", Exchange.order_history, wire.order_history_row
    ),
    "/getTradeHistory": AccountList(
        "Trade history fetched successfully", Exchange.trades, wire.fill_row
    ),
    "/getFundingHistory": AccountList(
        "Funding history fetched successfully", Exchange.funding_history, wire.funding_payment_row
    ),
}
ACCOUNT_LISTS["/getOpenOrdersFromContract"] = ACCOUNT_LISTS["/getOpenOrders"]
ACCOUNT_LISTS["/getPositionsFromContract"] = ACCOUNT_LISTS["/getPositions"]


class ReadApi:
    """The read endpoints that are not a plain :class:`AccountList`."""

    def __init__(
        self, exchange: Exchange, directory: ProfileDirectory, apt_balance: Callable[[str], int]
    ) -> None:
        self.ex = exchange
        self.directory = directory
        self.apt_balance = apt_balance

    # -- markets ----------------------------------------------------------------------------

    def market_info(self, p: Params) -> Reply:
        """``getMarketInfo``."""
        return "Market information fetched successfully", [wire.market_info_row(p.market())]

    def assets_info(self, p: Params) -> Reply:
        """``getPerpetualAssetsInfo`` by ``marketId`` or ``baseName``."""
        if p.has("marketId"):
            return "Perpetual asset info fetched successfully", [wire.market_info_row(p.market())]
        if not p.has("baseName"):
            raise wire.WireError(400, "missing required parameter: give 'marketId' or 'baseName'")
        wanted = str(p.raw("baseName")).upper().replace("/", "-").split("-", 1)[0].strip()
        rows = [
            wire.market_info_row(spec)
            for spec in self.ex.markets.values()
            if wire.symbol_of(spec).split("-", 1)[0] == wanted
        ]
        if not rows:
            raise wire.WireError(404, f"no market with baseName {p.raw('baseName')!r}")
        return "Perpetual asset info fetched successfully", rows

    def all_markets(self, p: Params) -> Reply:
        """``getPerpetualAssetsInfo/allMarkets``."""
        rows = [wire.market_info_row(spec) for spec in self.ex.markets.values()]
        return "All perpetual markets fetched successfully", rows

    def market_price(self, p: Params) -> Reply:
        """``getMarketPrice``: best bid and ask as JSON numbers (null for an empty side)."""
        spec = p.market()
        bid, ask = self.ex.best_bid_ask(spec.market_id)
        data = {
            "bestAskPrice": None if ask is None else number(spec.ticks_to_price(ask)),
            "bestBidPrice": None if bid is None else number(spec.ticks_to_price(bid)),
        }
        return "Market price fetched successfully", data

    def last_price(self, p: Params) -> Reply:
        """``getLastPlacedPrice``: the last trade price (the mark before the first trade)."""
        spec = p.market()
        ticks = self.ex.last_price(spec.market_id)
        if ticks is None:
            ticks = self.ex.mark_price(spec.market_id)
        return "Last execution price fetched successfully", number(spec.ticks_to_price(ticks))

    def all_trades(self, p: Params) -> Reply:
        """``getAllTrades``: the market's latest public trades, newest first."""
        spec = p.market()
        limit = p.integer("limit", DEFAULT_LIMIT, maximum=MAX_LIMIT)
        trades = self.ex.market_trades(spec.market_id, limit)
        rows = [wire.public_trade_row(spec, t) for t in reversed(trades)]
        return "Trades fetched successfully", rows

    # -- balances ---------------------------------------------------------------------------

    def wallet_balance(self, p: Params) -> Reply:
        """``getWalletAccountBalance``."""
        units = self.ex.wallet_balance(p.user())
        return "Fetched wallet account balance successfully", quote(units)

    def profile_balance(self, p: Params) -> Reply:
        """``getProfileBalanceSnapshot``."""
        units = self.ex.trading_balance(p.user())
        return "Fetched profile balance snapshot successfully", quote(units)

    def net_profile_balance(self, p: Params) -> Reply:
        """``getNetProfileBalance``."""
        units = self.ex.net_profile_balance(p.user())
        return "Fetched net profile balance successfully", quote(units)

    def apt_balance_of(self, p: Params) -> Reply:
        """``getAccountAptBalance`` in APT."""
        octas = self.apt_balance(p.user())
        return "Fetched APT balance successfully", number(Decimal(octas).scaleb(-_OCTAS_PER_APT))

    def profile_address(self, p: Params) -> Reply:
        """``getProfileAddress``."""
        return "Profile address fetched successfully", self.directory.remember(p.wallet())

    # -- account state and history ----------------------------------------------------------

    def open_order_ids(self, p: Params) -> Reply:
        """``getAllOpenOrderIds``."""
        orders = self.ex.open_orders(p.user(), p.market_id())
        return "Open order ids fetched successfully", [str(o.order_id) for o in orders]

    def order_status(self, p: Params) -> Reply:
        """``getOrderStatusByOrderId`` / ``fetchOrderStatusById``."""
        spec = p.market()
        order_id = p.integer("orderId")
        order = self.ex.order(spec.market_id, order_id)
        if order is None:
            raise wire.WireError(404, f"order {order_id} not found in market {spec.market_id}")
        return "Order status fetched successfully", wire.order_status_row(spec, order)

    def transfer_history(self, p: Params) -> Reply:
        """``getDepositAndWithdrawHistory``."""
        rows = [wire.transfer_row(t) for t in self.ex.transfers(p.user())]
        return "Deposit and withdraw history fetched successfully", page(p, rows)

    def fills(self, p: Params) -> Reply:
        """``getFills``: a profile's fills, or the market's public trades, in a time range."""
        spec = p.market()
        start, end = iso_seconds(p, "from"), iso_seconds(p, "to")
        if end < start:
            raise wire.bad("to", "must not be before 'from'")
        order_id = p.integer("orderId") if p.has("orderId") else None
        if p.has("address"):
            wallet = self.directory.wallet_of(p.wallet("address"))
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

    def fills_for_timestamp(self, p: Params) -> Reply:
        """``getFillsForGivenTimestamp``: the wallet's fills between two unix times."""
        wallet, market_id = p.user(), p.market_id()
        start = unix_seconds(p, "fromTimestamp", 0)
        end = unix_seconds(p, "toTimestamp", 2**63)
        rows = [
            wire.fill_row(self.ex.markets[f.market_id], f)
            for f in self.ex.trades(wallet, market_id)
            if start <= f.timestamp <= end
        ]
        return "Fills fetched successfully", page(p, rows)
