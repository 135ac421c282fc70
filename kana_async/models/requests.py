"""Request records: one order of a multi-order request."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from kana_async._exceptions import InvalidArgumentError
from kana_async._validation import (
    MAX_U64,
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
    """One new order inside a multi-order request (``POST /placeMultipleOrders``,
    ``POST /cancelAndPlaceMultipleOrders``).

    Values are checked when the record is built, so a bad order fails before any request.
    Build one with :meth:`limit` or :meth:`market`, or directly::

        OrderRequest(side=Side.LONG, size=Decimal("1"), price=Decimal("5.5"), leverage=2)

    Sizes and prices are human units (``Decimal``, an ``int`` or a numeric string, converted on
    creation; ``float`` is refused). Whether they sit on the market's lot and tick grid is
    checked later, against the market's info, when the request is sent.

    Attributes:
        side: ``Side.LONG`` / ``Side.SHORT`` (or the wire boolean: ``True`` long).
        size: the order size in base asset, above zero (e.g. ``Decimal("1.5")`` APT).
        leverage: the leverage, an ``int`` of at least 1 (the market's ``max_leverage`` is
            the upper bound; when adding to or closing a position it must equal the
            position's leverage).
        price: the limit price in quote currency; required for a limit order, and ``None``
            (sent as 0) for a market order.
        order_type: ``OrderType.LIMIT`` (default) or ``OrderType.MARKET`` (or the wire
            boolean: ``True`` limit).
        direction: ``Direction.OPEN`` (default) to open or increase a position,
            ``Direction.CLOSE`` to close or reduce one (or the wire boolean: ``False`` open).
        restriction: a :class:`~kana_async.Restriction` (``0`` no restriction, the default;
            ``1`` fill or abort; ``3`` post or abort).
        take_profit: a take-profit price in quote currency; ``None`` (sent as 0) for none.
        stop_loss: a stop-loss price in quote currency; ``None`` (sent as 0) for none.

    Raises:
        InvalidArgumentError: a limit order without a price, a market order with one, or a
            value out of range (``size`` not above zero, ``leverage`` below 1, an unknown
            ``restriction``, a negative ``take_profit`` / ``stop_loss``).
        ArgumentTypeError: a value has the wrong type (e.g. a ``float`` amount, or a side
            that is neither a ``Side`` nor a ``bool``).
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
        put(self, "leverage", check_int(self.leverage, "leverage", minimum=1, maximum=MAX_U64))
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
        """A limit order: it takes what it can at ``price`` or better and rests the rest.

        Args:
            side: ``Side.LONG`` / ``Side.SHORT``, or ``True`` for long.
            size: the order size in base asset, above zero (``Decimal`` or numeric string).
            price: the limit price in quote currency (``Decimal`` or numeric string).
            leverage: the leverage, an ``int`` of at least 1.
            direction: ``Direction.OPEN`` (default) or ``Direction.CLOSE``, or ``False`` for
                open.
            restriction: a :class:`~kana_async.Restriction`; default ``NO_RESTRICTION``.
            take_profit: a take-profit price in quote currency, or ``None`` for none.
            stop_loss: a stop-loss price in quote currency, or ``None`` for none.

        Returns:
            The checked :class:`OrderRequest` with ``order_type=OrderType.LIMIT``.

        Raises:
            InvalidArgumentError: a value is out of range: ``size`` not above zero,
                ``leverage`` below 1, a negative ``take_profit`` / ``stop_loss``, or a
                non-numeric string.
            ArgumentTypeError: a value has the wrong type (e.g. a ``float`` amount).
        """
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
        """A market order: it fills against the book at once (sent with price 0).

        Args:
            side: ``Side.LONG`` / ``Side.SHORT``, or ``True`` for long.
            size: the order size in base asset, above zero (``Decimal`` or numeric string).
            leverage: the leverage, an ``int`` of at least 1.
            direction: ``Direction.OPEN`` (default) or ``Direction.CLOSE``, or ``False`` for
                open.
            take_profit: a take-profit price in quote currency, or ``None`` for none.
            stop_loss: a stop-loss price in quote currency, or ``None`` for none.

        Returns:
            The checked :class:`OrderRequest` with ``order_type=OrderType.MARKET`` and no price.

        Raises:
            InvalidArgumentError: a value is out of range: ``size`` not above zero,
                ``leverage`` below 1, a negative ``take_profit`` / ``stop_loss``, or a
                non-numeric string.
            ArgumentTypeError: a value has the wrong type (e.g. a ``float`` amount).
        """
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
        """The price as sent, in quote currency: the limit price, or 0 for a market order."""
        return self.price if self.price is not None else Decimal(0)
