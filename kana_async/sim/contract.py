"""The simulator's on-chain contract: entry functions, their Move types, ABIs and abort codes.

This module is the single agreement between the three parts of :mod:`kana_async.sim`:

* the REST app builds ``{function, typeArguments, functionArguments}`` payloads that call the entry
  functions listed here, with arguments in on-chain integer units (lots, ticks, quote units);
* the fake Aptos node serves :func:`module_abi` for these modules, decodes BCS arguments by the
  parameter types here and hands the decoded values to an executor;
* the engine dispatcher (``kana_async.sim.dispatch``) executes them, raising :class:`MoveAbort` with
  the Kana abort codes of spec §2.4.

Units used by every entry function:

* ``size``: lots, where one lot is ``lot_size / 10**base_decimals`` base asset.
* ``price`` / ``take_profit`` / ``stop_loss``: ticks, ``price * 10**quote_precision`` (0 = unset).
* ``amount`` (deposit, withdraw, add margin): quote units, ``amount * 10**quote_decimals``.
* order ids: u128.

Delegation: ``perpetual_scripts::set_delegate(delegate, expiration_secs)`` names the signer's one
delegate key (``remove_delegate()`` takes it back); that key may then call
``delegated_scripts::<action>(user, ...)`` for the trading actions in :data:`DELEGATED_FUNCTIONS`
(place, cancel, update, add margin, collapse), executed as the user. The delegated
``withdraw_specific_market`` always aborts ``E_NOT_KANA`` (1001), as does any delegated call by a
key that is not the user's current delegate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from kana_async._aptos.abort_codes import KANA_ABORT_CODES, SIMULATOR_ABORT_CODES

#: Package address of the simulated Kana contract.
KANA_PACKAGE: Final = "0x6b616e615f73696d5f7065727073000000000000000000000000000000000001"
#: Module holding every trading entry function.
TRADING_MODULE: Final = "perpetual_scripts"
#: Module holding the same actions for a user's delegate key (first argument: the user).
DELEGATED_MODULE: Final = "delegated_scripts"
#: Module of the simulated 6-decimal collateral coin (and its faucet).
COIN_MODULE: Final = "usdt"
#: Move type of the collateral coin; the type argument of deposit / withdraw.
COLLATERAL_TYPE: Final = f"{KANA_PACKAGE}::{COIN_MODULE}::USDT"

#: Module-level abort location used in ``vm_status`` strings.
ABORT_MODULE: Final = "perpetual_core"
#: Module whose events the trading entry functions emit (``<package>::perpetual_core::…``).
EVENT_MODULE: Final = "perpetual_core"
#: Package of the order-book layer underneath (its ``user::CancelOrderEvent``).
ORDER_BOOK_PACKAGE: Final = "0x6b616e615f73696d5f626f6f6b00000000000000000000000000000000000001"

#: Kana perps abort codes (spec §2.4); the SDK's table.
ABORT_CODES: Final = KANA_ABORT_CODES

#: Simulator-only abort codes, above Kana's published range; named in the SDK's table too.
SIM_ABORT_CODES: Final = SIMULATOR_ABORT_CODES


class ExecutionFailure(Exception):
    """A transaction that reached execution but failed; the node reports :attr:`vm_status`."""

    @property
    def vm_status(self) -> str:
        """The ``vm_status`` string a real Aptos node reports for this failure."""
        raise NotImplementedError


class MoveAbort(ExecutionFailure):
    """An entry function aborted; ``code`` is in :data:`ABORT_CODES` or :data:`SIM_ABORT_CODES`."""

    def __init__(self, code: int, detail: str = "") -> None:
        self.code = code
        self.detail = detail
        super().__init__(f"Move abort {code} ({abort_name(code)}) {detail}".rstrip())

    @property
    def vm_status(self) -> str:
        """The ``vm_status`` string a real Aptos node reports for this abort."""
        name = abort_name(code := self.code)
        return (
            f"Move abort in {KANA_PACKAGE}::{ABORT_MODULE}: {name}(0x{code:x}): {self.detail}"
        ).rstrip(": ")


def abort_name(code: int) -> str:
    """Name of an abort code, or ``"UNKNOWN"``."""
    return ABORT_CODES.get(code) or SIM_ABORT_CODES.get(code) or "UNKNOWN"


@dataclass(frozen=True, slots=True)
class EntryFunction:
    """One entry function: its name, generic type parameters and parameter Move types.

    ``params`` excludes the leading ``&signer`` (the ABI lists it; :func:`module_abi` adds it).
    ``param_names`` documents the meaning of each parameter, in order.
    """

    module: str
    name: str
    params: tuple[str, ...]
    param_names: tuple[str, ...]
    generic_params: int = 0

    @property
    def function_id(self) -> str:
        """``0xPKG::module::name`` as it appears in a payload's ``function`` field."""
        return f"{KANA_PACKAGE}::{self.module}::{self.name}"


_ORDER_VECTORS = (
    ("vector<bool>", "order_types"),
    ("vector<bool>", "trade_sides"),
    ("vector<bool>", "directions"),
    ("vector<u64>", "sizes"),
    ("vector<u64>", "prices"),
    ("vector<u64>", "leverages"),
    ("vector<u8>", "restrictions"),
    ("vector<u64>", "take_profits"),
    ("vector<u64>", "stop_losses"),
)


def _fn(module: str, name: str, *params: tuple[str, str], generic: int = 0) -> EntryFunction:
    return EntryFunction(
        module=module,
        name=name,
        params=tuple(p[0] for p in params),
        param_names=tuple(p[1] for p in params),
        generic_params=generic,
    )


#: Every entry function the simulator's REST app emits and its node executes, keyed by name.
ENTRY_FUNCTIONS: Final[dict[str, EntryFunction]] = {
    f.name: f
    for f in (
        # deposit<USDT>(user wallet address, amount in quote units)
        _fn(TRADING_MODULE, "deposit", ("address", "user"), ("u64", "amount"), generic=1),
        # withdraw_specific_market<USDT>(user, market_id, amount in quote units)
        _fn(
            TRADING_MODULE,
            "withdraw_specific_market",
            ("address", "user"),
            ("u64", "market_id"),
            ("u64", "amount"),
            generic=1,
        ),
        _fn(
            TRADING_MODULE,
            "place_limit_order",
            ("u64", "market_id"),
            ("bool", "trade_side"),
            ("bool", "direction"),
            ("u64", "size"),
            ("u64", "price"),
            ("u64", "leverage"),
            ("u8", "restriction"),
            ("u64", "take_profit"),
            ("u64", "stop_loss"),
        ),
        _fn(
            TRADING_MODULE,
            "place_market_order",
            ("u64", "market_id"),
            ("bool", "trade_side"),
            ("bool", "direction"),
            ("u64", "size"),
            ("u64", "leverage"),
            ("u64", "take_profit"),
            ("u64", "stop_loss"),
        ),
        _fn(
            TRADING_MODULE,
            "cancel_multiple_orders",
            ("u64", "market_id"),
            ("vector<u128>", "order_ids"),
            ("vector<bool>", "order_sides"),
        ),
        _fn(TRADING_MODULE, "place_multiple_orders", ("u64", "market_id"), *_ORDER_VECTORS),
        _fn(
            TRADING_MODULE,
            "cancel_and_place_multiple_orders",
            ("u64", "market_id"),
            ("vector<u128>", "cancel_order_ids"),
            ("vector<bool>", "order_sides"),
            *_ORDER_VECTORS,
        ),
        _fn(
            TRADING_MODULE,
            "update_take_profit",
            ("u64", "market_id"),
            ("bool", "trade_side"),
            ("u64", "new_take_profit_price"),
        ),
        _fn(
            TRADING_MODULE,
            "update_stop_loss",
            ("u64", "market_id"),
            ("bool", "trade_side"),
            ("u64", "new_stop_loss_price"),
        ),
        _fn(TRADING_MODULE, "collapse_position", ("u64", "market_id")),
        _fn(
            TRADING_MODULE,
            "add_margin",
            ("u64", "market_id"),
            ("bool", "trade_side"),
            ("u64", "amount"),
        ),
        _fn(TRADING_MODULE, "settle_pnl", ("address", "user"), ("u64", "market_id")),
        # usdt::faucet_to_address(recipient, amount in quote units): test collateral for anyone.
        _fn(COIN_MODULE, "faucet_to_address", ("address", "recipient"), ("u64", "amount")),
        # set_delegate(delegate, expiration in unix seconds, 0 = none): the signer's one
        # delegate key, replacing any earlier one; remove_delegate(): none any more.
        _fn(
            TRADING_MODULE,
            "set_delegate",
            ("address", "delegate"),
            ("u64", "expiration_secs"),
        ),
        _fn(TRADING_MODULE, "remove_delegate"),
    )
}

#: Trading actions a delegate may send for a user; its withdraw exists but always aborts.
_DELEGATED_ACTIONS: Final = (
    "place_limit_order",
    "place_market_order",
    "cancel_multiple_orders",
    "place_multiple_orders",
    "cancel_and_place_multiple_orders",
    "update_take_profit",
    "update_stop_loss",
    "collapse_position",
    "add_margin",
    "withdraw_specific_market",
)


def _delegated(action: EntryFunction) -> EntryFunction:
    """The delegate's form of ``action``: the user's address first (once)."""
    has_user = action.param_names[:1] == ("user",)
    return EntryFunction(
        module=DELEGATED_MODULE,
        name=action.name,
        params=action.params if has_user else ("address", *action.params),
        param_names=action.param_names if has_user else ("user", *action.param_names),
        generic_params=action.generic_params,
    )


#: ``delegated_scripts::<action>(user, ...)``: the action's parameters after the user's address.
DELEGATED_FUNCTIONS: Final[dict[str, EntryFunction]] = {
    name: _delegated(ENTRY_FUNCTIONS[name]) for name in _DELEGATED_ACTIONS
}


def entry_function(function_id: str) -> EntryFunction | None:
    """Look up ``0xPKG::module::name``; ``None`` when it is not one of the simulator's."""
    try:
        address, module, name = function_id.split("::")
    except ValueError:
        return None
    table = DELEGATED_FUNCTIONS if module == DELEGATED_MODULE else ENTRY_FUNCTIONS
    fn = table.get(name)
    if fn is None or fn.module != module or _norm(address) != KANA_PACKAGE:
        return None
    return fn


def _norm(address: str) -> str:
    body = address.lower().removeprefix("0x")
    return "0x" + body.rjust(64, "0")


def module_abi(module: str) -> dict[str, Any] | None:
    """The ``GET /v1/accounts/{addr}/module/{module}`` ABI document for a simulator module.

    Returns ``None`` for a module the simulator does not have. The shape follows the Aptos node
    API's ``MoveModuleBytecode`` (``bytecode`` + ``abi``).
    """
    every = [*ENTRY_FUNCTIONS.values(), *DELEGATED_FUNCTIONS.values()]
    functions = [f for f in every if f.module == module]
    if not functions:
        return None
    return {
        "bytecode": "0x",
        "abi": {
            "address": KANA_PACKAGE,
            "name": module,
            "friends": [],
            "exposed_functions": [
                {
                    "name": f.name,
                    "visibility": "public",
                    "is_entry": True,
                    "is_view": False,
                    "generic_type_params": [{"constraints": []} for _ in range(f.generic_params)],
                    "params": ["&signer", *f.params],
                    "return": [],
                }
                for f in functions
            ],
            "structs": [],
        },
    }
