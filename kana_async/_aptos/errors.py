"""What the Aptos node's error answers mean: ``{"message", "error_code", "vm_error_code"}``.

The status itself was already mapped to an exception by :func:`kana_async._http.raise_for_status`;
:class:`NodeRefusal` reads the node's own words out of that exception's body, and tells whether
a refused submission is about its sequence number (so it certainly did not go in).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

from kana_async._codec import decode
from kana_async._exceptions import APIStatusError, ResponseDecodeError

__all__ = ["VM_STATUS_CODES", "NodeRefusal", "SendOutcome", "json_object"]

#: What a submission ended in when it did not raise: accepted, or a sequence number the node
#: refused (the transaction certainly did not go in): too old, too new, or already in its mempool.
SendOutcome = Literal["accepted", "stale", "ahead", "taken"]


def json_object(data: bytes | None) -> dict[str, Any]:
    """An error body as a JSON object, tolerantly.

    Args:
        data: the raw body, or ``None``.

    Returns:
        The object, or ``{}`` when the body is empty, not JSON or not an object.

    Never raises.
    """
    if not data:
        return {}
    try:
        body: Any = decode(data, Any)
    except ResponseDecodeError:
        return {}
    return body if isinstance(body, dict) else {}


#: Aptos validation status codes the SDK acts on (``vm_error_code`` in a node error).
VM_STATUS_CODES: Final[dict[str, int]] = {
    "INVALID_SIGNATURE": 1,
    "INVALID_AUTH_KEY": 2,
    "SEQUENCE_NUMBER_TOO_OLD": 3,
    "SEQUENCE_NUMBER_TOO_NEW": 4,
    "INSUFFICIENT_BALANCE_FOR_TRANSACTION_FEE": 5,
    "TRANSACTION_EXPIRED": 6,
    "SENDING_ACCOUNT_DOES_NOT_EXIST": 7,
    "GAS_UNIT_PRICE_BELOW_MIN_BOUND": 15,
    "SENDING_ACCOUNT_FROZEN": 18,
    "BAD_CHAIN_ID": 23,
    "SEQUENCE_NUMBER_TOO_BIG": 24,
}


@dataclass(frozen=True, slots=True)
class NodeRefusal:
    """A node error body ``{"message", "error_code", "vm_error_code"}``, read from a status error.

    Attributes:
        status_code: the HTTP status of the answer, if there was one.
        message: the node's ``message``, or ``"HTTP <status>"`` when it gave none.
        error_code: the node's ``error_code`` (``"vm_error"``, ``"invalid_transaction_update"``...).
        vm_error_code: the node's numeric ``vm_error_code``, when an integer.
        vm_status: the validation status name (``SEQUENCE_NUMBER_TOO_OLD``...) found in the
            message or by ``vm_error_code``; ``None`` when the error is not a known validation
            failure.
    """

    status_code: int | None
    message: str
    error_code: str | None
    vm_error_code: int | None
    vm_status: str | None

    @classmethod
    def from_error(cls, error: APIStatusError) -> NodeRefusal:
        """Read the node's own words out of a status error's body.

        Args:
            error: the exception the node's non-2xx answer was mapped to.

        Returns:
            The refusal; fields the body lacks are ``None``.

        Never raises.
        """
        body = json_object(error.body)
        message = str(body.get("message") or f"HTTP {error.status_code}")
        code = body.get("error_code")
        number = body.get("vm_error_code")
        vm_number = number if isinstance(number, int) and not isinstance(number, bool) else None
        return cls(
            status_code=error.status_code,
            message=message,
            error_code=None if code is None else str(code),
            vm_error_code=vm_number,
            vm_status=_vm_status_name(message, vm_number),
        )

    @property
    def sequence_outcome(self) -> SendOutcome | None:
        """``"stale"`` / ``"ahead"`` / ``"taken"`` when the refusal is about the sequence number."""
        if self.vm_status == "SEQUENCE_NUMBER_TOO_OLD":
            return "stale"
        if self.vm_status == "SEQUENCE_NUMBER_TOO_NEW":
            return "ahead"
        if self.error_code == "invalid_transaction_update":
            return "taken"
        return None


def _vm_status_name(message: str, number: int | None) -> str | None:
    for name in VM_STATUS_CODES:
        if name in message:
            return name
    for name, known in VM_STATUS_CODES.items():
        if number == known:
            return name
    return None
