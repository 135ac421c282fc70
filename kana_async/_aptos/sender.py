"""Payload → signed bytes → a submission the client owns, for one signer.

:class:`TransactionSender` encodes an entry-function payload once (:meth:`~TransactionSender.
prepare`), takes a sequence number from its :class:`SequenceAllocator`, signs, and hands the
signed transaction to a :class:`~kana_async._aptos.resolver.Resolver` running in the client's
background task group. Everything before the signature is cancellable with nothing sent and
the number handed back; from the signature on the transaction is listed in the
:class:`~kana_async._aptos.tracking.SubmissionTracker` until its outcome is known, whatever
happens to the caller.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import anyio

from kana_async._aptos import bcs
from kana_async._aptos import signing as _signing
from kana_async._aptos.answers import CommittedTransaction, u64
from kana_async._aptos.node import NodeClient
from kana_async._aptos.sequence import SequenceAllocator
from kana_async._aptos.signer import Signer
from kana_async._aptos.tracking import Submission, SubmissionTracker
from kana_async._background import BackgroundTasks
from kana_async._exceptions import (
    InvalidArgumentError,
    MoveAbortError,
    TransactionRejectedError,
)
from kana_async.models.events import TransactionEvents
from kana_async.models.transactions import (
    PendingTransaction,
    TransactionResult,
    parse_move_abort,
)

__all__ = [
    "DescribeEvents",
    "PayloadLike",
    "Prepared",
    "SendOptions",
    "TransactionSender",
    "result_from_committed",
]

DescribeEvents = Callable[[CommittedTransaction, "int | None"], Awaitable[TransactionEvents]]
"""Turns a committed transaction's raw events (and the market it acted on) into records."""


class PayloadLike(Protocol):
    """An entry-function payload (:class:`kana_async.models.TransactionPayload` is one).

    Attributes:
        function: the entry function, ``0xADDR::module::name``.
        type_arguments: its type arguments, as Move type strings.
        function_arguments: its arguments, JSON-ish (see
            :func:`kana_async._aptos.movetypes.coerce`).

    Args:
        *args: none are taken: the protocol is never instantiated (``PayloadLike(...)`` raises
            ``TypeError``); any object with these three attributes is one.
    """

    @property
    def function(self) -> str:
        """The entry function, ``0xADDR::module::name``."""
        ...

    @property
    def type_arguments(self) -> tuple[str, ...]:
        """The call's type arguments, as Move type strings."""
        ...

    @property
    def function_arguments(self) -> tuple[Any, ...]:
        """The call's arguments, JSON-ish (integers as ``int`` or decimal strings)."""
        ...


@dataclass(frozen=True, slots=True)
class SendOptions:
    """Gas and expiry settings of a :class:`TransactionSender`.

    Attributes:
        max_gas_amount: the most gas units one transaction may use.
        gas_unit_price: octas (10^-8 APT) per gas unit; ``None`` uses the node's estimate.
        expiration_seconds: how long a signed transaction stays executable, in seconds from
            signing.
        confirm_timeout: how long, in seconds, a call waits for the outcome (the client keeps
            resolving it after that).
        max_resign: how often a refused sequence number is replaced before the transaction is
            given up as rejected.
    """

    max_gas_amount: int = 20_000
    gas_unit_price: int | None = None  # None: the node's estimate
    expiration_seconds: int = 30
    confirm_timeout: float = 30.0
    max_resign: int = 8


@dataclass(frozen=True, slots=True)
class Prepared:
    """A payload checked against its ABI and encoded once, ready to sign under any number.

    Attributes:
        function: the entry function, ``0xADDR::module::name``.
        type_arguments: its type arguments.
        arguments: its arguments, JSON-ish.
        param_types: the Move types of ``arguments`` from the ABI (without signers).
        entry_function: the BCS ``EntryFunction`` of the call.
        gas_unit_price: octas per gas unit the transaction will offer.
        options: the gas, expiry and re-sign settings of the call that prepared it (kept for
            re-signing).
    """

    function: str
    type_arguments: tuple[str, ...]
    arguments: tuple[Any, ...]
    param_types: tuple[str, ...]
    entry_function: bytes
    gas_unit_price: int
    options: SendOptions = SendOptions()


async def _no_events(committed: CommittedTransaction, market_id: int | None) -> TransactionEvents:
    return TransactionEvents()


class TransactionSender:
    """Sign and submit entry-function payloads for one signer; resolve them in the background.

    Concurrent calls are safe: each gets its own sequence number from one
    :class:`SequenceAllocator`.

    Args:
        node: the node client transactions go through.
        signer: signs every transaction; its address is the sender.
        chain_id: the chain id signed into every transaction.
        options: gas, expiry and waiting settings (default :class:`SendOptions`).
        max_in_flight: how many sequence numbers may be outstanding at once.
        clock: unix seconds, for the expiry signed into transactions.
        tasks: the client's background task group (a private one when not given).
        tracker: where submissions are listed (a private one when not given).
        describe: turns a committed transaction's events into records (default: none).

    Raises:
        InvalidArgumentError: ``max_in_flight`` is below 1.
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
        tasks: BackgroundTasks | None = None,
        tracker: SubmissionTracker | None = None,
        describe: DescribeEvents = _no_events,
    ) -> None:
        from kana_async._aptos.resolver import Resolver

        self.node = node
        self.signer = signer
        self.chain_id = chain_id
        self.options = options or SendOptions()
        self.clock = clock
        self.tasks = tasks if tasks is not None else BackgroundTasks()
        self.tracker = tracker if tracker is not None else SubmissionTracker()
        self.describe = describe
        self.allocator = SequenceAllocator(
            lambda: node.sequence_number(signer.address), max_in_flight=max_in_flight
        )
        self.resolver = Resolver(self)

    # -- building and signing ------------------------------------------------------------------

    async def prepare(self, payload: PayloadLike, options: SendOptions | None = None) -> Prepared:
        """Check ``payload`` against the function's ABI and encode it (once); nothing is sent.

        Reads the module's ABI (cached) and, unless the gas unit price is set in the options,
        the node's gas price estimate.

        Args:
            payload: the entry-function call.
            options: the gas and expiry settings it is signed with; ``None`` uses
                :attr:`options`.

        Returns:
            The encoded call, the gas price it will offer and the settings it carries.

        Raises:
            InvalidArgumentError: the function id is malformed, its module has no such entry
                function, the type-argument count is wrong, or an argument does not fit its
                Move type.
            ArgumentTypeError: an argument has the wrong Python type for its Move type.
            NotFoundError: the node has no such module.
            TransportError: the node cannot be reached (ABI, gas price), after retries.
            APIStatusError: the node answered another non-2xx status.
            ResponseDecodeError: the node's answer is not the documented shape.
        """
        opts = self.options if options is None else options
        params, generics = await self.node.entry_function_types(payload.function)
        if len(payload.type_arguments) != generics:
            raise InvalidArgumentError(
                f"{payload.function} takes {generics} type arguments, "
                f"the payload has {len(payload.type_arguments)}"
            )
        type_args = tuple(payload.type_arguments)
        args = tuple(payload.function_arguments)
        entry = bcs.entry_function_bytes(payload.function, type_args, args, params)
        price = opts.gas_unit_price or await self.node.gas_unit_price()
        return Prepared(payload.function, type_args, args, params, entry, price, opts)

    def spec(self, prepared: Prepared, sequence_number: int) -> _signing.TransactionSpec:
        """The transaction of ``prepared`` under ``sequence_number``, expiring from now.

        Args:
            prepared: the encoded call.
            sequence_number: the sequence number to use.

        Returns:
            The unsigned transaction, expiring ``options.expiration_seconds`` from now.

        Never raises.
        """
        return _signing.TransactionSpec(
            sender=self.signer.address,
            sequence_number=sequence_number,
            function=prepared.function,
            type_arguments=prepared.type_arguments,
            arguments=prepared.arguments,
            param_types=prepared.param_types,
            max_gas_amount=prepared.options.max_gas_amount,
            gas_unit_price=prepared.gas_unit_price,
            expiration_timestamp_secs=int(self.clock()) + prepared.options.expiration_seconds,
            chain_id=self.chain_id,
            entry_function=prepared.entry_function,
        )

    async def sign(self, prepared: Prepared, sequence_number: int) -> _signing.SignedTransaction:
        """Sign ``prepared`` under ``sequence_number``.

        Args:
            prepared: the encoded call.
            sequence_number: the sequence number to use.

        Returns:
            The signed transaction's bytes and hash.

        Raises:
            TransactionRejectedError: the signer's signature does not verify.
        """
        return await _signing.sign_transaction(self.signer, self.spec(prepared, sequence_number))

    # -- submitting ----------------------------------------------------------------------------

    async def submit(
        self,
        payload: PayloadLike,
        *,
        action: str = "transaction",
        market_id: int | None = None,
        options: SendOptions | None = None,
    ) -> Submission:
        """Encode, number and sign ``payload``, then hand it to the background resolver.

        Cancelling this call before it returns sends nothing (the number is handed back). The
        returned :class:`Submission` is listed by the tracker until its outcome is known.

        Args:
            payload: the entry-function call.
            action: names the call in logs and in the tracker (``"place_limit_order"``).
            market_id: the market it acts on, to decode its events; ``None`` for none.
            options: the gas and expiry settings it is signed with; ``None`` uses
                :attr:`options`.

        Returns:
            The submission, being resolved in the background.

        Raises:
            InvalidArgumentError: the function id is malformed, its module has no such entry
                function, the type-argument count is wrong, or an argument does not fit its
                Move type.
            ArgumentTypeError: an argument has the wrong Python type for its Move type.
            NotFoundError: the node has no such module.
            TransportError: the node cannot be reached (ABI, gas price), after retries.
            APIStatusError: the node answered another non-2xx status.
            ResponseDecodeError: the node's answer is not the documented shape.
            TransactionRejectedError: the signer's signature does not verify.
        """
        prepared = await self.prepare(payload, options)
        return await self.submit_prepared(prepared, action=action, market_id=market_id)

    async def submit_prepared(
        self, prepared: Prepared, *, action: str, market_id: int | None
    ) -> Submission:
        """:meth:`submit` for an already prepared payload (also used to fill a number).

        Args:
            prepared: the encoded call.
            action: names the call in logs and in the tracker.
            market_id: the market it acts on, or ``None``.

        Returns:
            The submission, being resolved in the background.

        Raises:
            TransactionRejectedError: the signer's signature does not verify.
            TransportError: the node cannot be reached for the first sequence number.
            APIStatusError: the node refused that read.
            ClientStateError: the background task group is closed.
        """
        await self.tasks.start()
        number = await self.allocator.allocate()
        try:
            signed = await self.sign(prepared, number)
        except BaseException:
            self.allocator.release(number)
            raise
        return self.launch(signed, prepared, action=action, market_id=market_id)

    def launch(
        self,
        signed: _signing.SignedTransaction,
        prepared: Prepared,
        *,
        action: str,
        market_id: int | None,
    ) -> Submission:
        """List ``signed`` and start resolving it in the background.

        Synchronous: no await separates signing from this, so no cancellation can fall in
        between.

        Args:
            signed: the signed transaction.
            prepared: its encoded call (to re-sign it under another number if refused).
            action: names the call in logs and in the tracker.
            market_id: the market it acts on, or ``None``.

        Returns:
            The submission, listed as unresolved.

        Raises:
            ClientStateError: the background task group is closed (the number is handed back).
        """
        sub = Submission(signed, action=action, market_id=market_id, tracker=self.tracker)
        try:
            self.tasks.spawn(self.resolver.run, sub, prepared, name=f"resolve {signed.hash}")
        except BaseException:
            self.tracker._unresolved.pop(sub, None)
            self.allocator.release(signed.sequence_number)
            raise
        return sub

    async def wait(self, sub: Submission, timeout: float | None = None) -> TransactionResult:  # noqa: ASYNC109
        """The outcome of ``sub``.

        Cancelling the wait leaves ``sub`` to the background (and logs it once).

        Args:
            sub: a submission from :meth:`submit`.
            timeout: seconds to wait (default ``options.confirm_timeout``).

        Returns:
            The committed transaction's result.

        Raises:
            MoveAbortError: it was committed but a Move function aborted (``abort_code``,
                ``code_name``).
            TransactionRejectedError: the node refused it, or it expired unexecuted: it
                certainly did nothing.
            OutcomeUnknownError: no outcome within the timeout; the client keeps resolving it
                (see the tracker's outcomes).
            TransportError: no attempt reached the node: it certainly did nothing.
            RateLimitError: the node turned every attempt away with 429: it did nothing.
        """
        limit = self.options.confirm_timeout if timeout is None else timeout
        try:
            return await sub.wait(limit)
        except anyio.get_cancelled_exc_class():
            sub.caller_cancelled()
            raise

    async def accepted(
        self, sub: Submission, confirm_timeout: float | None = None
    ) -> PendingTransaction:
        """Wait until the node took ``sub`` into its mempool.

        Args:
            sub: a submission from :meth:`submit`.
            confirm_timeout: seconds the returned handle's ``wait()`` waits by default;
                ``None`` uses ``options.confirm_timeout``.

        Returns:
            A handle whose ``wait()`` waits for the outcome as :meth:`wait` does.

        Raises:
            TransactionRejectedError: the node refused it.
            OutcomeUnknownError: the node may have taken it, but no answer said so.
            TransportError: no attempt reached the node: it certainly did nothing.
            RateLimitError: the node turned every attempt away with 429.
        """
        try:
            await sub.wait_accepted()
        except anyio.get_cancelled_exc_class():
            sub.caller_cancelled()
            raise

        async def waiter(timeout: float | None) -> TransactionResult:  # noqa: ASYNC109
            return await self.wait(sub, confirm_timeout if timeout is None else timeout)

        return PendingTransaction(
            hash=sub.hash,
            sender=sub.signed.sender,
            sequence_number=sub.signed.sequence_number,
            expiration_timestamp_secs=sub.signed.expiration_timestamp_secs,
            waiter=waiter,
        )

    async def execute(
        self,
        payload: PayloadLike,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - ends in OutcomeUnknownError
        action: str = "transaction",
        market_id: int | None = None,
    ) -> TransactionResult:
        """Submit ``payload`` and wait for it to be committed.

        Args:
            payload: the entry-function call.
            timeout: seconds to wait for the outcome (default ``options.confirm_timeout``).
            action: names the call in logs and in the tracker.
            market_id: the market it acts on, to decode its events; ``None`` for none.

        Returns:
            The committed transaction's result, its events decoded.

        Raises:
            InvalidArgumentError: the function id is malformed, its module has no such entry
                function, the type-argument count is wrong, or an argument does not fit its
                Move type.
            ArgumentTypeError: an argument has the wrong Python type for its Move type.
            NotFoundError: the node has no such module.
            TransportError: the node cannot be reached (ABI, gas price), after retries.
            APIStatusError: the node answered another non-2xx status.
            ResponseDecodeError: the node's answer is not the documented shape.
            MoveAbortError: it was committed but a Move function aborted (``abort_code``,
                ``code_name``).
            TransactionRejectedError: the node refused it, or it expired unexecuted: it
                certainly did nothing.
            OutcomeUnknownError: no outcome within the timeout; the client keeps resolving it
                (see the tracker's outcomes).
            TransportError: no attempt reached the node: it certainly did nothing.
            RateLimitError: the node turned every attempt away with 429: it did nothing.
        """
        sub = await self.submit(payload, action=action, market_id=market_id)
        return await self.wait(sub, timeout)

    # -- reading -------------------------------------------------------------------------------

    async def result(
        self, committed: CommittedTransaction, market_id: int | None
    ) -> TransactionResult:
        """The result of a committed transaction, its events decoded by ``describe``.

        Args:
            committed: the node's record of the transaction.
            market_id: the market it acted on (for its events), or ``None``.

        Returns:
            The result.

        Raises:
            MoveAbortError: it failed with a Move abort.
            TransactionRejectedError: it failed otherwise.
        """
        events = await self.describe(committed, market_id) if committed.success else None
        return result_from_committed(committed, events or TransactionEvents())

    async def lookup(
        self, tx_hash: str, *, market_id: int | None = None
    ) -> TransactionResult | PendingTransaction | None:
        """A transaction by hash, sent by this client or not.

        Calls ``GET /v1/transactions/by_hash/{hash}`` unless this client is still resolving it.

        Args:
            tx_hash: the transaction's hash.
            market_id: the market it acted on (for its events), or ``None``.

        Returns:
            Its result when committed, a pending handle when the node holds it or this client
            is still resolving it, or ``None`` when the node does not know it.

        Raises:
            MoveAbortError: it was committed but aborted.
            TransactionRejectedError: it was committed but failed otherwise, or this client's
                submission of it was refused.
            TransportError: the node cannot be reached, after retries.
            APIStatusError: the node answered another non-2xx status.
            ResponseDecodeError: the node's answer is not the documented shape.
        """
        sub = self.tracker.pending(tx_hash)
        if sub is not None:
            return await self.accepted(sub)
        body = await self.node.transaction_by_hash(tx_hash)
        if body is None:
            return None
        if isinstance(body, CommittedTransaction):
            return await self.result(body, market_id)
        expiry = u64(body.expiration_timestamp_secs, "expiration_timestamp_secs")

        async def waiter(timeout: float | None) -> TransactionResult:  # noqa: ASYNC109
            limit = self.options.confirm_timeout if timeout is None else timeout
            done = await self.resolver.watch(tx_hash, expiry, timeout=limit)
            return await self.result(done, market_id)

        return PendingTransaction(
            hash=body.hash,
            sender=body.sender,
            sequence_number=u64(body.sequence_number, "sequence_number"),
            expiration_timestamp_secs=expiry,
            waiter=waiter,
        )

    async def simulate(
        self,
        payload: PayloadLike,
        *,
        market_id: int | None = None,
        options: SendOptions | None = None,
    ) -> TransactionResult:
        """Dry-run ``payload`` on the node (``POST /v1/transactions/simulate``); nothing commits.

        Args:
            payload: the entry-function call.
            market_id: the market it acts on (for its events), or ``None``.
            options: the gas and expiry settings to simulate with; ``None`` uses
                :attr:`options`.

        Returns:
            What the transaction would do: gas used and the events it would emit.

        Raises:
            InvalidArgumentError: the function id is malformed, its module has no such entry
                function, the type-argument count is wrong, or an argument does not fit its
                Move type.
            ArgumentTypeError: an argument has the wrong Python type for its Move type.
            NotFoundError: the node has no such module.
            TransportError: the node cannot be reached (ABI, gas price), after retries.
            APIStatusError: the node answered another non-2xx status.
            ResponseDecodeError: the node's answer is not the documented shape.
            MoveAbortError: it would abort.
            TransactionRejectedError: it would fail otherwise, or the node refused to simulate.
        """
        prepared = await self.prepare(payload, options)
        number = await self.node.sequence_number(self.signer.address)
        spec = self.spec(prepared, number)
        signed = await _signing.sign_transaction(self.signer, spec, simulate=True)
        return await self.result(await self.node.simulate(signed), market_id)


def result_from_committed(
    body: CommittedTransaction, events: TransactionEvents | None = None
) -> TransactionResult:
    """A :class:`TransactionResult` from a committed transaction; raises if it failed.

    Args:
        body: the node's record of the transaction.
        events: its decoded events (none when not given).

    Returns:
        The result, with ``timestamp_usec`` in unix microseconds.

    Raises:
        MoveAbortError: a Move function aborted (``abort_code`` and, when known,
            ``code_name``).
        TransactionRejectedError: it failed for any other reason.
        ResponseDecodeError: a number does not fit in a u64.
    """
    version = u64(body.version, "version")
    if not body.success:
        abort = parse_move_abort(body.vm_status)
        if abort is not None:
            code, name = abort
            raise MoveAbortError(
                f"transaction {body.hash} aborted with {name or 'code'} ({code}): {body.vm_status}",
                hash=body.hash,
                vm_status=body.vm_status,
                abort_code=code,
                code_name=name,
                version=version,
            )
        raise TransactionRejectedError(
            f"transaction {body.hash} failed: {body.vm_status}",
            hash=body.hash,
            vm_status=body.vm_status,
        )
    return TransactionResult(
        hash=body.hash,
        version=version,
        success=True,
        vm_status=body.vm_status,
        gas_used=u64(body.gas_used, "gas_used"),
        gas_unit_price=u64(body.gas_unit_price, "gas_unit_price"),
        sender=body.sender,
        sequence_number=u64(body.sequence_number, "sequence_number"),
        timestamp_usec=u64(body.timestamp, "timestamp"),
        function=body.payload.function,
        events=events or TransactionEvents(),
    )
