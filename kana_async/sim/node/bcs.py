"""BCS decoding of signed transactions, done with aptos-sdk's own deserialisers.

The simulator decodes and verifies independently of the SDK's encoder, so the SDK's signed bytes
are checked by a second implementation. aptos-sdk is imported lazily (only when a transaction
arrives).
"""

from __future__ import annotations

import hashlib
from typing import Any, Final

from kana_async.sim import contract

from .transactions import NodeError, Transaction, norm, vm_error

__all__ = ["decode_signed"]

_TX_HASH_PREFIX: Final = hashlib.sha3_256(b"APTOS::Transaction").digest()


def decode_signed(data: bytes, chain_id: int, *, verify: bool = True) -> Transaction:
    """Decode a BCS signed transaction; check its ``chain_id`` and (``verify``) signature."""
    from aptos_sdk.authenticator import Ed25519Authenticator
    from aptos_sdk.bcs import Deserializer
    from aptos_sdk.transactions import EntryFunction
    from aptos_sdk.transactions import SignedTransaction as AptosSigned

    try:
        der = Deserializer(data)
        signed = AptosSigned.deserialize(der)
        if der.remaining() != 0:
            raise ValueError("trailing bytes")
    except Exception as exc:
        raise NodeError(
            400, f"Failed to deserialize input into SignedTransaction: {exc}", "invalid_input"
        ) from None
    raw = signed.transaction
    entry = raw.payload.value
    auth = signed.authenticator.authenticator
    if not isinstance(entry, EntryFunction) or not isinstance(auth, Ed25519Authenticator):
        raise NodeError(400, "only ed25519 entry-function transactions", "invalid_input")
    if raw.chain_id != chain_id:
        raise vm_error("BAD_CHAIN_ID")
    if verify and not signed.verify():
        raise vm_error("INVALID_SIGNATURE")
    module = entry.module
    function_id = f"{norm(str(module.address))}::{module.name}::{entry.function}"
    type_args = [_type_tag_str(t) for t in entry.ty_args]
    args, arg_json = _decode_args(function_id, entry.args)
    return Transaction(
        hash="0x" + hashlib.sha3_256(_TX_HASH_PREFIX + b"\x00" + data).hexdigest(),
        sender=norm(str(raw.sender)),
        sequence_number=raw.sequence_number,
        max_gas_amount=raw.max_gas_amount,
        gas_unit_price=raw.gas_unit_price,
        expiration_timestamp_secs=raw.expiration_timestamps_secs,
        function_id=function_id,
        type_args=type_args,
        args=args,
        arg_json=arg_json,
        public_key="0x" + auth.public_key.to_crypto_bytes().hex(),
        signature="0x" + auth.signature.data().hex(),
    )


def _type_tag_str(tag: Any) -> str:
    value = tag.value
    text = str(value)
    if hasattr(value, "address") and hasattr(value, "module"):
        # StructTag: normalise the address to the long form
        base = f"{norm(str(value.address))}::{value.module}::{value.name}"
        if value.type_args:
            base += "<" + ", ".join(_type_tag_str(t) for t in value.type_args) + ">"
        return base
    return text


def _decode_args(function_id: str, raw_args: list[bytes]) -> tuple[list[Any] | None, list[Any]]:
    """Decode BCS arguments by the contract's parameter types; ``None`` if that fails."""
    fn = contract.entry_function(function_id)
    hex_args: list[Any] = ["0x" + a.hex() for a in raw_args]
    if fn is None or len(fn.params) != len(raw_args):
        return None, hex_args
    try:
        values = [_decode_one(t, a) for t, a in zip(fn.params, raw_args, strict=True)]
    except Exception:
        return None, hex_args
    return values, [_to_json(t, v) for t, v in zip(fn.params, values, strict=True)]


def _decode_one(move_type: str, data: bytes) -> Any:
    from aptos_sdk.bcs import Deserializer

    der = Deserializer(data)
    value = _read(der, move_type)
    if der.remaining() != 0:
        raise ValueError("trailing bytes in argument")
    return value


def _read(der: Any, move_type: str) -> Any:
    if move_type.startswith("vector<") and move_type.endswith(">"):
        inner = move_type[len("vector<") : -1]
        return [_read(der, inner) for _ in range(der.uleb128())]
    if move_type == "bool":
        return der.bool()
    if move_type in ("u8", "u16", "u32", "u64", "u128", "u256"):
        return getattr(der, move_type)()
    if move_type == "address":
        return "0x" + der.fixed_bytes(32).hex()
    raise ValueError(f"cannot decode {move_type}")


def _to_json(move_type: str, value: Any) -> Any:
    if move_type.startswith("vector<"):
        inner = move_type[len("vector<") : -1]
        return [_to_json(inner, v) for v in value]
    if move_type in ("u64", "u128", "u256"):
        return str(value)
    return value
