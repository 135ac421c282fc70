"""The base of every model: a frozen msgspec Struct that ignores unknown fields.

Models print short: ``Trade(market_id=1338, size=1.5, price=5.75, trade_id='42')`` with plain
decimals, fields that are ``None`` left out and long addresses shortened; in a notebook they show
as a small HTML table (``_repr_html_``).
"""

from __future__ import annotations

import enum
import html
from decimal import Decimal
from typing import Any, Final

import msgspec

__all__ = ["HotModel", "Model", "html_table", "plain"]

_ADDRESS_SHOWN = 6  # hex digits kept at each end of a long address


#: How many zeros plain notation may add to a decimal's own digits; past that it is shown in
#: scientific notation (``1E-999999999999999999`` would be a quintillion zeros in plain digits).
PLAIN_ZEROS: Final = 100


def decimal_text(value: Decimal) -> str:
    """A decimal in plain digits (``5.750``, ``0.0000001``, ``100000``; never ``1E+5``).

    Values whose plain form would add more than :data:`PLAIN_ZEROS` zeros to their own digits
    (only from hostile or broken input) are written in scientific notation instead, and NaN
    and infinities as Python writes them, so the text stays as long as the value's own digits.

    Args:
        value: the decimal.

    Returns:
        The text.

    Never raises.
    """
    if value.is_finite():
        parts = value.as_tuple()
        exponent = parts.exponent
        assert isinstance(exponent, int)  # finite: an int exponent
        if -PLAIN_ZEROS - len(parts.digits) <= exponent <= PLAIN_ZEROS:
            return f"{value:f}"
    return str(value)


def plain(value: Any) -> str:
    """A field value as a person reads it: ``5.75`` not ``Decimal('5.75')``, ``LONG`` for enums.

    Args:
        value: any field value.

    Returns:
        Decimals in plain notation, enum members by name, strings quoted (a long ``0x``
        address shortened to its first and last six hex digits), lists and tuples as
        ``[n items]``, anything else as ``str(value)``.

    Never raises.
    """
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, str):
        if value.startswith("0x") and len(value) > 2 + 2 * _ADDRESS_SHOWN + 2:
            return repr(f"{value[: 2 + _ADDRESS_SHOWN]}…{value[-_ADDRESS_SHOWN:]}")
        return repr(value)
    if isinstance(value, tuple | list):
        return f"[{len(value)} items]"
    return str(value)


def _shown_fields(model: msgspec.Struct) -> list[tuple[str, Any]]:
    return [
        (name, value)
        for name in model.__struct_fields__
        if (value := getattr(model, name)) is not None
    ]


def _repr(model: msgspec.Struct) -> str:
    inner = ", ".join(f"{name}={plain(value)}" for name, value in _shown_fields(model))
    return f"{type(model).__name__}({inner})"


def html_table(header: list[str], rows: list[list[str]], caption: str | None = None) -> str:
    """A small HTML table; every cell is escaped (the values come from the network).

    Args:
        header: the column titles.
        rows: the cells, row by row, as text.
        caption: a caption above the table, or ``None`` for none.

    Returns:
        ``<table>`` markup.

    Never raises.
    """
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _repr_html(model: msgspec.Struct) -> str:
    rows = [[name, plain(value).strip("'")] for name, value in _shown_fields(model)]
    return html_table(["field", "value"], rows, caption=type(model).__name__)


class Model(msgspec.Struct, frozen=True, kw_only=True):
    """A frozen, keyword-only record decoded straight from JSON bytes.

    Unknown fields are ignored and new optional fields have defaults, so a server that adds a
    field never breaks a user. Numbers that arrive as strings are accepted (decoders are lax).
    """

    def __repr__(self) -> str:
        return _repr(self)

    def _repr_html_(self) -> str:
        """The fields as an HTML table (Jupyter shows this instead of the repr)."""
        return _repr_html(self)


class HotModel(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A :class:`Model` for hot-path stream rows: untracked by the garbage collector.

    Safe because these rows hold only scalars, so they can never be part of a reference cycle.
    """

    def __repr__(self) -> str:
        return _repr(self)

    def _repr_html_(self) -> str:
        """The fields as an HTML table (Jupyter shows this instead of the repr)."""
        return _repr_html(self)
