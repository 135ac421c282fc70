"""Move abort codes and their names: the one table the SDK and the simulator share.

:data:`KANA_ABORT_CODES` are Kana's published codes (1001–1014).
:data:`SIMULATOR_ABORT_CODES` are the local simulator's own codes above that range (1101–1109),
for failures the real contract reports in ways Kana's documentation does not describe; they are
named here so that errors from the simulator read as clearly as Kana's. The simulator imports
these tables from the SDK, never the other way round.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

__all__ = ["KANA_ABORT_CODES", "SIMULATOR_ABORT_CODES", "abort_code_name"]

#: Kana perps abort codes, as Kana's documentation lists them.
KANA_ABORT_CODES: Final = MappingProxyType(
    {
        1001: "E_NOT_KANA",
        1002: "E_PAUSED",
        1003: "E_MARKET_NOT_FOUND",
        1004: "E_LEVERAGE_MISMATCH_CLOSE_POSITION",
        1005: "E_LEVERAGE_MISMATCH_INCREASE_POSITION",
        1006: "E_INVALID_LEVERAGE",
        1007: "E_INSUFFICIENT_LIQUIDITY_IN_ORDERBOOK",
        1008: "E_INSUFFICIENT_BALANCE_TO_EXIT_POSITION",
        1009: "E_INSUFFICIENT_BALANCE_IN_TRADING_ACCOUNT_TO_WITHDRAW",
        1010: "E_INSUFFICIENT_FUND_IN_USER_DEPOSITS",
        1011: "E_TRADE_SIZE_EXCEEDS_EXISTING_FILLED",
        1012: "E_LOSS_GREATER_THAN_COLLATERAL",
        1013: "E_INVALID_MAINTENANCE_MARGIN",
        1014: "E_INVALID_INITIAL_MARGIN",
    }
)

#: The simulator's own abort codes, above Kana's published range.
SIMULATOR_ABORT_CODES: Final = MappingProxyType(
    {
        1101: "E_INVALID_ORDER_SIZE",  # size 0, below min_lots, above max_lots
        1102: "E_INVALID_PRICE",  # price 0 for a limit order
        1103: "E_ORDER_NOT_FOUND",  # cancel of an unknown / not-owned / already closed order
        1104: "E_FILL_OR_ABORT_NOT_FILLED",  # FILL_OR_ABORT order would rest
        1105: "E_POST_OR_ABORT_WOULD_TAKE",  # POST_OR_ABORT order would cross
        1106: "E_NO_POSITION",  # tp/sl/add margin/collapse without a position
        1107: "E_INVALID_RESTRICTION",  # restriction not in {0, 1, 3}
        1108: "E_VECTOR_LENGTH_MISMATCH",  # parallel vectors of different lengths
        1109: "E_INSUFFICIENT_MARGIN",  # not enough trading balance for the initial margin
    }
)


def abort_code_name(code: int) -> str | None:
    """The constant's name for an abort code (Kana's, else the simulator's), or ``None``.

    The category bits Move adds above the low 16 bits (``0x10000``...) are ignored.

    Args:
        code: the abort code from a failed transaction's ``vm_status``.

    Returns:
        The name, e.g. ``"E_INVALID_LEVERAGE"`` for 1006, or ``None`` for a code neither table
        holds.

    Never raises.
    """
    for candidate in (code, code & 0xFFFF):
        name = KANA_ABORT_CODES.get(candidate) or SIMULATOR_ABORT_CODES.get(candidate)
        if name is not None:
            return name
    return None
