"""The fake node's gas schedule: what a transaction costs, in gas units, before it runs.

Aptos charges gas units (``gas_used``) times the transaction's ``gas_unit_price`` in octas. The
figures here are plausible, not measured per instruction: a fixed intrinsic cost, a cost per
function and a cost per order or cancel in the call's vectors (a real eight-order cancel on
mainnet used 175 units; the schedule gives 172). The cost is known before execution, so a
transaction whose ``max_gas_amount`` is below it fails ``OUT_OF_GAS`` without touching the
exchange, and is charged its whole ``max_gas_amount``.

Bounds the node checks at submission, as Aptos does: ``max_gas_amount`` at most
:data:`MAX_GAS_AMOUNT`, ``gas_unit_price`` between :data:`MIN_GAS_UNIT_PRICE` and
:data:`MAX_GAS_UNIT_PRICE`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from kana_async.sim import contract

__all__ = [
    "INTRINSIC_GAS",
    "MAX_GAS_AMOUNT",
    "MAX_GAS_UNIT_PRICE",
    "MIN_GAS_UNIT_PRICE",
    "gas_units",
]

#: Every transaction's fixed cost (prologue, epilogue, payload), in gas units.
INTRINSIC_GAS: Final = 12
#: The largest ``max_gas_amount`` accepted.
MAX_GAS_AMOUNT: Final = 2_000_000
#: The lowest gas unit price accepted (octas per unit), and the node's estimate.
MIN_GAS_UNIT_PRICE: Final = 100
#: The highest gas unit price accepted.
MAX_GAS_UNIT_PRICE: Final = 10_000_000_000
#: Cost of each order id a call cancels, and of each order it places from vectors.
PER_CANCEL: Final = 20
PER_ORDER: Final = 25

#: Extra cost by entry-function name.
_FUNCTION_GAS: Final = {
    "deposit": 20,
    "withdraw_specific_market": 22,
    "place_limit_order": 30,
    "place_market_order": 34,
    "cancel_multiple_orders": 0,
    "place_multiple_orders": 6,
    "cancel_and_place_multiple_orders": 6,
    "update_take_profit": 9,
    "update_stop_loss": 9,
    "collapse_position": 36,
    "add_margin": 14,
    "settle_pnl": 11,
    "faucet_to_address": 8,
    "set_delegate": 10,
    "remove_delegate": 6,
    "transfer": 0,
}
_CANCEL_PARAMS: Final = ("order_ids", "cancel_order_ids")


def gas_units(function_id: str, args: Sequence[Any] | None) -> int:
    """Gas units a call to ``function_id(args)`` uses (``args`` ``None``: not decodable)."""
    name = function_id.rsplit("::", 1)[-1]
    if args is None:
        return INTRINSIC_GAS
    units = INTRINSIC_GAS + _FUNCTION_GAS.get(name, 10)
    fn = contract.entry_function(function_id)
    if fn is not None:
        for param, value in zip(fn.param_names, args, strict=False):
            if param in _CANCEL_PARAMS and isinstance(value, list):
                units += PER_CANCEL * len(value)
            elif param == "order_types" and isinstance(value, list):
                units += PER_ORDER * len(value)
    return units
