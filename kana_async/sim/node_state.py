"""The fake Aptos fullnode's state: accounts, mempool, execution. Pure and synchronous.

:class:`NodeState` takes BCS signed transactions and does what a fullnode + validator would:
decode, check chain id, signature, auth key, expiry, gas and sequence number; execute in sequence
order (a future sequence number is held until the gap fills, a stale one is rejected); charge gas
in APT; remember every transaction by hash. The HTTP layer (:mod:`kana_async.sim.node`) turns its
answers into the node API's JSON.

It decodes and verifies with aptos-sdk's own deserialisers, independently of the SDK's encoder,
so the SDK's signed bytes are checked by a second implementation.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from kana_async.sim import contract

__all__ = [
    "GAS_PER_TRANSACTION",
    "MIN_GAS_UNIT_PRICE",
    "Ledger",
    "NodeError",
    "NodeState",
    "Transaction",
]

log = logging.getLogger("kana_async.sim")

#: Gas units every executed transaction uses (a flat, realistic figure).
GAS_PER_TRANSACTION: Final = 12
#: The lowest gas unit price accepted, and the node's gas estimate.
MIN_GAS_UNIT_PRICE: Final = 100
#: How far ahead of the account's sequence number a transaction may be parked (mempool cap).
MAX_AHEAD: Final = 100

_TX_HASH_PREFIX: Final = hashlib.sha3_256(b"APTOS::Transaction").digest()

# Aptos StatusCode values for validation failures (vm_error_code).
VM_CODES: Final[dict[str, int]] = {
    "INVALID_SIGNATURE": 1,
    "INVALID_AUTH_KEY": 2,
    "SEQUENCE_NUMBER_TOO_OLD": 3,
    "SEQUENCE_NUMBER_TOO_NEW": 4,
    "INSUFFICIENT_BALANCE_FOR_TRANSACTION_FEE": 5,
    "TRANSACTION_EXPIRED": 6,
    "SENDING_ACCOUNT_DOES_NOT_EXIST": 7,
    "GAS_UNIT_PRICE_BELOW_MIN_BOUND": 15,
    "BAD_CHAIN_ID": 18,
}


class Ledger(Protocol):
    """What the node executes committed transactions against (the simulator's exchange).

    ``execute`` applies an entry function for ``sender`` at ledger ``version`` or raises
    :class:`kana_async.sim.contract.ExecutionFailure` (``MoveAbort`` or a dispatch error); it must
    leave no change behind when it fails.
    A ledger may also offer ``simulate(sender, function_id, type_args, args) -> None`` (same
    contract, no effects) for ``/transactions/simulate``; without it, a simulation only checks
    the transaction and its arguments.
    """

    def allocate_version(self) -> int:
        """The next ledger version (strictly increasing)."""
        ...

    def execute(
        self, sender: str, function_id: str, type_args: list[str], args: list[Any], version: int
    ) -> None:
        """Execute one entry function call; raise ``ExecutionFailure`` to fail it."""
        ...


class NodeError(Exception):
    """A request the node refuses, with the node API's error JSON."""

    def __init__(
        self, status: int, message: str, error_code: str, vm_error_code: int | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {
            "message": message,
            "error_code": error_code,
            "vm_error_code": vm_error_code,
        }


def _vm_error(name: str) -> NodeError:
    return NodeError(
        400,
        f"Invalid transaction: Type: Validation Code: {name}",
        "vm_error",
        VM_CODES.get(name),
    )


def norm(address: str) -> str:
    """``0x`` + 64 lowercase hex digits."""
    return "0x" + address.lower().removeprefix("0x").rjust(64, "0")


@dataclass(slots=True)
class _Account:
    sequence_number: int
    authentication_key: str
    apt: int = 0


@dataclass(slots=True)
class Transaction:
    """One user transaction the node has seen (pending or committed)."""

    hash: str
    sender: str
    sequence_number: int
    max_gas_amount: int
    gas_unit_price: int
    expiration_timestamp_secs: int
    function_id: str
    type_args: list[str]
    args: list[Any] | None  # None: not decodable by the known ABI
    arg_json: list[Any]
    public_key: str
    signature: str
    version: int | None = None
    success: bool | None = None
    vm_status: str = ""
    gas_used: int = 0
    timestamp_usec: int = 0
    events: list[Any] = field(default_factory=list)

    @property
    def committed(self) -> bool:
        """True once executed (successfully or not)."""
        return self.version is not None

    def to_json(self) -> dict[str, Any]:
        """The node API's JSON for this transaction (pending or user_transaction)."""
        body: dict[str, Any] = {
            "hash": self.hash,
            "sender": self.sender,
            "sequence_number": str(self.sequence_number),
            "max_gas_amount": str(self.max_gas_amount),
            "gas_unit_price": str(self.gas_unit_price),
            "expiration_timestamp_secs": str(self.expiration_timestamp_secs),
            "payload": {
                "type": "entry_function_payload",
                "function": self.function_id,
                "type_arguments": self.type_args,
                "arguments": self.arg_json,
            },
            "signature": {
                "type": "ed25519_signature",
                "public_key": self.public_key,
                "signature": self.signature,
            },
        }
        if not self.committed:
            return {"type": "pending_transaction", **body}
        return {
            "type": "user_transaction",
            "version": str(self.version),
            **body,
            "gas_used": str(self.gas_used),
            "success": self.success,
            "vm_status": self.vm_status,
            "timestamp": str(self.timestamp_usec),
            "events": self.events,
            "changes": [],
        }


class NodeState:
    """Accounts, mempool and executed transactions of one fake fullnode."""

    def __init__(
        self, *, chain_id: int, ledger: Ledger, clock: Callable[[], float] = time.time
    ) -> None:
        self.chain_id = chain_id
        self.ledger = ledger
        self.clock = clock
        self.accounts: dict[str, _Account] = {}
        self.by_hash: dict[str, Transaction] = {}
        self.held: dict[str, dict[int, Transaction]] = {}
        self.ledger_version = 0
        self.listeners: list[Callable[[Transaction], None]] = []

    # -- accounts ------------------------------------------------------------------------------

    def create_account(self, public_key: bytes) -> str:
        """Register the account of an Ed25519 public key; returns its address."""
        auth = "0x" + hashlib.sha3_256(bytes(public_key) + b"\x00").hexdigest()
        self.accounts.setdefault(auth, _Account(0, auth))
        return auth

    def register_account(self, address: str, authentication_key: str | None = None) -> None:
        """Create ``address`` (auth key = address unless given) if it does not exist."""
        address = norm(address)
        self.accounts.setdefault(
            address, _Account(0, norm(authentication_key) if authentication_key else address)
        )

    def fund_apt(self, address: str, octas: int) -> None:
        """Credit ``octas`` APT octas (1 APT = 10**8), creating the account if needed."""
        if octas < 0:
            raise ValueError("octas must be >= 0")
        self.register_account(address)
        self.accounts[norm(address)].apt += octas

    def apt_balance(self, address: str) -> int:
        """APT balance in octas (0 for an unknown account)."""
        account = self.accounts.get(norm(address))
        return account.apt if account else 0

    def account_json(self, address: str) -> dict[str, Any]:
        """``GET /accounts/{address}``; raises :class:`NodeError` 404 for an unknown account."""
        account = self.accounts.get(norm(address))
        if account is None:
            raise NodeError(
                404,
                f"Account not found by Address({address}) and "
                f"Ledger version({self.ledger_version})",
                "account_not_found",
            )
        return {
            "sequence_number": str(account.sequence_number),
            "authentication_key": account.authentication_key,
        }

    # -- transactions --------------------------------------------------------------------------

    def decode(self, data: bytes, *, verify: bool = True) -> Transaction:
        """Decode a BCS signed transaction and check its chain id and (``verify``) signature."""
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
        if raw.chain_id != self.chain_id:
            raise _vm_error("BAD_CHAIN_ID")
        if verify and not signed.verify():
            raise _vm_error("INVALID_SIGNATURE")
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

    def check(self, tx: Transaction, *, simulation: bool = False) -> _Account:
        """Prologue checks shared by submit and simulate; returns the sender's account."""
        account = self.accounts.get(tx.sender)
        if account is None:
            raise _vm_error("SENDING_ACCOUNT_DOES_NOT_EXIST")
        key = bytes.fromhex(tx.public_key[2:])
        auth = "0x" + hashlib.sha3_256(key + b"\x00").hexdigest()
        if auth != account.authentication_key:
            raise _vm_error("INVALID_AUTH_KEY")
        if tx.expiration_timestamp_secs <= self.clock():
            raise _vm_error("TRANSACTION_EXPIRED")
        if tx.gas_unit_price < MIN_GAS_UNIT_PRICE:
            raise _vm_error("GAS_UNIT_PRICE_BELOW_MIN_BOUND")
        if account.apt < tx.max_gas_amount * tx.gas_unit_price:
            raise _vm_error("INSUFFICIENT_BALANCE_FOR_TRANSACTION_FEE")
        if tx.sequence_number < account.sequence_number:
            raise _vm_error("SEQUENCE_NUMBER_TOO_OLD")
        if not simulation and tx.sequence_number >= account.sequence_number + MAX_AHEAD:
            raise _vm_error("SEQUENCE_NUMBER_TOO_NEW")
        return account

    def submit(self, data: bytes) -> Transaction:
        """Accept a signed transaction; execute it (and any it unblocks) when its turn comes.

        Re-submitting the identical bytes of a pending transaction returns it again and never
        executes it twice; a committed one answers ``SEQUENCE_NUMBER_TOO_OLD`` like Aptos.
        """
        self.expire()
        tx = self.decode(data)
        known = self.by_hash.get(tx.hash)
        if known is not None and not known.committed:
            return known
        account = self.check(tx)
        held = self.held.setdefault(tx.sender, {})
        other = held.get(tx.sequence_number)
        if other is not None and other.hash != tx.hash:
            raise NodeError(
                400,
                "Transaction already in mempool with a different payload",
                "invalid_transaction_update",
            )
        self.by_hash[tx.hash] = tx
        held[tx.sequence_number] = tx
        while (ready := held.pop(account.sequence_number, None)) is not None:
            self._execute(ready, account)
        return tx

    def expire(self) -> None:
        """Forget held transactions whose expiration time has passed."""
        now = self.clock()
        for held in self.held.values():
            for seq in [s for s, t in held.items() if t.expiration_timestamp_secs <= now]:
                gone = held.pop(seq)
                self.by_hash.pop(gone.hash, None)

    def lookup(self, tx_hash: str) -> Transaction | None:
        """A transaction by hash (pending or committed), or ``None``."""
        self.expire()
        return self.by_hash.get(tx_hash.lower())

    def _execute(self, tx: Transaction, account: _Account) -> None:
        version = self.ledger.allocate_version()
        account.sequence_number += 1
        tx.version = version
        self.ledger_version = max(self.ledger_version, version)
        tx.timestamp_usec = int(self.clock() * 1_000_000)
        tx.gas_used = GAS_PER_TRANSACTION
        account.apt -= min(account.apt, tx.gas_used * tx.gas_unit_price)
        if tx.args is None:
            tx.success, tx.vm_status = False, "FAILED_TO_DESERIALIZE_ARGUMENT"
        else:
            try:
                self.ledger.execute(tx.sender, tx.function_id, tx.type_args, tx.args, version)
                tx.success, tx.vm_status = True, "Executed successfully"
            except contract.ExecutionFailure as failure:
                tx.success, tx.vm_status = False, failure.vm_status
            except Exception:
                log.exception("ledger failed executing %s", tx.hash)
                tx.success, tx.vm_status = False, "UNKNOWN_INVARIANT_VIOLATION_ERROR"
        for listener in list(self.listeners):
            listener(tx)

    def simulate(self, data: bytes) -> Transaction:
        """Dry-run a transaction signed with an all-zero signature; nothing changes."""
        tx = self.decode(data, verify=False)
        if tx.signature != "0x" + "00" * 64:
            raise NodeError(
                400, "Simulated transactions must not have a valid signature", "invalid_input"
            )
        self.check(tx, simulation=True)
        tx.version = self.ledger_version
        tx.gas_used = GAS_PER_TRANSACTION
        if tx.args is None:
            tx.success, tx.vm_status = False, "FAILED_TO_DESERIALIZE_ARGUMENT"
            return tx
        simulate = getattr(self.ledger, "simulate", None)
        try:
            if simulate is not None:
                simulate(tx.sender, tx.function_id, tx.type_args, tx.args)
            tx.success, tx.vm_status = True, "Executed successfully"
        except contract.ExecutionFailure as failure:
            tx.success, tx.vm_status = False, failure.vm_status
        return tx


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
