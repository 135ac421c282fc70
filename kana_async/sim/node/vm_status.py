"""Aptos VM status codes the fake node reports, written out as the Aptos VM numbers them.

The node keeps its own table (it does not read the SDK's): a client decoding the node's answers
is then checked against an independent copy of the numbers. The values are Aptos'
``StatusCode`` discriminants: validation errors are 0–999, execution errors 4000 and up.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

__all__ = ["EXECUTION_CODES", "VALIDATION_CODES", "vm_status_code"]

#: Validation failures (``vm_error_code`` of a refused submission).
VALIDATION_CODES: Final = MappingProxyType(
    {
        "UNKNOWN_VALIDATION_STATUS": 0,
        "INVALID_SIGNATURE": 1,
        "INVALID_AUTH_KEY": 2,
        "SEQUENCE_NUMBER_TOO_OLD": 3,
        "SEQUENCE_NUMBER_TOO_NEW": 4,
        "INSUFFICIENT_BALANCE_FOR_TRANSACTION_FEE": 5,
        "TRANSACTION_EXPIRED": 6,
        "SENDING_ACCOUNT_DOES_NOT_EXIST": 7,
        "EXCEEDED_MAX_TRANSACTION_SIZE": 10,
        "MAX_GAS_UNITS_EXCEEDS_MAX_GAS_UNITS_BOUND": 13,
        "MAX_GAS_UNITS_BELOW_MIN_TRANSACTION_GAS_UNITS": 14,
        "GAS_UNIT_PRICE_BELOW_MIN_BOUND": 15,
        "GAS_UNIT_PRICE_ABOVE_MAX_BOUND": 16,
        "SENDING_ACCOUNT_FROZEN": 18,
        "BAD_CHAIN_ID": 23,
        "SEQUENCE_NUMBER_TOO_BIG": 24,
    }
)

#: Execution failures (reported by name in a committed transaction's ``vm_status``).
EXECUTION_CODES: Final = MappingProxyType(
    {
        "OUT_OF_GAS": 4002,
        "ABORTED": 4016,
    }
)


def vm_status_code(name: str) -> int | None:
    """The number of the status ``name``, or ``None`` when the table does not have it."""
    code = VALIDATION_CODES.get(name)
    return code if code is not None else EXECUTION_CODES.get(name)
