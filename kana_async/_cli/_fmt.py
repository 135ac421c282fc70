"""Plain-text formatting of numbers, times and rows (no terminal library here).

Money stays :class:`~decimal.Decimal` all the way to the text: nothing goes through float, and
JSON lines carry decimals as plain strings (``"5.750"``, never ``5.75E+0``).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TextIO

import msgspec

from kana_async.models._base import decimal_text

__all__ = ["CsvWriter", "dec", "json_line", "row_dict", "side_name", "when"]


def _plain_decimal(value: object) -> str:
    if isinstance(value, Decimal):
        return dec(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def dec(value: Decimal | int | None, dash: str = "-") -> str:
    """A number as plain digits (``5.5``, ``0.001``, never ``5.5E+1``; see ``decimal_text``).

    Args:
        value: a ``Decimal`` or ``int``, or ``None``.
        dash: what to show for ``None``.

    Returns:
        The digits, or ``dash``.

    Never raises.
    """
    if value is None:
        return dash
    if isinstance(value, int):
        return str(value)
    return decimal_text(value)


def when(unix_seconds: int | None, *, date: bool = False) -> str:
    """A unix time as UTC wall-clock text.

    Args:
        unix_seconds: the time in unix seconds, or ``None``.
        date: include the date (``YYYY-MM-DD HH:MM:SS``) instead of ``HH:MM:SS`` alone.

    Returns:
        The text, or ``-`` for ``None``.

    Raises:
        OverflowError, OSError, ValueError: the time is out of the range the platform's clock
            functions handle.
    """
    if unix_seconds is None:
        return "-"
    moment = datetime.fromtimestamp(unix_seconds, UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S" if date else "%H:%M:%S")


def side_name(is_long: bool | None) -> str:
    """A side as a word.

    Args:
        is_long: ``True`` for long, ``False`` for short, ``None`` when unknown.

    Returns:
        ``long``, ``short`` or ``-``.

    Never raises.
    """
    if is_long is None:
        return "-"
    return "long" if is_long else "short"


def row_dict(row: Any) -> dict[str, Any]:
    """A model as JSON-ready builtins, under its wire names.

    Args:
        row: a model (any msgspec Struct).

    Returns:
        A ``dict`` of its fields; decimals stay ``Decimal`` (written as plain digits by
        :func:`json_line` and :class:`CsvWriter`), u128 ids stay exact strings.

    Raises:
        TypeError: ``row`` holds a value msgspec cannot convert.
    """
    data: dict[str, Any] = msgspec.to_builtins(row, builtin_types=(Decimal,))
    return data


def json_line(item: Any) -> str:
    """One JSON object on one line.

    Args:
        item: JSON-ready builtins (as :func:`row_dict` makes), ``Decimal`` values allowed.

    Returns:
        The compact JSON text with a trailing newline; decimals as plain-digit strings, u128
        ids exact.

    Raises:
        TypeError: ``item`` holds something other than builtins and decimals.
    """
    return (
        json.dumps(item, default=_plain_decimal, separators=(",", ":"), ensure_ascii=False) + "\n"
    )


class CsvWriter:
    """Rows of one model type as CSV: the header is the model's wire field names.

    The header is written at once. Decimals are plain digits, booleans ``true``/``false``,
    ``None`` an empty cell, nested values compact JSON.

    Args:
        out: the text stream to write (open it with ``newline=""``).
        model: the model type of the rows.
    """

    def __init__(self, out: TextIO, model: type[msgspec.Struct]) -> None:
        self._out = out
        self._fields = [f.encode_name for f in msgspec.structs.fields(model)]
        self._csv = csv.DictWriter(out, fieldnames=self._fields, extrasaction="ignore")
        self._csv.writeheader()

    def write(self, row: Any) -> None:
        """Write one row (fields the header lacks are left out).

        Args:
            row: a model of the writer's type.

        Raises:
            OSError: the stream cannot be written.
        """
        self._csv.writerow({k: _cell(v) for k, v in row_dict(row).items()})

    def write_all(self, rows: Iterable[Any]) -> None:
        """Write every row, in order.

        Args:
            rows: models of the writer's type.

        Raises:
            OSError: the stream cannot be written.
        """
        for row in rows:
            self.write(row)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return dec(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, default=_plain_decimal, separators=(",", ":"))
    return str(value)
