"""Results of Aptos transactions the SDK signed and submitted.

:class:`TransactionResult` is a committed, successful transaction. :class:`PendingTransaction` is
the handle returned when the caller asks not to wait: it knows its hash and can wait later.
Failed transactions raise (:class:`~kana_async.MoveAbortError`,
:class:`~kana_async.TransactionRejectedError`, :class:`~kana_async.OutcomeUnknownError`) instead
of returning a result with ``success=False``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final

from kana_async._aptos.abort_codes import KANA_ABORT_CODES, SIMULATOR_ABORT_CODES, abort_code_name
from kana_async._exceptions import KanaError
from kana_async.models._base import Model
from kana_async.models.events import OrderCancelled, OrderFilled, OrderPlaced, TransactionEvents

__all__ = [
    "KANA_ABORT_CODES",
    "SIMULATOR_ABORT_CODES",
    "PendingTransaction",
    "TransactionOutcome",
    "TransactionResult",
    "UnresolvedTransaction",
    "abort_code_name",
    "parse_move_abort",
]

# "Move abort in 0x1::module: E_NAME(0x3ee): detail" (Aptos' format) or "... code 1006 ..."
_NAMED_ABORT: Final = re.compile(
    r"Move abort in (?P<location>\S+?):\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)?"
    r"\((?P<code>0x[0-9a-fA-F]+|\d+)\)"
)
_BARE_ABORT: Final = re.compile(r"(?:ABORTED|abort)\D*?(?P<code>0x[0-9a-fA-F]+|\d+)", re.IGNORECASE)


def parse_move_abort(vm_status: str) -> tuple[int, str | None] | None:
    """Read the Move abort code out of a node's ``vm_status`` string. Never raises.

    Understands Aptos' ``Move abort in 0x1::module: E_NAME(0x3ee): ...`` and the bare
    ``ABORTED ... 1006`` forms; hexadecimal and decimal codes are both read.

    Args:
        vm_status: the ``vm_status`` of a committed or simulated transaction.

    Returns:
        ``(code, name)``: the numeric abort code and Kana's constant for it (e.g.
        ``"E_INVALID_LEVERAGE"`` for 1006), else the name the status carried, else ``None``;
        or ``None`` when the status is not a Move abort.
    """
    match = _NAMED_ABORT.search(vm_status) or _BARE_ABORT.search(vm_status)
    if match is None:
        return None
    text = match.group("code")
    code = int(text, 16) if text.lower().startswith("0x") else int(text)
    named = match.groupdict().get("name")
    name = abort_code_name(code) or (named if named and named != "UNKNOWN" else None)
    return code, name


class TransactionResult(Model, frozen=True):
    """A committed, successful transaction and what it did to orders.

    Attributes:
        hash: the transaction hash.
        version: the ledger version it was committed at.
        success: always ``True`` (a failed transaction raises instead).
        vm_status: the node's status text (``"Executed successfully"``).
        gas_used: gas units used; the fee paid is ``gas_used * gas_unit_price`` octas of APT.
        gas_unit_price: octas per gas unit.
        sender: the sending account.
        sequence_number: its sequence number.
        timestamp_usec: the block timestamp, unix microseconds.
        function: the entry function called (``0xADDR::module::name``).
        events: the orders it placed, the fills and the orders it cancelled, decoded from the
            transaction's on-chain events in human units (``events.unknown`` counts the events
            not decoded).
    """

    hash: str
    version: int
    success: bool
    vm_status: str
    gas_used: int
    gas_unit_price: int = 0
    sender: str = ""
    sequence_number: int = 0
    timestamp_usec: int = 0
    function: str = ""
    events: TransactionEvents = TransactionEvents()

    @property
    def placed(self) -> tuple[OrderPlaced, ...]:
        """Orders this transaction placed (market, id, side, size, price in human units)."""
        return self.events.placed

    @property
    def cancelled(self) -> tuple[OrderCancelled, ...]:
        """Orders this transaction removed from the book."""
        return self.events.cancelled

    @property
    def fills(self) -> tuple[OrderFilled, ...]:
        """Fills of this transaction (both sides of each match; see ``profile_address``)."""
        return self.events.filled

    @property
    def order_ids(self) -> tuple[str, ...]:
        """The exact u128 ids (decimal strings) of the orders placed, in order."""
        return self.events.placed_ids

    @property
    def order_id(self) -> str | None:
        """The id of the one order placed (``None`` if none; the first if several)."""
        ids = self.events.placed_ids
        return ids[0] if ids else None


@dataclass(frozen=True, slots=True)
class UnresolvedTransaction:
    """A signed transaction whose outcome the client is still finding out.

    Attributes:
        hash: its hash (changes only if the node refused its sequence number and the client
            re-signed it under another one).
        action: the trading method that sent it (``"place_limit_order"``...).
        market_id: the market it acts on, or ``None``.
        sequence_number: the account sequence number it was signed with.
        expiration_timestamp_secs: after this unix time it can no longer execute.
        caller_gone: whether the call that sent it was cancelled before the outcome was known.
    """

    hash: str
    action: str
    market_id: int | None
    sequence_number: int
    expiration_timestamp_secs: int
    caller_gone: bool


@dataclass(frozen=True, slots=True)
class TransactionOutcome:
    """The final outcome of a transaction the client sent: its result, or the error.

    Attributes:
        hash: the transaction hash.
        action: the trading method that sent it.
        market_id: the market it acts on, or ``None``.
        sequence_number: its sequence number.
        result: the committed result when it succeeded, else ``None``.
        error: the typed failure (:class:`~kana_async.MoveAbortError`,
            :class:`~kana_async.TransactionRejectedError`, :class:`~kana_async.OutcomeUnknownError`
            when the client gave up finding out), else ``None``.
        caller_gone: whether the call that sent it had been cancelled.
    """

    hash: str
    action: str
    market_id: int | None
    sequence_number: int
    result: TransactionResult | None
    error: KanaError | None
    caller_gone: bool

    @property
    def ok(self) -> bool:
        """Whether the transaction was committed successfully."""
        return self.result is not None


class PendingTransaction:
    """A transaction the node accepted but that may not be committed yet.

    Returned by the trading calls asked not to wait; call :meth:`wait` for its outcome.
    The SDK builds these; users do not construct them.

    Args:
        hash: the transaction hash (look it up on any explorer or node).
        sender: the sending account's address.
        sequence_number: the sender's sequence number it used.
        expiration_timestamp_secs: Unix time in seconds after which it can no longer be
            executed.
        waiter: the coroutine function :meth:`wait` delegates to; it takes the timeout in
            seconds (``None`` for the default).

    Attributes:
        hash: the transaction hash.
        sender: the sending account's address.
        sequence_number: the sender's sequence number it used.
        expiration_timestamp_secs: Unix time in seconds after which it can no longer be
            executed.
    """

    __slots__ = ("_waiter", "expiration_timestamp_secs", "hash", "sender", "sequence_number")

    def __init__(
        self,
        *,
        hash: str,
        sender: str,
        sequence_number: int,
        expiration_timestamp_secs: int,
        waiter: Callable[[float | None], Awaitable[TransactionResult]],
    ) -> None:
        self.hash = hash
        self.sender = sender
        self.sequence_number = sequence_number
        self.expiration_timestamp_secs = expiration_timestamp_secs
        self._waiter = waiter

    async def wait(self, timeout: float | None = None) -> TransactionResult:  # noqa: ASYNC109
        """Wait until the transaction is committed, as a waiting trading call would.

        Cancelling the wait leaves the transaction as it is: it may still be committed.

        Args:
            timeout: the most seconds to wait; ``None`` for the client's confirmation timeout.

        Returns:
            The committed, successful :class:`TransactionResult`.

        Raises:
            MoveAbortError: it was committed with ``success: false`` (``abort_code`` and
                ``code_name`` say why).
            TransactionRejectedError: it definitely did not execute (e.g. it expired unexecuted
                or the node refused it).
            OutcomeUnknownError: the timeout passed, or the node stopped answering, before
                the outcome was known; look it up by ``hash`` before sending it again.
        """
        from kana_async._validation import check_timeout

        return await self._waiter(check_timeout(timeout))

    def __repr__(self) -> str:
        return (
            f"PendingTransaction(hash={self.hash!r}, sender={self.sender!r}, "
            f"sequence_number={self.sequence_number})"
        )
