"""The fake node's transaction records, accounts and error answers (node API shapes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .vm_status import vm_status_code

__all__ = ["Account", "NodeError", "Transaction", "norm", "vm_error"]


class NodeError(Exception):
    """A request the node refuses, with the node API's error JSON."""

    def __init__(
        self, status: int, message: str, error_code: str, vm_error_code: int | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {
            "message": message,
            "error_code": error_code,
            "vm_error_code": vm_error_code,
        }


def vm_error(name: str) -> NodeError:
    """The node's 400 answer for a failed validation check ``name``."""
    return NodeError(
        400,
        f"Invalid transaction: Type: Validation Code: {name}",
        "vm_error",
        vm_status_code(name),
    )


def norm(address: str) -> str:
    """``0x`` + 64 lowercase hex digits."""
    return "0x" + address.lower().removeprefix("0x").rjust(64, "0")


@dataclass(slots=True)
class Account:
    """One on-chain account: sequence number, auth key and APT balance (octas)."""

    sequence_number: int
    authentication_key: str
    apt: int = 0


@dataclass(slots=True)
class Transaction:
    """One user transaction the node has seen (pending or committed)."""

    hash: str
    sender: str
    sequence_number: int
    max_gas_amount: int
    gas_unit_price: int
    expiration_timestamp_secs: int
    function_id: str
    type_args: list[str]
    args: list[Any] | None  # None: not decodable by the known ABI
    arg_json: list[Any]
    public_key: str
    signature: str
    version: int | None = None
    success: bool | None = None
    vm_status: str = ""
    gas_used: int = 0
    timestamp_usec: int = 0
    events: list[Any] = field(default_factory=list)

    @property
    def committed(self) -> bool:
        """True once executed (successfully or not)."""
        return self.version is not None

    def to_json(self) -> dict[str, Any]:
        """The node API's JSON for this transaction (pending or user_transaction)."""
        body: dict[str, Any] = {
            "hash": self.hash,
            "sender": self.sender,
            "sequence_number": str(self.sequence_number),
            "max_gas_amount": str(self.max_gas_amount),
            "gas_unit_price": str(self.gas_unit_price),
            "expiration_timestamp_secs": str(self.expiration_timestamp_secs),
            "payload": {
                "type": "entry_function_payload",
                "function": self.function_id,
                "type_arguments": self.type_args,
                "arguments": self.arg_json,
            },
            "signature": {
                "type": "ed25519_signature",
                "public_key": self.public_key,
                "signature": self.signature,
            },
        }
        if not self.committed:
            return {"type": "pending_transaction", **body}
        return {
            "type": "user_transaction",
            "version": str(self.version),
            **body,
            "gas_used": str(self.gas_used),
            "success": self.success,
            "vm_status": self.vm_status,
            "timestamp": str(self.timestamp_usec),
            "events": self.events,
            "changes": [],
        }
