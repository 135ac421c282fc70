"""Kana's on-chain events for the transactions the fake node executes, laid out as on mainnet.

The engine tells its subscribers what changed (:class:`~.engine.records.OrderEvent`,
:class:`~.engine.records.TradeEvent`); :class:`ChainEventRecorder` collects those while one
transaction runs and turns them into the ``events`` list of the committed transaction, in the
order the changes happened:

* ``<package>::perpetual_core::PlaceOrderEvent`` when an order is accepted, before its fills;
* ``<package>::perpetual_core::FillEvent`` for each side of every match, the maker's first;
* ``<book>::user::CancelOrderEvent`` (the order-book layer's, with ``custodian_id``, ``reason``,
  ``user``) followed by ``<package>::perpetual_core::CancelOrderEvent`` for every order removed:
  explicit cancels, the unfilled rest of a market order, a resting order removed by self-trade
  prevention.

Every Kana event has the envelope ``{"guid": {"creation_number": "0", "account_address":
"0x0…0"}, "sequence_number": "0", "type", "data"}`` and ``data["__variant__"] == "V1"``; the
order-book events live on a per-profile event handle (creation number
:data:`USER_CANCEL_HANDLE`, sequence numbers counting up from 0). Integers wider than 8 bits
(ids, sizes in lots, prices in ticks, fees in collateral units, timestamps in unix seconds) are
decimal strings; ``order_type`` and ``restriction`` are JSON numbers; addresses are profile
addresses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

from . import contract
from .engine import Exchange, normalize_address
from .engine.records import Event, FillRecord, OrderEvent, OrderRecord, TradeEvent

__all__ = [
    "CUSTODIAN_ID",
    "REASON_MANUAL_CANCEL",
    "REASON_NOT_ENOUGH_LIQUIDITY",
    "REASON_SELF_MATCH_MAKER",
    "USER_CANCEL_HANDLE",
    "ChainEvent",
    "ChainEventRecorder",
    "translate",
]

ChainEvent = dict[str, Any]

#: Order-book cancel reasons (``reason`` of ``user::CancelOrderEvent``), as the book numbers them.
REASON_MANUAL_CANCEL: Final = 3
REASON_NOT_ENOUGH_LIQUIDITY: Final = 5
REASON_SELF_MATCH_MAKER: Final = 6
#: The exchange's custodian id on the order book (``custodian_id``).
CUSTODIAN_ID: Final = 2
#: Creation number of a profile's ``user::CancelOrderEvent`` handle.
USER_CANCEL_HANDLE: Final = 12

_ZERO_ADDRESS: Final = "0x" + "0" * 64
_CANCEL_PARAMS: Final = ("order_ids", "cancel_order_ids")


class ChainEventRecorder:
    """Collects the engine events of one transaction and lays them out as chain events.

    Args:
        exchange: the engine; the recorder subscribes to it for its whole life.
    """

    def __init__(self, exchange: Exchange) -> None:
        self._buffer: list[Event] | None = None
        self._handles: dict[str, int] = {}
        exchange.subscribe(self._collect)

    def _collect(self, event: Event) -> None:
        if self._buffer is not None:
            self._buffer.append(event)

    def record(
        self, function_id: str, args: Sequence[Any], action: Callable[[], object]
    ) -> list[ChainEvent]:
        """Run ``action`` (one entry function call) and return the events it caused.

        ``function_id`` and ``args`` tell explicit cancels (the call's order-id vector) from
        orders the engine removed by itself. Exceptions of ``action`` propagate and nothing is
        returned: a failed transaction has no events.
        """
        self._buffer = []
        try:
            action()
            events = self._buffer
        finally:
            self._buffer = None
        package = normalize_address(function_id.split("::", 1)[0])
        return translate(events, explicit_cancels(function_id, args), self._handles, package)


def explicit_cancels(function_id: str, args: Sequence[Any]) -> frozenset[int]:
    """The order ids a call cancels by name (``order_ids`` / ``cancel_order_ids``)."""
    fn = contract.entry_function(function_id)
    if fn is None:
        return frozenset()
    for name in _CANCEL_PARAMS:
        if name in fn.param_names:
            ids = args[fn.param_names.index(name)]
            return frozenset(i for i in ids if isinstance(i, int))
    return frozenset()


def translate(
    events: Sequence[Event],
    explicit: frozenset[int],
    handles: dict[str, int],
    package: str = contract.KANA_PACKAGE,
) -> list[ChainEvent]:
    """Lay the engine ``events`` of one transaction out as chain events (see the module).

    ``explicit`` are the ids the call cancelled by name; ``handles`` holds each profile's next
    ``user::CancelOrderEvent`` sequence number and is advanced.
    """
    stream = [e for e in events if isinstance(e, OrderEvent | TradeEvent)]
    final: dict[int, OrderRecord] = {}
    for event in stream:
        if isinstance(event, OrderEvent):
            final[event.order.order_id] = event.order
    new = _new_orders(stream)
    out: list[ChainEvent] = []
    placed: set[int] = set()

    def place(order_id: int | None) -> None:
        if order_id in new and order_id not in placed and order_id in final:
            placed.add(order_id)
            out.append(_kana(package, "PlaceOrderEvent", _place_data(final[order_id])))

    for index, event in enumerate(stream):
        if isinstance(event, TradeEvent):
            place(event.taker.order_id)
            out.append(_kana(package, "FillEvent", _fill_data(event.maker)))
            out.append(_kana(package, "FillEvent", _fill_data(event.taker)))
            continue
        order = event.order
        if order.status != "Cancelled":
            place(order.order_id)
            continue
        if order.order_id in new and order.is_market_order:
            place(order.order_id)
            reason = REASON_NOT_ENOUGH_LIQUIDITY
        elif order.order_id not in new and order.order_id in explicit:
            reason = REASON_MANUAL_CANCEL
        else:  # removed by self-trade prevention while the next new order was matching
            place(_upcoming(stream, index, new, placed))
            reason = REASON_SELF_MATCH_MAKER
        out.append(_user_cancel(order, reason, handles))
        out.append(_kana(package, "CancelOrderEvent", _cancel_data(order)))
    return out


def _new_orders(stream: Sequence[OrderEvent | TradeEvent]) -> set[int]:
    """Ids of the orders this transaction placed.

    A taker is always new and a maker never is (the engine reports a maker's new state before
    the trade); any other order is new unless its first event cancels a resting (non-market)
    order.
    """
    makers = {e.maker.order_id for e in stream if isinstance(e, TradeEvent)}
    seen: set[int] = set()
    new: set[int] = set()
    for event in stream:
        if isinstance(event, TradeEvent):
            firsts = [(event.taker.order_id, True)]
        else:
            order = event.order
            firsts = [(order.order_id, order.status != "Cancelled" or order.is_market_order)]
        for order_id, is_new in firsts:
            if order_id is not None and order_id not in seen:
                seen.add(order_id)
                if is_new and order_id not in makers:
                    new.add(order_id)
    return new


def _upcoming(
    stream: Sequence[OrderEvent | TradeEvent], index: int, new: set[int], placed: set[int]
) -> int | None:
    for event in stream[index + 1 :]:
        order_id = event.taker.order_id if isinstance(event, TradeEvent) else event.order.order_id
        if order_id in new and order_id not in placed:
            return order_id
    return None


def _kana(package: str, name: str, data: dict[str, Any]) -> ChainEvent:
    return {
        "guid": {"creation_number": "0", "account_address": _ZERO_ADDRESS},
        "sequence_number": "0",
        "type": f"{package}::{contract.EVENT_MODULE}::{name}",
        "data": {"__variant__": "V1", **data},
    }


def _place_data(order: OrderRecord) -> dict[str, Any]:
    return {
        "market_id": str(order.market_id),
        "order_id": str(order.order_id),
        "order_type": order.order_type,
        "trade_side": order.trade_side,
        "direction": order.direction,
        "size": str(order.total_size),
        "price": "0" if order.is_market_order else str(order.price),
        "leverage": str(order.leverage),
        "restriction": order.restriction,
        "profile_address": order.address,
        "timestamp": str(order.timestamp),
    }


def _fill_data(fill: FillRecord) -> dict[str, Any]:
    return {
        "market_id": str(fill.market_id),
        "order_id": str(fill.order_id),
        "order_type": fill.order_type,
        "trade_side": fill.trade_side,
        "direction": fill.direction,
        "size": str(fill.size),
        "price": str(fill.price),
        "fee": str(fill.fee),
        "is_maker": fill.is_maker,
        "trade_id": str(fill.trade_id),
        "profile_address": fill.address,
        "timestamp": str(fill.timestamp),
    }


def _cancel_data(order: OrderRecord) -> dict[str, Any]:
    return {
        "market_id": str(order.market_id),
        "order_id": str(order.order_id),
        "order_type": order.order_type,
        "profile_address": order.address,
        "timestamp": str(order.last_updated),
        "trade_side": order.trade_side,
    }


def _user_cancel(order: OrderRecord, reason: int, handles: dict[str, int]) -> ChainEvent:
    sequence = handles.get(order.address, 0)
    handles[order.address] = sequence + 1
    return {
        "guid": {
            "creation_number": str(USER_CANCEL_HANDLE),
            "account_address": order.address,
        },
        "sequence_number": str(sequence),
        "type": f"{contract.ORDER_BOOK_PACKAGE}::user::CancelOrderEvent",
        "data": {
            "custodian_id": str(CUSTODIAN_ID),
            "market_id": str(order.market_id),
            "order_id": str(order.order_id),
            "reason": reason,
            "user": order.address,
        },
    }
