"""Enumerations of the Kana API (spec §2.6), with the wire value as each member's value."""

from __future__ import annotations

import enum

__all__ = ["Direction", "OrderStatus", "OrderType", "Restriction", "Side"]


class Side(enum.Enum):
    """Position / order side; the wire value is the ``tradeSide`` boolean."""

    LONG = True
    SHORT = False

    @classmethod
    def from_wire(cls, value: bool) -> Side:
        """``True`` → LONG, ``False`` → SHORT."""
        return cls.LONG if value else cls.SHORT


class Direction(enum.Enum):
    """Whether an order opens/increases or closes/reduces a position (``direction`` boolean)."""

    OPEN = False
    CLOSE = True


class OrderType(enum.Enum):
    """Order kind in multi-order requests (``orderTypes[]``): ``True`` limit, ``False`` market."""

    LIMIT = True
    MARKET = False


class Restriction(enum.IntEnum):
    """Limit-order restriction (``restriction``); 2 is not used by Kana."""

    NO_RESTRICTION = 0
    """Take liquidity where possible, rest the remainder as maker (default)."""
    FILL_OR_ABORT = 1
    """Abort the whole order if any part would rest on the book."""
    POST_OR_ABORT = 3
    """Abort the whole order if any part would take liquidity."""


class OrderStatus(enum.StrEnum):
    """Order status as the API spells it."""

    OPEN = "Open"
    PARTIALLY_FILLED = "Partially Filled"
    FILLED = "Filled"
    CANCELLED = "Cancelled"
