"""The fake Aptos fullnode's state: accounts, mempool, blocks, execution. Pure and synchronous.

:class:`NodeState` takes BCS signed transactions and does what a fullnode + validator would:
decode, check chain id, signature, auth key, gas bounds, expiry (against its own clock), balance
and sequence number; keep accepted transactions in the :class:`~.mempool.Mempool` (at most 100
per account); execute them in sequence order in blocks; charge ``gas_used × gas_unit_price``
octas; remember every transaction by hash and committed ones by version. The HTTP layer
(:mod:`.app`) turns its answers into the node API's JSON.

Blocks: with ``block_interval`` 0 a transaction executes as soon as its turn comes, inside
:meth:`NodeState.submit`; otherwise transactions wait until :meth:`NodeState.produce_block`
(the node's block loop calls it every ``block_interval`` seconds), and every transaction of one
block gets the block's timestamp.

Decoding lives in :mod:`.bcs`, gas in :mod:`.gas`, the records and error answers in
:mod:`.transactions`.
"""

from __future__ import annotations

import bisect
import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, Final, Protocol

from kana_async.sim import contract

from . import framework
from .bcs import decode_signed
from .gas import MAX_GAS_AMOUNT, MAX_GAS_UNIT_PRICE, MIN_GAS_UNIT_PRICE, gas_units
from .mempool import CAPACITY_PER_ACCOUNT, MAX_AHEAD, Mempool, mempool_full
from .transactions import Account, NodeError, Transaction, norm, vm_error

__all__ = ["MIN_GAS_UNIT_PRICE", "Ledger", "NodeState"]

log = logging.getLogger("kana_async.sim")

_OUT_OF_GAS: Final = "Out of gas"
_SUCCESS: Final = "Executed successfully"


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
    """Accounts, mempool, blocks and executed transactions of one fake fullnode.

    Args:
        chain_id: the chain id transactions must carry.
        ledger: executes the exchange's entry functions.
        clock: unix seconds (expiry checks, block timestamps).
        block_interval: seconds between blocks; 0 executes each transaction when its turn comes.
    """

    def __init__(
        self,
        *,
        chain_id: int,
        ledger: Ledger,
        clock: Callable[[], float] = time.time,
        block_interval: float = 0.0,
    ) -> None:
        if block_interval < 0:
            raise ValueError("block_interval must be >= 0")
        self.chain_id = chain_id
        self.ledger = ledger
        self.clock = clock
        self.block_interval = block_interval
        self.accounts: dict[str, Account] = {}
        self.by_hash: dict[str, Transaction] = {}
        self.by_version: dict[int, Transaction] = {}
        self._sent: dict[str, list[Transaction]] = {}
        self.mempool = Mempool()
        self.ledger_version = 0
        self.block_height = 0
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

    def check(self, tx: Transaction) -> Account:
        """Prologue checks shared by submit and simulate; returns the sender's account."""
        account = self.accounts.get(tx.sender)
        if account is None:
            raise vm_error("SENDING_ACCOUNT_DOES_NOT_EXIST")
        key = bytes.fromhex(tx.public_key[2:])
        auth = "0x" + hashlib.sha3_256(key + b"\x00").hexdigest()
        if auth != account.authentication_key:
            raise vm_error("INVALID_AUTH_KEY")
        if tx.max_gas_amount > MAX_GAS_AMOUNT:
            raise vm_error("MAX_GAS_UNITS_EXCEEDS_MAX_GAS_UNITS_BOUND")
        if tx.gas_unit_price < MIN_GAS_UNIT_PRICE:
            raise vm_error("GAS_UNIT_PRICE_BELOW_MIN_BOUND")
        if tx.gas_unit_price > MAX_GAS_UNIT_PRICE:
            raise vm_error("GAS_UNIT_PRICE_ABOVE_MAX_BOUND")
        if tx.expiration_timestamp_secs <= self.clock():
            raise vm_error("TRANSACTION_EXPIRED")
        if account.apt < tx.max_gas_amount * tx.gas_unit_price:
            raise vm_error("INSUFFICIENT_BALANCE_FOR_TRANSACTION_FEE")
        if tx.sequence_number < account.sequence_number:
            raise vm_error("SEQUENCE_NUMBER_TOO_OLD")
        return account

    def submit(self, data: bytes, *, forget: bool = False) -> Transaction:
        """Accept a signed transaction into the mempool; execute what is ready (no blocks).

        Re-submitting the identical bytes of a waiting transaction returns it again and never
        executes it twice; a committed one answers ``SEQUENCE_NUMBER_TOO_OLD`` like Aptos.
        ``forget``: check and answer as if accepted, then drop it (a lost submission).

        Raises :class:`NodeError`: the validation answers, ``invalid_transaction_update`` for a
        different transaction under a waiting number, 507 ``mempool_is_full`` past
        :data:`~.mempool.CAPACITY_PER_ACCOUNT`, ``SEQUENCE_NUMBER_TOO_NEW`` past
        :data:`~.mempool.MAX_AHEAD`.
        """
        self.expire()
        tx = self.decode(data)
        known = self.by_hash.get(tx.hash)
        if known is not None and not known.committed:
            return known
        account = self.check(tx)
        other = self.mempool.get(tx.sender, tx.sequence_number)
        if other is not None:
            raise NodeError(
                400,
                "Transaction already in mempool with a different payload",
                "invalid_transaction_update",
            )
        waiting = self.mempool.count(tx.sender)
        if waiting >= CAPACITY_PER_ACCOUNT:
            raise mempool_full(waiting)
        if tx.sequence_number >= account.sequence_number + MAX_AHEAD:
            raise vm_error("SEQUENCE_NUMBER_TOO_NEW")
        if forget:
            return tx
        self.by_hash[tx.hash] = tx
        self.mempool.add(tx, self.clock())
        if not self.block_interval:
            self._run_ready(tx.sender, self._now_usec())
        return tx

    def produce_block(self) -> int:
        """Execute every waiting transaction whose turn has come, as one block.

        Transactions run in sequence order per account and in arrival order across accounts;
        all get the block's timestamp. Returns how many executed (0: no block was made).
        """
        self.expire()
        timestamp = self._now_usec()
        done = 0
        while True:
            ready = [
                tx
                for sender in self.mempool.senders()
                if (tx := self.mempool.get(sender, self.accounts[sender].sequence_number))
            ]
            if not ready:
                break
            first = min(ready, key=self.mempool.arrival)
            self.mempool.pop(first.sender, first.sequence_number)
            self._execute(first, self.accounts[first.sender], timestamp)
            done += 1
        if done:
            self.block_height += 1
        return done

    def restart(self, *, lose_mempool: bool = True) -> list[Transaction]:
        """A node restart: with ``lose_mempool``, every waiting transaction is forgotten
        (its hash answers 404 and it never executes); committed history is kept.

        Returns the forgotten transactions.
        """
        if not lose_mempool:
            return []
        gone = self.mempool.clear()
        for tx in gone:
            self.by_hash.pop(tx.hash, None)
        return gone

    def expire(self) -> None:
        """Forget waiting transactions whose expiration time has passed on the node's clock."""
        for gone in self.mempool.expired(self.clock()):
            self.by_hash.pop(gone.hash, None)

    def sent_by(self, address: str, start: int | None, limit: int) -> list[Transaction]:
        """Committed transactions of ``address`` in sequence order: ``limit`` of them from
        sequence number ``start``, or the latest ``limit`` when ``start`` is ``None``."""
        sent = self._sent.get(norm(address), [])
        if start is None:
            return sent[-limit:]
        first = bisect.bisect_left(sent, start, key=lambda tx: tx.sequence_number)
        return sent[first : first + limit]

    def lookup(self, tx_hash: str) -> Transaction | None:
        """A transaction by hash (pending or committed), or ``None``."""
        self.expire()
        return self.by_hash.get(tx_hash.lower())

    def _now_usec(self) -> int:
        return int(self.clock() * 1_000_000)

    def _run_ready(self, sender: str, timestamp: int) -> None:
        account = self.accounts[sender]
        done = 0
        while (ready := self.mempool.pop(sender, account.sequence_number)) is not None:
            self._execute(ready, account, timestamp)
            done += 1
        if done:
            self.block_height += 1

    def _execute(self, tx: Transaction, account: Account, timestamp: int) -> None:
        version = self.ledger.allocate_version()
        account.sequence_number += 1
        tx.version = version
        self.by_version[version] = tx
        self._sent.setdefault(tx.sender, []).append(tx)
        self.ledger_version = max(self.ledger_version, version)
        tx.timestamp_usec = timestamp
        tx.gas_used = gas_units(tx.function_id, tx.args)
        if tx.gas_used > tx.max_gas_amount:
            tx.gas_used = tx.max_gas_amount
            tx.success, tx.vm_status = False, _OUT_OF_GAS
        elif tx.args is None:
            tx.success, tx.vm_status = False, "FAILED_TO_DESERIALIZE_ARGUMENT"
        else:
            try:
                events = self._call(tx, version)
                tx.success, tx.vm_status = True, _SUCCESS
                tx.events = list(events or ())
            except contract.ExecutionFailure as failure:
                tx.success, tx.vm_status = False, failure.vm_status
            except Exception:
                log.exception("ledger failed executing %s", tx.hash)
                tx.success, tx.vm_status = False, "UNKNOWN_INVARIANT_VIOLATION_ERROR"
        account.apt -= min(account.apt, tx.gas_used * tx.gas_unit_price)
        for listener in list(self.listeners):
            listener(tx)

    def _call(self, tx: Transaction, version: int) -> Sequence[dict[str, Any]] | None:
        assert tx.args is not None
        if tx.function_id == framework.TRANSFER:
            self._transfer(tx.sender, tx.args[0], tx.args[1], tx.gas_used * tx.gas_unit_price)
            return None
        return self.ledger.execute(tx.sender, tx.function_id, tx.type_args, tx.args, version)

    def _transfer(self, sender: str, to: str, octas: int, fee: int) -> None:
        account = self.accounts[sender]
        if account.apt < octas + fee:
            raise framework.FrameworkAbort(
                "coin", "EINSUFFICIENT_BALANCE", 0x10006, "Not enough coins to complete transaction"
            )
        account.apt -= octas
        self.fund_apt(to, octas)

    def simulate(self, data: bytes) -> Transaction:
        """Dry-run a transaction signed with an all-zero signature; nothing changes."""
        tx = self.decode(data, verify=False)
        if tx.signature != "0x" + "00" * 64:
            raise NodeError(
                400, "Simulated transactions must not have a valid signature", "invalid_input"
            )
        self.check(tx)
        tx.version = self.ledger_version
        tx.gas_used = gas_units(tx.function_id, tx.args)
        if tx.gas_used > tx.max_gas_amount:
            tx.gas_used = tx.max_gas_amount
            tx.success, tx.vm_status = False, _OUT_OF_GAS
            return tx
        if tx.args is None:
            tx.success, tx.vm_status = False, "FAILED_TO_DESERIALIZE_ARGUMENT"
            return tx
        simulate = getattr(self.ledger, "simulate", None)
        try:
            if tx.function_id == framework.TRANSFER:
                if self.accounts[tx.sender].apt < tx.args[1] + tx.gas_used * tx.gas_unit_price:
                    raise framework.FrameworkAbort(
                        "coin", "EINSUFFICIENT_BALANCE", 0x10006, "Not enough coins"
                    )
            elif simulate is not None:
                simulate(tx.sender, tx.function_id, tx.type_args, tx.args)
            tx.success, tx.vm_status = True, _SUCCESS
        except contract.ExecutionFailure as failure:
            tx.success, tx.vm_status = False, failure.vm_status
        return tx
