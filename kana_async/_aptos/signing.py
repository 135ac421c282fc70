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
    :meth:`generate`; calling the class directly with anything but the internal key holder
    raises :class:`~kana_async.ArgumentTypeError`. ``repr`` shows the address only, and an
    account cannot be pickled (that would write the key out).

    Args:
        address: the account address, when it is not the one derived from the key (an
            account whose key was rotated); by default derived with :func:`auth_key_for`.
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
        """An account from a hex Ed25519 private key.

        Args:
            private_key: the 32-byte key as 64 hex digits, ``0x`` optional; the
                ``ed25519-priv-0x…`` form the Aptos tools print is accepted too. A
                :class:`~kana_async._secret.Secret` holding that text is accepted as well.
            address: the account address, only needed for an account whose key was rotated;
                by default it is derived from the key.

        Returns:
            The account.

        Raises:
            ArgumentTypeError: ``private_key`` is not a ``str``.
            InvalidArgumentError: it is not 64 hex digits or not a usable Ed25519 key (the
                message never repeats the key).
        """
        # Wrapped at once: from here on no local variable, message or chained exception holds
        # the key's text, so an error reporter that records locals cannot capture it.
        secret = private_key if isinstance(private_key, Secret) else Secret(private_key)
        del private_key
        return cls(_parse_key(secret), address=address)

    @classmethod
    def from_env(cls, name: str = PRIVATE_KEY_ENV) -> Account:
        """An account from a hex private key held in an environment variable.

        Args:
            name: the variable (default ``KANA_PRIVATE_KEY``); its value is read as
                :meth:`from_hex` reads its argument.

        Returns:
            The account.

        Raises:
            InvalidArgumentError: the variable is unset or empty, or holds no hex Ed25519 key.
        """
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

        Args:
            path: the key file.

        Returns:
            The account (with the file's ``account_address`` when the JSON form gives one).

        Raises:
            InvalidArgumentError: the file cannot be read, is JSON without ``private_key``, or
                holds no hex Ed25519 key.
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
        """A new account with a random key (for tests and the simulator).

        Returns:
            The account; its address is derived from the new key.

        Never raises.
        """
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
        """The private key as hex, e.g. to save it. Handle with care; never log it.

        Returns:
            ``0x`` + 64 hex digits, which :meth:`from_hex` reads back.

        Never raises.
        """
        return "0x" + bytes(self._secret.reveal().key.encode()).hex()

    def sign_sync(self, message: bytes) -> bytes:
        """Sign ``message`` with the private key, synchronously.

        Args:
            message: the bytes to sign (for a transaction, its :func:`signing_message`).

        Returns:
            The 64-byte Ed25519 signature.

        Never raises.
        """
        signature: bytes = self._secret.reveal().sign(bytes(message)).data()
        return signature

    async def sign(self, message: bytes) -> bytes:
        """Sign ``message`` (the :class:`Signer` protocol's method; no I/O happens).

        Args:
            message: the bytes to sign (for a transaction, its :func:`signing_message`).

        Returns:
            The 64-byte Ed25519 signature, as :meth:`sign_sync` computes it.

        Never raises.
        """
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
    """The authentication key (and default address) of a single Ed25519 public key.

    Args:
        public_key: the 32-byte Ed25519 public key.

    Returns:
        ``0x`` + 64 hex digits: SHA3-256 of the key followed by the Ed25519 scheme byte 0.

    Never raises.
    """
    return "0x" + hashlib.sha3_256(bytes(public_key) + _ED25519_SCHEME).hexdigest()


def transaction_hash(signed_bytes: bytes) -> str:
    """The hash the node will report for a BCS ``SignedTransaction`` (a user transaction).

    Args:
        signed_bytes: the BCS bytes of the signed transaction, as submitted.

    Returns:
        ``0x`` + 64 hex digits.

    Never raises.
    """
    return "0x" + hashlib.sha3_256(_TX_HASH_PREFIX + b"\x00" + signed_bytes).hexdigest()


# -- transactions -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TransactionSpec:
    """Everything that goes into one raw transaction, except the signature.

    Attributes:
        sender: the sending account's address.
        sequence_number: the sender's sequence number this transaction uses.
        function: the entry function, ``0xADDR::module::name``.
        type_arguments: the call's Move type arguments, as type strings.
        arguments: the call's arguments as JSON-ish values (strings, ints, bools, lists).
        param_types: the Move types of ``arguments`` from the ABI (without ``&signer``).
        max_gas_amount: the most gas units the transaction may use.
        gas_unit_price: the price of one gas unit, in octas (10^-8 APT).
        expiration_timestamp_secs: the chain time, unix seconds, after which the transaction
            can no longer be committed.
        chain_id: the chain id it is signed for.
        entry_function: when set, the BCS of the call already encoded (see
            :func:`kana_async._aptos.bcs.entry_function_bytes`), used as is, so a transaction
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
        """The BCS ``EntryFunction`` of this call.

        Returns:
            ``entry_function`` when already encoded, else the freshly encoded bytes.

        Raises:
            InvalidArgumentError: an argument does not fit its Move type.
            ArgumentTypeError: an argument has the wrong Python type for its Move type.
        """
        if self.entry_function is not None:
            return self.entry_function
        return bcs.entry_function_bytes(
            self.function, self.type_arguments, self.arguments, self.param_types
        )


@dataclass(frozen=True, slots=True)
class SignedTransaction:
    """A signed transaction: the exact BCS bytes to submit and their hash.

    Attributes:
        bytes: the BCS ``SignedTransaction``, as the node's submit endpoint takes it.
        hash: its transaction hash, ``0x`` + 64 hex digits.
        sender: the sender's normalised address.
        sequence_number: the sequence number it uses.
        expiration_timestamp_secs: its expiry, chain time in unix seconds.
    """

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


def signing_message(transaction: TransactionSpec) -> bytes:
    """The bytes a signer signs for a transaction.

    Args:
        transaction: the transaction to sign.

    Returns:
        SHA3-256 of ``APTOS::RawTransaction`` followed by the BCS raw transaction.

    Raises:
        InvalidArgumentError: an argument does not fit its Move type.
        ArgumentTypeError: an argument has the wrong Python type for its Move type.
    """
    return _RAW_TX_PREFIX + _raw_transaction(transaction)


async def sign_transaction(
    signer: Signer, transaction: TransactionSpec, *, simulate: bool = False
) -> SignedTransaction:
    """Build, sign and serialise a transaction.

    Args:
        signer: signs the transaction's :func:`signing_message`; its signature is checked
            against its public key before it is used.
        transaction: the transaction.
        simulate: sign with 64 zero bytes (what the node's simulate endpoint requires)
            instead of asking the signer.

    Returns:
        The signed transaction's bytes and hash.

    Raises:
        TransactionRejectedError: the signer's signature does not verify against its public
            key (or has the wrong length).
        InvalidArgumentError: an argument does not fit its Move type.
        ArgumentTypeError: an argument has the wrong Python type for its Move type.
    """
    from nacl.exceptions import BadSignatureError
    from nacl.signing import VerifyKey

    raw = _raw_transaction(transaction)
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
        sender=normalize_address(transaction.sender),
        sequence_number=transaction.sequence_number,
        expiration_timestamp_secs=transaction.expiration_timestamp_secs,
    )
