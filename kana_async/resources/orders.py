"""Order status by id (spec §3 #13, #30)."""

from __future__ import annotations

from kana_async._validation import check_order_id
from kana_async.models.orders import OrderStatusInfo
from kana_async.resources._base import Resource

__all__ = ["Orders"]


class Orders(Resource):
    """``kana.orders``: look an order up by id. Placing orders lives in ``kana.payloads``
    (unsigned payloads) and ``kana.trading`` (signed and submitted)."""

    async def status(self, market_id: int, order_id: int | str) -> OrderStatusInfo:
        """An order's current state — ``GET /fetchOrderStatusById`` (#30, the preferred path).

        ``order_id`` is the u128 id as ``int`` or decimal string.
        """
        return await self._status("/fetchOrderStatusById", market_id, order_id)

    async def status_by_order_id(self, market_id: int, order_id: int | str) -> OrderStatusInfo:
        """The same lookup on the older path — ``GET /getOrderStatusByOrderId`` (#13)."""
        return await self._status("/getOrderStatusByOrderId", market_id, order_id)

    async def _status(self, path: str, market_id: int, order_id: int | str) -> OrderStatusInfo:
        params = {"marketId": str(self._market(market_id)), "orderId": check_order_id(order_id)}
        result: OrderStatusInfo = await self._read(path, OrderStatusInfo, params)
        return result
