"""JSON encoding and decoding: the only module that talks to msgspec's codecs.

Decoders are built once per target type and reused. Every decoder is lax (``strict=False``), so
numbers sent as strings decode into ``int`` / ``Decimal`` fields, and untyped floats become
``Decimal`` (``float_hook``), so no money value ever passes through ``float``. msgspec's errors
become :class:`~kana_async.ResponseDecodeError`.

REST replies are decoded in two stages: the thin :class:`Envelope` first, keeping ``data`` as raw
bytes (``msgspec.Raw``), then ``data`` with the endpoint's own type. Both are bounded: bodies
up to :data:`MAX_BODY` bytes, nesting as deep as msgspec reads, and every decoded ``Decimal``
finite, of at most 80 digits and within ``10**±99``; u128 ids sent as JSON numbers are kept as
their exact text. Whatever an answer holds, the only error is ``ResponseDecodeError``.

Websocket frames (``{"message": topic, "data": ...}``) are read without an envelope pass on the hot
path: :func:`peek_message` reads the leading ``message`` member with one anchored regex match, and
:func:`field_decoder` decodes just the ``data`` member of the whole frame later, once, when a
subscriber needs it. :data:`DecodeError` is what every decoder here raises for bad input, and
:func:`decode_error_kind` tells malformed JSON from valid JSON of the wrong shape.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from decimal import Decimal
from functools import cache
from operator import attrgetter
from typing import Any, Final, TypeVar, cast

import msgspec

from kana_async._exceptions import ResponseDecodeError

__all__ = [
    "DecodeError",
    "Envelope",
    "Raw",
    "decode",
    "decode_envelope",
    "decode_error_kind",
    "decoder_for",
    "encode",
    "field_decoder",
    "holder_decoder",
    "peek_message",
]

T = TypeVar("T")

Raw = msgspec.Raw

#: What the decoders of this module (:func:`decoder_for`, :func:`field_decoder`) raise for input
#: that is not JSON or not of the expected shape; see :func:`decode_error_kind`.
DecodeError = msgspec.DecodeError

MALFORMED_JSON: Final = "malformed_json"
UNEXPECTED_SHAPE: Final = "unexpected_shape"


class Envelope(msgspec.Struct, frozen=True):
    """The envelope of every REST reply, ``{"success", "message", "data"}``.

    Read as laxly as the data: ``"success": "true"`` is ``True``, ``"message": null`` is ``""``.

    Attributes:
        success: the reply's ``success`` flag, ``None`` when absent.
        status: the legacy name of the flag (the oldest deployments), ``None`` when absent.
        message: the server's message (``""`` when absent).
        data: the still-undecoded ``data`` member (JSON ``null`` when absent).
    """

    success: bool | None = None
    status: bool | None = None
    message: str = ""
    data: msgspec.Raw = msgspec.Raw(b"null")

    @property
    def ok(self) -> bool | None:
        """``success``, or the legacy ``status`` when ``success`` is absent; ``None`` if neither."""
        return self.success if self.success is not None else self.status


class _WireEnvelope(msgspec.Struct, frozen=True):
    """The envelope as servers send it: a ``message`` may be null, a number or an object."""

    success: bool | None = None
    status: bool | None = None
    message: Any = None
    data: msgspec.Raw = msgspec.Raw(b"null")


#: The largest REST body decoded (bytes); larger answers fail typed instead of using memory.
MAX_BODY: Final = 32 * 1024 * 1024
# A Decimal decoded from an answer must be finite, have at most this many significant digits and
# a magnitude within 10**±_MAX_MAGNITUDE, so no property or format() of it can take long.
_MAX_DECIMAL_DIGITS: Final = 80
_MAX_MAGNITUDE: Final = 99
# What any such number looks like in the raw text: a non-finite word (inf, nan), an exponent of
# three digits or more, or a run of 41 digits or more. Only an answer that contains one of these
# is walked to check its numbers; the scan uses bytes methods only (no regex), so it is cheap.
_DIGITS_AS_ZERO: Final = bytes.maketrans(b"0123456789", b"0000000000")
_DROPPED: Final = b"+- \t\r\n"  # signs and blanks, so one pattern covers every spelling
_LONG_RUN: Final = b"0" * 41


def _scan(raw: bytes) -> tuple[bool, bool]:
    """``(may hold a hostile number, may hold an id sent as a JSON number)``, by bytes methods."""
    low = raw.lower()
    shape = low.translate(_DIGITS_AS_ZERO, _DROPPED)
    hostile = b"inf" in low or b"nan" in low or b"e000" in shape or _LONG_RUN in shape
    return hostile, b'id":0' in shape


# u128 ids (orders, trades) the docs show as strings; sent as JSON numbers they are quoted before
# decoding, so that they stay exact text and decode into `str` fields.
_NUMERIC_ID = re.compile(
    rb'("(?:order_id|trade_id|orderId|tradeId|client_order_id)"\s*:\s*)(-?[0-9]+)(?=\s*[,}\]])'
)


@cache
def decoder_for(tp: Any) -> msgspec.json.Decoder[Any]:
    """The shared lax JSON decoder for ``tp``, built on first use. Never raises.

    Args:
        tp: the target type (a model, ``list[Model]``, ``Decimal``...); must be hashable.

    Returns:
        A msgspec decoder whose ``decode`` raises :data:`DecodeError` for bad input.
    """
    return msgspec.json.Decoder(tp, strict=False, float_hook=Decimal)


def decode_error_kind(exc: BaseException) -> str:
    """Tell malformed JSON from valid JSON of the wrong shape. Never raises.

    Args:
        exc: an error raised by one of this module's decoders.

    Returns:
        ``"unexpected_shape"`` for valid JSON of the wrong shape, else ``"malformed_json"``.
    """
    return UNEXPECTED_SHAPE if isinstance(exc, msgspec.ValidationError) else MALFORMED_JSON


@cache
def holder_decoder(name: str, tp: Any) -> Callable[[bytes], Any]:
    """:func:`field_decoder` without its wrapper: the decoded holder, member ``name`` on it.

    The hot paths read ``holder.<name>`` themselves, one function call fewer per decode (the
    holder is a struct with that one attribute, decoded laxly as :func:`decoder_for`). Built once
    per ``(name, tp)``. Never raises; the function it returns raises :data:`DecodeError` as
    :func:`field_decoder`'s does.

    Args:
        name: the member's name, e.g. ``"data"``.
        tp: the type its value decodes into.

    Returns:
        ``decode(json_bytes) -> holder``, the member at ``holder.<name>``.
    """
    holder = msgspec.defstruct(f"_Member_{name}", [(name, tp)], gc=False)
    return decoder_for(holder).decode


@cache
def field_decoder(name: str, tp: Any) -> Callable[[bytes], Any]:
    """A function decoding member ``name`` of a JSON object as ``tp`` (lax, as :func:`decoder_for`).

    The other members are skipped but still checked to be valid JSON. Built once per
    ``(name, tp)``. Never raises; the function it returns raises :data:`DecodeError` for
    malformed JSON, a missing member or a value of the wrong shape.

    Args:
        name: the member's name, e.g. ``"data"``.
        tp: the type its value decodes into.

    Returns:
        ``decode(json_bytes) -> value``.
    """
    decode_holder = holder_decoder(name, tp)
    get = attrgetter(name)

    def decode_member(data: bytes) -> Any:
        return get(decode_holder(data))

    decode_member.__doc__ = f"Decode member {name!r} of a JSON object."
    return decode_member


# `{"message": "<topic>", ...`: the frames Kana (and the simulator) send start this way.
_LEADING_MESSAGE = re.compile(rb'\s*\{\s*"message"\s*:\s*"([A-Za-z0-9_.\-]{1,64})"\s*[,}]')


def peek_message(frame: bytes) -> str | None:
    """The ``message`` of a frame that *starts* with ``{"message": "<name>"``. Never raises.

    A cheap look at the first bytes only: it does not check that the rest is valid JSON (the
    decoders do that later).

    Args:
        frame: a websocket frame's raw bytes.

    Returns:
        The topic name, or ``None``, meaning "decode the frame to find out" (another member
        order, an escaped or unusual name, not JSON at all).
    """
    lead = leading_message(frame)
    return None if lead is None else lead[1]


def leading_message(frame: bytes) -> tuple[bytes, str] | None:
    """:func:`peek_message`, with the bytes it read: ``(prefix, name)``. Never raises.

    Any frame that starts with the same ``prefix`` has the same ``message`` by this look (the
    verdict depends on those bytes only), so a router may cache the prefix.

    Args:
        frame: a websocket frame's raw bytes.

    Returns:
        ``(the frame's first bytes up to the comma or brace after the name, the name)``, or
        ``None`` as :func:`peek_message` returns it.
    """
    match = _LEADING_MESSAGE.match(frame)
    return None if match is None else (match[0], match[1].decode("ascii"))


_envelope_decoder = msgspec.json.Decoder(_WireEnvelope, strict=False)
_encoder = msgspec.json.Encoder(decimal_format="number")


def decode(data: bytes | msgspec.Raw | str, tp: type[T] | Any) -> T:
    """Decode JSON ``data`` into ``tp``, bounded: no answer can crash or stall it.

    Args:
        data: JSON text or bytes (at most :data:`MAX_BODY` bytes).
        tp: the target type.

    Returns:
        The decoded value (numbers sent as strings accepted; untyped floats as ``Decimal``; ids
        sent as JSON numbers kept as their exact text).

    Raises:
        ResponseDecodeError: ``data`` is not JSON, too large or too deeply nested, not of the
            shape ``tp`` wants, or holds a number that is not finite or absurdly large, long or
            small.
    """
    raw = (
        data if isinstance(data, bytes) else data.encode() if isinstance(data, str) else bytes(data)
    )
    if len(raw) > MAX_BODY:
        raise ResponseDecodeError(f"response too large: {len(raw)} bytes (at most {MAX_BODY})")
    hostile, numeric_id = _scan(raw)
    if numeric_id:
        raw = _NUMERIC_ID.sub(rb'\1"\2"', raw)
    try:
        value = decoder_for(cast(Hashable, tp)).decode(raw)
    except (msgspec.DecodeError, RecursionError) as exc:  # ValidationError is a subclass
        raise ResponseDecodeError(f"unexpected response shape: {exc}") from None
    except (ValueError, TypeError, ArithmeticError) as exc:  # a model's own check
        raise ResponseDecodeError(f"unexpected response value: {exc}") from None
    if hostile:
        _check_numbers(value)
    return cast(T, value)


def _check_numbers(value: Any) -> None:
    """Refuse a decoded value holding a Decimal that is not finite or out of bounds."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Decimal):
            _check_decimal(item)
        elif isinstance(item, msgspec.Struct):
            stack.extend(getattr(item, name) for name in item.__struct_fields__)
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())


def _check_decimal(number: Decimal) -> None:
    if not number.is_finite():
        raise ResponseDecodeError(f"unexpected response value: a number is {number}")
    _, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    if not number:  # 0E+1000000 is zero, but printing it writes a million zeros
        if abs(exponent) > _MAX_MAGNITUDE:
            raise ResponseDecodeError(f"unexpected response value: a zero with exponent {exponent}")
        return
    if len(digits) > _MAX_DECIMAL_DIGITS:
        raise ResponseDecodeError(
            f"unexpected response value: a number has {len(digits)} digits "
            f"(at most {_MAX_DECIMAL_DIGITS})"
        )
    magnitude = len(digits) + exponent - 1
    if not -_MAX_MAGNITUDE <= magnitude <= _MAX_MAGNITUDE:
        raise ResponseDecodeError(
            f"unexpected response value: a number of magnitude 10**{magnitude} "
            f"(at most 10**{_MAX_MAGNITUDE})"
        )


def decode_envelope(body: bytes) -> Envelope:
    """Decode the outer REST envelope without decoding ``data``.

    Args:
        body: a REST reply's body (at most :data:`MAX_BODY` bytes).

    Returns:
        The :class:`Envelope`.

    Raises:
        ResponseDecodeError: the body is not a JSON object of the envelope's shape, or too large.
    """
    if len(body) > MAX_BODY:
        raise ResponseDecodeError(f"response too large: {len(body)} bytes (at most {MAX_BODY})")
    try:
        wire = _envelope_decoder.decode(body)
    except (msgspec.DecodeError, RecursionError) as exc:  # too deep to read is unreadable
        raise ResponseDecodeError(f"response is not a JSON envelope: {exc}") from None
    message = wire.message
    if message is not None and not isinstance(message, str):
        message = encode(message).decode()  # an object or number, shown as its JSON
    return Envelope(
        success=wire.success,
        status=wire.status,
        message=message or "",
        data=wire.data,
    )


def encode(obj: Any) -> bytes:
    """Encode ``obj`` to JSON bytes; a ``Decimal`` is written as an exact JSON number.

    Args:
        obj: JSON-able values, models, enums and ``Decimal``.

    Returns:
        The JSON bytes.

    Raises:
        TypeError: ``obj`` holds a value msgspec cannot encode.
    """
    return _encoder.encode(obj)


def to_builtins(obj: Any) -> Any:
    """Convert models, enums and ``Decimal`` into plain JSON-able Python values.

    Args:
        obj: the value to convert.

    Returns:
        ``dict`` / ``list`` / ``str`` / ``int``... (a ``Decimal`` becomes its exact text).

    Raises:
        TypeError: ``obj`` holds a value msgspec cannot convert.
    """
    return msgspec.to_builtins(obj)
