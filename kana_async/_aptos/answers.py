"""The Aptos node's JSON answers as typed records, decoded strictly and bounded.

Every answer the node client reads is decoded here into a :class:`msgspec.Struct`; anything else
(wrong types, missing members, numbers that do not fit) becomes
:class:`~kana_async.ResponseDecodeError` with the request's method and URL. Integers the node
writes as decimal strings (u64 versions, sequence numbers, gas) are checked against a pattern of
at most 20 digits *before* conversion, so an absurd value (``1e999999``, a million digits) costs
nothing. Members the SDK does not use are skipped.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

import msgspec

from kana_async._exceptions import ResponseDecodeError
from kana_async._http import RawResponse

__all__ = [
    "AccountAnswer",
    "ByHash",
    "CommittedTransaction",
    "GasEstimate",
    "LedgerInfo",
    "ModuleAbi",
    "PendingAnswer",
    "Simulation",
    "SubmitAnswer",
    "decode_answer",
    "u64",
]

#: A u64 as the node writes it: a decimal string of 1 to 20 digits.
U64Text = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{1,20}$")]
_U64_MAX: Final = 2**64 - 1


def u64(text: str, what: str) -> int:
    """``text`` (already matched by :data:`U64Text`) as an int; ResponseDecodeError if > u64."""
    value = int(text)
    if value > _U64_MAX:
        raise ResponseDecodeError(f"the node's {what} {text} does not fit in a u64")
    return value


class LedgerInfo(msgspec.Struct, frozen=True):
    """``GET /``: chain id, ledger version and the ledger's timestamp (microseconds)."""

    chain_id: int
    ledger_version: U64Text
    ledger_timestamp: U64Text


class AccountAnswer(msgspec.Struct, frozen=True):
    """``GET /accounts/{address}``."""

    sequence_number: U64Text


class GasEstimate(msgspec.Struct, frozen=True):
    """``GET /estimate_gas_price``."""

    gas_estimate: Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]


class _AbiFunction(msgspec.Struct, frozen=True):
    name: str
    params: tuple[str, ...] = ()
    generic_type_params: tuple[Any, ...] = ()


class _Abi(msgspec.Struct, frozen=True):
    name: str = "?"
    exposed_functions: tuple[_AbiFunction, ...] = ()


class ModuleAbi(msgspec.Struct, frozen=True):
    """``GET /accounts/{address}/module/{module}``: the module's ABI."""

    abi: _Abi

    def entry_function(self, name: str) -> tuple[tuple[str, ...], int] | None:
        """``(parameter types without signers, number of type parameters)`` of ``name``."""
        for fn in self.abi.exposed_functions:
            if fn.name == name:
                params = tuple(p for p in fn.params if p not in ("signer", "&signer"))
                return params, len(fn.generic_type_params)
        return None


class SubmitAnswer(msgspec.Struct, frozen=True):
    """The 202 answer to ``POST /transactions``: the pending transaction (only its hash)."""

    hash: str


class _Payload(msgspec.Struct, frozen=True):
    function: str = ""


class PendingAnswer(msgspec.Struct, frozen=True, tag="pending_transaction"):
    """A transaction the node holds but has not executed yet."""

    hash: str
    sender: str = ""
    sequence_number: U64Text = "0"
    expiration_timestamp_secs: U64Text = "0"


class CommittedTransaction(msgspec.Struct, frozen=True, tag="user_transaction"):
    """A committed user transaction: its outcome, gas, and raw ``events`` (decoded later)."""

    hash: str
    version: U64Text
    success: bool
    vm_status: str
    gas_used: U64Text = "0"
    gas_unit_price: U64Text = "0"
    sender: str = ""
    sequence_number: U64Text = "0"
    timestamp: U64Text = "0"
    expiration_timestamp_secs: U64Text = "0"
    payload: _Payload = _Payload()
    events: msgspec.Raw = msgspec.Raw(b"[]")


class _Simulated(msgspec.Struct, frozen=True):
    """A simulation result: a committed transaction's shape, ``type`` optional."""

    hash: str = ""
    version: U64Text = "0"
    success: bool = False
    vm_status: str = ""
    gas_used: U64Text = "0"
    gas_unit_price: U64Text = "0"
    sender: str = ""
    sequence_number: U64Text = "0"
    timestamp: U64Text = "0"
    expiration_timestamp_secs: U64Text = "0"
    payload: _Payload = _Payload()
    events: msgspec.Raw = msgspec.Raw(b"[]")

    def as_committed(self) -> CommittedTransaction:
        """The same fields as a :class:`CommittedTransaction`."""
        return CommittedTransaction(**{f: getattr(self, f) for f in self.__struct_fields__})


ByHash = PendingAnswer | CommittedTransaction
"""A transaction as ``by_hash`` / ``wait_by_hash`` return it (other types fail to decode)."""
Simulation = tuple[_Simulated, ...]

_decoders: dict[Any, msgspec.json.Decoder[Any]] = {}


def decode_answer(response: RawResponse, tp: Any) -> Any:
    """``response.body`` decoded as ``tp``; :class:`~kana_async.ResponseDecodeError` if it is not.

    ``tp`` is one of this module's records (or a union / tuple of them). The error names the
    request (method and URL), the status and what did not fit; it never hangs on absurd input.
    """
    decoder = _decoders.get(tp)
    if decoder is None:
        decoder = _decoders[tp] = msgspec.json.Decoder(tp)
    try:
        return decoder.decode(response.body)
    except (msgspec.DecodeError, RecursionError, ValueError) as exc:
        raise ResponseDecodeError(
            f"unreadable node answer to {response.method} {response.url}: {exc}",
            method=response.method,
            url=response.url,
            status_code=response.status,
            body=response.body[:2000],
        ) from None
