"""The orders this client placed, by id, so that cancelling needs no side from the caller.

Open-order rows carry no side, yet Kana's cancel needs one per order. :class:`KnownOrders` keeps
the side of every order the client's transactions placed (fed from their decoded events) and
answers :meth:`KnownOrders.resolve_sides`; for an id it does not know it asks a lookup the caller
passes in, such as :func:`chain_side_lookup`, which reads the side from the order's last on-chain
event. Every method that changes the registry is synchronous, so concurrent tasks of one event
loop always see it consistent.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from decimal import Decimal
from typing import Final

import anyio

from kana_async._exceptions import InvalidArgumentError, NotFoundError
from kana_async._validation import check_market_id, check_order_id
from kana_async.models._base import Model
from kana_async.models.enums import OrderStatus, Side
from kana_async.models.events import OrderCancelled, OrderFilled, OrderPlaced, TransactionEvents
from kana_async.models.orders import OrderStatusInfo

__all__ = ["DEFAULT_CAPACITY", "KnownOrder", "KnownOrders", "SideLookup", "chain_side_lookup"]

#: How many orders a registry keeps before it forgets the oldest.
DEFAULT_CAPACITY: Final = 10_000
#: How many side lookups :meth:`KnownOrders.resolve_sides` runs at once.
_LOOKUPS_AT_ONCE: Final = 8
_SHOWN_IDS: Final = 10

#: ``lookup(market_id, order_id)`` → the order's side, or ``None`` if it cannot be found.
SideLookup = Callable[[int, str], Awaitable[Side | None]]


class KnownOrder(Model, frozen=True):
    """An order whose side the client knows.

    Attributes:
        market_id: the market.
        order_id: the u128 id as its exact decimal string.
        side: long or short.
        status: ``Open`` or ``Partially Filled`` for an order this client placed, as far as its
            own transactions tell (fills by other accounts' transactions are not seen); ``None``
            for an order whose side was looked up.
        remaining: the size still open, in base asset, when known.
        placed_here: whether one of this client's transactions placed it.
    """

    market_id: int
    order_id: str
    side: Side
    status: OrderStatus | None = None
    remaining: Decimal | None = None
    placed_here: bool = False


class KnownOrders:
    """A bounded registry of orders and their sides, keyed by ``(market_id, order_id)``.

    Args:
        capacity: how many orders to keep; past it the oldest entry is forgotten (its side can
            still be looked up again).

    Raises:
        InvalidArgumentError: ``capacity`` is below 1.
    """

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise InvalidArgumentError(f"capacity must be at least 1, got {capacity}")
        self._capacity = capacity
        self._orders: OrderedDict[tuple[int, str], KnownOrder] = OrderedDict()

    def __len__(self) -> int:
        return len(self._orders)

    def __repr__(self) -> str:
        return f"KnownOrders({len(self._orders)} of at most {self._capacity})"

    def record(self, events: TransactionEvents) -> None:
        """Apply one committed transaction's events: placed orders are added, fills reduce what
        remains (a fully filled order is removed), cancelled orders are removed.

        Pass events decoded for this client's own profile: every placed order is taken to be
        its own. Placements are applied before fills and fills before cancels, which is the
        order they happen in for any one order within a transaction.

        Args:
            events: the transaction's decoded events, sizes in base asset.

        Never raises.
        """
        for placed in events.placed:
            self._put(
                KnownOrder(
                    market_id=placed.market_id,
                    order_id=placed.order_id,
                    side=placed.side,
                    status=OrderStatus.OPEN,
                    remaining=placed.size,
                    placed_here=True,
                )
            )
        for fill in events.filled:
            key = (fill.market_id, fill.order_id)
            known = self._orders.get(key)
            if known is None or known.remaining is None:
                continue
            remaining = known.remaining - fill.size
            if remaining <= 0:
                del self._orders[key]
            else:
                self._orders[key] = _replace(known, OrderStatus.PARTIALLY_FILLED, remaining)
        for cancelled in events.cancelled:
            self._orders.pop((cancelled.market_id, cancelled.order_id), None)

    def remember(self, market_id: int, order_id: int | str, side: Side) -> None:
        """Note the side of an order this client did not place (given by a caller, looked up).

        An entry already known is left as it is.

        Args:
            market_id: the order's market.
            order_id: the u128 order id, ``int`` or decimal string.
            side: the order's side.

        Raises:
            ArgumentTypeError: ``order_id`` is neither an ``int`` nor a ``str``.
            InvalidArgumentError: ``order_id`` is not a u128 (a decimal string or ``int`` from 0
                to ``2**128 - 1``).
        """
        key = (market_id, check_order_id(order_id))
        if key not in self._orders:
            self._put(KnownOrder(market_id=market_id, order_id=key[1], side=side))

    def forget(self, market_id: int, order_id: int | str) -> None:
        """Drop an order from the registry (nothing happens if it is not there).

        Args:
            market_id: the order's market.
            order_id: the u128 order id, ``int`` or decimal string.

        Raises:
            ArgumentTypeError: ``order_id`` is neither an ``int`` nor a ``str``.
            InvalidArgumentError: ``order_id`` is not a u128 (a decimal string or ``int`` from 0
                to ``2**128 - 1``).
        """
        self._orders.pop((market_id, check_order_id(order_id)), None)

    def get(self, market_id: int, order_id: int | str) -> KnownOrder | None:
        """The registry's entry for an order.

        Args:
            market_id: the order's market.
            order_id: the u128 order id, ``int`` or decimal string.

        Returns:
            The entry, or ``None`` if the registry does not know the order.

        Raises:
            ArgumentTypeError: ``order_id`` is neither an ``int`` nor a ``str``.
            InvalidArgumentError: ``order_id`` is not a u128 (a decimal string or ``int`` from 0
                to ``2**128 - 1``).
        """
        return self._orders.get((market_id, check_order_id(order_id)))

    def side(self, market_id: int, order_id: int | str) -> Side | None:
        """The side of an order, from the registry alone.

        Args:
            market_id: the order's market.
            order_id: the u128 order id, ``int`` or decimal string.

        Returns:
            The side, or ``None`` if the registry does not know the order.

        Raises:
            ArgumentTypeError: ``order_id`` is neither an ``int`` nor a ``str``.
            InvalidArgumentError: ``order_id`` is not a u128 (a decimal string or ``int`` from 0
                to ``2**128 - 1``).
        """
        known = self.get(market_id, order_id)
        return None if known is None else known.side

    def placed(self, market_id: int | None = None) -> list[KnownOrder]:
        """The orders this client placed that are still open as far as it knows, oldest first.

        Args:
            market_id: only this market's; ``None`` for every market.

        Returns:
            The entries, with their sides and (as far as this client's transactions tell) their
            status and remaining size in base asset.

        Never raises.
        """
        return [
            known
            for known in self._orders.values()
            if known.placed_here and (market_id is None or known.market_id == market_id)
        ]

    async def resolve_sides(
        self,
        market_id: int,
        order_ids: Iterable[int | str],
        lookup: SideLookup | None = None,
    ) -> list[Side]:
        """The side of each order, in the order of ``order_ids``.

        Ids the registry knows are answered at once; the others are passed to ``lookup`` (a few
        at a time), and the sides it finds are remembered.

        Args:
            market_id: the market all the orders are in.
            order_ids: u128 order ids as ``int`` or decimal strings.
            lookup: finds the side of an order the registry does not know (for instance
                :func:`chain_side_lookup`); ``None`` to answer from the registry alone.

        Returns:
            One side per id.

        Raises:
            ArgumentTypeError: an id or the market id has the wrong type.
            InvalidArgumentError: an id is not a u128, or the side of some orders cannot be
                found; the message names those ids.
            KanaError: whatever ``lookup`` raised other than :class:`NotFoundError` (for
                instance a transport error: the side may be found on a retry).
        """
        market = check_market_id(market_id)
        ids = [check_order_id(order_id) for order_id in order_ids]
        missing = list(dict.fromkeys(i for i in ids if self.side(market, i) is None))
        if missing and lookup is not None:
            await self._look_up(market, missing, lookup)
        sides = [self.side(market, i) for i in ids]
        unknown = [i for i, side in zip(ids, sides, strict=True) if side is None]
        if unknown:
            raise InvalidArgumentError(_unknown_message(market, unknown, lookup is not None))
        return [side for side in sides if side is not None]

    async def _look_up(self, market: int, order_ids: list[str], lookup: SideLookup) -> None:
        gate = anyio.Semaphore(_LOOKUPS_AT_ONCE)
        errors: list[Exception] = []

        async def one(order_id: str) -> None:
            async with gate:
                try:
                    side = await lookup(market, order_id)
                except NotFoundError:
                    return
                except Exception as exc:
                    # Kept, not raised in the group: the caller gets the error itself, not an
                    # exception group, once every other look-up has finished.
                    errors.append(exc)
                    return
            if side is not None:
                self.remember(market, order_id, side)

        async with anyio.create_task_group() as group:
            for order_id in order_ids:
                group.start_soon(one, order_id)
        if errors:
            raise errors[0]

    def _put(self, known: KnownOrder) -> None:
        key = (known.market_id, known.order_id)
        self._orders[key] = known
        self._orders.move_to_end(key)
        while len(self._orders) > self._capacity:
            self._orders.popitem(last=False)


def chain_side_lookup(
    order_status: Callable[[int, str], Awaitable[OrderStatusInfo]],
    transaction_events: Callable[[int, int], Awaitable[TransactionEvents | None]],
) -> SideLookup:
    """A :data:`SideLookup` that reads an order's side from the chain.

    No REST row carries an order's side, but every Kana order event does. The order status row
    names the ledger version of the order's last change; that transaction's events include one
    for the order (placed, filled or cancelled) with its side.

    Args:
        order_status: ``(market_id, order_id)`` → the order's status row, e.g.
            ``kana.orders.status`` (``GET /fetchOrderStatusById``); raises
            :class:`NotFoundError` for an unknown order.
        transaction_events: ``(market_id, ledger version)`` → that transaction's events decoded
            with (at least) that market's parameters, or ``None`` (or :class:`NotFoundError`)
            if the node does not have it.

    Returns:
        The lookup; it answers ``None`` when the order or its transaction cannot be found, or
        when that transaction has no event for the order, and lets any other error of
        ``order_status`` or ``transaction_events`` through.

    Never raises (the lookup it returns may).
    """

    async def lookup(market_id: int, order_id: str) -> Side | None:
        try:
            status = await order_status(market_id, order_id)
            if status.transaction_version is None:
                return None
            events = await transaction_events(market_id, status.transaction_version)
        except NotFoundError:
            return None
        if events is None:
            return None
        records: list[OrderPlaced | OrderFilled | OrderCancelled] = [
            *events.placed,
            *events.filled,
            *events.cancelled,
        ]
        for record in records:
            if record.market_id == market_id and record.order_id == order_id:
                return record.side
        return None

    return lookup


def _replace(known: KnownOrder, status: OrderStatus, remaining: Decimal) -> KnownOrder:
    return KnownOrder(
        market_id=known.market_id,
        order_id=known.order_id,
        side=known.side,
        status=status,
        remaining=remaining,
        placed_here=known.placed_here,
    )


def _unknown_message(market: int, order_ids: list[str], looked_up: bool) -> str:
    shown = ", ".join(order_ids[:_SHOWN_IDS])
    if len(order_ids) > _SHOWN_IDS:
        shown += f" and {len(order_ids) - _SHOWN_IDS} more"
    why = (
        "this client did not place them and no order status or chain event gives their side"
        if looked_up
        else "this client did not place them (or has forgotten them)"
    )
    return (
        f"the side of order(s) {shown} in market {market} is unknown: {why}; "
        "pass (order_id, side) pairs to cancel them"
    )
