"""``kana.orders``: an order's status by id (read-only REST endpoints)."""

from __future__ import annotations

from kana_async._validation import check_order_id
from kana_async.models.orders import OrderStatusInfo
from kana_async.resources._base import Resource

__all__ = ["Orders"]


class Orders(Resource):
    """``kana.orders``: look an order up by id.

    Placing and cancelling orders lives in ``kana.payloads`` (unsigned payloads) and
    ``kana.trading`` (signed and submitted).

    Args:
        context: the client's context (its HTTP path, caches and wallet).
    """

    async def status(
        self,
        market_id: int,
        order_id: int | str,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - a per-request transport timeout
    ) -> OrderStatusInfo:
        """An order's current state, by id.

        Calls ``GET /fetchOrderStatusById`` with ``marketId`` and ``orderId``.

        This is the preferred path; :meth:`status_by_order_id` asks the same on the older one.

        Args:
            market_id: the order's market, e.g. ``1338``; an ``int`` or a string of digits.
            order_id: the u128 order id as an ``int`` or a decimal string (never a ``float``),
                e.g. ``"11905620858892513160724480"``.
            timeout: seconds each HTTP request of this call may take (every attempt),
                instead of the client's ``timeout``; ``None`` for the client's.

        Returns:
            An :class:`~kana_async.OrderStatusInfo`: ``status`` (``Open``, ``Partially
            Filled``, ``Filled`` or ``Cancelled``), price in quote currency and sizes in base
            asset as ``Decimal``, where the server sends them.

        Raises:
            NotFoundError: HTTP 404; the simulator answers so for an order it does not know
                in that market.
            UnknownMarketError: ``market_id`` is not one of the exchange's markets.
            InvalidArgumentError: ``order_id`` is not a non-negative decimal integer that fits
                in a u128, or ``market_id`` is out of range.
            ArgumentTypeError: ``order_id`` is not an ``int`` or ``str``, or ``market_id`` not
                an ``int``.
            ClientStateError: the client is not open.
            APIError: the server refused the request or sent an unusable answer
                (``RateLimitError``, ``ServerError``, ``UnsuccessfulResponseError``,
                ``ResponseDecodeError``...).
            TransportError: no answer arrived, even after the client's retries
                (``ConnectError``, ``RequestTimeoutError``).
        """
        return await self._status("/fetchOrderStatusById", market_id, order_id, timeout)

    async def status_by_order_id(self, market_id: int, order_id: int | str) -> OrderStatusInfo:
        """An order's current state, by id, on the older path (prefer :meth:`status`).

        Calls ``GET /getOrderStatusByOrderId`` with ``marketId`` and ``orderId``.

        Args:
            market_id: the order's market, e.g. ``1338``; an ``int`` or a string of digits.
            order_id: the u128 order id as an ``int`` or a decimal string (never a ``float``),
                e.g. ``"11905620858892513160724480"``.

        Returns:
            An :class:`~kana_async.OrderStatusInfo`: ``status`` (``Open``, ``Partially
            Filled``, ``Filled`` or ``Cancelled``), price in quote currency and sizes in base
            asset as ``Decimal``, where the server sends them.

        Raises:
            NotFoundError: HTTP 404; the simulator answers so for an order it does not know
                in that market.
            UnknownMarketError: ``market_id`` is not one of the exchange's markets.
            InvalidArgumentError: ``order_id`` is not a non-negative decimal integer that fits
                in a u128, or ``market_id`` is out of range.
            ArgumentTypeError: ``order_id`` is not an ``int`` or ``str``, or ``market_id`` not
                an ``int``.
            ClientStateError: the client is not open.
            APIError: the server refused the request or sent an unusable answer
                (``RateLimitError``, ``ServerError``, ``UnsuccessfulResponseError``,
                ``ResponseDecodeError``...).
            TransportError: no answer arrived, even after the client's retries
                (``ConnectError``, ``RequestTimeoutError``).
        """
        return await self._status("/getOrderStatusByOrderId", market_id, order_id, None)

    async def _status(
        self,
        path: str,
        market_id: int,
        order_id: int | str,
        timeout: float | None,  # noqa: ASYNC109 - a per-request transport timeout
    ) -> OrderStatusInfo:
        params = {"marketId": str(self._market(market_id)), "orderId": check_order_id(order_id)}
        result: OrderStatusInfo = await self._read(path, OrderStatusInfo, params, timeout=timeout)
        return result
