"""Aptos framework functions the fake node runs itself (not the exchange's contract).

Only ``0x1::aptos_account::transfer(to: address, amount: u64)``: moves APT octas from the
signer to ``to`` (creating that account), the cheapest transaction an account can send; a zero
transfer to oneself is the usual way to fill a hole in an account's sequence numbers. It aborts
like the framework when the signer holds too little.
"""

from __future__ import annotations

from typing import Any, Final

from kana_async.sim import contract

__all__ = ["FRAMEWORK_ADDRESS", "TRANSFER", "FrameworkAbort", "module_abi", "params_of"]

FRAMEWORK_ADDRESS: Final = "0x" + "0" * 63 + "1"
#: ``0x1::aptos_account::transfer`` with its address in the long form.
TRANSFER: Final = f"{FRAMEWORK_ADDRESS}::aptos_account::transfer"
_PARAMS: Final = {TRANSFER: ("address", "u64")}


class FrameworkAbort(contract.ExecutionFailure):
    """A framework function aborted (``vm_status`` as the node reports it)."""

    def __init__(self, module: str, name: str, code: int, detail: str) -> None:
        self._status = f"Move abort in 0x1::{module}: {name}(0x{code:x}): {detail}"
        super().__init__(self._status)

    @property
    def vm_status(self) -> str:
        """The ``vm_status`` string of the failed transaction."""
        return self._status


def params_of(function_id: str) -> tuple[str, ...] | None:
    """Parameter Move types of a framework function the node runs, or ``None``."""
    return _PARAMS.get(function_id)


def module_abi(address: str, module: str) -> dict[str, Any] | None:
    """The ABI document of ``0x1::aptos_account`` (``None`` for any other module)."""
    if address != FRAMEWORK_ADDRESS or module != "aptos_account":
        return None
    return {
        "bytecode": "0x",
        "abi": {
            "address": "0x1",
            "name": "aptos_account",
            "friends": [],
            "exposed_functions": [
                {
                    "name": "transfer",
                    "visibility": "public",
                    "is_entry": True,
                    "is_view": False,
                    "generic_type_params": [],
                    "params": ["&signer", "address", "u64"],
                    "return": [],
                }
            ],
            "structs": [],
        },
    }
