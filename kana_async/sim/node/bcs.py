"""BCS decoding of signed Aptos transactions, written for the fake node alone.

The SDK encodes with aptos-sdk; the node decodes with the reader below, which follows the Aptos
wire format byte by byte, so every byte the SDK sends is checked by a second implementation.
Strict where Aptos is strict: a primitive type tag is its single variant byte, a ``bool`` is
``0`` or ``1``, every length fits in what is left, nothing may follow the authenticator.

Only what the simulator executes is accepted: an entry-function payload (variant 2) signed by a
single Ed25519 key (authenticator variant 0). Signatures are checked with PyNaCl.
"""

from __future__ import annotations

import hashlib
from typing import Any, Final

from kana_async.sim import contract

from . import framework
from .transactions import NodeError, Transaction, vm_error

__all__ = ["BcsError", "Reader", "decode_signed", "transaction_hash", "type_tag_str"]

_TX_HASH_PREFIX: Final = hashlib.sha3_256(b"APTOS::Transaction").digest()
_SIGNING_PREFIX: Final = hashlib.sha3_256(b"APTOS::RawTransaction").digest()

#: TypeTag variants whose encoding is the variant byte alone.
_PRIMITIVE_TAGS: Final = {
    0: "bool",
    1: "u8",
    2: "u64",
    3: "u128",
    4: "address",
    5: "signer",
    8: "u16",
    9: "u32",
    10: "u256",
}
_VECTOR_TAG: Final = 6
_STRUCT_TAG: Final = 7
#: Deepest type tag nesting accepted (Aptos bounds it too).
_MAX_TAG_DEPTH: Final = 8
_ENTRY_FUNCTION_PAYLOAD: Final = 2
_ED25519_AUTHENTICATOR: Final = 0
_INT_BYTES: Final = {"u8": 1, "u16": 2, "u32": 4, "u64": 8, "u128": 16, "u256": 32}


class BcsError(ValueError):
    """The bytes are not a valid BCS encoding of what was expected."""


class Reader:
    """Reads BCS values from ``data`` front to back; every method raises :class:`BcsError`."""

    __slots__ = ("_data", "pos")

    def __init__(self, data: bytes) -> None:
        self._data = data
        self.pos = 0

    @property
    def remaining(self) -> int:
        """Bytes not read yet."""
        return len(self._data) - self.pos

    def fixed(self, n: int) -> bytes:
        """The next ``n`` bytes."""
        if n > self.remaining:
            raise BcsError(f"needed {n} bytes at offset {self.pos}, {self.remaining} left")
        out = self._data[self.pos : self.pos + n]
        self.pos += n
        return out

    def uint(self, n_bytes: int) -> int:
        """A little-endian unsigned integer of ``n_bytes`` bytes."""
        return int.from_bytes(self.fixed(n_bytes), "little")

    def uleb128(self) -> int:
        """A ULEB128 length / variant index (at most 32 bits, canonical)."""
        value = shift = 0
        while True:
            byte = self.fixed(1)[0]
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                if byte == 0 and shift:
                    raise BcsError("non-canonical ULEB128")
                break
            shift += 7
            if shift > 28:
                raise BcsError("ULEB128 value too large")
        if value >= 1 << 32:
            raise BcsError("ULEB128 value too large")
        return value

    def length(self) -> int:
        """A sequence length that cannot exceed the bytes left (each element is >= 1 byte)."""
        n = self.uleb128()
        if n > self.remaining:
            raise BcsError(f"length {n} exceeds the {self.remaining} bytes left")
        return n

    def boolean(self) -> bool:
        """A bool: exactly ``0x00`` or ``0x01``."""
        byte = self.fixed(1)[0]
        if byte > 1:
            raise BcsError(f"invalid bool byte 0x{byte:02x}")
        return byte == 1

    def byte_vector(self) -> bytes:
        """A length-prefixed byte string."""
        return self.fixed(self.length())

    def string(self) -> str:
        """A length-prefixed UTF-8 string."""
        try:
            return self.byte_vector().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BcsError(f"invalid UTF-8 string: {exc}") from None

    def address(self) -> str:
        """A 32-byte account address as ``0x`` + 64 hex digits."""
        return "0x" + self.fixed(32).hex()

    def type_tag(self, depth: int = 0) -> str:
        """A TypeTag, returned in Move syntax (``u64``, ``vector<u8>``, ``0x…::m::S<T>``)."""
        if depth > _MAX_TAG_DEPTH:
            raise BcsError("type tag nested too deeply")
        variant = self.uleb128()
        primitive = _PRIMITIVE_TAGS.get(variant)
        if primitive is not None:
            return primitive
        if variant == _VECTOR_TAG:
            return f"vector<{self.type_tag(depth + 1)}>"
        if variant == _STRUCT_TAG:
            address, module, name = self.address(), self.string(), self.string()
            params = [self.type_tag(depth + 1) for _ in range(self.length())]
            inner = f"<{', '.join(params)}>" if params else ""
            return f"{address}::{module}::{name}{inner}"
        raise BcsError(f"unknown type tag variant {variant}")

    def value(self, move_type: str) -> Any:
        """A value of ``move_type`` (bool, unsigned ints, address, vectors of them)."""
        if move_type.startswith("vector<") and move_type.endswith(">"):
            inner = move_type[len("vector<") : -1]
            return [self.value(inner) for _ in range(self.length())]
        if move_type == "bool":
            return self.boolean()
        size = _INT_BYTES.get(move_type)
        if size is not None:
            return self.uint(size)
        if move_type == "address":
            return self.address()
        raise BcsError(f"cannot decode a {move_type}")


def type_tag_str(data: bytes) -> str:
    """Decode one whole BCS TypeTag (nothing may follow it)."""
    reader = Reader(data)
    text = reader.type_tag()
    if reader.remaining:
        raise BcsError(f"{reader.remaining} trailing bytes after the type tag")
    return text


def transaction_hash(data: bytes) -> str:
    """The hash of signed transaction bytes, as the node names the transaction."""
    return "0x" + hashlib.sha3_256(_TX_HASH_PREFIX + b"\x00" + data).hexdigest()


def decode_signed(data: bytes, chain_id: int, *, verify: bool = True) -> Transaction:
    """Decode a BCS ``SignedTransaction``; check its ``chain_id`` and (``verify``) signature.

    Raises :class:`NodeError`: 400 ``invalid_input`` for bytes that do not decode (or a payload
    or authenticator kind the node does not run), the ``vm_error`` answers ``BAD_CHAIN_ID`` and
    ``INVALID_SIGNATURE``.
    """
    try:
        fields = _read_signed(Reader(data))
    except BcsError as exc:
        raise NodeError(
            400, f"Failed to deserialize input into SignedTransaction: {exc}", "invalid_input"
        ) from None
    if fields["chain_id"] != chain_id:
        raise vm_error("BAD_CHAIN_ID")
    public_key, signature = fields["public_key"], fields["signature"]
    if verify and not _signature_ok(public_key, signature, data[: fields["raw_end"]]):
        raise vm_error("INVALID_SIGNATURE")
    function_id = f"{fields['module_address']}::{fields['module']}::{fields['function']}"
    args, arg_json = _decode_args(function_id, fields["args"])
    return Transaction(
        hash=transaction_hash(data),
        sender=fields["sender"],
        sequence_number=fields["sequence_number"],
        max_gas_amount=fields["max_gas_amount"],
        gas_unit_price=fields["gas_unit_price"],
        expiration_timestamp_secs=fields["expiration_timestamp_secs"],
        function_id=function_id,
        type_args=list(fields["type_args"]),
        args=args,
        arg_json=arg_json,
        public_key="0x" + public_key.hex(),
        signature="0x" + signature.hex(),
    )


def _read_signed(r: Reader) -> dict[str, Any]:
    out: dict[str, Any] = {"sender": r.address(), "sequence_number": r.uint(8)}
    payload = r.uleb128()
    if payload != _ENTRY_FUNCTION_PAYLOAD:
        raise BcsError(f"transaction payload variant {payload} is not an entry function")
    out["module_address"] = r.address()
    out["module"] = r.string()
    out["function"] = r.string()
    out["type_args"] = [r.type_tag() for _ in range(r.length())]
    out["args"] = [r.byte_vector() for _ in range(r.length())]
    out["max_gas_amount"] = r.uint(8)
    out["gas_unit_price"] = r.uint(8)
    out["expiration_timestamp_secs"] = r.uint(8)
    out["chain_id"] = r.uint(1)
    out["raw_end"] = r.pos
    auth = r.uleb128()
    if auth != _ED25519_AUTHENTICATOR:
        raise BcsError(f"authenticator variant {auth} is not single ed25519")
    out["public_key"] = r.byte_vector()
    out["signature"] = r.byte_vector()
    if len(out["public_key"]) != 32 or len(out["signature"]) != 64:
        raise BcsError("an ed25519 key has 32 bytes and a signature 64")
    if r.remaining:
        raise BcsError(f"{r.remaining} trailing bytes after the transaction")
    return out


def _signature_ok(public_key: bytes, signature: bytes, raw: bytes) -> bool:
    from nacl.exceptions import BadSignatureError, CryptoError
    from nacl.signing import VerifyKey

    try:
        VerifyKey(public_key).verify(_SIGNING_PREFIX + raw, signature)
    except (BadSignatureError, CryptoError, ValueError):
        return False
    return True


def _decode_args(function_id: str, raw_args: list[bytes]) -> tuple[list[Any] | None, list[Any]]:
    """Decode BCS arguments by the contract's parameter types; ``None`` if that fails."""
    params = framework.params_of(function_id)
    if params is None:
        fn = contract.entry_function(function_id)
        params = fn.params if fn is not None else None
    hex_args: list[Any] = ["0x" + a.hex() for a in raw_args]
    if params is None or len(params) != len(raw_args):
        return None, hex_args
    try:
        values = [_decode_one(t, a) for t, a in zip(params, raw_args, strict=True)]
    except BcsError:
        return None, hex_args
    return values, [_to_json(t, v) for t, v in zip(params, values, strict=True)]


def _decode_one(move_type: str, data: bytes) -> Any:
    reader = Reader(data)
    value = reader.value(move_type)
    if reader.remaining:
        raise BcsError("trailing bytes in argument")
    return value


def _to_json(move_type: str, value: Any) -> Any:
    if move_type.startswith("vector<"):
        inner = move_type[len("vector<") : -1]
        return [_to_json(inner, v) for v in value]
    if move_type in ("u64", "u128", "u256"):
        return str(value)
    return value
