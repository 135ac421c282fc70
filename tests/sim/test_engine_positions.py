"""Positions: leverage rules, margin, PnL and fees, hedge mode, liquidation, TP / SL, funding."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kana_async.sim.contract import MoveAbort
from kana_async.sim.engine import (
    ORDER_TYPE_AUTO_DELEVERAGE,
    ORDER_TYPE_LIQUIDATION,
    ORDER_TYPE_STOP_LOSS,
    ORDER_TYPE_TAKE_PROFIT,
    Exchange,
    FundingEvent,
    check_conservation,
)
from kana_async.sim.engine.core import DEFAULT_LIQUIDATOR_CAPITAL as LIQUIDATOR_START
from kana_async.sim.markets import FEE_ADDRESS, LIQUIDATOR_ADDRESS

from .helpers import NOW, funded_exchange

A, B, C = "0xa", "0xb", "0xc"
M = 1338
FUNDS = 100_000_000_000


def make() -> Exchange:
    return funded_exchange((A, B, C), faucet=2 * FUNDS, deposit=FUNDS, funding_interval=3600)


def open_long_a(ex: Exchange, leverage: int = 10, size: int = 1000, **kw: int) -> None:
    """A bids (maker) and B sells into it at market: A long, B short, both at 5750."""
    ex.place_limit_order(A, M, True, False, size, 5750, leverage, **kw)
    ex.place_market_order(B, M, False, False, size, leverage)


def code_of(fn: object, *args: object, **kw: object) -> int:
    with pytest.raises(MoveAbort) as exc:
        fn(*args, **kw)  # type: ignore[operator]
    return exc.value.code


def test_opening_reserves_initial_margin() -> None:
    ex = make()
    ex.place_limit_order(A, M, True, False, 1000, 5750, 10)
    # $5,750 at 10x: initial margin 575,000 units + the worst-case taker fee (0.05 %) 2,875
    reserve = 575_000 + 2_875
    assert ex.trading_balance(A) == FUNDS - reserve
    ex.place_market_order(B, M, False, False, 1000, 10)
    (pos,) = ex.positions(A)
    assert (pos.size, pos.entry_price, pos.value, pos.leverage) == (1000, 5750, 5_750_000, 10)
    assert pos.margin == 575_000  # a maker pays no fee: the fee reserve comes back
    assert ex.trading_balance(A) == FUNDS - 575_000
    assert pos.available_order_size == 1000 and pos.trade_side
    assert ex.trading_balance(FEE_ADDRESS) == 2875  # only B, the taker, paid
    check_conservation(ex)


def test_insufficient_margin_1109() -> None:
    ex = make()
    poor = "0xd"
    ex.faucet(poor, 100_000)
    ex.deposit(poor, 100_000)
    assert code_of(ex.place_limit_order, poor, M, True, False, 1000, 5750, 10) == 1109
    assert ex.trading_balance(poor) == 100_000
    ex.place_limit_order(A, M, False, False, 1000, 5750, 10)
    assert code_of(ex.place_market_order, poor, M, True, False, 1000, 10) == 1109


def test_leverage_rules() -> None:
    ex = make()
    open_long_a(ex)
    ex.place_limit_order(C, M, True, False, 2000, 5700, 10)  # liquidity to close into
    assert code_of(ex.place_limit_order, A, M, True, False, 500, 5740, 5) == 1005
    assert code_of(ex.place_market_order, A, M, True, True, 500, 5) == 1004
    assert code_of(ex.place_market_order, A, M, True, True, 2000, 10) == 1011
    assert code_of(ex.place_market_order, A, M, False, True, 500, 10) == 1011  # no short
    # a resting opening order fixes the leverage of a position that does not exist yet
    ex.place_limit_order(C, M, False, False, 500, 5900, 10)
    assert code_of(ex.place_limit_order, C, M, False, False, 500, 5900, 3) == 1005


def test_closing_orders_reserve_position_size() -> None:
    ex = make()
    open_long_a(ex)
    close = ex.place_limit_order(A, M, True, True, 600, 6000, 10)
    assert not close.is_buy
    (pos,) = ex.positions(A)
    assert pos.available_order_size == 400
    assert code_of(ex.place_limit_order, A, M, True, True, 500, 6000, 10) == 1011
    ex.cancel_orders(A, M, [close.order_id], [True])
    assert ex.positions(A)[0].available_order_size == 1000
    # closing below min_lots is allowed so any remainder can be closed
    ex.place_limit_order(C, M, True, False, 500, 5750, 10)
    small = ex.place_market_order(A, M, True, True, 100, 10)
    assert small.status == "Filled" and ex.positions(A)[0].size == 900


def test_profit_is_unsettled_until_settle_pnl() -> None:
    ex = make()
    open_long_a(ex)
    margin = ex.positions(A)[0].margin
    trading = ex.trading_balance(A)
    ex.place_limit_order(C, M, True, False, 1000, 6000, 10)
    close = ex.place_market_order(A, M, True, True, 1000, 10)
    assert close.status == "Filled" and ex.positions(A) == []
    fill = ex.trades(A)[-1]
    assert (fill.pnl, fill.fee, fill.price, fill.entry_price) == (250_000, 3_000, 6000, 5750)
    assert ex.trading_balance(A) == trading + margin
    assert ex.unsettled_pnl(A) == ex.unsettled_pnl(A, M) == 247_000
    assert ex.net_profile_balance(A) == trading + margin + 247_000
    assert code_of(ex.withdraw, A, M, trading + margin + 1) == 1009
    assert ex.settle_pnl(A, M) == 247_000
    assert ex.unsettled_pnl(A) == 0 and ex.trading_balance(A) == trading + margin + 247_000
    assert ex.settle_pnl(A, M) == 0
    check_conservation(ex)


def test_loss_is_taken_at_once() -> None:
    ex = make()
    open_long_a(ex)
    margin = ex.positions(A)[0].margin
    trading = ex.trading_balance(A)
    ex.place_limit_order(C, M, True, False, 1000, 5700, 10)
    ex.place_market_order(A, M, True, True, 1000, 10)
    fill = ex.trades(A)[-1]
    assert fill.pnl == -50_000
    assert ex.trading_balance(A) == trading + margin - 50_000 - fill.fee
    assert ex.unsettled_pnl(A) == 0


def test_flat_book_leaves_every_unit_with_traders_and_fees() -> None:
    ex = make()
    open_long_a(ex)
    ex.place_limit_order(C, M, False, False, 1000, 5900, 10)
    ex.place_market_order(B, M, False, True, 1000, 10)  # B closes its short: buys from C
    ex.place_limit_order(A, M, True, True, 1000, 6000, 10)
    ex.place_market_order(C, M, False, True, 1000, 10)  # C closes its short: buys from A
    assert all(ex.positions(w) == [] for w in (A, B, C))
    held = sum(ex.net_profile_balance(w) for w in (A, B, C))
    assert held + ex.fees_collected() == 3 * FUNDS  # realised PnL is zero-sum
    check_conservation(ex)


def test_hedge_mode_long_and_short_together() -> None:
    ex = make()
    open_long_a(ex)
    ex.place_limit_order(C, M, True, False, 500, 5740, 10)
    ex.place_market_order(A, M, False, False, 500, 10)  # A opens a short, long untouched
    long_, short = ex.positions(A)
    assert (long_.trade_side, long_.size, short.trade_side, short.size) == (True, 1000, False, 500)
    ex.place_limit_order(C, M, False, False, 500, 5760, 10)
    ex.place_market_order(A, M, False, True, 500, 10)  # close the short only
    (only,) = ex.positions(A)
    assert only.trade_side and only.size == 1000


def test_add_margin() -> None:
    ex = make()
    open_long_a(ex)
    before = ex.positions(A)[0]
    trading = ex.trading_balance(A)
    after = ex.add_margin(A, M, True, 100_000)
    assert after.margin == before.margin + 100_000
    assert after.liq_price < before.liq_price
    assert ex.trading_balance(A) == trading - 100_000
    assert code_of(ex.add_margin, A, M, False, 1) == 1106
    assert code_of(ex.add_margin, A, M, True, trading + 1) == 1109
    assert code_of(ex.add_margin, A, M, True, 0) == 1101


def test_update_take_profit_and_stop_loss() -> None:
    ex = make()
    open_long_a(ex)
    assert ex.update_take_profit(A, M, True, 6000).take_profit == 6000
    assert ex.update_stop_loss(A, M, True, 5500).stop_loss == 5500
    assert ex.update_take_profit(A, M, True, 0).take_profit == 0
    assert code_of(ex.update_take_profit, A, M, False, 6000) == 1106
    assert code_of(ex.update_stop_loss, A, M, True, -5) == 1102
    assert code_of(ex.update_stop_loss, A, 4242, True, 5) == 1003


def test_collapse_position_closes_both_sides() -> None:
    ex = make()
    open_long_a(ex)
    ex.place_limit_order(C, M, True, False, 500, 5740, 10)
    ex.place_market_order(A, M, False, False, 500, 10)
    ex.place_limit_order(A, M, True, True, 300, 7000, 10)  # a closing order is cancelled first
    assert code_of(ex.collapse_position, A, M) == 1007  # no bids left: nothing changes
    assert len(ex.positions(A)) == 2 and len(ex.open_orders(A)) == 1
    ex.place_limit_order(C, M, True, False, 1000, 5700, 10)
    ex.place_limit_order(C, M, False, False, 500, 5800, 10)
    orders = ex.collapse_position(A, M)
    assert [o.status for o in orders] == ["Filled", "Filled"]
    assert ex.positions(A) == [] and ex.open_orders(A) == []
    assert code_of(ex.collapse_position, A, M) == 1106


def test_liquidation_at_mark_is_a_trade_against_the_liquidator() -> None:
    ex = make()
    fund = ex.insurance_fund_balance()
    open_long_a(ex, leverage=20)
    pos = ex.positions(A)[0]
    # margin 287,500 = 5,750,000 / 20; liquidatable once 287,500 + PnL < 2.5 % of notional:
    # (5,750,000 − 287,500) / (1000 × 0.975) = 5602.56 → 5603 is the first safe price
    assert (pos.margin, pos.liq_price) == (287_500, 5603)
    trading = ex.trading_balance(A)
    ex.set_index_price(M, 5603)
    ex.tick(NOW)
    assert len(ex.positions(A)) == 1  # equity 140,500 >= maintenance 140,075
    ex.set_index_price(M, 5602)
    ex.tick(NOW)  # equity 139,500 < maintenance 140,050
    assert ex.positions(A) == []
    fill = ex.trades(A)[-1]
    assert (fill.order_type, fill.price, fill.pnl, fill.fee) == (
        ORDER_TYPE_LIQUIDATION,
        5602,
        -148_000,
        0,
    )
    # remaining collateral 287,500 − 148,000 = 139,500: 20 % fund, 30 % liquidator, 50 % user
    assert ex.trading_balance(A) == trading + 69_750
    assert ex.insurance_fund_balance() == fund + 27_900
    (took,) = ex.positions(LIQUIDATOR_ADDRESS)
    assert (took.trade_side, took.size, took.entry_price, took.leverage) == (True, 1000, 5602, 1)
    assert ex.trading_balance(LIQUIDATOR_ADDRESS) == LIQUIDATOR_START - 5_602_000 + 41_850
    (trade,) = ex.market_trades(M)[-1:]
    assert trade.taker_order_id == fill.order_id and trade.price == 5602
    assert ex.trades(LIQUIDATOR_ADDRESS)[-1].order_id == trade.maker_order_id
    assert ex.order(M, trade.maker_order_id) is not None
    check_conservation(ex)


def test_liquidation_deficit_is_paid_by_the_insurance_fund() -> None:
    ex = make()
    fund = ex.insurance_fund_balance()
    open_long_a(ex, leverage=20)
    ex.place_limit_order(A, M, True, True, 500, 9000, 20)  # resting close is cancelled
    trading = ex.trading_balance(A)
    ex.set_index_price(M, 5000)  # PnL −750,000 against a margin of 287,500
    ex.tick(NOW)
    assert ex.positions(A) == [] and ex.open_orders(A) == []
    assert ex.trading_balance(A) == trading  # lost the margin, not more
    assert ex.insurance_fund_balance() == fund - 462_500
    assert ex.positions(LIQUIDATOR_ADDRESS)[0].entry_price == 5000
    check_conservation(ex)


def test_empty_fund_auto_deleverages_at_the_bankruptcy_price() -> None:
    ex = Exchange(clock=lambda: NOW, insurance_fund=0)
    for wallet in (A, B, C):
        ex.faucet(wallet, FUNDS)
        ex.deposit(wallet, FUNDS)
    open_long_a(ex, leverage=20)
    b_trading = ex.trading_balance(B)
    ex.set_index_price(M, 5000)
    ex.tick(NOW)
    # bankruptcy price: (5,750,000 − 287,500) / 1000 = 5462.5 → 5463 (in the trader's favour);
    # B, the only (so the most profitable) short, is closed there instead of at the 5000 mark
    assert ex.positions(A) == [] and ex.positions(B) == []
    assert ex.positions(LIQUIDATOR_ADDRESS) == []
    adl = ex.trades(B)[-1]
    assert (adl.order_type, adl.price, adl.pnl, adl.is_maker) == (
        ORDER_TYPE_AUTO_DELEVERAGE,
        5463,
        287_000,
        True,
    )
    assert ex.trading_balance(B) == b_trading + 287_500  # margin back, profit unsettled
    assert ex.unsettled_pnl(B, M) == 287_000
    # A keeps 287,500 − 287,000 = 500: 100 fund, 150 liquidator, 250 A
    assert ex.insurance_fund_balance() == 100
    assert ex.trading_balance(LIQUIDATOR_ADDRESS) == LIQUIDATOR_START + 150
    check_conservation(ex)


def test_take_profit_triggers_at_the_mark() -> None:
    ex = make()
    open_long_a(ex, take_profit=6000)
    assert ex.positions(A)[0].take_profit == 6000
    ex.place_limit_order(C, M, False, False, 500, 6000, 10)
    ex.place_market_order(B, M, True, False, 500, 10)  # a trade at 6000 does not move the mark
    ex.tick(NOW)
    assert ex.positions(A)[0].size == 1000
    ex.set_index_price(M, 6000)
    ex.tick(NOW)  # no bids: the trigger stays armed
    assert ex.positions(A)[0].size == 1000
    ex.place_limit_order(C, M, True, False, 1000, 5990, 10)
    ex.tick(NOW)
    assert ex.positions(A) == []
    closing = ex.order_history(A)[-1]
    assert (closing.order_type, closing.status, closing.direction) == (
        ORDER_TYPE_TAKE_PROFIT,
        "Filled",
        True,
    )


def test_stop_loss_triggers_for_a_short() -> None:
    ex = make()
    ex.place_limit_order(A, M, False, False, 1000, 5750, 10, stop_loss=6000)
    ex.place_market_order(B, M, True, False, 1000, 10)
    assert ex.positions(A)[0].stop_loss == 6000
    ex.place_limit_order(C, M, False, False, 2000, 6010, 10)
    ex.tick(NOW)
    assert ex.positions(A)[0].size == 1000  # mark 5750: the ask above the index adds nothing
    ex.set_index_price(M, 6000)
    ex.tick(NOW)
    assert ex.positions(A) == []
    assert ex.order_history(A)[-1].order_type == ORDER_TYPE_STOP_LOSS
    assert ex.trades(A)[-1].price == 6010


def test_funding_longs_pay_shorts_when_mark_above_index() -> None:
    ex = make()
    open_long_a(ex)
    events: list[FundingEvent] = []
    ex.subscribe(lambda e: events.append(e) if isinstance(e, FundingEvent) else None)
    ex.set_index_price(M, 5700)
    ex.place_limit_order(C, M, True, False, 500, 5800, 10)  # a bid 100 above the index
    # premium 100 clamped to 0.5 % of 5700 = 28: mark 5728, rate 28 / 5700 = 0.49 % → 0.05 %
    (estimate,) = [r for r in ex.funding_rates() if r.market_id == M]
    assert (estimate.mark_price, estimate.rate) == (5728, Decimal("0.0005"))
    long_margin, short_margin = ex.positions(A)[0].margin, ex.positions(B)[0].margin
    ex.tick(NOW)  # schedules the first boundary
    assert ex.funding_history(A) == []
    ex.tick(ex.next_funding_time(NOW))
    # the long pays 5,728,000 × 0.0005 = 2,864; the short receives exactly that
    assert ex.positions(A)[0].margin == long_margin - 2864
    assert ex.positions(B)[0].margin == short_margin + 2864
    (paid,) = ex.funding_history(A, M)
    (got,) = ex.funding_history(B)
    assert (paid.amount, got.amount, paid.rate) == (-2864, 2864, Decimal("0.0005"))
    assert len(ex.applied_funding_rates(M)) == 1
    assert [e.rate.market_id for e in events] == sorted(ex.markets)  # one per market
    assert [len(e.payments) for e in events if e.rate.market_id == M] == [2]
    check_conservation(ex)


def test_funding_negative_rate_shorts_pay() -> None:
    ex = make()
    open_long_a(ex)
    ex.set_index_price(M, 5760)
    ex.place_limit_order(C, M, False, False, 500, 5700, 10)  # an ask below the index
    (applied,) = [r for r in ex.apply_funding(NOW) if r.market_id == M]
    assert applied.rate < 0
    assert ex.funding_history(B)[0].amount < 0 < ex.funding_history(A)[0].amount
    with pytest.raises(ValueError):
        ex.set_index_price(M, 0)


def test_max_position_value_caps_opening_orders_in_quote_units() -> None:
    ex = make()
    cap = ex.market(M).max_position_value
    assert cap == 125_000_000  # APT: $125 in quote units (spec example "125000000")
    ex.place_limit_order(C, M, False, False, 20_000, 5750, 10)
    ex.place_limit_order(C, M, False, False, 10_000, 5760, 10)  # resting orders are not counted
    # 20 APT at 5.75 = $115: fine; 3 more APT would make the position worth $132.25
    ex.place_market_order(A, M, True, False, 20_000, 10)
    assert ex.positions(A)[0].value == 115_000_000
    before = (ex.book(M), ex.trading_balance(A))
    assert code_of(ex.place_market_order, A, M, True, False, 3_000, 10) == 1101
    assert code_of(ex.place_limit_order, A, M, True, False, 3_000, 5000, 10) == 1101
    assert (ex.book(M), ex.trading_balance(A)) == before
    ex.place_limit_order(A, M, True, False, 1_000, 5000, 10)  # $5 more: still within the cap
    # the cap applies per position: the short side and other wallets are not affected
    ex.place_limit_order(B, M, True, False, 20_000, 5700, 10)
    ex.place_market_order(A, M, False, False, 20_000, 10)
    assert [p.value for p in ex.positions(A)] == [115_000_000, 114_000_000]
    # closing is never limited, and after closing the room is back
    ex.place_limit_order(C, M, True, False, 20_000, 5700, 10)
    ex.place_market_order(A, M, True, True, 20_000, 10)
    assert ex.place_market_order(A, M, True, False, 3_000, 10).status == "Filled"
