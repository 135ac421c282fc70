"""Payload → signed bytes → submit → confirm, for one signer.

:class:`TransactionSender` takes a sequence number from its :class:`SequenceAllocator`, builds and
signs the transaction (:mod:`kana_async._aptos.signing`), submits it through
:class:`NodeClient` (which re-sends the *same signed bytes* on a timeout, 429 or 5xx) and waits
for the outcome. A
transaction is only ever re-signed when the node said for certain that it did not take it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from kana_async._aptos import signing as _signing
from kana_async._aptos.node import NodeClient
from kana_async._aptos.sequence import SequenceAllocator
from kana_async._aptos.signer import Signer
from kana_async._exceptions import (
    InvalidArgumentError,
    MoveAbortError,
    OutcomeUnknownError,
    TransactionRejectedError,
)
from kana_async.models.transactions import (
    PendingTransaction,
    TransactionResult,
    parse_move_abort,
)

__all__ = ["PayloadLike", "SendOptions", "TransactionSender", "result_from_json"]

log = logging.getLogger("kana_async")


class PayloadLike(Protocol):
    """An entry-function payload (:class:`kana_async.models.TransactionPayload` is one)."""

    @property
    def function(self) -> str: ...

    @property
    def type_arguments(self) -> tuple[str, ...]: ...

    @property
    def function_arguments(self) -> tuple[Any, ...]: ...


@dataclass(frozen=True, slots=True)
class SendOptions:
    """Gas and expiry settings of a :class:`TransactionSender`."""

    max_gas_amount: int = 20_000
    gas_unit_price: int | None = None  # None: the node's estimate
    expiration_seconds: int = 30
    confirm_timeout: float = 30.0
    max_resign: int = 8


class TransactionSender:
    """Sign, submit and confirm entry-function payloads for one signer.

    Concurrent calls are safe: each gets its own sequence number from one
    :class:`SequenceAllocator`.
    """

    def __init__(
        self,
        node: NodeClient,
        signer: Signer,
        *,
        chain_id: int,
        options: SendOptions | None = None,
        max_in_flight: int = 100,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.node = node
        self.signer = signer
        self.chain_id = chain_id
        self.options = options or SendOptions()
        self.clock = clock
        self.allocator = SequenceAllocator(
            lambda: node.sequence_number(signer.address), max_in_flight=max_in_flight
        )

    async def _spec(self, payload: PayloadLike, sequence_number: int) -> _signing.TransactionSpec:
        params, generics = await self.node.entry_function_types(payload.function)
        if len(payload.type_arguments) != generics:
            raise InvalidArgumentError(
                f"{payload.function} takes {generics} type arguments, "
                f"the payload has {len(payload.type_arguments)}"
            )
        price = self.options.gas_unit_price or await self.node.gas_unit_price()
        return _signing.TransactionSpec(
            sender=self.signer.address,
            sequence_number=sequence_number,
            function=payload.function,
            type_arguments=tuple(payload.type_arguments),
            arguments=tuple(payload.function_arguments),
            param_types=params,
            max_gas_amount=self.options.max_gas_amount,
            gas_unit_price=price,
            expiration_timestamp_secs=int(self.clock()) + self.options.expiration_seconds,
            chain_id=self.chain_id,
        )

    async def submit(self, payload: PayloadLike) -> PendingTransaction:
        """Sign and submit ``payload``; returns once the node accepted it."""
        # Encode once before taking a number: bad arguments fail without touching the account.
        # (Only the BCS message: signing and serialising it would be wasted work.)
        _signing.signing_message(await self._spec(payload, 0))
        for _ in range(self.options.max_resign):
            number = await self.allocator.allocate()
            try:
                spec = await self._spec(payload, number)
                signed = await _signing.sign_transaction(self.signer, spec)
                outcome = await self.node.send(signed)
            except BaseException:
                self.allocator.release(number)
                raise
            if outcome == "accepted":
                return self._pending(signed)
            log.debug("sequence number %d refused (%s); re-signing", number, outcome)
            if outcome == "stale":
                await self.allocator.resync()
            elif outcome == "ahead":
                await self.allocator.resync(reset=True)
        raise TransactionRejectedError(
            f"could not get a sequence number accepted after {self.options.max_resign} tries"
        )

    def _pending(self, signed: _signing.SignedTransaction) -> PendingTransaction:
        async def waiter(timeout: float | None) -> TransactionResult:  # noqa: ASYNC109
            return await self.confirm(signed, timeout=timeout)

        return PendingTransaction(
            hash=signed.hash,
            sender=signed.sender,
            sequence_number=signed.sequence_number,
            expiration_timestamp_secs=signed.expiration_timestamp_secs,
            waiter=waiter,
        )

    async def confirm(
        self,
        signed: _signing.SignedTransaction,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - ends in OutcomeUnknownError
    ) -> TransactionResult:
        """Wait for a submitted transaction; the result, or the typed failure."""
        try:
            body = await self.node.wait(
                signed.hash,
                timeout=self.options.confirm_timeout if timeout is None else timeout,
                expiration_timestamp_secs=signed.expiration_timestamp_secs,
            )
        except TransactionRejectedError:
            # Expired unexecuted: its number is free again, and so is any other gap.
            self.allocator.release(signed.sequence_number)
            await self.allocator.resync()
            raise
        except OutcomeUnknownError:
            self.allocator.forget(signed.sequence_number)
            raise
        await self.allocator.committed(signed.sequence_number)
        return result_from_json(body)

    async def execute(
        self,
        payload: PayloadLike,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - ends in OutcomeUnknownError
    ) -> TransactionResult:
        """Submit ``payload`` and wait for it to be committed."""
        pending = await self.submit(payload)
        return await pending.wait(timeout)

    async def lookup(self, tx_hash: str) -> TransactionResult | PendingTransaction | None:
        """A transaction by hash: its result, a pending handle, or ``None`` if the node has none.

        Raises the typed failure when the transaction was committed but failed.
        """
        body = await self.node.transaction_by_hash(tx_hash)
        if body is None:
            return None
        if body.get("type") != "pending_transaction":
            return result_from_json(body)
        expiry = int(body.get("expiration_timestamp_secs") or self.clock())

        async def waiter(timeout: float | None) -> TransactionResult:  # noqa: ASYNC109
            limit = self.options.confirm_timeout if timeout is None else timeout
            done = await self.node.wait(tx_hash, timeout=limit, expiration_timestamp_secs=expiry)
            return result_from_json(done)

        return PendingTransaction(
            hash=tx_hash,
            sender=str(body.get("sender", "")),
            sequence_number=int(body.get("sequence_number") or 0),
            expiration_timestamp_secs=expiry,
            waiter=waiter,
        )

    async def simulate(self, payload: PayloadLike) -> TransactionResult:
        """Dry-run ``payload`` on the node; raises like :meth:`execute` when it would fail."""
        number = await self.node.sequence_number(self.signer.address)
        spec = await self._spec(payload, number)
        signed = await _signing.sign_transaction(self.signer, spec, simulate=True)
        return result_from_json(await self.node.simulate(signed))


def result_from_json(body: dict[str, Any]) -> TransactionResult:
    """A :class:`TransactionResult` from a committed transaction's JSON; raises if it failed."""
    vm_status = str(body.get("vm_status", ""))
    tx_hash = str(body.get("hash", ""))
    version = int(body.get("version") or 0)
    if not body.get("success"):
        abort = parse_move_abort(vm_status)
        if abort is not None:
            code, name = abort
            raise MoveAbortError(
                f"transaction {tx_hash} aborted with {name or 'code'} ({code}): {vm_status}",
                hash=tx_hash,
                vm_status=vm_status,
                abort_code=code,
                code_name=name,
                version=version,
            )
        raise TransactionRejectedError(
            f"transaction {tx_hash} failed: {vm_status}", hash=tx_hash, vm_status=vm_status
        )
    payload = body.get("payload") or {}
    return TransactionResult(
        hash=tx_hash,
        version=version,
        success=True,
        vm_status=vm_status,
        gas_used=int(body.get("gas_used") or 0),
        gas_unit_price=int(body.get("gas_unit_price") or 0),
        sender=str(body.get("sender", "")),
        sequence_number=int(body.get("sequence_number") or 0),
        timestamp_usec=int(body.get("timestamp") or 0),
        function=str(payload.get("function", "")),
    )
