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

from kana_async._aptos.abort_codes import KANA_ABORT_CODES, SIMULATOR_ABORT_CODES, abort_code_name
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
    """``(code, name)`` of a Move abort in a ``vm_status`` string, or ``None`` if it is not one."""
    match = _NAMED_ABORT.search(vm_status) or _BARE_ABORT.search(vm_status)
    if match is None:
        return None
    text = match.group("code")
    code = int(text, 16) if text.lower().startswith("0x") else int(text)
    named = match.groupdict().get("name")
    name = abort_code_name(code) or (named if named and named != "UNKNOWN" else None)
    return code, name


class TransactionResult(Model, frozen=True):
    """A committed, successful transaction.

    ``gas_used`` is in gas units; the fee paid is ``gas_used * gas_unit_price`` octas of APT.
    ``timestamp_usec`` is the block timestamp in microseconds.
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
    """A transaction the node accepted; call :meth:`wait` for its outcome.

    Attributes:
        hash: the transaction hash (look it up on any explorer or node).
        sender: the sending account.
        sequence_number: its sequence number.
        expiration_timestamp_secs: after this time it can no longer be executed.
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
        """Wait until it is committed; raises like a waiting trading call would.

        ``timeout`` defaults to the client's confirmation timeout. Raises
        :class:`~kana_async.MoveAbortError` / :class:`~kana_async.TransactionRejectedError` if it
        failed and :class:`~kana_async.OutcomeUnknownError` if the timeout passed first.
        """
        return await self._waiter(timeout)

    def __repr__(self) -> str:
        return (
            f"PendingTransaction(hash={self.hash!r}, sender={self.sender!r}, "
            f"sequence_number={self.sequence_number})"
        )
