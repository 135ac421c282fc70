"""Order placement, matching, restrictions, market orders, cancellation and order status."""

from __future__ import annotations

import dataclasses

import pytest

from kana_async.sim.contract import MoveAbort
from kana_async.sim.engine import Event, Exchange, OrderRequest, check_conservation
from kana_async.sim.markets import DEFAULT_MARKETS

from .helpers import NOW, funded_exchange

A, B, C = "0xa", "0xb", "0xc"
M = 1338  # APT: notional units == lots × ticks, min 500 lots
FUNDS = 100_000_000_000  # $100k in the trading account


def make() -> Exchange:
    return funded_exchange((A, B, C), faucet=2 * FUNDS, deposit=FUNDS)


def abort_code(exc: pytest.ExceptionInfo[MoveAbort]) -> int:
    return exc.value.code


def snapshot(ex: Exchange) -> tuple[object, ...]:
    return (
        ex.book(M),
        [ex.trading_balance(w) for w in (A, B, C)],
        [ex.open_orders(w) for w in (A, B, C)],
        [ex.positions(w) for w in (A, B, C)],
        ex.market_trades(M),
        check_conservation(ex),
    )


def test_limit_order_rests_with_large_increasing_ids() -> None:
    ex = make()
    o1 = ex.place_limit_order(A, M, True, False, 1000, 5750, 10)
    o2 = ex.place_limit_order(A, M, True, False, 500, 5740, 10)
    assert o1.status == "Open" and o1.remaining_size == 1000 and o1.filled_size == 0
    assert 2**64 < o1.order_id < o2.order_id < 2**128
    assert o1.is_buy and o1.order_value == 5_750_000
    assert ex.book(M) == ([(5750, 1000), (5740, 500)], [])
    assert ex.best_bid_ask(M) == (5750, None)
    assert [o.order_id for o in ex.open_orders(A)] == [o1.order_id, o2.order_id]
    assert ex.order(M, o1.order_id) == o1
    assert ex.order(1339, o1.order_id) is None
    assert ex.last_price(M) is None


def test_partial_fill_at_maker_price() -> None:
    ex = make()
    bid = ex.place_limit_order(A, M, True, False, 1000, 5750, 10)
    ask = ex.place_limit_order(B, M, False, False, 600, 5740, 10)
    assert ask.status == "Filled" and ask.filled_size == 600 and ask.remaining_size == 0
    now_bid = ex.order(M, bid.order_id)
    assert now_bid is not None
    assert now_bid.status == "Partially Filled" and now_bid.remaining_size == 400
    assert ex.book(M) == ([(5750, 400)], [])
    assert ex.last_price(M) == 5750
    (trade,) = ex.market_trades(M)
    assert (trade.price, trade.size, trade.taker_is_buy) == (5750, 600, False)
    assert trade.maker_order_id == bid.order_id and trade.taker_order_id == ask.order_id
    (fill_a,) = ex.trades(A)
    (fill_b,) = ex.trades(B)
    assert fill_a.is_maker and not fill_b.is_maker
    assert fill_a.trade_id == fill_b.trade_id == trade.trade_id != bid.order_id
    assert fill_a.fee == 0 and fill_b.fee == 3_450_000 * 5 // 10_000  # maker 0 %, taker 0.05 %


def test_price_time_priority() -> None:
    ex = make()
    first = ex.place_limit_order(A, M, True, False, 500, 5750, 10)
    second = ex.place_limit_order(C, M, True, False, 500, 5750, 10)
    better = ex.place_limit_order(C, M, True, False, 500, 5760, 10)
    ex.place_market_order(B, M, False, False, 1000, 10)
    makers = [t.maker_order_id for t in ex.market_trades(M)]
    assert makers == [better.order_id, first.order_id]
    assert ex.book(M) == ([(5750, 500)], [])
    rest = ex.order(M, second.order_id)
    assert rest is not None and rest.status == "Open"


def test_market_order_walks_levels_and_reports_average_price() -> None:
    ex = make()
    ex.place_limit_order(A, M, False, False, 500, 5750, 10)
    ex.place_limit_order(A, M, False, False, 500, 5760, 10)
    ex.place_limit_order(A, M, False, False, 500, 5770, 10)
    o = ex.place_market_order(B, M, True, False, 1000, 10)
    assert o.status == "Filled" and o.is_market_order
    assert o.price == 5755  # (500×5750 + 500×5760) / 1000
    assert [t.price for t in ex.market_trades(M)] == [5750, 5760]
    assert ex.book(M) == ([], [(5770, 500)])


def test_market_order_without_liquidity_aborts_1007() -> None:
    ex = make()
    ex.place_limit_order(A, M, True, False, 500, 5750, 10)  # same side only
    before = snapshot(ex)
    with pytest.raises(MoveAbort) as exc:
        ex.place_market_order(B, M, True, False, 500, 10)
    assert abort_code(exc) == 1007
    assert snapshot(ex) == before


def test_market_order_is_immediate_or_cancel() -> None:
    ex = make()
    ex.place_limit_order(A, M, False, False, 500, 5750, 10)
    o = ex.place_market_order(B, M, True, False, 2000, 10)
    assert (o.status, o.filled_size, o.remaining_size) == ("Cancelled", 500, 1500)
    assert ex.open_orders(B) == []
    (pos,) = ex.positions(B)
    # only the filled part keeps collateral: initial margin at the fill price (2,875,000 / 10);
    # the taker fee (0.05 % of 2,875,000 = 1,437.5, rounded down) is paid, the rest released
    assert pos.size == 500 and pos.margin == 287_500 and ex.trades(B)[0].fee == 1_437
    assert ex.trading_balance(B) == FUNDS - pos.margin - ex.trades(B)[0].fee
    check_conservation(ex)


@pytest.mark.parametrize(
    ("restriction", "aborting", "code", "passing", "status"),
    [
        (1, (1000, 5760), 1104, (500, 5760), "Filled"),  # fill or abort
        (3, (500, 5750), 1105, (500, 5749), "Open"),  # post or abort
    ],
)
def test_fill_or_abort_and_post_or_abort(
    restriction: int,
    aborting: tuple[int, int],
    code: int,
    passing: tuple[int, int],
    status: str,
) -> None:
    ex = make()
    ex.place_limit_order(A, M, False, False, 500, 5750, 10)
    before = snapshot(ex)
    with pytest.raises(MoveAbort) as exc:
        ex.place_limit_order(B, M, True, False, *aborting, 10, restriction=restriction)
    assert abort_code(exc) == code
    assert snapshot(ex) == before
    o = ex.place_limit_order(B, M, True, False, *passing, 10, restriction=restriction)
    assert o.status == status and o.restriction == restriction


def test_no_restriction_takes_then_rests() -> None:
    ex = make()
    ex.place_limit_order(A, M, False, False, 500, 5750, 10)
    o = ex.place_limit_order(B, M, True, False, 800, 5750, 10, restriction=0)
    assert (o.status, o.filled_size, o.remaining_size) == ("Partially Filled", 500, 300)
    assert ex.book(M) == ([(5750, 300)], [])


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"restriction": 2}, 1107),
        ({"price": 0}, 1102),
        ({"size": 499}, 1101),
        ({"size": 0}, 1101),
        ({"size": 150_000_001}, 1101),
        ({"leverage": 0}, 1006),
        ({"leverage": 21}, 1006),
        ({"take_profit": -1}, 1102),
        ({"market_id": 9999}, 1003),
    ],
)
def test_invalid_orders_abort(kwargs: dict[str, int], code: int) -> None:
    ex = make()
    args = {"market_id": M, "size": 500, "price": 5750, "leverage": 10, "restriction": 0}
    args.update(kwargs)
    with pytest.raises(MoveAbort) as exc:
        ex.place_limit_order(
            A,
            args["market_id"],
            True,
            False,
            args["size"],
            args["price"],
            args["leverage"],
            args["restriction"],
            args.get("take_profit", 0),
        )
    assert abort_code(exc) == code
    assert ex.open_orders(A) == [] and ex.trading_balance(A) == FUNDS


def test_off_tick_price_and_paused_market() -> None:
    coarse = dataclasses.replace(DEFAULT_MARKETS[0], tick_size=5)
    paused = dataclasses.replace(DEFAULT_MARKETS[1], market_status=2)
    ex = Exchange([coarse, paused], clock=lambda: NOW)
    ex.faucet(A, FUNDS)
    ex.deposit(A, FUNDS)
    with pytest.raises(MoveAbort) as exc:
        ex.place_limit_order(A, M, True, False, 500, 5751, 10)
    assert abort_code(exc) == 1102
    assert ex.place_limit_order(A, M, True, False, 500, 5755, 10).status == "Open"
    with pytest.raises(MoveAbort) as exc:
        ex.place_limit_order(A, 1339, True, False, 10, 1_000_000, 10)
    assert abort_code(exc) == 1002


def test_cancel_releases_margin_and_updates_status() -> None:
    ex = make()
    o = ex.place_limit_order(A, M, True, False, 1000, 5750, 10)
    assert ex.trading_balance(A) == FUNDS - 575_000 - 2_875
    (cancelled,) = ex.cancel_orders(A, M, [o.order_id], [True])
    assert cancelled.status == "Cancelled" and cancelled.remaining_size == 1000
    assert ex.trading_balance(A) == FUNDS
    assert ex.book(M) == ([], []) and ex.open_orders(A) == []
    assert [h.status for h in ex.order_history(A)] == ["Cancelled"]


def test_partially_filled_then_cancelled() -> None:
    ex = make()
    o = ex.place_limit_order(A, M, True, False, 1000, 5750, 10)
    ex.place_market_order(B, M, False, False, 500, 10)
    (c,) = ex.cancel_orders(A, M, [o.order_id], [True])
    assert (c.status, c.filled_size, c.remaining_size) == ("Cancelled", 500, 500)
    (pos,) = ex.positions(A)
    assert pos.size == 500
    check_conservation(ex)


@pytest.mark.parametrize("case", ["unknown", "wrong_side", "other_wallet", "other_market"])
def test_cancel_errors_1103(case: str) -> None:
    ex = make()
    o = ex.place_limit_order(A, M, True, False, 1000, 5750, 10)
    wallet, market, oid, side = A, M, o.order_id, True
    if case == "unknown":
        oid += 999
    elif case == "wrong_side":
        side = False
    elif case == "other_wallet":
        wallet = B
    else:
        market = 1339
    with pytest.raises(MoveAbort) as exc:
        ex.cancel_orders(wallet, market, [oid], [side])
    assert abort_code(exc) == 1103
    assert ex.open_orders(A)[0].status == "Open"


def test_cancel_is_atomic_and_checks_lengths() -> None:
    ex = make()
    o1 = ex.place_limit_order(A, M, True, False, 1000, 5750, 10)
    o2 = ex.place_limit_order(A, M, True, False, 1000, 5740, 10)
    before = snapshot(ex)
    with pytest.raises(MoveAbort) as exc:
        ex.cancel_orders(A, M, [o1.order_id, o2.order_id], [True])
    assert abort_code(exc) == 1108
    with pytest.raises(MoveAbort) as exc:
        ex.cancel_orders(A, M, [o1.order_id, o1.order_id], [True, True])  # second: not open
    assert abort_code(exc) == 1103
    assert snapshot(ex) == before


def test_cancel_twice_is_1103() -> None:
    ex = make()
    o = ex.place_limit_order(A, M, True, False, 1000, 5750, 10)
    ex.cancel_orders(A, M, [o.order_id], [True])
    with pytest.raises(MoveAbort) as exc:
        ex.cancel_orders(A, M, [o.order_id], [True])
    assert abort_code(exc) == 1103


def test_status_transitions_open_partial_filled() -> None:
    ex = make()
    seen: list[str] = []
    o = ex.place_limit_order(A, M, True, False, 1000, 5750, 10)

    def on_event(event: Event) -> None:
        order = getattr(event, "order", None)
        if order is not None and order.order_id == o.order_id:
            seen.append(order.status)

    ex.subscribe(on_event)
    ex.place_market_order(B, M, False, False, 500, 10)
    ex.place_market_order(C, M, False, False, 500, 10)
    assert seen == ["Partially Filled", "Filled"]
    final = ex.order(M, o.order_id)
    assert final is not None and final.remaining_size == 0 and final.trade_id is not None
    assert ex.open_orders(A) == []


def test_batch_is_atomic() -> None:
    ex = make()
    events: list[Event] = []
    ex.subscribe(events.append)
    before = snapshot(ex)
    good = OrderRequest(True, True, False, 500, 5750, 10)
    bad = OrderRequest(True, True, False, 500, 5750, 11)  # leverage differs from the first
    with pytest.raises(MoveAbort) as exc:
        ex.place_orders(A, M, [good, bad])
    assert abort_code(exc) == 1005
    assert snapshot(ex) == before and events == []
    sell = OrderRequest(False, False, False, 500, 0, 10)
    # A's own bid is no liquidity for A's market sell (self-trade prevention): 1007, no change
    with pytest.raises(MoveAbort) as exc:
        ex.place_orders(A, M, [good, sell])
    assert abort_code(exc) == 1007
    assert snapshot(ex) == before and events == []
    ex.place_limit_order(B, M, True, False, 500, 5740, 10)
    placed = ex.place_orders(A, M, [good, sell])
    # the sell cancels A's own bid at 5750 and fills against B's bid at 5740
    assert [p.status for p in placed] == ["Cancelled", "Filled"]
    assert [p.trade_side for p in ex.positions(A)] == [False]
    assert [t.price for t in ex.market_trades(M)] == [5740]


def test_cancel_and_place_replaces_atomically() -> None:
    ex = make()
    old = ex.place_limit_order(A, M, True, False, 1000, 5750, 10)
    cancelled, placed = ex.cancel_and_place_orders(
        A, M, [old.order_id], [True], [OrderRequest(True, True, False, 1000, 5760, 10)]
    )
    assert cancelled[0].status == "Cancelled" and placed[0].status == "Open"
    assert ex.book(M) == ([(5760, 1000)], [])
    assert ex.trading_balance(A) == FUNDS - 576_000 - 2_880
    with pytest.raises(MoveAbort):
        ex.cancel_and_place_orders(
            A, M, [placed[0].order_id], [True], [OrderRequest(True, True, False, 1, 5760, 10)]
        )
    assert ex.book(M) == ([(5760, 1000)], [])


def test_history_filters_and_versions() -> None:
    ex = make()
    v = ex.allocate_version()
    o = ex.place_limit_order(A, M, True, False, 500, 5750, 10, version=v)
    assert o.transaction_version == v and o.timestamp == o.last_updated == NOW
    assert ex.allocate_version() == v + 1
    ex.place_limit_order(A, 1339, True, False, 10, 1_000_000, 10)
    assert len(ex.order_history(A)) == 2
    assert [h.market_id for h in ex.order_history(A, 1339)] == [1339]
    assert len(ex.open_orders(A, M)) == 1
    assert ex.market_trades(M, limit=0) == []
