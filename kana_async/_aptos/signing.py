"""Accounts, signers and signed Aptos transactions: the only module that uses aptos-sdk.

aptos-sdk is imported lazily, inside the functions that need it, so ``import kana_async`` stays
light. Everything it raises is translated into :mod:`kana_async._exceptions` here.

Signers
    A :class:`~kana_async._aptos.signer.Signer` gives the SDK a wallet's ``address``, its 32-byte
    Ed25519 ``public_key`` and an **async** ``sign(message) -> signature`` (64 bytes); async so a
    remote signer (KMS, hardware wallet, another process) can do I/O. :class:`Account` is the
    built-in signer, holding an Ed25519 key in memory.

Secrets
    A private key never appears in ``repr``/``str`` of anything here, in log records or in
    exception messages (parse errors say what was wrong, never what was given).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
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
from kana_async._aptos.signer import Signer
from kana_async._config import PRIVATE_KEY_ENV
from kana_async._exceptions import (
    ArgumentTypeError,
    InvalidArgumentError,
    TransactionRejectedError,
)

__all__ = [
    "Account",
    "SignedTransaction",
    "Signer",
    "TransactionSpec",
    "auth_key_for",
    "encode_argument",
    "sign_transaction",
    "transaction_hash",
]

_KEY_HEX: Final = re.compile(r"(?:0x)?([0-9a-fA-F]{64})")
_AIP80_PREFIX: Final = "ed25519-priv-"
_ED25519_SCHEME: Final = b"\x00"
_TX_HASH_PREFIX: Final = hashlib.sha3_256(b"APTOS::Transaction").digest()
_RAW_TX_PREFIX: Final = hashlib.sha3_256(b"APTOS::RawTransaction").digest()


class _Secret:
    """Holds the key object; its repr never shows it."""

    __slots__ = ("key",)

    def __init__(self, key: Any) -> None:
        self.key = key

    def __repr__(self) -> str:
        return "<secret>"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("a private key cannot be pickled")


class Account:
    """An Aptos account with an in-memory Ed25519 private key; implements :class:`Signer`.

    Build one with :meth:`from_hex`, :meth:`from_env` (``KANA_PRIVATE_KEY``), :meth:`from_file` or
    :meth:`generate`. ``repr`` shows the address only.
    """

    __slots__ = ("_address", "_public_key", "_secret")

    def __init__(self, _secret: _Secret, *, address: str | None = None) -> None:
        """Use the ``from_*`` constructors; this one takes an internal key holder."""
        from aptos_sdk.ed25519 import PrivateKey

        if not isinstance(_secret, _Secret) or not isinstance(_secret.key, PrivateKey):
            raise ArgumentTypeError("use Account.from_hex / from_env / from_file / generate")
        self._secret = _secret
        self._public_key: bytes = _secret.key.public_key().key.encode()
        self._address = normalize_address(address) if address else auth_key_for(self._public_key)

    @classmethod
    def from_hex(cls, private_key: str, *, address: str | None = None) -> Account:
        """An account from a hex Ed25519 private key (``0x`` optional, AIP-80 form accepted).

        ``address`` is only needed for an account whose key was rotated; by default it is
        derived from the key.
        """
        from aptos_sdk.ed25519 import PrivateKey

        if not isinstance(private_key, str):
            raise ArgumentTypeError("private key must be a hex str")
        text = private_key.strip()
        text = text.removeprefix(_AIP80_PREFIX)
        match = _KEY_HEX.fullmatch(text)
        if match is None:
            raise InvalidArgumentError(
                "not an Ed25519 private key: expected 64 hex digits, optionally 0x-prefixed"
            )
        try:
            key = PrivateKey.from_hex(bytes.fromhex(match.group(1)))
        except Exception:
            raise InvalidArgumentError("not a usable Ed25519 private key") from None
        return cls(_Secret(key), address=address)

    @classmethod
    def from_env(cls, name: str = PRIVATE_KEY_ENV) -> Account:
        """An account from the environment variable ``name`` (default ``KANA_PRIVATE_KEY``)."""
        value = os.environ.get(name)
        if not value:
            raise InvalidArgumentError(f"environment variable {name} is not set")
        try:
            return cls.from_hex(value)
        except InvalidArgumentError:
            raise InvalidArgumentError(
                f"environment variable {name} does not hold a hex Ed25519 private key"
            ) from None

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Account:
        """An account from a key file.

        Accepted contents: the hex key alone (one line), a JSON object with ``private_key``
        (and optionally ``account_address``, the aptos-sdk format), or an Aptos CLI
        ``config.yaml`` line ``private_key: "0x…"``.
        """
        file = Path(path)
        try:
            text = file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise InvalidArgumentError(f"cannot read key file {file}: {exc.strerror}") from None
        address: str | None = None
        key = text
        if text.startswith("{"):
            try:
                data = json.loads(text)
                key = str(data["private_key"])
                address = data.get("account_address")
            except (ValueError, KeyError, TypeError):
                raise InvalidArgumentError(
                    f"key file {file} is JSON without a 'private_key' field"
                ) from None
        else:
            found = re.search(r"private_key:\s*\"?([^\s\"]+)\"?", text)
            if found:
                key = found.group(1)
        try:
            return cls.from_hex(key, address=address)
        except InvalidArgumentError:
            raise InvalidArgumentError(f"key file {file} does not hold an Ed25519 key") from None

    @classmethod
    def generate(cls) -> Account:
        """A new random account (for tests and the simulator)."""
        from aptos_sdk.ed25519 import PrivateKey

        return cls(_Secret(PrivateKey.random()))

    @property
    def address(self) -> str:
        """The account address, ``0x`` + 64 hex digits."""
        return self._address

    @property
    def public_key(self) -> bytes:
        """The 32-byte Ed25519 public key."""
        return self._public_key

    def private_key_hex(self) -> str:
        """The private key as ``0x`` + 64 hex digits. Handle with care; never log it."""
        seed: bytes = self._secret.key.key.encode()
        return "0x" + seed.hex()

    def sign_sync(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``message``, synchronously."""
        signature: bytes = self._secret.key.sign(bytes(message)).data()
        return signature

    async def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``message`` (:class:`Signer` protocol)."""
        return self.sign_sync(message)

    def __repr__(self) -> str:
        return f"Account(address={self._address!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Account):
            return NotImplemented
        return self._public_key == other._public_key and self._address == other._address

    def __hash__(self) -> int:
        return hash((self._address, self._public_key))

    def __reduce__(self) -> Any:
        raise TypeError("an Account holds a private key and cannot be pickled")


def auth_key_for(public_key: bytes) -> str:
    """The authentication key (and default address) of a single Ed25519 public key."""
    return "0x" + hashlib.sha3_256(bytes(public_key) + _ED25519_SCHEME).hexdigest()


def transaction_hash(signed_bytes: bytes) -> str:
    """The hash the node will report for a BCS ``SignedTransaction`` (a user transaction)."""
    return "0x" + hashlib.sha3_256(_TX_HASH_PREFIX + b"\x00" + signed_bytes).hexdigest()


# -- BCS arguments ----------------------------------------------------------------------------


def encode_argument(move_type: MoveType | str, value: Any, *, where: str = "argument") -> bytes:
    """BCS bytes of one entry-function argument, checked against its Move type.

    ``value`` is JSON-ish (see :func:`kana_async._aptos.movetypes.coerce`); integers never pass
    through ``float``.
    """
    from aptos_sdk.bcs import Serializer

    parsed = parse_type(move_type) if isinstance(move_type, str) else move_type
    exact = coerce(parsed, value, where=where)
    make: Any = Serializer
    ser = make()
    _write(ser, parsed, exact)
    out: bytes = ser.output()
    return out


def _write(ser: Any, move_type: MoveType, value: Any) -> None:
    if isinstance(move_type, str):
        if move_type == "bool":
            ser.bool(value)
        elif move_type in INT_BITS:
            getattr(ser, move_type)(value)
        else:  # address
            ser.fixed_bytes(bytes.fromhex(value[2:]))
        return
    if isinstance(move_type, VectorType):
        ser.uleb128(len(value))
        for item in value:
            _write(ser, move_type.element, item)
        return
    if move_type.is_string:
        ser.str(value)
    elif move_type.is_option:
        items = value or []
        ser.uleb128(len(items))
        for item in items:
            _write(ser, move_type.type_args[0], item)
    else:  # Object<T>: an address
        ser.fixed_bytes(bytes.fromhex(value[2:]))


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


def _uleb128(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _bcs_str(text: str) -> bytes:
    data = text.encode()
    return _uleb128(len(data)) + data


def type_tag_bytes(move_type: MoveType | str) -> bytes:
    """The BCS ``TypeTag`` of a type argument: one variant byte, then a vector's element or a
    struct's address, module, name and type arguments."""
    parsed = parse_type(move_type) if isinstance(move_type, str) else move_type
    if isinstance(parsed, str):
        if parsed not in TYPE_TAG_VARIANTS or parsed == "signer":
            raise InvalidArgumentError(f"type argument cannot be {parsed}")
        return bytes([TYPE_TAG_VARIANTS[parsed]])
    if isinstance(parsed, VectorType):
        return bytes([_VECTOR_TAG]) + type_tag_bytes(parsed.element)
    assert isinstance(parsed, StructType)
    return (
        bytes([_STRUCT_TAG])
        + bytes.fromhex(normalize_address(parsed.address)[2:])
        + _bcs_str(parsed.module)
        + _bcs_str(parsed.name)
        + _uleb128(len(parsed.type_args))
        + b"".join(type_tag_bytes(t) for t in parsed.type_args)
    )


class _EncodedTypeTag:
    """A type tag already in BCS, in the shape aptos-sdk's serializer writes out."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def serialize(self, serializer: Any) -> None:
        serializer.fixed_bytes(self.data)


# -- transactions -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TransactionSpec:
    """Everything that goes into one raw transaction, except the signature.

    ``function`` is ``0xADDR::module::name``; ``arguments`` are JSON-ish values and
    ``param_types`` their Move types from the ABI (without ``&signer``).
    """

    sender: str
    sequence_number: int
    function: str
    type_arguments: tuple[str, ...]
    arguments: tuple[Any, ...]
    param_types: tuple[str, ...]
    max_gas_amount: int
    gas_unit_price: int
    expiration_timestamp_secs: int
    chain_id: int


@dataclass(frozen=True, slots=True)
class SignedTransaction:
    """A signed transaction: the exact BCS bytes to submit and their hash."""

    bytes: bytes
    hash: str
    sender: str
    sequence_number: int
    expiration_timestamp_secs: int


def _raw_transaction(spec: TransactionSpec) -> Any:
    from aptos_sdk.account_address import AccountAddress
    from aptos_sdk.transactions import (
        EntryFunction,
        ModuleId,
        RawTransaction,
        TransactionPayload,
    )

    parts = spec.function.split("::")
    if len(parts) != 3:
        raise InvalidArgumentError(f"function must be 0xADDR::module::name, got {spec.function!r}")
    if len(spec.arguments) != len(spec.param_types):
        raise InvalidArgumentError(
            f"{spec.function} takes {len(spec.param_types)} arguments, "
            f"the payload has {len(spec.arguments)}"
        )
    address = normalize_address(parts[0])
    type_tags: list[Any] = [_EncodedTypeTag(type_tag_bytes(t)) for t in spec.type_arguments]
    args = [
        encode_argument(t, v, where=f"{parts[2]} argument {i}")
        for i, (t, v) in enumerate(zip(spec.param_types, spec.arguments, strict=True))
    ]
    entry = EntryFunction(
        ModuleId(AccountAddress(bytes.fromhex(address[2:])), parts[1]), parts[2], type_tags, args
    )
    return RawTransaction(
        AccountAddress(bytes.fromhex(normalize_address(spec.sender)[2:])),
        spec.sequence_number,
        TransactionPayload(entry),
        spec.max_gas_amount,
        spec.gas_unit_price,
        spec.expiration_timestamp_secs,
        spec.chain_id,
    )


def signing_message(spec: TransactionSpec) -> bytes:
    """The bytes a signer signs for ``spec``: domain prefix + BCS raw transaction."""
    raw = _raw_transaction(spec)
    return bytes(raw.keyed())


async def sign_transaction(
    signer: Signer, spec: TransactionSpec, *, simulate: bool = False
) -> SignedTransaction:
    """Build, sign and serialise ``spec``.

    With ``simulate=True`` the signature is 64 zero bytes (what the node's simulate endpoint
    requires) and the signer is not asked.
    """
    from aptos_sdk.authenticator import AccountAuthenticator, Ed25519Authenticator
    from aptos_sdk.ed25519 import PublicKey, Signature
    from aptos_sdk.transactions import SignedTransaction as AptosSigned
    from nacl.signing import VerifyKey

    raw = _raw_transaction(spec)
    message = bytes(raw.keyed())
    public = PublicKey(VerifyKey(bytes(signer.public_key)))
    if simulate:
        signature = b"\x00" * 64
    else:
        signature = bytes(await signer.sign(message))
        if len(signature) != 64 or not public.verify(message, Signature(signature)):
            raise TransactionRejectedError(
                "the signer returned a signature that does not verify against its public key"
            )
    signed = AptosSigned(
        raw, AccountAuthenticator(Ed25519Authenticator(public, Signature(signature)))
    )
    data: bytes = signed.bytes()
    return SignedTransaction(
        bytes=data,
        hash=transaction_hash(data),
        sender=normalize_address(spec.sender),
        sequence_number=spec.sequence_number,
        expiration_timestamp_secs=spec.expiration_timestamp_secs,
    )


def entry_param_types(abi: dict[str, Any], function_name: str) -> tuple[tuple[str, ...], int]:
    """The parameter types (without signers) and generic count of ``function_name`` in an ABI.

    ``abi`` is the node's ``MoveModuleBytecode`` document (with an ``abi`` key) or its ``abi``.
    """
    module = abi.get("abi", abi)
    functions: Sequence[dict[str, Any]] = module.get("exposed_functions") or ()
    for fn in functions:
        if fn.get("name") == function_name:
            params = [p for p in fn.get("params", []) if p not in ("signer", "&signer")]
            return tuple(params), len(fn.get("generic_type_params", []))
    raise InvalidArgumentError(
        f"module {module.get('name', '?')} has no entry function {function_name!r}"
    )
