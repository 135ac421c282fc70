"""Execute a decoded entry-function call against the engine (what the fake Aptos node runs).

:func:`execute` looks the function up in :data:`~kana_async.sim.contract.ENTRY_FUNCTIONS`, checks
type arguments, arity and every argument's Move type, then calls the :class:`Exchange`.

Two kinds of failure, both carrying a ``vm_status`` string the node reports on the committed
(failed) transaction:

* :class:`~kana_async.sim.contract.MoveAbort`: the contract aborted (Kana codes 1001–1014, the
  simulator's 1101–1109);
* :class:`DispatchError`: the call never reached the contract, with an Aptos VM status name:
  ``FUNCTION_RESOLUTION_FAILURE`` (unknown module / function),
  ``NUMBER_OF_TYPE_ARGUMENTS_MISMATCH``, ``TYPE_MISMATCH`` (a type argument that is not the
  collateral coin),
  ``NUMBER_OF_ARGUMENTS_MISMATCH`` and ``FAILED_TO_DESERIALIZE_ARGUMENT`` (an argument of the wrong
  Python type or out of its integer range).

Argument values arrive decoded: ``bool``, ``int``, ``str`` (addresses) and ``list`` (vectors).

Address arguments: ``deposit(user, amount)`` takes the collateral from the *signer's* wallet and
credits ``user``'s trading account; ``withdraw_specific_market(user, ...)`` aborts 1001 unless
``user`` is the signer; ``settle_pnl(user, market)`` settles ``user`` whoever signs;
``faucet_to_address(recipient, amount)`` mints to ``recipient``. Vectors of
``place_multiple_orders`` / ``cancel_and_place_multiple_orders`` of different lengths abort 1108.

Delegation (needs a :class:`~kana_async.sim.delegation.DelegateRegistry`): ``set_delegate`` /
``remove_delegate`` change the signer's delegate; ``delegated_scripts::<action>(user, ...)`` runs
the action as ``user`` when the signer is the user's current delegate, and aborts 1001 otherwise;
the delegated withdraw always aborts 1001. Without a registry every delegated call aborts 1001.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from . import contract
from .contract import COLLATERAL_TYPE, ExecutionFailure, MoveAbort
from .delegation import DelegateRegistry
from .engine import Exchange, OrderRequest, normalize_address

__all__ = ["DispatchError", "check_argument", "execute"]

_INT_BITS = {"u8": 8, "u16": 16, "u32": 32, "u64": 64, "u128": 128, "u256": 256}


class DispatchError(ExecutionFailure):
    """The call could not be executed at all (not a Move abort); see the module docstring."""

    def __init__(self, vm_status: str, detail: str = "") -> None:
        self._vm_status = vm_status
        self.detail = detail
        super().__init__(f"{vm_status}: {detail}" if detail else vm_status)

    @property
    def vm_status(self) -> str:
        """The Aptos VM status name, e.g. ``TYPE_MISMATCH``."""
        return self._vm_status


def check_argument(move_type: str, value: Any) -> Any:
    """Check ``value`` against ``move_type``; returns it (addresses normalised).

    Raises :class:`DispatchError` ``FAILED_TO_DESERIALIZE_ARGUMENT`` when it does not fit.
    """
    if move_type == "bool":
        if isinstance(value, bool):
            return value
    elif move_type in _INT_BITS:
        is_int = isinstance(value, int) and not isinstance(value, bool)
        if is_int and 0 <= value < 1 << _INT_BITS[move_type]:
            return value
    elif move_type == "address":
        if isinstance(value, str):
            try:
                return normalize_address(value)
            except ValueError:
                pass
    elif move_type.startswith("vector<") and move_type.endswith(">"):
        if isinstance(value, list | tuple):
            inner = move_type[len("vector<") : -1]
            return [check_argument(inner, v) for v in value]
    else:  # pragma: no cover - the contract only uses the types above
        raise DispatchError("FAILED_TO_DESERIALIZE_ARGUMENT", f"unsupported type {move_type}")
    raise DispatchError("FAILED_TO_DESERIALIZE_ARGUMENT", f"{value!r} is not a {move_type}")


def _norm_type(tag: str) -> str:
    parts = tag.strip().split("::")
    if len(parts) == 3:
        try:
            parts[0] = normalize_address(parts[0])
        except ValueError:
            return tag
    return "::".join(parts)


def _orders(kw: dict[str, Any]) -> list[OrderRequest]:
    names = (
        "order_types",
        "trade_sides",
        "directions",
        "sizes",
        "prices",
        "leverages",
        "restrictions",
        "take_profits",
        "stop_losses",
    )
    vectors = [kw[n] for n in names]
    if len({len(v) for v in vectors}) != 1:
        lengths = ", ".join(f"{n}={len(v)}" for n, v in zip(names, vectors, strict=True))
        raise MoveAbort(1108, f"order vectors differ in length: {lengths}")
    return [OrderRequest(*row) for row in zip(*vectors, strict=True)]


Handler = Callable[[Exchange, str, dict[str, Any], int | None], Any]


def _withdraw(ex: Exchange, sender: str, kw: dict[str, Any], v: int | None) -> Any:
    if kw["user"] != sender:
        raise MoveAbort(1001, "only the account owner can withdraw")
    return ex.withdraw(sender, kw["market_id"], kw["amount"], version=v)


def _cancel_and_place(ex: Exchange, sender: str, kw: dict[str, Any], v: int | None) -> Any:
    return ex.cancel_and_place_orders(
        sender,
        kw["market_id"],
        kw["cancel_order_ids"],
        kw["order_sides"],
        _orders(kw),
        version=v,
    )


def _signer_call(method: str) -> Handler:
    """``exchange.<method>(signer, *arguments in contract order, version=v)``."""

    def handler(ex: Exchange, sender: str, kw: dict[str, Any], v: int | None) -> Any:
        return getattr(ex, method)(sender, *kw.values(), version=v)

    return handler


#: Entry function name → engine call. Functions whose parameters map one-to-one (in order)
#: onto the engine method after the signer use :func:`_signer_call`.
_HANDLERS: dict[str, Handler] = {
    "deposit": lambda ex, s, kw, v: ex.deposit(s, kw["amount"], beneficiary=kw["user"], version=v),
    "withdraw_specific_market": _withdraw,
    "place_limit_order": _signer_call("place_limit_order"),
    "place_market_order": _signer_call("place_market_order"),
    "cancel_multiple_orders": _signer_call("cancel_orders"),
    "place_multiple_orders": lambda ex, s, kw, v: ex.place_orders(
        s, kw["market_id"], _orders(kw), version=v
    ),
    "cancel_and_place_multiple_orders": _cancel_and_place,
    "update_take_profit": _signer_call("update_take_profit"),
    "update_stop_loss": _signer_call("update_stop_loss"),
    "collapse_position": _signer_call("collapse_position"),
    "add_margin": _signer_call("add_margin"),
    "settle_pnl": lambda ex, s, kw, v: ex.settle_pnl(kw["user"], kw["market_id"], version=v),
    "faucet_to_address": lambda ex, s, kw, v: ex.faucet(kw["recipient"], kw["amount"], version=v),
}


def execute(
    exchange: Exchange,
    sender: str,
    function_id: str,
    type_args: Sequence[str],
    args: Sequence[Any],
    version: int | None = None,
    delegates: DelegateRegistry | None = None,
) -> Any:
    """Run ``function_id(args)`` signed by ``sender`` at ledger ``version``.

    ``delegates`` holds the users' delegate keys (``set_delegate`` changes it; delegated calls
    are checked against it). Returns the engine's result (a record, a list of records or None).
    Raises :class:`~kana_async.sim.contract.MoveAbort` or :class:`DispatchError`; the engine
    state and the registry are unchanged in both cases.
    """
    fn = contract.entry_function(function_id)
    if fn is None or (fn.name not in _HANDLERS and fn.name not in _DELEGATION):
        raise DispatchError("FUNCTION_RESOLUTION_FAILURE", f"no entry function {function_id}")
    if len(type_args) != fn.generic_params:
        raise DispatchError(
            "NUMBER_OF_TYPE_ARGUMENTS_MISMATCH",
            f"{fn.name} takes {fn.generic_params} type arguments, got {len(type_args)}",
        )
    for tag in type_args:
        if _norm_type(tag) != COLLATERAL_TYPE:
            raise DispatchError("TYPE_MISMATCH", f"{tag} is not the collateral {COLLATERAL_TYPE}")
    if len(args) != len(fn.params):
        raise DispatchError(
            "NUMBER_OF_ARGUMENTS_MISMATCH",
            f"{fn.name} takes {len(fn.params)} arguments, got {len(args)}",
        )
    try:
        sender = normalize_address(sender)
    except ValueError as exc:
        raise DispatchError("FAILED_TO_DESERIALIZE_ARGUMENT", str(exc)) from None
    kw = {
        name: check_argument(move_type, value)
        for name, move_type, value in zip(fn.param_names, fn.params, args, strict=True)
    }
    if fn.name in _DELEGATION:
        if delegates is None:
            raise MoveAbort(1001, "delegation is not available")
        return _DELEGATION[fn.name](delegates, sender, kw)
    if fn.module == contract.DELEGATED_MODULE:
        user = kw.pop("user")
        if delegates is None or not delegates.allows(user, sender):
            raise MoveAbort(1001, f"{sender} is not a current delegate of {user}")
        if fn.name == "withdraw_specific_market":
            raise MoveAbort(1001, "a delegate cannot withdraw")
        sender = user
    return _HANDLERS[fn.name](exchange, sender, kw, version)


def _set_delegate(registry: DelegateRegistry, sender: str, kw: dict[str, Any]) -> None:
    if kw["delegate"] == sender:
        raise MoveAbort(1001, "an account cannot be its own delegate")
    registry.set(sender, kw["delegate"], kw["expiration_secs"])


def _remove_delegate(registry: DelegateRegistry, sender: str, kw: dict[str, Any]) -> None:
    registry.remove(sender)


#: Entry functions that change the delegate registry (no engine call).
_DELEGATION: dict[str, Callable[[DelegateRegistry, str, dict[str, Any]], None]] = {
    "set_delegate": _set_delegate,
    "remove_delegate": _remove_delegate,
}
