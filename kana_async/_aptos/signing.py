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
    exception messages (parse errors say what was wrong, never what was given). It is held, from
    the first line that receives it, in a :class:`~kana_async._secret.Secret`, so the local
    variables of a traceback do not show it either.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from kana_async._aptos import bcs
from kana_async._aptos.movetypes import normalize_address
from kana_async._aptos.signer import Signer
from kana_async._config import PRIVATE_KEY_ENV
from kana_async._exceptions import (
    ArgumentTypeError,
    InvalidArgumentError,
    TransactionRejectedError,
)
from kana_async._secret import Secret

__all__ = [
    "Account",
    "SignedTransaction",
    "Signer",
    "TransactionSpec",
    "auth_key_for",
    "sign_transaction",
    "signing_message",
    "transaction_hash",
]

_KEY_HEX: Final = re.compile(r"(?:0x)?([0-9a-fA-F]{64})")
_AIP80_PREFIX: Final = "ed25519-priv-"
_ED25519_SCHEME: Final = b"\x00"
_TX_HASH_PREFIX: Final = hashlib.sha3_256(b"APTOS::Transaction").digest()
_RAW_TX_PREFIX: Final = hashlib.sha3_256(b"APTOS::RawTransaction").digest()


_Secret = Secret
"""The holder of a key object (and of key text while it is parsed): its repr never shows it."""


class Account:
    """An Aptos account with an in-memory Ed25519 private key; implements :class:`Signer`.

    Build one with :meth:`from_hex`, :meth:`from_env` (``KANA_PRIVATE_KEY``), :meth:`from_file` or
    :meth:`generate`. ``repr`` shows the address only.
    """

    __slots__ = ("_address", "_public_key", "_secret")

    def __init__(self, _secret: Secret[Any], *, address: str | None = None) -> None:
        """Use the ``from_*`` constructors; this one takes an internal key holder."""
        from aptos_sdk.ed25519 import PrivateKey

        given: object = _secret
        del _secret  # a key passed here by mistake stays out of the locals
        _secret = given if isinstance(given, Secret) else Secret(given)
        del given
        if not isinstance(_secret.reveal(), PrivateKey):
            raise ArgumentTypeError("use Account.from_hex / from_env / from_file / generate")
        self._secret = _secret
        self._public_key: bytes = _secret.reveal().public_key().key.encode()
        self._address = normalize_address(address) if address else auth_key_for(self._public_key)

    @classmethod
    def from_hex(cls, private_key: str | Secret[str], *, address: str | None = None) -> Account:
        """An account from a hex Ed25519 private key (``0x`` optional, AIP-80 form accepted).

        ``address`` is only needed for an account whose key was rotated; by default it is
        derived from the key.
        """
        # Wrapped at once: from here on no local variable, message or chained exception holds
        # the key's text, so an error reporter that records locals cannot capture it.
        secret = private_key if isinstance(private_key, Secret) else Secret(private_key)
        del private_key
        return cls(_parse_key(secret), address=address)

    @classmethod
    def from_env(cls, name: str = PRIVATE_KEY_ENV) -> Account:
        """An account from the environment variable ``name`` (default ``KANA_PRIVATE_KEY``)."""
        value = Secret(os.environ.get(name) or "")
        if not value.reveal():
            raise InvalidArgumentError(f"environment variable {name} is not set")
        try:
            return cls.from_hex(value)
        except InvalidArgumentError:
            pass
        raise InvalidArgumentError(
            f"environment variable {name} does not hold a hex Ed25519 private key"
        )

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Account:
        """An account from a key file.

        Accepted contents: the hex key alone (one line), a JSON object with ``private_key``
        (and optionally ``account_address``, the aptos-sdk format), or an Aptos CLI
        ``config.yaml`` line ``private_key: "0x…"``.
        """
        file = Path(path)
        try:
            text = Secret(file.read_text(encoding="utf-8").strip())
        except OSError as exc:
            raise InvalidArgumentError(f"cannot read key file {file}: {exc.strerror}") from None
        found = _key_in_file(text)
        if found is None:
            raise InvalidArgumentError(f"key file {file} is JSON without a 'private_key' field")
        key, address = found
        try:
            return cls.from_hex(key, address=address)
        except InvalidArgumentError:
            pass
        raise InvalidArgumentError(f"key file {file} does not hold an Ed25519 key")

    @classmethod
    def generate(cls) -> Account:
        """A new random account (for tests and the simulator)."""
        from aptos_sdk.ed25519 import PrivateKey

        return cls(Secret(PrivateKey.random()))

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
        return "0x" + bytes(self._secret.reveal().key.encode()).hex()

    def sign_sync(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``message``, synchronously."""
        signature: bytes = self._secret.reveal().sign(bytes(message)).data()
        return signature

    async def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``message`` (:class:`Signer` protocol)."""
        return self.sign_sync(message)

    def __repr__(self) -> str:
        return f"Account(address={getattr(self, '_address', None)!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Account):
            return NotImplemented
        return self._public_key == other._public_key and self._address == other._address

    def __hash__(self) -> int:
        return hash((self._address, self._public_key))

    def __reduce__(self) -> Any:
        raise TypeError("an Account holds a private key and cannot be pickled")


def _parse_key(secret: Secret[Any]) -> Secret[Any]:
    """The key object of a private key's text, both held masked.

    Raises outside any ``except`` block, so the error chains no exception that might hold the
    text (a parse error of the crypto library, say).
    """
    from aptos_sdk.ed25519 import PrivateKey

    if not isinstance(secret.reveal(), str):
        raise ArgumentTypeError("private key must be a hex str")
    text = Secret(secret.reveal().strip().removeprefix(_AIP80_PREFIX))
    if _KEY_HEX.fullmatch(text.reveal()) is None:
        raise InvalidArgumentError(
            "not an Ed25519 private key: expected 64 hex digits, optionally 0x-prefixed"
        )
    key: Secret[Any] | None = None
    try:
        key = Secret(PrivateKey.from_hex(bytes.fromhex(text.reveal()[-64:])))
    except Exception:
        key = None
    if key is None:
        raise InvalidArgumentError("not a usable Ed25519 private key")
    return key


def _key_in_file(text: Secret[str]) -> tuple[Secret[str], str | None] | None:
    """The key's text (masked) and the address in a key file's contents; ``None`` for JSON
    without a ``private_key``. Never raises, so its locals are never in a traceback."""
    if not text.reveal().startswith("{"):
        found = re.search(r"private_key:\s*\"?([^\s\"]+)\"?", text.reveal())
        return (Secret(found.group(1)) if found else text), None
    try:
        data = json.loads(text.reveal())
        key = Secret(str(data["private_key"]))
        address = data.get("account_address")
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return key, address if isinstance(address, str) else None


def auth_key_for(public_key: bytes) -> str:
    """The authentication key (and default address) of a single Ed25519 public key."""
    return "0x" + hashlib.sha3_256(bytes(public_key) + _ED25519_SCHEME).hexdigest()


def transaction_hash(signed_bytes: bytes) -> str:
    """The hash the node will report for a BCS ``SignedTransaction`` (a user transaction)."""
    return "0x" + hashlib.sha3_256(_TX_HASH_PREFIX + b"\x00" + signed_bytes).hexdigest()


# -- transactions -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TransactionSpec:
    """Everything that goes into one raw transaction, except the signature.

    ``function`` is ``0xADDR::module::name``; ``arguments`` are JSON-ish values and
    ``param_types`` their Move types from the ABI (without ``&signer``). ``entry_function``, when
    set, is the BCS of that call already encoded (see
    :func:`kana_async._aptos.bcs.entry_function_bytes`) and is used as is, so a transaction
    re-numbered under a new sequence number is not encoded again.
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
    entry_function: bytes | None = None

    def encoded_entry_function(self) -> bytes:
        """The BCS ``EntryFunction`` of this call (``entry_function`` if already encoded)."""
        if self.entry_function is not None:
            return self.entry_function
        return bcs.entry_function_bytes(
            self.function, self.type_arguments, self.arguments, self.param_types
        )


@dataclass(frozen=True, slots=True)
class SignedTransaction:
    """A signed transaction: the exact BCS bytes to submit and their hash."""

    bytes: bytes
    hash: str
    sender: str
    sequence_number: int
    expiration_timestamp_secs: int


def _raw_transaction(spec: TransactionSpec) -> bytes:
    return bcs.raw_transaction_bytes(
        sender=spec.sender,
        sequence_number=spec.sequence_number,
        entry_function=spec.encoded_entry_function(),
        max_gas_amount=spec.max_gas_amount,
        gas_unit_price=spec.gas_unit_price,
        expiration_timestamp_secs=spec.expiration_timestamp_secs,
        chain_id=spec.chain_id,
    )


def signing_message(spec: TransactionSpec) -> bytes:
    """The bytes a signer signs for ``spec``: domain prefix + BCS raw transaction."""
    return _RAW_TX_PREFIX + _raw_transaction(spec)


async def sign_transaction(
    signer: Signer, spec: TransactionSpec, *, simulate: bool = False
) -> SignedTransaction:
    """Build, sign and serialise ``spec``.

    With ``simulate=True`` the signature is 64 zero bytes (what the node's simulate endpoint
    requires) and the signer is not asked. Raises
    :class:`~kana_async.TransactionRejectedError` when the signer's signature does not verify.
    """
    from nacl.exceptions import BadSignatureError
    from nacl.signing import VerifyKey

    raw = _raw_transaction(spec)
    message = _RAW_TX_PREFIX + raw
    public = bytes(signer.public_key)
    if simulate:
        signature = b"\x00" * 64
    else:
        signature = bytes(await signer.sign(message))
        try:
            if len(signature) != 64 or len(public) != 32:
                raise BadSignatureError("wrong length")
            VerifyKey(public).verify(message, signature)
        except (BadSignatureError, ValueError, TypeError):
            raise TransactionRejectedError(
                "the signer returned a signature that does not verify against its public key"
            ) from None
    data = bcs.signed_transaction_bytes(raw, public, signature)
    return SignedTransaction(
        bytes=data,
        hash=transaction_hash(data),
        sender=normalize_address(spec.sender),
        sequence_number=spec.sequence_number,
        expiration_timestamp_secs=spec.expiration_timestamp_secs,
    )
