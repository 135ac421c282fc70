"""Bounded reading of a JSON request body: size, nesting depth, UTF-8 and number literals.

:func:`read_json_object` reads at most :data:`MAX_BODY_BYTES`, refuses invalid UTF-8, nesting
deeper than :data:`MAX_DEPTH`, ``NaN`` / ``Infinity`` literals and strings holding lone
surrogates, and keeps every number exact without ever doing big-number arithmetic: fractions
and exponents become :class:`~decimal.Decimal` (the literal text when even ``Decimal`` cannot
hold the exponent), integers longer than
:data:`~kana_async.sim.wire.MAX_NUMBER_CHARS` digits stay ``Decimal`` too, so the parameter
accessors bound them and name the parameter.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, DecimalException
from typing import Any, Final

from aiohttp import web

from kana_async.sim.wire import MAX_NUMBER_CHARS, WireError, bad

__all__ = ["MAX_BODY_BYTES", "MAX_DEPTH", "parse_json_object", "read_json_object"]

#: Largest request body accepted, in bytes (as a Node/Express JSON parser's default of 100 kB).
MAX_BODY_BYTES: Final = 100 * 1024
#: Deepest nesting of arrays / objects accepted in a request body.
MAX_DEPTH: Final = 32

#: A JSON string literal (escapes included), as an unrolled loop: linear, no backtracking.
_STRING: Final = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET: Final = re.compile(r"[\[\]{}]")

_NOT_AN_OBJECT: Final = "request body must be a JSON object"


class _Refused(Exception):
    """A literal the body parser refuses (``NaN``, ``Infinity``)."""


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """The request's JSON object body, read and parsed within bounds.

    Args:
        request: the incoming request; at most ``MAX_BODY_BYTES + 1`` bytes of it are read.

    Returns:
        The parsed object (see :func:`parse_json_object`).

    Raises:
        WireError: 413 when the body is larger than :data:`MAX_BODY_BYTES`; 400 when it is not
            one valid UTF-8 JSON object within the limits, or when it broke off (the connection
            closed, a chunk was malformed) before it was complete.
    """
    length = request.content_length
    if length is not None and length > MAX_BODY_BYTES:
        raise _too_large()
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.content.iter_any():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise _too_large()
            chunks.append(chunk)
    except (ConnectionResetError, web.RequestPayloadError) as exc:
        # the client hung up, or its chunked / sized body broke off: nobody to answer 500 to
        raise WireError(400, f"request body incomplete: {exc}") from None
    return parse_json_object(b"".join(chunks))


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """One JSON object from ``raw`` UTF-8 bytes (an empty body is not an object).

    Args:
        raw: the body bytes, at most :data:`MAX_BODY_BYTES` long.

    Returns:
        The object; fractions and exponents as ``Decimal``, integers as ``int`` (or ``Decimal``
        when longer than ``MAX_NUMBER_CHARS`` digits).

    Raises:
        WireError: 400 for invalid UTF-8, nesting deeper than :data:`MAX_DEPTH`, invalid JSON,
            ``NaN`` / ``Infinity``, a string with a lone surrogate (naming the parameter) or a
            value that is not an object.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WireError(400, f"request body is not valid UTF-8 (byte {exc.start})") from None
    depth = _depth(text)
    if depth > MAX_DEPTH:
        raise WireError(400, f"request body nests deeper than {MAX_DEPTH} levels")
    try:
        body = json.loads(
            text or "null",
            parse_float=_fraction,
            parse_int=_integer,
            parse_constant=_refuse,
        )
    except _Refused as exc:
        raise WireError(400, f"request body: {exc} is not a JSON number") from None
    except ValueError:
        raise WireError(400, _NOT_AN_OBJECT) from None
    if not isinstance(body, dict):
        raise WireError(400, _NOT_AN_OBJECT)
    _check_strings(body, "")
    return body


def _too_large() -> WireError:
    return WireError(413, f"request body larger than {MAX_BODY_BYTES} bytes")


def _depth(text: str) -> int:
    """The deepest bracket nesting of ``text`` outside string literals (linear time)."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub('""', text)):
        if match.group() in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_DEPTH:
                    break
        else:
            depth -= 1
    return deepest


def _fraction(literal: str) -> Decimal | str:
    """A JSON number with a fraction or exponent: an exact ``Decimal``.

    An exponent beyond what ``Decimal`` represents at all stays the literal text, which the
    parameter accessors then refuse naming the parameter.
    """
    try:
        return Decimal(literal)
    except DecimalException:
        return literal


def _integer(digits: str) -> int | Decimal:
    """A JSON integer literal: ``int`` when short, else an exact ``Decimal`` (no int parsing)."""
    return int(digits) if len(digits) <= MAX_NUMBER_CHARS else Decimal(digits)


def _refuse(literal: str) -> Any:
    raise _Refused(literal)


def _check_strings(value: Any, path: str) -> None:
    """400 naming the parameter when a string (key or value) is not valid Unicode."""
    if isinstance(value, str):
        _valid_text(value, path or "body")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_strings(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else key
            _valid_text(key, name)
            _check_strings(item, name)


def _valid_text(text: str, name: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise bad(name, f"string holds a lone surrogate at index {exc.start}") from None
