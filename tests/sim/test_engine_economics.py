"""Kana's economics, one worked example per rule (numbers from the docs' percentages).

Fees 0.05 % taker / 0 % maker, initial margin = notional / leverage at the fill price,
maintenance 2.5 %, liquidation split 20 / 30 / 50, mark = index + bounded premium, zero-sum
funding, order ids in the mainnet layout, sizes that cannot be modified.
"""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kana_async.sim.contract import ENTRY_FUNCTIONS, MoveAbort
from kana_async.sim.engine import (
    Event,
    Exchange,
    FeeSchedule,
    OrderEvent,
    check_conservation,
)
from kana_async.sim.engine.rules import (
    distribute,
    funding_rate,
    mark_price,
    order_id,
    split_remaining,
)
from kana_async.sim.markets import (
    DEFAULT_MARKETS,
    FEE_ADDRESS,
    INSURANCE_FUND_ADDRESS,
    LIQUIDATOR_ADDRESS,
    market_by_id,
)
from kana_async.sim.server import Simulator

from .helpers import NOW

A, B, C = "0xa", "0xb", "0xc"
BTC = 1339  # notional units == lots × ticks; 1 BTC = 100,000 lots, $1 = 10 ticks
SOL = 2387
ONE_BTC = 100_000
USDT = 10**6
FUNDS = 1_000_000 * USDT
CHAIN = Path(__file__).parents[1] / "data" / "spec_examples" / "chain"


def btc(dollars: int) -> int:
    """A BTC price in ticks ($0.1 tick)."""
    return dollars * 10


def make(**kw: object) -> Exchange:
    ex = Exchange(clock=lambda: NOW, **kw)  # type: ignore[arg-type]
    for wallet in (A, B, C):
        ex.faucet(wallet, FUNDS)
        ex.deposit(wallet, FUNDS)
    return ex


# -- fees ----------------------------------------------------------------------------------------


def test_taker_pays_five_bps_maker_pays_nothing() -> None:
    fees = FeeSchedule()
    assert fees.fee("0x" + "a".rjust(64, "0"), 10_000 * USDT, is_maker=False) == 5 * USDT
    assert fees.fee("0x" + "a".rjust(64, "0"), 10_000 * USDT, is_maker=True) == 0
    ex = make()
    ex.place_limit_order(A, BTC, False, False, ONE_BTC // 10, btc(100_000), 10)
    ex.place_market_order(B, BTC, True, False, ONE_BTC // 10, 10)
    maker, taker = ex.trades(A)[-1], ex.trades(B)[-1]
    # 0.1 BTC at $100,000 = $10,000: the taker pays $5, the maker nothing
    assert (maker.fee, taker.fee) == (0, 5 * USDT)
    assert ex.trading_balance(FEE_ADDRESS) == 5 * USDT


def test_fee_tier_lowers_one_wallets_taker_rate() -> None:
    ex = make(fees=FeeSchedule(tiers={B: Decimal("0.0003")}))
    ex.place_limit_order(A, BTC, False, False, ONE_BTC // 5, btc(100_000), 10)
    ex.place_market_order(B, BTC, True, False, ONE_BTC // 10, 10)  # tier: 0.03 %
    ex.place_market_order(C, BTC, True, False, ONE_BTC // 10, 10)  # default: 0.05 %
    assert (ex.trades(B)[-1].fee, ex.trades(C)[-1].fee) == (3 * USDT, 5 * USDT)
    with pytest.raises(ValueError):
        FeeSchedule(taker_rate=Decimal("-0.001"))


# -- initial margin --------------------------------------------------------------------------------


def test_initial_margin_is_taken_at_the_fill_price_and_the_excess_released() -> None:
    ex = make()
    ex.place_limit_order(B, BTC, False, False, ONE_BTC, btc(99_000), 10)  # resting ask
    before = ex.trading_balance(A)
    # A bids 1 BTC at $100,000, 10x: $10,000 margin + $50 fee reserve at the limit, but it
    # fills at the maker's $99,000: margin $9,900, taker fee $49.50, the rest comes back
    order = ex.place_limit_order(A, BTC, True, False, ONE_BTC, btc(100_000), 10)
    assert order.status == "Filled"
    (pos,) = ex.positions(A)
    assert (pos.margin, pos.value, pos.entry_price) == (9_900 * USDT, 99_000 * USDT, btc(99_000))
    assert ex.trades(A)[-1].fee == 49_500_000
    assert ex.trading_balance(A) == before - 9_900 * USDT - 49_500_000
    assert ex.reserved_margin(A) == 0


def test_resting_remainder_keeps_only_what_it_needs() -> None:
    ex = make()
    ex.place_limit_order(B, BTC, False, False, ONE_BTC // 2, btc(99_000), 10)
    ex.place_limit_order(A, BTC, True, False, ONE_BTC, btc(100_000), 10)
    # half filled at $99,000 (margin $4,950); the resting half holds margin + fee reserve of
    # 0.5 BTC at its $100,000 limit: $5,000 + $25
    assert ex.positions(A)[0].margin == 4_950 * USDT
    assert ex.reserved_margin(A) == 5_025 * USDT
    ex.place_market_order(C, BTC, False, False, ONE_BTC // 2, 10)  # fills A's rest as maker
    assert ex.positions(A)[0].margin == (4_950 + 5_000) * USDT
    assert ex.reserved_margin(A) == 0 and ex.trades(A)[-1].fee == 0


def test_sell_filled_above_its_limit_posts_the_larger_margin() -> None:
    ex = make()
    ex.place_limit_order(B, BTC, True, False, ONE_BTC, btc(101_000), 10)  # resting bid
    poor = "0xd"
    ex.faucet(poor, 10_050 * USDT)
    ex.deposit(poor, 10_050 * USDT)
    # reserve at the $100,000 limit is exactly $10,050, but the fill at $101,000 needs
    # $10,100 margin + $50.50 fee: the trading balance cannot pay the difference
    with pytest.raises(MoveAbort) as exc:
        ex.place_limit_order(poor, BTC, False, False, ONE_BTC, btc(100_000), 10)
    assert exc.value.code == 1109 and ex.trading_balance(poor) == 10_050 * USDT
    before = ex.trading_balance(A)
    ex.place_limit_order(A, BTC, False, False, ONE_BTC, btc(100_000), 10)
    assert ex.positions(A)[0].margin == 10_100 * USDT
    assert ex.trading_balance(A) == before - 10_100 * USDT - 50_500_000


# -- maintenance margin and market parameters ------------------------------------------------------


def test_maintenance_is_two_and_a_half_percent_and_leverage_stays_below_it() -> None:
    for spec in DEFAULT_MARKETS:
        assert spec.maintenance_margin == 250, spec.base_name
        assert spec.max_leverage * spec.maintenance_margin < 10_000, spec.base_name
    btc_spec = market_by_id(BTC)
    with pytest.raises(ValueError, match="below 1 / maintenance"):
        dataclasses.replace(btc_spec, max_leverage=40)  # 40x × 2.5 % = 100 %
    assert dataclasses.replace(btc_spec, max_leverage=39).max_leverage == 39
    ex = make()
    ex.place_limit_order(A, BTC, True, False, ONE_BTC, btc(100_000), 20)
    ex.place_market_order(B, BTC, False, False, ONE_BTC, 20)
    (pos,) = ex.positions(A)
    # margin $5,000; liquidatable when 5,000 + PnL < 2.5 % of notional:
    # (100,000 − 5,000) / 0.975 = $97,435.897… → the first safe tick is $97,435.9
    assert (pos.margin, pos.liq_price) == (5_000 * USDT, 974_359)
    ex.set_index_price(BTC, 974_359)
    ex.tick(NOW)
    assert ex.positions(A)
    ex.set_index_price(BTC, 974_358)
    ex.tick(NOW)
    assert not ex.positions(A)


# -- liquidation split ---------------------------------------------------------------------------


def test_liquidation_split_is_20_30_50() -> None:
    assert split_remaining(1_000, None) == (200, 300, 500)
    assert split_remaining(999, None) == (199, 299, 501)  # rounding goes to the trader
    assert split_remaining(1_000, 50) == (50, 300, 650)  # the fund is 50 below its cap
    assert split_remaining(0, None) == split_remaining(-5, None) == (0, 0, 0)


def test_fund_at_its_cap_leaves_its_share_to_the_trader() -> None:
    ex = make(insurance_fund=1_000 * USDT, insurance_fund_cap=1_000 * USDT)
    ex.place_limit_order(A, BTC, True, False, ONE_BTC, btc(100_000), 20)
    ex.place_market_order(B, BTC, False, False, ONE_BTC, 20)
    trading = ex.trading_balance(A)
    ex.set_index_price(BTC, btc(97_000))
    ex.tick(NOW)
    # remaining 5,000 − 3,000 = $2,000: liquidator 30 % = $600, the trader the other $1,400
    assert ex.insurance_fund_balance() == 1_000 * USDT
    assert ex.trading_balance(A) == trading + 1_400 * USDT


# -- mark price ----------------------------------------------------------------------------------


def test_mark_is_the_index_plus_a_clamped_book_premium() -> None:
    cap = Fraction(5, 1000)
    assert mark_price(100_000, None, None, cap) == 100_000
    assert mark_price(100_000, 99_990, 100_010, cap) == 100_000  # index inside the spread
    assert mark_price(100_000, 100_200, None, cap) == 100_200  # bid 0.2 % above the index
    assert mark_price(100_000, 101_000, None, cap) == 100_500  # clamped at +0.5 %
    assert mark_price(100_000, None, 90_000, cap) == 99_500  # clamped at −0.5 %


def test_one_print_into_an_empty_book_does_not_liquidate() -> None:
    ex = make()
    ex.set_index_price(SOL, 150_000)
    ex.place_limit_order(A, SOL, True, False, 10_000, 150_000, 3)  # 10 SOL, 3x
    ex.place_market_order(B, SOL, False, False, 10_000, 3)
    # a 0.1 SOL print at $50 into the empty book
    ex.place_limit_order(C, SOL, True, False, 100, 50_000, 3)
    ex.place_market_order(B, SOL, False, False, 100, 3)
    assert ex.last_price(SOL) == 50_000 and ex.mark_price(SOL) == 150_000
    ex.tick(NOW)
    assert ex.positions(A)[0].size == 10_000
    assert ex.positions(A)[0].unrealized_pnl == 0


# -- funding -------------------------------------------------------------------------------------


def test_funding_rate_is_the_clamped_mark_index_gap() -> None:
    quantum, bound = Decimal("1e-8"), Decimal("0.0005")
    assert funding_rate(100_020, 100_000, bound, quantum) == Decimal("0.0002")
    assert funding_rate(100_500, 100_000, bound, quantum) == bound
    assert funding_rate(99_999, 100_000, bound, quantum) == Decimal("-0.00001")


def test_distribute_hands_rounding_residue_to_the_largest_remainders() -> None:
    assert distribute(10, [1, 1, 1]) == [4, 3, 3]
    assert distribute(7, [3, 5]) == [3, 4]  # 2.625 / 4.375: the unit goes to the first
    assert distribute(5, [0, 0]) == [0, 0]
    assert sum(distribute(1_000_003, [7, 11, 13, 17])) == 1_000_003


def test_funding_is_zero_sum_to_the_unit() -> None:
    ex = make()
    apt = 1338
    ex.set_index_price(apt, 5700)
    # one long of 3,001 lots against three shorts of odd sizes
    for wallet, lots in ((B, 1_001), (C, 1_000), ("0xe", 1_000)):
        if wallet == "0xe":
            ex.faucet(wallet, FUNDS)
            ex.deposit(wallet, FUNDS)
        ex.place_limit_order(wallet, apt, False, False, lots, 5700, 10)
    ex.place_market_order(A, apt, True, False, 3_001, 10)
    ex.place_limit_order(C, apt, True, False, 500, 5703, 10)  # bid 3 above: mark 5703
    applied = next(r for r in ex.apply_funding(NOW) if r.market_id == apt)
    assert applied.rate == Decimal("0.0005")  # 3 / 5700 = 0.0526 %, clamped to 0.05 %
    payments = [(p.wallet[-1], p.amount) for w in (A, B, C, "0xe") for p in ex.funding_history(w)]
    assert len(payments) == 4
    # the long pays floor(3,001 × 5,703 × 0.0005) = 8,557; pro rata the shorts get 2,854.23,
    # 2,851.38 and 2,851.38: floors sum to 8,556, the last unit goes to the first .38
    assert sorted(payments) == [("a", -8_557), ("b", 2_854), ("c", 2_852), ("e", 2_851)]
    assert sum(amount for _, amount in payments) == 0
    check_conservation(ex)


# -- order ids and sizes ---------------------------------------------------------------------------


def test_mainnet_order_ids_have_a_counter_and_the_price_in_ticks() -> None:
    tx = json.loads((CHAIN / "cancel_multiple_orders.mainnet.json").read_text())
    ids = [int(i) for i in tx["payload"]["arguments"][1]]
    assert ids == [0x85BABD001200860001CBBA, 0x85BABE000C005F0001CC19]
    assert [i >> 64 for i in ids] == [8_764_093, 8_764_094]  # consecutive: a counter
    assert [i & 0xFFFFFFFF for i in ids] == [117_690, 117_785]  # BTC bid / ask in $1 ticks
    burn = next(e for e in tx["events"] if e["type"].endswith("::QuoteAssetBurnEvent"))
    assert int(burn["data"]["amount"]) % 117_690 == 0  # the bid's quote locked at its price
    # the sim mints the same layout, with the market id in the middle 32 bits
    assert order_id(8_764_093, 15, 117_690) == 0x85BABD_0000000F_0001CBBA


def test_sim_order_ids_count_per_market_and_stay_unique() -> None:
    ex = make()
    first = ex.place_limit_order(A, BTC, True, False, 10, btc(90_000), 10)
    second = ex.place_limit_order(A, BTC, True, False, 10, btc(90_001), 10)
    other = ex.place_limit_order(A, 1340, True, False, 30, 300_000, 10)
    assert [o.order_id >> 64 for o in (first, second, other)] == [1, 2, 1]
    assert [o.order_id & 0xFFFFFFFF for o in (first, second)] == [900_000, 900_010]
    assert (other.order_id >> 32) & 0xFFFFFFFF == 1340
    ex.place_limit_order(B, BTC, False, False, 10, btc(95_000), 10)
    market = ex.place_market_order(C, BTC, True, False, 10, 10)
    assert market.order_id & 0xFFFFFFFF == 0 and market.order_id >> 64 == 4
    ids = [o.order_id for w in (A, B, C) for o in ex.order_history(w)]
    assert len(set(ids)) == len(ids) and all(i > 2**64 for i in ids)


def test_order_size_is_never_modified() -> None:
    assert not [n for n in ENTRY_FUNCTIONS if "modify" in n or "amend" in n or "edit" in n]
    assert not [n for n in dir(Exchange) if "modify" in n or "amend" in n or "resize" in n]
    ex = make()
    events: list[Event] = []
    ex.subscribe(events.append)
    order = ex.place_limit_order(A, BTC, True, False, 1_000, btc(90_000), 10)
    ex.place_market_order(B, BTC, False, False, 400, 10)
    ex.cancel_orders(A, BTC, [order.order_id], [True])
    again = ex.place_limit_order(A, BTC, True, False, 600, btc(90_000), 10)  # re-place the rest
    sizes = {
        e.order.total_size
        for e in events
        if isinstance(e, OrderEvent) and e.order.order_id == order.order_id
    }
    assert sizes == {1_000} and again.order_id != order.order_id


# -- the house accounts are ordinary accounts ------------------------------------------------------


@pytest.mark.anyio
async def test_insurance_fund_and_liquidator_show_in_the_normal_views() -> None:
    async with Simulator(
        seed=5, market_maker=False, tick_interval=60, insurance_fund=Decimal("2500.5")
    ) as sim:
        assert sim.insurance_fund_balance == Decimal("2500.5")
        ex = sim.exchange
        a, b = sim.new_account(), sim.new_account()
        for acct in (a, b):
            ex.deposit(acct.address, 10_000 * USDT)
        ex.set_index_price(BTC, btc(100_000))
        ex.place_limit_order(a.address, BTC, True, False, ONE_BTC // 10, btc(100_000), 20)
        ex.place_market_order(b.address, BTC, False, False, ONE_BTC // 10, 20)
        ex.set_index_price(BTC, btc(97_000))
        ex.tick(NOW)
        # remaining $500 − $300 = $200: the fund gets $40, the liquidator $60 and the position
        async with httpx.AsyncClient(base_url=sim.network.rest_url) as http:

            async def data(path: str, **params: object) -> object:
                reply = await http.get(path, params=params)
                assert reply.status_code == 200, reply.text
                return reply.json()["data"]

            fund = await data("/getProfileBalanceSnapshot", userAddress=INSURANCE_FUND_ADDRESS)
            assert Decimal(str(fund)) == Decimal("2540.5") == sim.insurance_fund_balance
            (took,) = await data("/getPositions", userAddress=LIQUIDATOR_ADDRESS)  # type: ignore[misc]
            assert (took["trade_side"], Decimal(str(took["size"]))) == (True, Decimal("0.1"))
            trades = await data("/getTradeHistory", userAddress=a.address)
            assert isinstance(trades, list) and trades[0]["order_type"] == 5


# -- losses beyond margin, and what happens when nobody can pay them -------------------------------


def test_a_close_beyond_margin_is_paid_by_the_fund_or_aborts() -> None:
    for fund in (1_000 * USDT, 0):
        ex = make(insurance_fund=fund)
        ex.place_limit_order(A, BTC, True, False, ONE_BTC // 10, btc(100_000), 20)
        ex.place_market_order(B, BTC, False, False, ONE_BTC // 10, 20)  # A long, margin $500
        ex.place_limit_order(C, BTC, True, False, ONE_BTC // 10, btc(90_000), 10)
        trading = ex.trading_balance(A)
        if fund:
            # selling into a $90,000 bid loses $1,000: $500 beyond the margin, paid by the
            # fund; the fee is waived (nothing is left to pay it from)
            ex.place_market_order(A, BTC, True, True, ONE_BTC // 10, 20)
            assert ex.trades(A)[-1].fee == 0 and ex.trading_balance(A) == trading
            assert ex.insurance_fund_balance() == fund - 500 * USDT
        else:
            with pytest.raises(MoveAbort) as exc:
                ex.place_market_order(A, BTC, True, True, ONE_BTC // 10, 20)
            assert exc.value.code == 1109 and ex.positions(A)[0].size == ONE_BTC // 10


def test_without_liquidator_capital_the_position_is_deleveraged_at_the_mark() -> None:
    ex = make(liquidator_capital=0)
    ex.place_limit_order(A, BTC, True, False, ONE_BTC, btc(100_000), 20)
    ex.place_market_order(B, BTC, False, False, ONE_BTC, 20)
    ex.set_index_price(BTC, btc(97_000))
    ex.tick(NOW)
    assert ex.positions(A) == [] and ex.positions(B) == []
    adl = ex.trades(B)[-1]
    assert (adl.price, adl.pnl) == (btc(97_000), 3_000 * USDT)  # not bankrupt: at the mark
    assert ex.positions(LIQUIDATOR_ADDRESS) == []


def test_a_liquidation_nobody_can_pay_waits_until_the_fund_is_topped_up() -> None:
    apt = 1338
    ex = make(insurance_fund=0, liquidator_capital=0)
    d = "0xd"
    ex.faucet(d, FUNDS)
    ex.deposit(d, FUNDS)
    ex.place_limit_order(A, apt, True, False, 1_000, 5750, 20)
    ex.place_market_order(B, apt, False, False, 1_000, 20)  # A long @5.75, B short
    ex.place_limit_order(B, apt, False, True, 1_000, 4000, 20)
    ex.place_market_order(d, apt, False, False, 1_000, 20)  # B buys back @4, D short @4
    ex.set_index_price(apt, 5000)
    # A (long from 5.75) and D (short from 4) are both bankrupt at 5 and each is the other's
    # only counterparty: deleveraging either against the other leaves a loss nobody can pay
    ex.tick(NOW)
    assert [len(ex.positions(w)) for w in (A, d)] == [1, 1]
    ex.faucet(C, 2_000 * USDT)
    ex.deposit(C, 2_000 * USDT, beneficiary=INSURANCE_FUND_ADDRESS)  # someone tops the fund up
    ex.tick(NOW)
    assert ex.positions(A) == [] and ex.positions(d) == []
    check_conservation(ex)


def test_the_liquidator_unwinds_into_the_book_within_one_percent_of_the_mark() -> None:
    ex = make()
    ex.place_limit_order(A, BTC, True, False, ONE_BTC, btc(100_000), 20)
    ex.place_market_order(B, BTC, False, False, ONE_BTC, 20)
    ex.set_index_price(BTC, btc(97_000))
    ex.tick(NOW)
    assert ex.positions(LIQUIDATOR_ADDRESS)[0].size == ONE_BTC  # took A's long over
    ex.place_limit_order(C, BTC, True, False, ONE_BTC // 2, btc(95_000), 10)  # 2.1 % below
    ex.tick(NOW)
    assert ex.positions(LIQUIDATOR_ADDRESS)[0].size == ONE_BTC
    ex.place_limit_order(C, BTC, True, False, ONE_BTC // 4, btc(96_100), 10)  # 0.93 % below
    ex.tick(NOW)
    (left,) = ex.positions(LIQUIDATOR_ADDRESS)
    assert left.size == ONE_BTC * 3 // 4
    unwind = ex.trades(LIQUIDATOR_ADDRESS)[-1]
    assert (unwind.price, unwind.is_maker) == (btc(96_100), False)
    assert unwind.fee == 96_100 * USDT // 4 * 5 // 10_000  # the usual taker fee


@pytest.mark.anyio
async def test_simulator_moves_the_index_and_the_maker_follows() -> None:
    async with Simulator(seed=8, tick_interval=3600) as sim:
        sim.set_index_price(1338, "6.2")
        assert sim.exchange.index_price(1338) == 6200
        sim.driver.step()  # the maker walks on from the new index, not from its old mid
        assert abs(sim.exchange.index_price(1338) - 6200) < 62
        with pytest.raises(ValueError):
            sim.set_index_price(1338, "6.2005")  # off the $0.001 tick


@settings(max_examples=300, deadline=None)
@given(
    total=st.integers(0, 10**15),
    weights=st.lists(st.integers(0, 10**12), min_size=1, max_size=12),
)
def test_distribute_is_exact_and_within_one_unit_of_pro_rata(
    total: int, weights: list[int]
) -> None:
    parts = distribute(total, weights)
    whole = sum(weights)
    if not whole:
        assert parts == [0] * len(weights)
        return
    assert sum(parts) == total
    for part, weight in zip(parts, weights, strict=True):
        exact = Fraction(total * weight, whole)
        assert exact - 1 < part < exact + 1


@given(remaining=st.integers(-(10**12), 10**15), room=st.none() | st.integers(0, 10**15))
def test_liquidation_split_always_adds_up(remaining: int, room: int | None) -> None:
    fund, liquidator, trader = split_remaining(remaining, room)
    assert fund + liquidator + trader == max(0, remaining)
    assert min(fund, liquidator, trader) >= 0
    if remaining > 0 and room is None:
        assert fund == remaining * 20 // 100 and liquidator == remaining * 30 // 100
