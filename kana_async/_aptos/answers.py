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
    """A u64 the node wrote as decimal text, as an ``int``.

    Args:
        text: the digits, already matched by :data:`U64Text` (at most 20 of them).
        what: names the value in the error message (``"sequence number"``).

    Returns:
        The integer.

    Raises:
        ResponseDecodeError: the value is above ``2**64 - 1``.
    """
    value = int(text)
    if value > _U64_MAX:
        raise ResponseDecodeError(f"the node's {what} {text} does not fit in a u64")
    return value


class LedgerInfo(msgspec.Struct, frozen=True):
    """The node's answer to ``GET /v1``: where its ledger stands.

    Attributes:
        chain_id: the chain id (1 mainnet, 2 testnet, 4 the simulator).
        ledger_version: the newest committed version, u64 decimal text.
        ledger_timestamp: that version's time, unix microseconds as decimal text.
    """

    chain_id: int
    ledger_version: U64Text
    ledger_timestamp: U64Text


class AccountAnswer(msgspec.Struct, frozen=True):
    """The node's answer to ``GET /v1/accounts/{address}`` (what the SDK reads of it).

    Attributes:
        sequence_number: the account's next sequence number, u64 decimal text.
    """

    sequence_number: U64Text


class GasEstimate(msgspec.Struct, frozen=True):
    """The node's answer to ``GET /v1/estimate_gas_price`` (what the SDK reads of it).

    Attributes:
        gas_estimate: the suggested gas unit price, octas (10^-8 APT) per gas unit.
    """

    gas_estimate: Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]


class _AbiFunction(msgspec.Struct, frozen=True):
    name: str
    params: tuple[str, ...] = ()
    generic_type_params: tuple[Any, ...] = ()


class _Abi(msgspec.Struct, frozen=True):
    name: str = "?"
    exposed_functions: tuple[_AbiFunction, ...] = ()


class ModuleAbi(msgspec.Struct, frozen=True):
    """The node's answer to ``GET /v1/accounts/{address}/module/{module}``: the module's ABI.

    Attributes:
        abi: the module's name and its exposed functions (name, parameter types, type
            parameters).
    """

    abi: _Abi

    def entry_function(self, name: str) -> tuple[tuple[str, ...], int] | None:
        """The signature of one of the module's functions.

        Args:
            name: the function's name.

        Returns:
            ``(parameter types without signers, number of type parameters)``, or ``None`` when
            the module exposes no function of that name.

        Never raises.
        """
        for fn in self.abi.exposed_functions:
            if fn.name == name:
                params = tuple(p for p in fn.params if p not in ("signer", "&signer"))
                return params, len(fn.generic_type_params)
        return None


class SubmitAnswer(msgspec.Struct, frozen=True):
    """The 202 answer to ``POST /v1/transactions``: the pending transaction.

    Attributes:
        hash: the transaction's hash, ``0x`` + 64 hex digits.
    """

    hash: str


class _Payload(msgspec.Struct, frozen=True):
    function: str = ""


class PendingAnswer(msgspec.Struct, frozen=True, tag="pending_transaction"):
    """A transaction the node holds but has not executed yet (``type: pending_transaction``).

    Attributes:
        hash: the transaction's hash.
        sender: the sender's address.
        sequence_number: the sequence number it uses, u64 decimal text.
        expiration_timestamp_secs: its expiry, unix seconds as decimal text.
    """

    hash: str
    sender: str = ""
    sequence_number: U64Text = "0"
    expiration_timestamp_secs: U64Text = "0"


class CommittedTransaction(msgspec.Struct, frozen=True, tag="user_transaction"):
    """A committed user transaction (``type: user_transaction``): outcome, gas, raw events.

    Attributes:
        hash: the transaction's hash.
        version: the ledger version it was committed at, u64 decimal text.
        success: whether it executed (``False``: it aborted, yet still used its gas and
            sequence number).
        vm_status: ``"Executed successfully"`` or the failure, e.g. ``"Move abort in
            0x…::perpetual_core: E_INVALID_LEVERAGE(0x3ee)"``.
        gas_used: gas units used, decimal text.
        gas_unit_price: octas per gas unit, decimal text.
        sender: the sender's address.
        sequence_number: the sequence number it used, decimal text.
        timestamp: when it was committed, unix microseconds as decimal text.
        expiration_timestamp_secs: its expiry, unix seconds as decimal text.
        payload: the call (only its ``function`` is read).
        events: the raw JSON array of events, decoded by the caller that needs them.
    """

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
    """A node answer's JSON body decoded as one of this module's records.

    Args:
        response: the node's answer (its body, method, URL and status).
        tp: one of this module's records, or a union / tuple of them.

    Returns:
        The decoded record.

    Raises:
        ResponseDecodeError: the body is not JSON of that shape; the error names the request
            (method and URL), the status and what did not fit, and never hangs on absurd input.
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
