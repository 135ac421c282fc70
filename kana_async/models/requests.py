"""Request records: one order of a multi-order request (spec §3 #8b, #9)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from kana_async._exceptions import InvalidArgumentError
from kana_async._validation import (
    check_decimal,
    check_direction,
    check_int,
    check_order_type,
    check_restriction,
    check_side,
)
from kana_async.models.enums import Direction, OrderType, Restriction, Side

__all__ = ["OrderRequest"]


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRequest:
    """One new order inside ``placeMultipleOrders`` / ``cancelAndPlaceMultipleOrders``.

    Values are checked when the record is built, so a bad order fails before any request.
    Build one with :meth:`limit` or :meth:`market`, or directly::

        OrderRequest(side=Side.LONG, size=Decimal("1"), price=Decimal("5.5"), leverage=2)

    Sizes and prices are human units (``Decimal``, or a numeric string, converted on creation;
    ``float`` is refused). ``price`` is required for a limit order and must be ``None`` (sent as
    0) for a market order. ``take_profit`` / ``stop_loss`` of ``None`` mean "none" (sent as 0).
    """

    side: Side
    size: Decimal
    leverage: int
    price: Decimal | None = None
    order_type: OrderType = OrderType.LIMIT
    direction: Direction = Direction.OPEN
    restriction: Restriction = Restriction.NO_RESTRICTION
    take_profit: Decimal | None = None
    stop_loss: Decimal | None = None

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "side", Side.from_wire(check_side(self.side)))
        put(self, "order_type", OrderType(check_order_type(self.order_type)))
        put(self, "direction", Direction(check_direction(self.direction)))
        put(self, "restriction", Restriction(check_restriction(self.restriction)))
        put(self, "size", check_decimal(self.size, "size"))
        put(self, "leverage", check_int(self.leverage, "leverage", minimum=1))
        if self.order_type is OrderType.LIMIT:
            if self.price is None:
                raise InvalidArgumentError("a limit order needs a price")
            put(self, "price", check_decimal(self.price, "price"))
        elif self.price is not None:
            raise InvalidArgumentError(
                "a market order takes no price; leave price=None or use OrderType.LIMIT"
            )
        for name in ("take_profit", "stop_loss"):
            value = getattr(self, name)
            if value is not None:
                put(self, name, check_decimal(value, name, allow_zero=True))

    @classmethod
    def limit(
        cls,
        *,
        side: Side | bool,
        size: Decimal | str,
        price: Decimal | str,
        leverage: int,
        direction: Direction | bool = Direction.OPEN,
        restriction: Restriction = Restriction.NO_RESTRICTION,
        take_profit: Decimal | str | None = None,
        stop_loss: Decimal | str | None = None,
    ) -> OrderRequest:
        """A limit order."""
        return cls(
            side=side,  # type: ignore[arg-type]  # normalised in __post_init__
            size=size,  # type: ignore[arg-type]
            price=price,  # type: ignore[arg-type]
            leverage=leverage,
            order_type=OrderType.LIMIT,
            direction=direction,  # type: ignore[arg-type]
            restriction=restriction,
            take_profit=take_profit,  # type: ignore[arg-type]
            stop_loss=stop_loss,  # type: ignore[arg-type]
        )

    @classmethod
    def market(
        cls,
        *,
        side: Side | bool,
        size: Decimal | str,
        leverage: int,
        direction: Direction | bool = Direction.OPEN,
        take_profit: Decimal | str | None = None,
        stop_loss: Decimal | str | None = None,
    ) -> OrderRequest:
        """A market order (sent with price 0)."""
        return cls(
            side=side,  # type: ignore[arg-type]
            size=size,  # type: ignore[arg-type]
            leverage=leverage,
            order_type=OrderType.MARKET,
            direction=direction,  # type: ignore[arg-type]
            take_profit=take_profit,  # type: ignore[arg-type]
            stop_loss=stop_loss,  # type: ignore[arg-type]
        )

    @property
    def wire_price(self) -> Decimal:
        """The price as sent: the limit price, or 0 for a market order."""
        return self.price if self.price is not None else Decimal(0)
