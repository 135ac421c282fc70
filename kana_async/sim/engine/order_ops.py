"""Order entry points: limit / market orders, batches, cancels (see :mod:`.matching`)."""

from __future__ import annotations

from collections.abc import Sequence

from ..contract import MoveAbort
from .core import ExchangeCore
from .matching import cancel_order, place_order
from .records import OrderRecord, OrderRequest
from .state import normalize_address

__all__ = ["OrderOps"]


class OrderOps(ExchangeCore):
    """Placing and cancelling orders on :class:`~.exchange.Exchange`."""

    def place_limit_order(
        self,
        wallet: str,
        market_id: int,
        trade_side: bool,
        direction: bool,
        size: int,
        price: int,
        leverage: int,
        restriction: int = 0,
        take_profit: int = 0,
        stop_loss: int = 0,
        *,
        version: int | None = None,
    ) -> OrderRecord:
        """Place a limit order (``size`` lots at ``price`` ticks); see :mod:`.matching`."""
        req = OrderRequest(
            True, trade_side, direction, size, price, leverage, restriction, take_profit, stop_loss
        )
        return self.place_orders(wallet, market_id, [req], version=version)[0]

    def place_market_order(
        self,
        wallet: str,
        market_id: int,
        trade_side: bool,
        direction: bool,
        size: int,
        leverage: int,
        take_profit: int = 0,
        stop_loss: int = 0,
        *,
        version: int | None = None,
    ) -> OrderRecord:
        """Place a market order: fills what the book offers, cancels the rest; 1007 if nothing."""
        req = OrderRequest(
            False, trade_side, direction, size, 0, leverage, 0, take_profit, stop_loss
        )
        return self.place_orders(wallet, market_id, [req], version=version)[0]

    def place_orders(
        self,
        wallet: str,
        market_id: int,
        orders: Sequence[OrderRequest],
        *,
        version: int | None = None,
    ) -> list[OrderRecord]:
        """Place several orders in order, atomically (``place_multiple_orders``)."""
        return self.cancel_and_place_orders(wallet, market_id, [], [], orders, version=version)[1]

    def cancel_orders(
        self,
        wallet: str,
        market_id: int,
        order_ids: Sequence[int],
        sides: Sequence[bool],
        *,
        version: int | None = None,
    ) -> list[OrderRecord]:
        """Cancel open orders (``sides[i]`` is order i's trade side), atomically.

        Aborts 1108 when the vectors differ in length, 1103 when an order is unknown, not the
        wallet's, in another market, not open or of the other side.
        """
        return self.cancel_and_place_orders(
            wallet, market_id, order_ids, sides, [], version=version
        )[0]

    def cancel_and_place_orders(
        self,
        wallet: str,
        market_id: int,
        order_ids: Sequence[int],
        sides: Sequence[bool],
        orders: Sequence[OrderRequest],
        *,
        version: int | None = None,
    ) -> tuple[list[OrderRecord], list[OrderRecord]]:
        """Cancel then place, all in one atomic transaction; returns (cancelled, placed)."""
        wallet = normalize_address(wallet)
        if len(order_ids) != len(sides):
            raise MoveAbort(1108, f"{len(order_ids)} order ids but {len(sides)} sides")
        with self._tx(version) as s:
            spec = s.market(market_id)
            cancelled = []
            for order_id, side in zip(order_ids, sides, strict=True):
                order = s.open.get(order_id)
                if (
                    order is None
                    or order.wallet != wallet
                    or order.market_id != market_id
                    or order.trade_side != side
                ):
                    raise MoveAbort(1103, f"no open order {order_id} (side {side}) to cancel")
                cancel_order(s, order)
                cancelled.append(order)
            placed = [place_order(s, wallet, spec, req) for req in orders]
            return (
                [s.order_record(o) for o in cancelled],
                [s.order_record(o) for o in placed],
            )
