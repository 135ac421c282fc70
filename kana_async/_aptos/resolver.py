"""Finding out what became of a signed transaction, and healing the account's sequence numbers.

:class:`Resolver` runs one :class:`~kana_async._aptos.tracking.Submission` to its end in the
client's background task group:

1. Send the signed bytes (the node client re-sends the *same bytes* on timeouts, 429 and 5xx).
   A sequence number the node refuses is replaced and the call re-signed: it certainly did not
   go in.
2. Long-poll the node until the transaction is committed. When the node says it does not know
   the hash although the transaction has not expired (the node restarted and lost its mempool,
   or the submission was lost on the way), the same bytes are sent again at once.
3. Once the transaction is definitely dead (its expiry passed on the ledger, or its number was
   used by another transaction) its sequence number is healed: if transactions signed behind it
   are waiting, a no-op (a zero transfer to oneself) is signed under that number so they can
   execute; otherwise the number is handed out again. Different content is never signed under a
   number whose transaction may still execute.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

import anyio

from kana_async._aptos.answers import CommittedTransaction, PendingAnswer
from kana_async._aptos.bcs import entry_function_bytes
from kana_async._aptos.node import backoff
from kana_async._aptos.tracking import Submission
from kana_async._exceptions import (
    APIStatusError,
    KanaError,
    OutcomeUnknownError,
    RateLimitError,
    ResponseDecodeError,
    ServerError,
    TransactionRejectedError,
    TransportError,
)

if TYPE_CHECKING:
    from kana_async._aptos.sender import Prepared, TransactionSender

__all__ = ["FILL_ACTION", "FILL_FUNCTION", "Resolver"]

log = logging.getLogger("kana_async")

#: The no-op signed under a dead transaction's number: a zero APT transfer to oneself.
FILL_FUNCTION: Final = "0x1::aptos_account::transfer"
#: The action name a filler is listed under.
FILL_ACTION: Final = "fill_sequence_number"
#: Seconds after a transaction's expiry that the client keeps trying to reach the node before
#: it gives the outcome up as unknown.
GIVE_UP_AFTER_EXPIRY: Final = 15.0
_UNREACHABLE: Final = (TransportError, RateLimitError, ServerError)
_POLL_FAILED: Final = (TransportError, APIStatusError, ResponseDecodeError)


class Resolver:
    """Drives submissions of one :class:`~kana_async._aptos.sender.TransactionSender`.

    Args:
        sender: the sender whose node, allocator and signer it uses.
    """

    def __init__(self, sender: TransactionSender) -> None:
        self.sender = sender

    async def run(self, sub: Submission, prepared: Prepared) -> None:
        """Send ``sub``, wait until it is committed or dead, and record its outcome on it.

        Every failure is recorded on ``sub`` (an unexpected one as an
        :class:`~kana_async.OutcomeUnknownError`, logged); cancellation (the client closing)
        abandons it with an :class:`~kana_async.OutcomeUnknownError` and is re-raised.

        Args:
            sub: the submission.
            prepared: its encoded call, to re-sign it under another number if refused.

        Never raises.
        """
        try:
            committed = await self._send(sub, prepared)
            result = await self.sender.result(committed, sub.market_id)
        except KanaError as exc:
            sub.finish(None, exc)
        except anyio.get_cancelled_exc_class():
            sub.abandon(
                OutcomeUnknownError(
                    f"the client closed before the outcome of transaction {sub.hash} was known; "
                    "look it up by hash",
                    hash=sub.hash,
                )
            )
            raise
        except Exception as exc:
            log.exception("resolving transaction %s failed", sub.hash)
            sub.finish(None, OutcomeUnknownError(f"{type(exc).__name__}: {exc}", hash=sub.hash))
        else:
            sub.finish(result, None)

    # -- 1. send -------------------------------------------------------------------------------

    async def _send(self, sub: Submission, prepared: Prepared) -> CommittedTransaction:
        sender = self.sender
        allocator = sender.allocator
        for _ in range(prepared.options.max_resign):
            number = sub.signed.sequence_number
            try:
                outcome = await sender.node.send(sub.signed)
            except OutcomeUnknownError as exc:
                sub.accepted(exc)
                return await self._confirm(sub)
            except KanaError:
                # Refused, or never reached the node: certainly not in. Transactions signed
                # behind it would wait for this number, so it is healed (filled or given back);
                # a refused filler only gives its number back.
                if sub.action == FILL_ACTION:
                    allocator.release(number)
                else:
                    await self.heal(number)
                raise
            if outcome == "accepted":
                sub.accepted()
                return await self._confirm(sub)
            log.debug("sequence number %d refused (%s); re-signing", number, outcome)
            allocator.forget(number)
            if outcome == "stale":
                await allocator.resync()
            elif outcome == "ahead":
                await allocator.resync(reset=True)
            fresh = await allocator.allocate()
            try:
                sub.resign(await sender.sign(prepared, fresh))
            except BaseException:
                allocator.release(fresh)
                raise
        allocator.release(sub.signed.sequence_number)
        raise TransactionRejectedError(
            f"could not get a sequence number accepted after {prepared.options.max_resign} tries",
            hash=sub.hash,
        )

    # -- 2. confirm ----------------------------------------------------------------------------

    async def _confirm(self, sub: Submission) -> CommittedTransaction:
        sender = self.sender
        signed = sub.signed
        expiry = signed.expiration_timestamp_secs
        attempt = 0
        while True:
            try:
                found = await sender.node.poll(signed.hash, timeout=sender.node.request_timeout)
            except _POLL_FAILED as exc:
                if sender.node.clock() > expiry + GIVE_UP_AFTER_EXPIRY:
                    sender.allocator.forget(signed.sequence_number)
                    raise OutcomeUnknownError(
                        f"transaction {signed.hash}: no usable answer from the node until well "
                        f"after its expiry ({type(exc).__name__}: {exc}); look it up by hash",
                        hash=signed.hash,
                    ) from None
                await anyio.sleep(backoff(attempt, sender.node.retry_backoff, cap=1.0))
                attempt += 1
                continue
            if isinstance(found, CommittedTransaction):
                await sender.allocator.committed(signed.sequence_number)
                return found
            if isinstance(found, PendingAnswer):
                sub.accepted()
                attempt = 0
                await anyio.sleep(0.01)
                continue
            # The node does not know the hash.
            if await self._dead(expiry):
                await self.heal(signed.sequence_number)
                raise TransactionRejectedError(
                    f"transaction {signed.hash} expired without being executed",
                    hash=signed.hash,
                    vm_status="TRANSACTION_EXPIRED",
                )
            if attempt:
                await anyio.sleep(backoff(attempt, sender.node.retry_backoff, cap=0.5))
            attempt += 1
            await self._resend(sub)

    async def _resend(self, sub: Submission) -> None:
        """The node lost a transaction that may still execute: send the same bytes again."""
        sender = self.sender
        signed = sub.signed
        log.info("node does not know transaction %s any more; sending it again", signed.hash)
        try:
            outcome = await sender.node.send(signed)
        except (OutcomeUnknownError, *_UNREACHABLE):
            return
        except TransactionRejectedError as exc:
            if exc.vm_status == "TRANSACTION_EXPIRED":
                return  # the next poll finds it dead
            await self.heal(signed.sequence_number)
            raise
        if outcome != "stale":
            return
        # Its number is used on chain: by this transaction, or by another one.
        try:
            found = await sender.node.transaction_by_hash(signed.hash)
        except _POLL_FAILED:
            return
        if found is None:
            await sender.allocator.resync()
            raise TransactionRejectedError(
                f"transaction {signed.hash} can never execute: another transaction used its "
                f"sequence number {signed.sequence_number}",
                hash=signed.hash,
                vm_status="SEQUENCE_NUMBER_TOO_OLD",
            )

    async def _dead(self, expiry: int) -> bool:
        """Whether a transaction expiring at ``expiry`` can no longer execute: the ledger's
        time has reached it (the node's clock, well past it, when the ledger cannot be read)."""
        node = self.sender.node
        try:
            return await node.ledger_time() >= expiry
        except KanaError:
            return node.clock() > expiry + GIVE_UP_AFTER_EXPIRY

    # -- 3. heal -------------------------------------------------------------------------------

    async def heal(self, number: int) -> None:
        """Sequence number ``number``'s transaction is dead: fill the hole or hand it out again.

        Reads the account's sequence number on chain: a number the chain has already passed is
        forgotten; one with transactions outstanding behind it gets a signed no-op (a zero APT
        transfer to oneself) under it; otherwise it is handed out again.

        Args:
            number: the dead transaction's sequence number.

        Raises:
            TransportError: the node cannot be reached for the filler's gas price.
            APIStatusError: the node refused that read.
            TransactionRejectedError: the signer's signature for the filler does not verify.
        """
        sender = self.sender
        allocator = sender.allocator
        try:
            on_chain: int | None = await sender.node.sequence_number(sender.signer.address)
        except KanaError:
            on_chain = None
        if on_chain is not None and on_chain > number:
            allocator.forget(number)
            await allocator.resync()
            return
        behind = any(n > number for n in allocator.outstanding)
        if on_chain is None or not behind:
            allocator.release(number)
            await allocator.resync()
            return
        try:
            prepared = await self._fill_payload()
            signed = await sender.sign(prepared, number)
        except BaseException:
            allocator.release(number)
            raise
        log.info("filling sequence number %d with a no-op (%s)", number, signed.hash)
        sender.launch(signed, prepared, action=FILL_ACTION, market_id=None)

    async def _fill_payload(self) -> Prepared:
        from kana_async._aptos.sender import Prepared

        sender = self.sender
        params = ("address", "u64")
        args = (sender.signer.address, "0")
        price = sender.options.gas_unit_price or await sender.node.gas_unit_price()
        entry = entry_function_bytes(FILL_FUNCTION, (), args, params)
        return Prepared(FILL_FUNCTION, (), args, params, entry, price, sender.options)

    # -- transactions the client did not send ----------------------------------------------------

    async def watch(
        self,
        tx_hash: str,
        expiry: int,
        *,
        timeout: float,  # noqa: ASYNC109 - ends in OutcomeUnknownError
    ) -> CommittedTransaction:
        """Poll a transaction this client is not resolving until it is committed.

        Calls ``GET /v1/transactions/wait_by_hash/{hash}`` again and again; failed polls are
        retried.

        Args:
            tx_hash: the transaction's hash.
            expiry: its expiry, chain time in unix seconds.
            timeout: the most seconds to wait.

        Returns:
            The committed transaction (successful or not).

        Raises:
            TransactionRejectedError: the node does not know it and its expiry has passed.
            OutcomeUnknownError: ``timeout`` passed first.
        """
        node = self.sender.node
        attempt = 0
        with anyio.move_on_after(timeout):
            while True:
                try:
                    found = await node.poll(tx_hash, timeout=node.request_timeout)
                except _POLL_FAILED:
                    found = None
                else:
                    if isinstance(found, CommittedTransaction):
                        return found
                    if found is None and await self._dead(expiry):
                        raise TransactionRejectedError(
                            f"transaction {tx_hash} expired without being executed",
                            hash=tx_hash,
                            vm_status="TRANSACTION_EXPIRED",
                        )
                await anyio.sleep(backoff(attempt, node.retry_backoff, cap=0.5))
                attempt += 1
        raise OutcomeUnknownError(
            f"transaction {tx_hash} not confirmed within {timeout:g}s; look it up by hash",
            hash=tx_hash,
        )
