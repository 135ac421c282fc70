"""The fake Aptos fullnode's state: accounts, mempool, execution. Pure and synchronous.

:class:`NodeState` takes BCS signed transactions and does what a fullnode + validator would:
decode, check chain id, signature, auth key, expiry, gas and sequence number; execute in sequence
order (a future sequence number is held until the gap fills, a stale one is rejected); charge gas
in APT; remember every transaction by hash. The HTTP layer (:mod:`.app`) turns its
answers into the node API's JSON.

Decoding lives in :mod:`.bcs`, the records and error answers in :mod:`.transactions`.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, Final, Protocol

from kana_async.sim import contract

from .bcs import decode_signed
from .transactions import Account, NodeError, Transaction, norm, vm_error

__all__ = [
    "GAS_PER_TRANSACTION",
    "MIN_GAS_UNIT_PRICE",
    "Ledger",
    "NodeState",
]

log = logging.getLogger("kana_async.sim")

#: Gas units every executed transaction uses (a flat, realistic figure).
GAS_PER_TRANSACTION: Final = 12
#: The lowest gas unit price accepted, and the node's gas estimate.
MIN_GAS_UNIT_PRICE: Final = 100
#: How far ahead of the account's sequence number a transaction may be parked (mempool cap).
MAX_AHEAD: Final = 100


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
    ) -> Sequence[dict[str, Any]] | None:
        """Execute one entry function call; returns its events (or None), raises
        ``ExecutionFailure`` to fail it."""
        ...


class NodeState:
    """Accounts, mempool and executed transactions of one fake fullnode."""

    def __init__(
        self, *, chain_id: int, ledger: Ledger, clock: Callable[[], float] = time.time
    ) -> None:
        self.chain_id = chain_id
        self.ledger = ledger
        self.clock = clock
        self.accounts: dict[str, Account] = {}
        self.by_hash: dict[str, Transaction] = {}
        self.by_version: dict[int, Transaction] = {}
        self.held: dict[str, dict[int, Transaction]] = {}
        self.ledger_version = 0
        self.listeners: list[Callable[[Transaction], None]] = []

    # -- accounts ------------------------------------------------------------------------------

    def create_account(self, public_key: bytes) -> str:
        """Register the account of an Ed25519 public key; returns its address."""
        auth = "0x" + hashlib.sha3_256(bytes(public_key) + b"\x00").hexdigest()
        self.accounts.setdefault(auth, Account(0, auth))
        return auth

    def register_account(self, address: str, authentication_key: str | None = None) -> None:
        """Create ``address`` (auth key = address unless given) if it does not exist."""
        address = norm(address)
        self.accounts.setdefault(
            address, Account(0, norm(authentication_key) if authentication_key else address)
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
        return decode_signed(data, self.chain_id, verify=verify)

    def check(self, tx: Transaction, *, simulation: bool = False) -> Account:
        """Prologue checks shared by submit and simulate; returns the sender's account."""
        account = self.accounts.get(tx.sender)
        if account is None:
            raise vm_error("SENDING_ACCOUNT_DOES_NOT_EXIST")
        key = bytes.fromhex(tx.public_key[2:])
        auth = "0x" + hashlib.sha3_256(key + b"\x00").hexdigest()
        if auth != account.authentication_key:
            raise vm_error("INVALID_AUTH_KEY")
        if tx.expiration_timestamp_secs <= self.clock():
            raise vm_error("TRANSACTION_EXPIRED")
        if tx.gas_unit_price < MIN_GAS_UNIT_PRICE:
            raise vm_error("GAS_UNIT_PRICE_BELOW_MIN_BOUND")
        if account.apt < tx.max_gas_amount * tx.gas_unit_price:
            raise vm_error("INSUFFICIENT_BALANCE_FOR_TRANSACTION_FEE")
        if tx.sequence_number < account.sequence_number:
            raise vm_error("SEQUENCE_NUMBER_TOO_OLD")
        if not simulation and tx.sequence_number >= account.sequence_number + MAX_AHEAD:
            raise vm_error("SEQUENCE_NUMBER_TOO_NEW")
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

    def _execute(self, tx: Transaction, account: Account) -> None:
        version = self.ledger.allocate_version()
        account.sequence_number += 1
        tx.version = version
        self.by_version[version] = tx
        self.ledger_version = max(self.ledger_version, version)
        tx.timestamp_usec = int(self.clock() * 1_000_000)
        tx.gas_used = GAS_PER_TRANSACTION
        account.apt -= min(account.apt, tx.gas_used * tx.gas_unit_price)
        if tx.args is None:
            tx.success, tx.vm_status = False, "FAILED_TO_DESERIALIZE_ARGUMENT"
        else:
            try:
                events = self.ledger.execute(
                    tx.sender, tx.function_id, tx.type_args, tx.args, version
                )
                tx.success, tx.vm_status = True, "Executed successfully"
                tx.events = list(events or ())
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
