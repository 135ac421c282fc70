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
from typing import Final

from kana_async._abort_codes import KANA_ABORT_CODES, SIMULATOR_ABORT_CODES, abort_code_name
from kana_async.models._base import Model

__all__ = [
    "KANA_ABORT_CODES",
    "SIMULATOR_ABORT_CODES",
    "PendingTransaction",
    "TransactionResult",
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
    """A committed, successful Aptos transaction.

    Attributes:
        hash: the transaction hash, ``0x`` + 64 hex digits.
        version: the ledger version it was committed at.
        success: always ``True`` here (a failed transaction raises instead).
        vm_status: the node's status text, e.g. ``"Executed successfully"``.
        gas_used: gas units consumed; the fee paid is ``gas_used × gas_unit_price`` octas
            (10⁻⁸ APT).
        gas_unit_price: octas paid per gas unit.
        sender: the sending account's address.
        sequence_number: the sender's sequence number the transaction used.
        timestamp_usec: the block timestamp, Unix time in **microseconds**.
        function: the entry function called, ``0x…::module::function``.
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
        return await self._waiter(timeout)

    def __repr__(self) -> str:
        return (
            f"PendingTransaction(hash={self.hash!r}, sender={self.sender!r}, "
            f"sequence_number={self.sequence_number})"
        )
