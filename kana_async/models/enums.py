"""Enumerations of the Kana API, with the wire value as each member's value."""

from __future__ import annotations

import enum

__all__ = ["Direction", "OrderStatus", "OrderType", "Restriction", "Side"]


class Side(enum.Enum):
    """The side of an order or position; the value is the wire's ``tradeSide`` boolean.

    Attributes:
        LONG: ``True``: buy / long.
        SHORT: ``False``: sell / short.
    """

    LONG = True
    SHORT = False

    @classmethod
    def from_wire(cls, value: bool) -> Side:
        """The side a wire boolean stands for. Never raises.

        Args:
            value: the ``tradeSide`` / ``trade_side`` boolean (any truthy value counts as
                ``True``).

        Returns:
            :attr:`LONG` for ``True``, :attr:`SHORT` for ``False``.
        """
        return cls.LONG if value else cls.SHORT


class Direction(enum.Enum):
    """Whether an order opens or closes a position; the value is the wire's ``direction``.

    Attributes:
        OPEN: ``False``: open or increase a position.
        CLOSE: ``True``: close or reduce a position.
    """

    OPEN = False
    CLOSE = True


class OrderType(enum.Enum):
    """The kind of an order in multi-order requests; the value is the ``orderTypes[]`` boolean.

    Attributes:
        LIMIT: ``True``: a limit order (rests at its price if not filled).
        MARKET: ``False``: a market order (sent with price 0; fills against the book).
    """

    LIMIT = True
    MARKET = False


class Restriction(enum.IntEnum):
    """How a limit order may meet the book; the value is the wire's ``restriction`` integer.

    The value 2 is not used by Kana.

    Attributes:
        NO_RESTRICTION: ``0`` (the default): take liquidity where possible, rest the remainder
            on the book as maker.
        FILL_OR_ABORT: ``1``: abort the whole order if any part of it would rest on the book.
        POST_OR_ABORT: ``3``: abort the whole order if any part of it would take liquidity.
    """

    NO_RESTRICTION = 0
    FILL_OR_ABORT = 1
    POST_OR_ABORT = 3


class OrderStatus(enum.StrEnum):
    """An order's status; the value is the API's spelling.

    Attributes:
        OPEN: ``"Open"``: resting on the book, nothing filled yet.
        PARTIALLY_FILLED: ``"Partially Filled"``: partly filled; the remainder still rests
            under the same order id.
        FILLED: ``"Filled"``: completely filled; no open order with this id remains.
        CANCELLED: ``"Cancelled"``: cancelled by its owner, or removed by the exchange (e.g.
            the unfilled rest of a market order).
    """

    OPEN = "Open"
    PARTIALLY_FILLED = "Partially Filled"
    FILLED = "Filled"
    CANCELLED = "Cancelled"
