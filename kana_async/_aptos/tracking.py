"""Signed transactions in flight, and the outcomes of the recent ones.

A :class:`Submission` is created the moment a transaction is signed, before its bytes are sent.
From then on the client, not the caller, owns it: the caller only *waits* on it, so cancelling
the caller never abandons it. :class:`SubmissionTracker` lists the submissions whose outcome is
not known yet and keeps a bounded record of final outcomes, by hash.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Final

import anyio

from kana_async._aptos.signing import SignedTransaction
from kana_async._exceptions import KanaError, OutcomeUnknownError
from kana_async.models.transactions import (
    TransactionOutcome,
    TransactionResult,
    UnresolvedTransaction,
)

__all__ = ["Submission", "SubmissionTracker"]

log = logging.getLogger("kana_async")

#: Final outcomes kept by default (oldest dropped first).
DEFAULT_HISTORY: Final = 1000


class Submission:
    """One signed transaction on its way: accepted yet? resolved yet? the caller still there?

    Created the moment a transaction is signed; it lists itself in ``tracker`` as unresolved.

    Args:
        signed: the signed transaction (replaced by :meth:`resign` when re-signed).
        action: names the call in logs and in the tracker (``"place_limit_order"``).
        market_id: the market it acts on, or ``None``.
        tracker: where it is listed until its outcome is known.
    """

    def __init__(
        self,
        signed: SignedTransaction,
        *,
        action: str,
        market_id: int | None,
        tracker: SubmissionTracker,
    ) -> None:
        self.signed = signed
        self.action = action
        self.market_id = market_id
        self.caller_gone = False
        self._tracker = tracker
        self._accepted = anyio.Event()
        self._accept_error: KanaError | None = None
        self._done = anyio.Event()
        self._result: TransactionResult | None = None
        self._error: KanaError | None = None
        tracker._add(self)

    @property
    def hash(self) -> str:
        """The current transaction hash."""
        return self.signed.hash

    @property
    def resolved(self) -> bool:
        """Whether the final outcome is known."""
        return self._done.is_set()

    def snapshot(self) -> UnresolvedTransaction:
        """What :attr:`SubmissionTracker.unresolved` shows for it.

        Returns:
            Its hash, action, market, sequence number, expiry and whether its caller is gone.

        Never raises.
        """
        return UnresolvedTransaction(
            hash=self.signed.hash,
            action=self.action,
            market_id=self.market_id,
            sequence_number=self.signed.sequence_number,
            expiration_timestamp_secs=self.signed.expiration_timestamp_secs,
            caller_gone=self.caller_gone,
        )

    # -- driven by the resolver ------------------------------------------------------------------

    def resign(self, signed: SignedTransaction) -> None:
        """The node refused the sequence number; the same call was re-signed as ``signed``.

        Args:
            signed: the new signed transaction (its hash becomes :attr:`hash`).

        Never raises.
        """
        self.signed = signed

    def accepted(self, error: KanaError | None = None) -> None:
        """The node took it, or may have; wakes :meth:`wait_accepted`. Only the first call counts.

        Args:
            error: ``None`` when the node took it, else why that is not known (or why it
                certainly did not).

        Never raises.
        """
        if not self._accepted.is_set():
            self._accept_error = error
            self._accepted.set()

    def finish(self, result: TransactionResult | None, error: KanaError | None) -> None:
        """Record the final outcome, move it to the tracker's outcomes and wake every waiter.

        Only the first call counts.

        Args:
            result: the committed transaction's result, or ``None`` when it failed.
            error: the failure, or ``None`` when it succeeded.

        Never raises.
        """
        if self._done.is_set():
            return
        self._result, self._error = result, error
        self.accepted(error)
        self._done.set()
        self._tracker._resolved(self)

    def abandon(self, error: KanaError) -> None:
        """The client stopped looking (it is closing): wake waiters, stay listed as unresolved.

        Args:
            error: what waiters get raised (an :class:`~kana_async.OutcomeUnknownError`).

        Never raises.
        """
        self.accepted(error)
        if not self._done.is_set():
            self._error = error
            self._done.set()

    # -- used by callers -----------------------------------------------------------------------

    async def wait_accepted(self) -> None:
        """Wait until the node took it into its mempool.

        Raises:
            KanaError: the error :meth:`accepted` or :meth:`finish` recorded: the node refused it
                (:class:`~kana_async.TransactionRejectedError`) or may have taken it
                (:class:`~kana_async.OutcomeUnknownError`), or it never reached the node.
        """
        await self._accepted.wait()
        if self._accept_error is not None:
            raise self._accept_error

    async def wait(self, timeout: float) -> TransactionResult:  # noqa: ASYNC109
        """Wait for the outcome.

        Args:
            timeout: the most seconds to wait.

        Returns:
            The committed transaction's result.

        Raises:
            OutcomeUnknownError: the time ran out first (the client keeps resolving it), or
                the client closed before the outcome was known.
            KanaError: the recorded failure otherwise, e.g.
                :class:`~kana_async.MoveAbortError` or
                :class:`~kana_async.TransactionRejectedError`.
        """
        with anyio.move_on_after(timeout):
            await self._done.wait()
        if not self._done.is_set():
            raise OutcomeUnknownError(
                f"transaction {self.hash} not confirmed within {timeout:g}s; the client keeps "
                "resolving it (see kana.trading.unresolved / kana.trading.outcome(hash))",
                hash=self.hash,
            )
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result

    def caller_cancelled(self) -> None:
        """The call waiting on it was cancelled: log it once (with the hash) unless resolved.

        Marks it ``caller_gone``, so its outcome is logged when it resolves.

        Never raises.
        """
        if self.resolved or self.caller_gone:
            return
        self.caller_gone = True
        log.warning(
            "%s was cancelled after transaction %s (sequence number %d) was signed and may have "
            "been sent; the client keeps resolving it (kana.trading.unresolved lists it)",
            self.action,
            self.signed.hash,
            self.signed.sequence_number,
        )


class SubmissionTracker:
    """Unresolved submissions, and a bounded record of final outcomes by hash.

    Args:
        history: how many final outcomes to keep (the oldest are dropped first).
    """

    def __init__(self, history: int = DEFAULT_HISTORY) -> None:
        self.history = history
        self._unresolved: dict[Submission, None] = {}
        self._outcomes: OrderedDict[str, TransactionOutcome] = OrderedDict()
        self._changed = anyio.Event()

    @property
    def unresolved(self) -> tuple[UnresolvedTransaction, ...]:
        """The submissions whose outcome is not known yet, oldest first."""
        return tuple(s.snapshot() for s in self._unresolved)

    @property
    def outcomes(self) -> tuple[TransactionOutcome, ...]:
        """The recorded final outcomes, oldest first."""
        return tuple(self._outcomes.values())

    def outcome(self, tx_hash: str) -> TransactionOutcome | None:
        """The recorded final outcome of a transaction.

        Args:
            tx_hash: its hash (any case).

        Returns:
            The outcome, or ``None`` when none is recorded (unresolved, unknown, or dropped
            from the bounded history).

        Never raises.
        """
        return self._outcomes.get(tx_hash.lower())

    def pending(self, tx_hash: str) -> Submission | None:
        """The unresolved submission of a transaction.

        Args:
            tx_hash: its current hash (any case).

        Returns:
            The submission, or ``None`` when no unresolved one has that hash.

        Never raises.
        """
        wanted = tx_hash.lower()
        for sub in self._unresolved:
            if sub.hash == wanted:
                return sub
        return None

    async def wait_idle(self, timeout: float) -> bool:  # noqa: ASYNC109
        """Wait for every listed submission to resolve.

        Args:
            timeout: the most seconds to wait.

        Returns:
            Whether none is left unresolved.

        Never raises.
        """
        with anyio.move_on_after(timeout):
            while self._unresolved:
                changed = self._changed
                await changed.wait()
        return not self._unresolved

    def _add(self, sub: Submission) -> None:
        self._unresolved[sub] = None

    def _resolved(self, sub: Submission) -> None:
        self._unresolved.pop(sub, None)
        self._outcomes[sub.hash] = TransactionOutcome(
            hash=sub.hash,
            action=sub.action,
            market_id=sub.market_id,
            sequence_number=sub.signed.sequence_number,
            result=sub._result,
            error=sub._error,
            caller_gone=sub.caller_gone,
        )
        while len(self._outcomes) > self.history:
            self._outcomes.popitem(last=False)
        if sub.caller_gone:
            how = "committed" if sub._error is None else f"failed: {sub._error}"
            log.info("transaction %s of a cancelled %s %s", sub.hash, sub.action, how)
        self._changed.set()
        self._changed = anyio.Event()
