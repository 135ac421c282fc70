"""The entry-function dispatcher the fake node calls: every function, right and wrong arguments."""

from __future__ import annotations

from typing import Any

import pytest

from kana_async.sim import contract
from kana_async.sim.contract import COLLATERAL_TYPE, ENTRY_FUNCTIONS, KANA_PACKAGE, MoveAbort
from kana_async.sim.delegation import DelegateRegistry
from kana_async.sim.dispatch import DispatchError, check_argument, execute
from kana_async.sim.engine import Exchange, OrderRecord, PositionRecord, normalize_address

from .helpers import funded_exchange

A = normalize_address("0xa")
B = normalize_address("0xb")
M = 1338


def fid(name: str) -> str:
    return ENTRY_FUNCTIONS[name].function_id


def make() -> Exchange:
    return funded_exchange((A, B), faucet=10**11, deposit=10**10)


def call(
    ex: Exchange,
    name: str,
    *args: Any,
    sender: str = A,
    type_args: Any = None,
    delegates: DelegateRegistry | None = None,
) -> Any:
    fn = ENTRY_FUNCTIONS[name]
    tys = type_args if type_args is not None else [COLLATERAL_TYPE] * fn.generic_params
    version = ex.allocate_version()
    return execute(ex, sender, fn.function_id, tys, list(args), version, delegates)


def vectors(n: int = 1, **over: Any) -> list[Any]:
    row = {
        "order_types": [True] * n,
        "trade_sides": [True] * n,
        "directions": [False] * n,
        "sizes": [500] * n,
        "prices": [5750] * n,
        "leverages": [10] * n,
        "restrictions": [0] * n,
        "take_profits": [0] * n,
        "stop_losses": [0] * n,
    }
    row.update(over)
    return list(row.values())


def with_long(ex: Exchange) -> None:
    """A long 1000 at 5750 (B is short), and liquidity on both sides for closing."""
    call(ex, "place_limit_order", M, True, False, 1000, 5750, 10, 0, 0, 0)
    call(ex, "place_market_order", M, False, False, 1000, 10, 0, 0, sender=B)
    ex.place_limit_order(B, M, True, False, 2000, 5700, 10)
    ex.place_limit_order(B, M, False, False, 1000, 5800, 10)


def test_every_entry_function_is_dispatchable() -> None:
    ex = make()
    seen: set[str] = set()

    def ok(name: str, *args: Any, sender: str = A) -> Any:
        seen.add(name)
        return call(ex, name, *args, sender=sender)

    registry = DelegateRegistry()
    seen.update(("set_delegate", "remove_delegate"))
    call(ex, "set_delegate", B, 0, delegates=registry)
    assert registry.allows(A, B)
    call(ex, "remove_delegate", delegates=registry)
    assert registry.of(A) is None
    ok("faucet_to_address", "0xc", 1_000)
    assert ex.wallet_balance("0xc") == 1_000
    rec = ok("deposit", A, 5_000)
    assert rec.amount == 5_000 and rec.transaction_version == ex.current_version
    assert ok("withdraw_specific_market", A, M, 1_000).is_deposit is False
    o = ok("place_limit_order", M, True, False, 500, 5740, 10, 0, 0, 0)
    assert isinstance(o, OrderRecord) and o.status == "Open"
    (cancelled,) = ok("cancel_multiple_orders", M, [o.order_id], [True])
    assert cancelled.status == "Cancelled"
    placed = ok("place_multiple_orders", M, *vectors(2, prices=[5740, 5741]))
    assert [p.price for p in placed] == [5740, 5741]
    cancelled, placed = ok(
        "cancel_and_place_multiple_orders",
        M,
        [placed[0].order_id],
        [True],
        *vectors(1, prices=[5742]),
    )
    assert cancelled[0].status == "Cancelled" and placed[0].price == 5742
    ok("place_market_order", M, False, False, 500, 10, 0, 0, sender=B)
    assert ex.positions(A)[0].size == 500
    assert ok("update_take_profit", M, True, 6000).take_profit == 6000
    assert ok("update_stop_loss", M, True, 5000).stop_loss == 5000
    pos = ok("add_margin", M, True, 1_000)
    assert isinstance(pos, PositionRecord)
    assert ok("settle_pnl", A, M) == 0
    for rest in ex.open_orders(A):  # otherwise A's close would match A's own resting bid
        ex.cancel_orders(A, M, [rest.order_id], [rest.trade_side])
    ex.place_limit_order(B, M, True, False, 1000, 5730, 10)
    (closed,) = ok("collapse_position", M)
    assert closed.status == "Filled" and ex.positions(A) == []
    assert seen == set(ENTRY_FUNCTIONS)


def test_unknown_functions() -> None:
    ex = make()
    for function_id in (
        f"{KANA_PACKAGE}::perpetual_scripts::no_such_fn",
        f"{KANA_PACKAGE}::usdt::deposit",  # right name, wrong module
        "0x1::perpetual_scripts::deposit",
        "not a function id",
    ):
        with pytest.raises(DispatchError) as exc:
            execute(ex, A, function_id, [], [], None)
        assert exc.value.vm_status == "FUNCTION_RESOLUTION_FAILURE"


def test_package_address_spelling_is_normalised() -> None:
    ex = make()
    upper = fid("faucet_to_address").replace("0x6b616e61", "0x6B616E61")
    assert upper != fid("faucet_to_address")
    execute(ex, A, upper, [], [A, 5], None)
    assert ex.wallet_balance(A) == 10**11 - 10**10 + 5


@pytest.mark.parametrize(
    ("name", "type_args", "status"),
    [
        ("deposit", [], "NUMBER_OF_TYPE_ARGUMENTS_MISMATCH"),
        ("deposit", [COLLATERAL_TYPE, COLLATERAL_TYPE], "NUMBER_OF_TYPE_ARGUMENTS_MISMATCH"),
        ("deposit", ["0x1::aptos_coin::AptosCoin"], "TYPE_MISMATCH"),
        ("withdraw_specific_market", ["u64"], "TYPE_MISMATCH"),
        ("place_limit_order", [COLLATERAL_TYPE], "NUMBER_OF_TYPE_ARGUMENTS_MISMATCH"),
    ],
)
def test_type_argument_checks(name: str, type_args: list[str], status: str) -> None:
    ex = make()
    fn = ENTRY_FUNCTIONS[name]
    args = [A, 1] if name == "deposit" else [A, M, 1] if fn.generic_params else [M] * 9
    with pytest.raises(DispatchError) as exc:
        execute(ex, A, fn.function_id, type_args, args, None)
    assert exc.value.vm_status == status


def test_collateral_type_with_short_address_is_accepted() -> None:
    ex = make()
    short = COLLATERAL_TYPE.replace("0x6b", "0x6B")
    execute(ex, A, fid("deposit"), [short], [A, 1], None)
    assert ex.trading_balance(A) == 10**10 + 1


# One deliberately wrong argument list per entry function (wrong arity and a wrong type).
WRONG_TYPES: dict[str, list[Any]] = {
    "deposit": [A, "100"],
    "withdraw_specific_market": [A, M, -1],
    "place_limit_order": [M, 1, False, 500, 5750, 10, 0, 0, 0],
    "place_market_order": [M, True, False, 500, 10, 0, 2**64],
    "cancel_multiple_orders": [M, [2**128], [True]],
    "place_multiple_orders": [M, *vectors(1, restrictions=[256])],
    "cancel_and_place_multiple_orders": [M, [1], [True], *vectors(1, sizes=[True])],
    "update_take_profit": [M, True, 1.5],
    "update_stop_loss": [M, "true", 1],
    "collapse_position": [None],
    "add_margin": [M, True, [1]],
    "settle_pnl": ["0xnothex", M],
    "faucet_to_address": [12, 1],
    "set_delegate": [12, 0],
}


@pytest.mark.parametrize("name", sorted(ENTRY_FUNCTIONS))
def test_wrong_arguments(name: str) -> None:
    ex = make()
    fn = ENTRY_FUNCTIONS[name]
    tys = [COLLATERAL_TYPE] * fn.generic_params
    with pytest.raises(DispatchError) as exc:
        execute(ex, A, fn.function_id, tys, [0] * (len(fn.params) + 1), None)
    assert exc.value.vm_status == "NUMBER_OF_ARGUMENTS_MISMATCH"
    if not fn.params:  # nothing to get wrong but the arity
        return
    with pytest.raises(DispatchError) as exc:
        execute(ex, A, fn.function_id, tys, WRONG_TYPES[name], None)
    assert exc.value.vm_status == "FAILED_TO_DESERIALIZE_ARGUMENT"
    assert ex.open_orders(A) == [] and ex.trading_balance(A) == 10**10


def test_bad_sender() -> None:
    with pytest.raises(DispatchError) as exc:
        execute(make(), "nope", fid("collapse_position"), [], [M], None)
    assert exc.value.vm_status == "FAILED_TO_DESERIALIZE_ARGUMENT"


def test_check_argument() -> None:
    assert check_argument("vector<u128>", [2**100]) == [2**100]
    assert check_argument("address", "0xA") == A
    assert check_argument("u8", 255) == 255
    for move_type, value in (("u8", 256), ("bool", 0), ("u64", True), ("vector<bool>", "ab")):
        with pytest.raises(DispatchError):
            check_argument(move_type, value)


def test_move_aborts_pass_through_with_state_unchanged() -> None:
    ex = make()
    with pytest.raises(MoveAbort) as exc:
        call(ex, "place_market_order", M, True, False, 500, 10, 0, 0)
    assert exc.value.code == 1007
    with pytest.raises(MoveAbort) as exc:
        call(ex, "place_multiple_orders", M, *vectors(2, sizes=[500]))
    assert exc.value.code == 1108
    with pytest.raises(MoveAbort) as exc:
        call(ex, "withdraw_specific_market", B, M, 1)  # someone else's account
    assert exc.value.code == 1001
    with pytest.raises(MoveAbort) as exc:
        call(ex, "collapse_position", M)
    assert exc.value.code == 1106
    with pytest.raises(MoveAbort) as exc:
        call(ex, "place_limit_order", 77, True, False, 500, 5750, 10, 0, 0, 0)
    assert exc.value.code == 1003
    assert "perpetual_core" in exc.value.vm_status and "E_MARKET_NOT_FOUND" in exc.value.vm_status
    assert ex.open_orders(A) == [] and ex.trading_balance(A) == 10**10


def test_deposit_credits_the_user_argument_and_settle_pnl_any_user() -> None:
    ex = make()
    call(ex, "deposit", B, 7, sender=A)
    assert ex.trading_balance(B) == 10**10 + 7
    with_long(ex)
    call(ex, "place_market_order", M, True, True, 1000, 10, 0, 0)  # A sells at 5700: a loss
    assert ex.unsettled_pnl(A) == 0
    assert call(ex, "settle_pnl", A, M, sender=B) == 0


def test_dispatch_error_str() -> None:
    err = DispatchError("TYPE_MISMATCH", "detail")
    assert str(err) == "TYPE_MISMATCH: detail" and str(DispatchError("X")) == "X"
    assert contract.entry_function(fid("deposit")) is ENTRY_FUNCTIONS["deposit"]
