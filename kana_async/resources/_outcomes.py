"""What a trading call returns, and the keyword sets that decide it for a type checker.

Each ``kana.trading`` method is overloaded on these :class:`~typing.TypedDict` keyword sets:

* :class:`Confirmed`: ``wait`` left at ``True`` (``dry_run`` anything) → ``TransactionResult``;
* :class:`DryRun`: ``dry_run=True`` (``wait`` anything) → ``TransactionResult``;
* :class:`NoWait`: ``wait=False`` (and no dry run) → ``PendingTransaction``;
* :class:`WaitOptions`: any ``bool`` only known at run time → :data:`TradeOutcome`.
"""

from __future__ import annotations

from typing import Literal, Required, TypeAlias, TypedDict

from kana_async.models.transactions import PendingTransaction, TransactionResult

__all__ = ["Confirmed", "DryRun", "NoWait", "TradeOutcome", "WaitOptions"]

TradeOutcome: TypeAlias = TransactionResult | PendingTransaction
"""What a trading call returns: the committed result, or the pending handle with ``wait=False``."""


class WaitOptions(TypedDict, total=False):
    """The keywords every trading method takes after its own arguments."""

    wait: bool
    """``True``: wait for the outcome; ``False``: return once the node accepted it."""
    timeout: float | None
    """Seconds to wait for confirmation (default: ``kana.trading.options.confirm_timeout``)."""
    dry_run: bool
    """Simulate on the node instead of submitting; returns the result it would have."""


class Confirmed(TypedDict, total=False):
    """``wait`` left at (or set to) ``True``: the call returns a ``TransactionResult``."""

    wait: Literal[True]
    timeout: float | None
    dry_run: bool


class DryRun(TypedDict, total=False):
    """``dry_run=True``: the call simulates and returns a ``TransactionResult``."""

    wait: bool
    timeout: float | None
    dry_run: Required[Literal[True]]


class NoWait(TypedDict, total=False):
    """``wait=False`` without a dry run: the call returns a ``PendingTransaction``."""

    wait: Required[Literal[False]]
    timeout: float | None
    dry_run: Literal[False]
