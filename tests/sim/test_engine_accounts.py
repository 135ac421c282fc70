"""Accounts (faucet, deposit, withdraw), addresses, ledger versions and event emission."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from kana_async.sim.contract import MoveAbort
from kana_async.sim.engine import (
    BalanceEvent,
    BookEvent,
    Event,
    Exchange,
    OrderEvent,
    PositionEvent,
    TradeEvent,
    TransferEvent,
    check_conservation,
    normalize_address,
    profile_address,
)
from kana_async.sim.engine.core import DEFAULT_INSURANCE_FUND, DEFAULT_LIQUIDATOR_CAPITAL

A, B = "0xa", "0xb"
M = 1338
NOW = 1_700_000_000


def make() -> Exchange:
    return Exchange(clock=lambda: NOW)


def test_addresses_are_normalised() -> None:
    full = "0x" + "0" * 63 + "a"
    assert normalize_address("0xA") == normalize_address("a") == full
    for bad in ("", "0x", "0xzz", "0x" + "1" * 65):
        with pytest.raises(ValueError):
            normalize_address(bad)
    with pytest.raises(ValueError):
        normalize_address(5)  # type: ignore[arg-type]
    ex = make()
    ex.faucet("0xA", 10)
    assert ex.wallet_balance(full) == 10


def test_profile_address_is_deterministic() -> None:
    p = profile_address(A)
    assert p == Exchange.profile_address("0x" + "0" * 63 + "a")
    assert p.startswith("0x") and len(p) == 66 and p == p.lower()
    assert p != profile_address(B) and p != normalize_address(A)


def test_faucet_deposit_withdraw() -> None:
    ex = make()
    ex.faucet(A, 1_000)
    assert ex.wallet_balance(A) == 1_000 and ex.trading_balance(A) == 0
    dep = ex.deposit(A, 600)
    assert (dep.amount, dep.is_deposit, dep.market_id, dep.address) == (
        600,
        True,
        None,
        profile_address(A),
    )
    assert (ex.wallet_balance(A), ex.trading_balance(A)) == (400, 600)
    wd = ex.withdraw(A, M, 100)
    assert (wd.is_deposit, wd.market_id, wd.amount) == (False, M, 100)
    assert (ex.wallet_balance(A), ex.trading_balance(A)) == (500, 500)
    assert ex.transfers(A) == [dep, wd]
    assert ex.net_profile_balance(A) == 500
    # minted: the faucet's 1,000 plus the house capital created at start
    assert (
        check_conservation(ex).minted == 1_000 + DEFAULT_INSURANCE_FUND + DEFAULT_LIQUIDATOR_CAPITAL
    )


def test_deposit_for_another_account() -> None:
    ex = make()
    ex.faucet(A, 1_000)
    rec = ex.deposit(A, 1_000, beneficiary=B)
    assert rec.wallet == normalize_address(B)
    assert ex.trading_balance(B) == 1_000 and ex.wallet_balance(A) == 0


@pytest.mark.parametrize(
    ("action", "code"),
    [
        ("deposit_too_much", 1010),
        ("withdraw_too_much", 1009),
        ("withdraw_unknown_market", 1003),
        ("deposit_zero", 1101),
        ("withdraw_zero", 1101),
        ("faucet_negative", 1101),
    ],
)
def test_account_errors(action: str, code: int) -> None:
    ex = make()
    ex.faucet(A, 1_000)
    ex.deposit(A, 500)
    calls: dict[str, Callable[[], object]] = {
        "deposit_too_much": lambda: ex.deposit(A, 501),
        "withdraw_too_much": lambda: ex.withdraw(A, M, 501),
        "withdraw_unknown_market": lambda: ex.withdraw(A, 7, 1),
        "deposit_zero": lambda: ex.deposit(A, 0),
        "withdraw_zero": lambda: ex.withdraw(A, M, 0),
        "faucet_negative": lambda: ex.faucet(A, -1),
    }
    with pytest.raises(MoveAbort) as exc:
        calls[action]()
    assert exc.value.code == code
    assert (ex.wallet_balance(A), ex.trading_balance(A), len(ex.transfers(A))) == (500, 500, 1)


def test_versions_are_monotonic_and_recorded() -> None:
    ex = make()
    v1, v2 = ex.allocate_version(), ex.allocate_version()
    assert v2 == v1 + 1 == ex.current_version
    ex.faucet(A, 10, version=v2)
    rec = ex.deposit(A, 10)
    assert rec.transaction_version == v2 + 1 and rec.timestamp == NOW


def test_events_after_a_trade() -> None:
    ex = make()
    for w in (A, B):
        ex.faucet(w, 10**10)
        ex.deposit(w, 10**10)
    events: list[Event] = []
    unsubscribe = ex.subscribe(events.append)
    bid = ex.place_limit_order(A, M, True, False, 1000, 5750, 10)
    assert [type(e) for e in events] == [OrderEvent, BookEvent, BalanceEvent]
    events.clear()
    ex.place_market_order(B, M, False, False, 1000, 10)
    kinds = [type(e).__name__ for e in events]
    assert kinds.count("TradeEvent") == 1 and kinds.count("PositionEvent") == 2
    assert kinds[-1] == "BalanceEvent" and "BookEvent" in kinds
    (trade,) = [e for e in events if isinstance(e, TradeEvent)]
    assert trade.maker.order_id == bid.order_id and trade.taker.wallet == normalize_address(B)
    positions = [e.position for e in events if isinstance(e, PositionEvent)]
    assert {p.trade_side for p in positions} == {True, False}
    orders = [e.order for e in events if isinstance(e, OrderEvent)]
    assert {o.status for o in orders} == {"Filled"}
    balances = {e.wallet for e in events if isinstance(e, BalanceEvent)}
    assert normalize_address(A) in balances and normalize_address(B) in balances
    events.clear()
    ex.withdraw(A, M, 1)
    assert any(isinstance(e, TransferEvent) for e in events)
    unsubscribe()
    unsubscribe()  # idempotent
    events.clear()
    ex.deposit(A, 1)
    assert events == []


def test_aborted_transactions_emit_nothing() -> None:
    ex = make()
    events: list[Event] = []
    ex.subscribe(events.append)
    with pytest.raises(MoveAbort):
        ex.deposit(A, 1)
    with pytest.raises(MoveAbort):
        ex.place_market_order(A, M, True, False, 500, 10)
    assert events == []


def test_failing_listener_is_logged_and_others_still_run(caplog: pytest.LogCaptureFixture) -> None:
    ex = make()
    got: list[Event] = []

    def broken(event: Event) -> None:
        raise RuntimeError("boom")

    ex.subscribe(broken)
    ex.subscribe(got.append)
    with caplog.at_level(logging.ERROR, logger="kana_async.sim"):
        ex.faucet(A, 5)
    assert got and "listener failed" in caplog.text


def test_history_is_trimmed_by_tick() -> None:
    ex = Exchange(clock=lambda: NOW, history_limit=3)
    ex.faucet(A, 10**10)
    ex.deposit(A, 10**10)
    ids = [ex.place_limit_order(A, M, True, False, 500, 5000 + i, 10).order_id for i in range(5)]
    ex.cancel_orders(A, M, ids[:4], [True] * 4)
    for _ in range(5):
        ex.withdraw(A, M, 1)
    ex.tick(NOW)
    assert [o.order_id for o in ex.order_history(A)] == ids[2:]
    assert ex.order(M, ids[0]) is None
    assert len(ex.transfers(A)) == 3
    assert [o.order_id for o in ex.open_orders(A)] == [ids[4]]
