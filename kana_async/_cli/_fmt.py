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

__all__ = ["CsvWriter", "dec", "json_line", "row_dict", "side_name", "when"]


def _plain_decimal(value: object) -> str:
    if isinstance(value, Decimal):
        return dec(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def dec(value: Decimal | int | None, dash: str = "-") -> str:
    """A decimal as plain digits (``5.5``, ``0.001``, never ``5.5E+1``); ``dash`` for ``None``."""
    if value is None:
        return dash
    if isinstance(value, int):
        return str(value)
    return f"{value:f}"


def when(unix_seconds: int | None, *, date: bool = False) -> str:
    """A unix time as UTC ``HH:MM:SS`` (with the date when ``date``); ``-`` for ``None``."""
    if unix_seconds is None:
        return "-"
    moment = datetime.fromtimestamp(unix_seconds, UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S" if date else "%H:%M:%S")


def side_name(is_long: bool | None) -> str:
    """``long`` / ``short`` / ``-``."""
    if is_long is None:
        return "-"
    return "long" if is_long else "short"


def row_dict(row: Any) -> dict[str, Any]:
    """A model as JSON-ready builtins, under its wire names (decimals and ids as strings)."""
    data: dict[str, Any] = msgspec.to_builtins(row, builtin_types=(Decimal,))
    return data


def json_line(item: Any) -> str:
    """One JSON object on one line (decimals as strings, u128 ids exact), with the newline."""
    return (
        json.dumps(item, default=_plain_decimal, separators=(",", ":"), ensure_ascii=False) + "\n"
    )


class CsvWriter:
    """Rows of one model type as CSV: the header is the model's wire field names."""

    def __init__(self, out: TextIO, model: type[msgspec.Struct]) -> None:
        self._out = out
        self._fields = [f.encode_name for f in msgspec.structs.fields(model)]
        self._csv = csv.DictWriter(out, fieldnames=self._fields, extrasaction="ignore")
        self._csv.writeheader()

    def write(self, row: Any) -> None:
        """Write one row."""
        self._csv.writerow({k: _cell(v) for k, v in row_dict(row).items()})

    def write_all(self, rows: Iterable[Any]) -> None:
        """Write every row."""
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
