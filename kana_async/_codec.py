"""JSON encoding and decoding: the only module that talks to msgspec's codecs.

Decoders are built once per target type and reused. Every decoder is lax (``strict=False``), so
numbers sent as strings decode into ``int`` / ``Decimal`` fields, and untyped floats become
``Decimal`` (``float_hook``), so no money value ever passes through ``float``. msgspec's errors
become :class:`~kana_async.ResponseDecodeError`.

REST replies are decoded in two stages: the thin :class:`Envelope` first, keeping ``data`` as raw
bytes (``msgspec.Raw``), then ``data`` with the endpoint's own type.
"""

from __future__ import annotations

from collections.abc import Hashable
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar, cast

import msgspec

from kana_async._exceptions import ResponseDecodeError

__all__ = ["Envelope", "Raw", "decode", "decode_envelope", "decoder_for", "encode"]

T = TypeVar("T")

Raw = msgspec.Raw


class Envelope(msgspec.Struct, frozen=True):
    """``{"success", "message", "data"}``; the legacy ``status`` key stands in for ``success``."""

    success: bool | None = None
    status: bool | None = None
    message: str = ""
    data: msgspec.Raw = msgspec.Raw(b"null")

    @property
    def ok(self) -> bool | None:
        """``success``, or legacy ``status`` when ``success`` is absent; ``None`` if neither."""
        return self.success if self.success is not None else self.status


@cache
def decoder_for(tp: Any) -> msgspec.json.Decoder[Any]:
    """The shared lax decoder for ``tp`` (built on first use)."""
    return msgspec.json.Decoder(tp, strict=False, float_hook=Decimal)


_envelope_decoder = msgspec.json.Decoder(Envelope)
_encoder = msgspec.json.Encoder(decimal_format="number")


def decode(data: bytes | msgspec.Raw | str, tp: type[T] | Any) -> T:
    """Decode JSON ``data`` into ``tp``; raise :class:`ResponseDecodeError` on bad JSON/shape."""
    try:
        return cast(T, decoder_for(cast(Hashable, tp)).decode(data))
    except msgspec.DecodeError as exc:  # ValidationError is a subclass
        raise ResponseDecodeError(f"unexpected response shape: {exc}") from None


def decode_envelope(body: bytes) -> Envelope:
    """Decode the outer REST envelope without touching ``data``."""
    try:
        return _envelope_decoder.decode(body)
    except msgspec.DecodeError as exc:
        raise ResponseDecodeError(f"response is not a JSON envelope: {exc}") from None


def encode(obj: Any) -> bytes:
    """Encode ``obj`` to JSON bytes; ``Decimal`` is written as an exact JSON number."""
    return _encoder.encode(obj)


def to_builtins(obj: Any) -> Any:
    """Convert Structs / enums / Decimals into plain JSON-able Python values."""
    return msgspec.to_builtins(obj)
