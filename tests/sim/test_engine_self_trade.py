"""Self-trade prevention: a taker never fills against its own wallet's resting orders."""

from __future__ import annotations

import pytest

from kana_async.sim.contract import MoveAbort
from kana_async.sim.engine import Exchange, check_conservation

from .helpers import funded_exchange

A, B, C = "0xa", "0xb", "0xc"
M = 1338
FUNDS = 100_000_000_000


def make() -> Exchange:
    return funded_exchange((A, B, C), faucet=2 * FUNDS, deposit=FUNDS)


def code_of(fn: object, *args: object) -> int:
    with pytest.raises(MoveAbort) as exc:
        fn(*args)  # type: ignore[operator]
    return exc.value.code


def test_collapse_cancels_own_resting_opening_order_instead_of_filling_it() -> None:
    ex = make()
    ex.place_limit_order(A, M, True, False, 1000, 5750, 10)
    ex.place_market_order(B, M, False, False, 1000, 10)  # A long 1000 at 5750
    own_bid = ex.place_limit_order(A, M, True, False, 500, 5745, 10)  # opening, would be hit
    ex.place_limit_order(C, M, True, False, 1000, 5700, 10)
    trading = ex.trading_balance(A)
    (close,) = ex.collapse_position(A, M)
    assert close.status == "Filled" and close.price == 5700
    assert ex.positions(A) == [] and ex.open_orders(A) == []
    (cancelled,) = [o for o in ex.order_history(A) if o.order_id == own_bid.order_id]
    assert (cancelled.status, cancelled.filled_size) == ("Cancelled", 0)
    trades = ex.market_trades(M)
    assert [t.price for t in trades] == [5750, 5700]
    assert all(t.maker_address != t.taker_address for t in trades)
    assert [(p.trade_side, p.size) for p in ex.positions(C)] == [(True, 1000)]
    assert ex.trading_balance(A) > trading  # the bid's reserve came back with the close
    check_conservation(ex)


def test_market_order_with_only_own_liquidity_aborts_1007_and_changes_nothing() -> None:
    ex = make()
    ex.place_limit_order(A, M, False, False, 500, 5760, 10)
    before = (ex.book(M), ex.open_orders(A), ex.trading_balance(A))
    assert code_of(ex.place_market_order, A, M, True, False, 500, 10) == 1007
    assert (ex.book(M), ex.open_orders(A), ex.trading_balance(A)) == before


def test_crossing_limit_cancels_own_orders_and_takes_the_others_in_priority() -> None:
    ex = make()
    ex.place_limit_order(B, M, False, False, 500, 5750, 10)
    mine = ex.place_limit_order(A, M, False, False, 500, 5752, 10)
    ex.place_limit_order(C, M, False, False, 500, 5754, 10)
    bid = ex.place_limit_order(A, M, True, False, 1500, 5754, 10)
    assert [t.price for t in ex.market_trades(M)] == [5750, 5754]
    assert ex.open_orders(A)[0].order_id == bid.order_id  # the rest of the bid rests
    assert all(o.order_id != mine.order_id for o in ex.open_orders(A))
    bids, asks = ex.book(M)
    assert (bids, asks) == ([(5754, 500)], [])  # never crossed
    assert ex.order_history(A)[0].status == "Cancelled"


def test_post_only_counts_only_other_wallets_and_fill_or_abort_too() -> None:
    ex = make()
    own = ex.place_limit_order(A, M, False, False, 500, 5750, 10)
    # Post-only crossing only its own ask: no taking happens, the own ask is cancelled.
    post = ex.place_limit_order(A, M, True, False, 500, 5750, 10, restriction=3)
    assert post.status == "Open"
    assert [o.order_id for o in ex.open_orders(A)] == [post.order_id]
    assert ex.order_history(A)[0].order_id == own.order_id
    assert ex.order_history(A)[0].status == "Cancelled"
    # Fill-or-abort that only its own bid could fill aborts 1104 and changes nothing.
    before = ex.book(M)
    assert code_of(ex.place_limit_order, A, M, False, False, 500, 5750, 10, 1) == 1104
    assert ex.book(M) == before and ex.market_trades(M) == []
