"""Frozen records the engine returns and the events it emits, all in on-chain integer units.

Units: sizes in lots, prices in ticks (0 = unset for tp / sl), amounts in quote units, times in
unix seconds. ``address`` is the *profile* address (what WS topics and on-chain state use);
``wallet`` is the wallet address (what REST takes). Every record carries ``timestamp``,
``last_updated`` and ``transaction_version`` (the ledger version of the last change).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Literal

__all__ = [
    "ORDER_TYPE_AUTO_DELEVERAGE",
    "ORDER_TYPE_LIMIT",
    "ORDER_TYPE_LIQUIDATION",
    "ORDER_TYPE_MARKET",
    "ORDER_TYPE_STOP_LOSS",
    "ORDER_TYPE_TAKE_PROFIT",
    "BalanceEvent",
    "BookEvent",
    "Event",
    "FillRecord",
    "FundingEvent",
    "FundingPaymentRecord",
    "FundingRateRecord",
    "OrderEvent",
    "OrderRecord",
    "OrderRequest",
    "OrderStatus",
    "PositionEvent",
    "PositionRecord",
    "PublicTrade",
    "TradeEvent",
    "TransferEvent",
    "TransferRecord",
]

#: ``order_type`` codes used by the simulator (Kana's are undocumented; spec §2.6).
ORDER_TYPE_LIMIT: Final = 1
ORDER_TYPE_MARKET: Final = 2
ORDER_TYPE_TAKE_PROFIT: Final = 3
ORDER_TYPE_STOP_LOSS: Final = 4
ORDER_TYPE_LIQUIDATION: Final = 5
#: The order closing a profitable position against a bankrupt one (auto-deleveraging).
ORDER_TYPE_AUTO_DELEVERAGE: Final = 6

OrderStatus = Literal["Open", "Partially Filled", "Filled", "Cancelled"]


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """One order of a batch (``place_multiple_orders``): ``is_limit`` False = market order.

    ``price`` and ``restriction`` are ignored for market orders.
    """

    is_limit: bool
    trade_side: bool
    direction: bool
    size: int
    price: int
    leverage: int
    restriction: int = 0
    take_profit: int = 0
    stop_loss: int = 0


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """An order's state. ``is_buy`` is ``trade_side != direction`` (long-open / short-close buy).

    ``price`` is the limit price (for a market order: the average fill price, 0 if unfilled).
    ``order_value`` is ``total_size`` valued at ``price`` in quote units.
    """

    address: str
    wallet: str
    market_id: int
    order_id: int
    order_type: int
    is_market_order: bool
    trade_side: bool
    direction: bool
    is_buy: bool
    price: int
    total_size: int
    remaining_size: int
    filled_size: int
    order_value: int
    leverage: int
    restriction: int
    take_profit: int
    stop_loss: int
    status: OrderStatus
    trade_id: int | None
    timestamp: int
    last_updated: int
    transaction_version: int


@dataclass(frozen=True, slots=True)
class PositionRecord:
    """One side of a wallet's position in a market (hedge mode: a long and a short may coexist).

    ``size == 0`` marks a position that was just closed (emitted once, not listed afterwards).
    ``value`` is the entry notional (cost basis) in quote units; ``entry_price`` and ``liq_price``
    are ticks (rounded; ``liq_price`` 0 when the position cannot be liquidated).
    ``available_order_size`` is ``size`` minus the lots held by resting closing orders.
    """

    address: str
    wallet: str
    market_id: int
    trade_side: bool
    leverage: int
    size: int
    available_order_size: int
    value: int
    entry_price: int
    liq_price: int
    margin: int
    unrealized_pnl: int
    take_profit: int
    stop_loss: int
    trade_id: int
    timestamp: int
    last_updated: int
    transaction_version: int


@dataclass(frozen=True, slots=True)
class FillRecord:
    """One side of one fill, as the user's trade history shows it.

    ``pnl`` is the realised PnL of a closing fill (0 when opening), before ``fee``.
    ``entry_price`` is the position's entry price (ticks) after an opening fill / before a closing
    one. A liquidation is a trade like any other: the liquidated side's fill has ``order_type``
    ORDER_TYPE_LIQUIDATION, its counterparty's (the liquidator taking the position over, or a
    position being auto-deleveraged: ORDER_TYPE_AUTO_DELEVERAGE) is the maker fill of the same
    trade. ``order_id`` is never None for fills the engine makes today.
    """

    address: str
    wallet: str
    market_id: int
    trade_id: int
    order_id: int | None
    order_type: int
    trade_side: bool
    direction: bool
    is_buy: bool
    is_maker: bool
    size: int
    price: int
    order_value: int
    pnl: int
    fee: int
    entry_price: int | None
    leverage: int
    timestamp: int
    last_updated: int
    transaction_version: int


@dataclass(frozen=True, slots=True)
class PublicTrade:
    """A public trade of a market (``recent_trades`` / ``getAllTrades``)."""

    market_id: int
    trade_id: int
    price: int
    size: int
    order_value: int
    taker_is_buy: bool
    taker_order_id: int
    maker_order_id: int
    taker_address: str
    maker_address: str
    timestamp: int
    last_updated: int
    transaction_version: int


@dataclass(frozen=True, slots=True)
class TransferRecord:
    """A deposit (wallet → trading account) or a withdrawal (``market_id`` set)."""

    address: str
    wallet: str
    amount: int
    is_deposit: bool
    market_id: int | None
    timestamp: int
    last_updated: int
    transaction_version: int


@dataclass(frozen=True, slots=True)
class FundingRateRecord:
    """A market's funding rate: the current estimate, or one applied (in funding history).

    ``rate`` is the fraction of notional longs pay shorts per interval (negative: shorts pay).
    """

    market_id: int
    rate: Decimal
    mark_price: int
    index_price: int
    next_funding_time: int
    timestamp: int
    last_updated: int
    transaction_version: int


@dataclass(frozen=True, slots=True)
class FundingPaymentRecord:
    """One funding payment of one position: ``amount`` > 0 received, < 0 paid (quote units)."""

    address: str
    wallet: str
    market_id: int
    trade_side: bool
    size: int
    rate: Decimal
    amount: int
    mark_price: int
    timestamp: int
    last_updated: int
    transaction_version: int


# -- events ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """An order was created or changed (placed, filled, cancelled)."""

    order: OrderRecord


@dataclass(frozen=True, slots=True)
class TradeEvent:
    """A fill: the public trade plus the maker's and the taker's fill records."""

    trade: PublicTrade
    maker: FillRecord
    taker: FillRecord


@dataclass(frozen=True, slots=True)
class PositionEvent:
    """A position was opened, changed or closed (``size == 0``)."""

    position: PositionRecord


@dataclass(frozen=True, slots=True)
class BookEvent:
    """The order book of ``market_id`` changed; ask :meth:`Exchange.book` for the levels."""

    market_id: int


@dataclass(frozen=True, slots=True)
class TransferEvent:
    """A deposit or withdrawal happened."""

    transfer: TransferRecord


@dataclass(frozen=True, slots=True)
class BalanceEvent:
    """The wallet / trading / unsettled balance of ``wallet`` changed."""

    wallet: str
    address: str


@dataclass(frozen=True, slots=True)
class FundingEvent:
    """Funding was applied to a market (``payments`` to every open position)."""

    rate: FundingRateRecord
    payments: tuple[FundingPaymentRecord, ...]


Event = (
    OrderEvent
    | TradeEvent
    | PositionEvent
    | BookEvent
    | TransferEvent
    | BalanceEvent
    | FundingEvent
)
