"""BCS bytes of Aptos entry-function transactions, written out field by field (no aptos-sdk).

An entry function is encoded once (:func:`entry_function_bytes`: module, name, type tags and the
arguments checked against their Move types); a raw transaction wraps those bytes with a sender,
a sequence number, gas, expiry and chain id (:func:`raw_transaction_bytes`), so re-numbering a
transaction never re-encodes its arguments. :func:`signed_transaction_bytes` appends an Ed25519
authenticator.
"""

from __future__ import annotations

from typing import Any, Final

from kana_async._aptos.movetypes import (
    INT_BITS,
    MoveType,
    StructType,
    VectorType,
    coerce,
    normalize_address,
    parse_type,
)
from kana_async._exceptions import InvalidArgumentError

__all__ = [
    "TYPE_TAG_VARIANTS",
    "encode_argument",
    "entry_function_bytes",
    "raw_transaction_bytes",
    "signed_transaction_bytes",
    "type_tag_bytes",
    "uleb128",
]

#: BCS ``TypeTag`` variant of each primitive Move type (a primitive tag is this one byte).
TYPE_TAG_VARIANTS: Final[dict[str, int]] = {
    "bool": 0,
    "u8": 1,
    "u64": 2,
    "u128": 3,
    "address": 4,
    "signer": 5,
    "u16": 8,
    "u32": 9,
    "u256": 10,
}
_VECTOR_TAG: Final = 6
_STRUCT_TAG: Final = 7
#: ``TransactionPayload::EntryFunction`` and ``TransactionAuthenticator::Ed25519``.
_ENTRY_FUNCTION_PAYLOAD: Final = b"\x02"
_ED25519_AUTHENTICATOR: Final = b"\x00"


def uleb128(value: int) -> bytes:
    """An integer as unsigned LEB128 (how BCS writes lengths and enum variants).

    Args:
        value: the integer, ``>= 0``.

    Returns:
        Seven bits per byte, least significant first, the high bit set on all but the last.

    Never raises.
    """
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _str(text: str) -> bytes:
    data = text.encode()
    return uleb128(len(data)) + data


def _address(value: str) -> bytes:
    return bytes.fromhex(normalize_address(value)[2:])


def type_tag_bytes(move_type: MoveType | str) -> bytes:
    """The BCS ``TypeTag`` of a type argument: one variant byte, then a vector's element type or
    a struct's address, module, name and type arguments (a primitive is the variant byte alone).

    Args:
        move_type: the type, parsed or as text (``0x1::string::String``,
            ``vector<u8>``...).

    Returns:
        The encoded type tag.

    Raises:
        InvalidArgumentError: the type is ``signer``, unknown or unparsable.
    """
    parsed = parse_type(move_type) if isinstance(move_type, str) else move_type
    if isinstance(parsed, str):
        if parsed not in TYPE_TAG_VARIANTS or parsed == "signer":
            raise InvalidArgumentError(f"type argument cannot be {parsed}")
        return bytes([TYPE_TAG_VARIANTS[parsed]])
    if isinstance(parsed, VectorType):
        return bytes([_VECTOR_TAG]) + type_tag_bytes(parsed.element)
    assert isinstance(parsed, StructType)
    return b"".join(
        (
            bytes([_STRUCT_TAG]),
            _address(parsed.address),
            _str(parsed.module),
            _str(parsed.name),
            uleb128(len(parsed.type_args)),
            *(type_tag_bytes(t) for t in parsed.type_args),
        )
    )


def encode_argument(move_type: MoveType | str, value: Any, *, where: str = "argument") -> bytes:
    """BCS bytes of one entry-function argument, checked against its Move type.

    Args:
        move_type: the parameter's Move type, parsed or as text.
        value: a JSON-ish value (see :func:`kana_async._aptos.movetypes.coerce`): integers as
            ``int`` or decimal strings (never through ``float``), addresses as hex strings,
            vectors as lists, options as an empty or one-item list.
        where: names the argument in error messages.

    Returns:
        The argument's BCS bytes (without the length prefix the entry function adds).

    Raises:
        ArgumentTypeError: ``value`` has the wrong Python type for ``move_type``.
        InvalidArgumentError: it is out of range for the type, or the type does not parse.
    """
    parsed = parse_type(move_type) if isinstance(move_type, str) else move_type
    out = bytearray()
    _write(out, parsed, coerce(parsed, value, where=where))
    return bytes(out)


def _write(out: bytearray, move_type: MoveType, value: Any) -> None:
    if isinstance(move_type, str):
        if move_type == "bool":
            out.append(1 if value else 0)
        elif move_type in INT_BITS:
            out += int(value).to_bytes(INT_BITS[move_type] // 8, "little")
        else:  # address
            out += _address(value)
        return
    if isinstance(move_type, VectorType):
        out += uleb128(len(value))
        for item in value:
            _write(out, move_type.element, item)
        return
    if move_type.is_string:
        out += _str(value)
    elif move_type.is_option:
        items = value or []
        out += uleb128(len(items))
        for item in items:
            _write(out, move_type.type_args[0], item)
    else:  # Object<T>: an address
        out += _address(value)


def entry_function_bytes(
    function: str,
    type_arguments: tuple[str, ...],
    arguments: tuple[Any, ...],
    param_types: tuple[str, ...],
) -> bytes:
    """BCS ``EntryFunction``: module id, function name, type tags, then each encoded argument.

    Args:
        function: the entry function, ``0xADDR::module::name``.
        type_arguments: its type arguments as Move type strings.
        arguments: its arguments, JSON-ish (see :func:`encode_argument`).
        param_types: the Move types of ``arguments`` (the ABI's parameters without
            ``&signer``), one per argument.

    Returns:
        The encoded ``EntryFunction``.

    Raises:
        InvalidArgumentError: a malformed function id, a count mismatch between
            ``arguments`` and ``param_types``, or an argument that does not fit its type.
        ArgumentTypeError: an argument has the wrong Python type for its Move type.
    """
    parts = function.split("::")
    if len(parts) != 3:
        raise InvalidArgumentError(f"function must be 0xADDR::module::name, got {function!r}")
    if len(arguments) != len(param_types):
        raise InvalidArgumentError(
            f"{function} takes {len(param_types)} arguments, the payload has {len(arguments)}"
        )
    encoded = [
        encode_argument(t, v, where=f"{parts[2]} argument {i}")
        for i, (t, v) in enumerate(zip(param_types, arguments, strict=True))
    ]
    return b"".join(
        (
            _address(parts[0]),
            _str(parts[1]),
            _str(parts[2]),
            uleb128(len(type_arguments)),
            *(type_tag_bytes(t) for t in type_arguments),
            uleb128(len(encoded)),
            *(uleb128(len(arg)) + arg for arg in encoded),
        )
    )


def raw_transaction_bytes(
    *,
    sender: str,
    sequence_number: int,
    entry_function: bytes,
    max_gas_amount: int,
    gas_unit_price: int,
    expiration_timestamp_secs: int,
    chain_id: int,
) -> bytes:
    """BCS ``RawTransaction`` with an entry-function payload already encoded.

    Args:
        sender: the sender's address (hex, normalised here).
        sequence_number: the sender's sequence number (u64).
        entry_function: the call, as :func:`entry_function_bytes` encodes it.
        max_gas_amount: the most gas units the transaction may use (u64).
        gas_unit_price: octas (10^-8 APT) per gas unit (u64).
        expiration_timestamp_secs: expiry, chain time in unix seconds (u64).
        chain_id: the chain id (u8).

    Returns:
        The encoded raw transaction.

    Raises:
        InvalidArgumentError: ``sender`` is not an address.
        OverflowError: a number does not fit its field.
    """
    return b"".join(
        (
            _address(sender),
            sequence_number.to_bytes(8, "little"),
            _ENTRY_FUNCTION_PAYLOAD,
            entry_function,
            max_gas_amount.to_bytes(8, "little"),
            gas_unit_price.to_bytes(8, "little"),
            expiration_timestamp_secs.to_bytes(8, "little"),
            chain_id.to_bytes(1, "little"),
        )
    )


def signed_transaction_bytes(raw: bytes, public_key: bytes, signature: bytes) -> bytes:
    """BCS ``SignedTransaction``: the raw transaction and its Ed25519 authenticator.

    Args:
        raw: the BCS raw transaction (:func:`raw_transaction_bytes`).
        public_key: the 32-byte Ed25519 public key.
        signature: the 64-byte signature of the raw transaction's signing message.

    Returns:
        The bytes the node's submit endpoint takes.

    Never raises.
    """
    return b"".join(
        (
            raw,
            _ED25519_AUTHENTICATOR,
            uleb128(len(public_key)),
            public_key,
            uleb128(len(signature)),
            signature,
        )
    )
