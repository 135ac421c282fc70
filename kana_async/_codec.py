"""JSON encoding and decoding: the only module that talks to msgspec's codecs.

Decoders are built once per target type and reused. Every decoder is lax (``strict=False``), so
numbers sent as strings decode into ``int`` / ``Decimal`` fields, and untyped floats become
``Decimal`` (``float_hook``), so no money value ever passes through ``float``. msgspec's errors
become :class:`~kana_async.ResponseDecodeError`.

REST replies are decoded in two stages: the thin :class:`Envelope` first, keeping ``data`` as raw
bytes (``msgspec.Raw``), then ``data`` with the endpoint's own type.

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
    holder = msgspec.defstruct(f"_Member_{name}", [(name, tp)], gc=False)
    decode_holder = decoder_for(holder).decode
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
    match = _LEADING_MESSAGE.match(frame)
    return match[1].decode("ascii") if match is not None else None


_envelope_decoder = msgspec.json.Decoder(Envelope)
_encoder = msgspec.json.Encoder(decimal_format="number")


def decode(data: bytes | msgspec.Raw | str, tp: type[T] | Any) -> T:
    """Decode JSON ``data`` into ``tp``.

    Args:
        data: JSON text or bytes.
        tp: the target type.

    Returns:
        The decoded value (numbers sent as strings accepted; untyped floats as ``Decimal``).

    Raises:
        ResponseDecodeError: ``data`` is not JSON, or not of the shape ``tp`` wants.
    """
    try:
        return cast(T, decoder_for(cast(Hashable, tp)).decode(data))
    except (msgspec.DecodeError, RecursionError) as exc:  # ValidationError is a subclass
        raise ResponseDecodeError(f"unexpected response shape: {exc}") from None


def decode_envelope(body: bytes) -> Envelope:
    """Decode the outer REST envelope without decoding ``data``.

    Args:
        body: a REST reply's body.

    Returns:
        The :class:`Envelope`.

    Raises:
        ResponseDecodeError: the body is not a JSON object of the envelope's shape.
    """
    try:
        return _envelope_decoder.decode(body)
    except (msgspec.DecodeError, RecursionError) as exc:  # too deep to read is unreadable
        raise ResponseDecodeError(f"response is not a JSON envelope: {exc}") from None


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
