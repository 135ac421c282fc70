"""Property test: random order flow from several wallets keeps the engine's invariants."""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kana_async.sim.contract import MoveAbort
from kana_async.sim.engine import Exchange, OrderRequest, check_conservation

from .helpers import funded_exchange

WALLETS = ("0x1", "0x2", "0x3")
M = 1338
FUNDS = 50_000_000  # $50: small enough that 1109 happens too

wallet_st = st.sampled_from(range(len(WALLETS)))
direction_st = st.sampled_from([False, False, True])  # mostly opening
size_st = st.sampled_from([250, 500, 500, 1000, 1500])  # 250: only closes may be below min_lots
leverage_st = st.sampled_from([10, 10, 10, 20])
limit_st = st.tuples(
    st.just("limit"),
    wallet_st,
    st.booleans(),  # trade side
    direction_st,
    size_st,
    st.integers(5745, 5755),  # price
    leverage_st,
    st.sampled_from([0, 0, 0, 1, 3]),  # restriction
    st.booleans(),  # adapt leverage / closing size to the current position
)
market_st = st.tuples(
    st.just("market"),
    wallet_st,
    st.booleans(),
    direction_st,
    size_st,
    leverage_st,
    st.booleans(),
)
cancel_st = st.tuples(st.just("cancel"), wallet_st, st.integers(0, 10))
batch_st = st.tuples(st.just("batch"), wallet_st, st.lists(limit_st, min_size=1, max_size=3))
ops_st = st.lists(st.one_of(limit_st, market_st, cancel_st, batch_st), min_size=1, max_size=40)


def snapshot(ex: Exchange) -> tuple[Any, ...]:
    return (
        ex.book(M),
        [ex.order_history(w) for w in WALLETS],
        [ex.positions(w) for w in WALLETS],
        [(ex.trading_balance(w), ex.unsettled_pnl(w)) for w in WALLETS],
        [ex.trades(w) for w in WALLETS],
        ex.market_trades(M, 10_000),
        check_conservation(ex),
    )


def adapt(
    ex: Exchange, w: str, side: bool, direction: bool, size: int, lev: int
) -> tuple[int, int]:
    """Use the position's leverage, and close at most what is available."""
    for p in ex.positions(w, M):
        if p.trade_side == side:
            if direction and p.available_order_size:
                size = min(size, p.available_order_size)
            return size, p.leverage
    return size, lev


def run(ex: Exchange, op: tuple[Any, ...]) -> None:
    kind, w = op[0], WALLETS[op[1]]
    if kind == "limit":
        _, _, side, direction, size, price, lev, restriction, fit = op
        if fit:
            size, lev = adapt(ex, w, side, direction, size, lev)
        ex.place_limit_order(w, M, side, direction, size, price, lev, restriction)
    elif kind == "market":
        _, _, side, direction, size, lev, fit = op
        if fit:
            size, lev = adapt(ex, w, side, direction, size, lev)
        ex.place_market_order(w, M, side, direction, size, lev)
    elif kind == "cancel":
        mine = ex.open_orders(w, M)
        if mine:
            o = mine[op[2] % len(mine)]
            ex.cancel_orders(w, M, [o.order_id], [o.trade_side])
        else:
            ex.cancel_orders(w, M, [op[2] + 1], [True])
    else:
        reqs = [OrderRequest(True, s, d, z, p, lv, r) for _, _, s, d, z, p, lv, r, _ in op[2]]
        ex.place_orders(w, M, reqs)


def check_invariants(ex: Exchange) -> None:
    bids, asks = ex.book(M)
    if bids and asks:
        assert bids[0][0] < asks[0][0], "crossed book"
    assert all(size > 0 for _, size in bids + asks)
    report = check_conservation(ex)
    assert report.long_lots[M] == report.short_lots[M]
    # Self-trade prevention: no trade has the same wallet on both sides.
    assert all(t.maker_address != t.taker_address for t in ex.market_trades(M, 10_000))
    long_basis = short_basis = 0
    resting: dict[tuple[bool, int], int] = {}
    for w in WALLETS:
        assert ex.trading_balance(w) >= 0 and ex.unsettled_pnl(w) >= 0
        open_ids = {o.order_id for o in ex.open_orders(w)}
        for o in ex.order_history(w):
            assert o.remaining_size >= 0 and o.filled_size + o.remaining_size == o.total_size
            if o.status == "Filled":
                assert o.remaining_size == 0 and o.order_id not in open_ids
            elif o.status == "Open":
                assert o.filled_size == 0 and o.order_id in open_ids
            elif o.status == "Partially Filled":
                assert 0 < o.remaining_size < o.total_size and o.order_id in open_ids
            else:
                assert o.status == "Cancelled" and o.remaining_size > 0
                assert o.order_id not in open_ids
            if o.order_id in open_ids:
                key = (o.is_buy, o.price)
                resting[key] = resting.get(key, 0) + o.remaining_size
        for p in ex.positions(w):
            assert p.size > 0 and 0 <= p.available_order_size <= p.size and p.margin >= 0
            closing = sum(
                o.remaining_size
                for o in ex.open_orders(w, M)
                if o.direction and o.trade_side == p.trade_side
            )
            assert p.available_order_size == p.size - closing
            if p.trade_side:
                long_basis += p.value
            else:
                short_basis += p.value
        assert ex.wallet_balance(w) >= 0
    assert dict(((True, p), s) for p, s in bids) | dict(((False, p), s) for p, s in asks) == resting
    # The engine's resting-opening-order leverage index matches the open orders (internal).
    index: dict[tuple[str, int, bool], tuple[int, int]] = {}
    for w in WALLETS:
        for o in ex.open_orders(w):
            if not o.direction:
                lev, n = index.get((o.wallet, o.market_id, o.trade_side), (o.leverage, 0))
                assert lev == o.leverage
                index[(o.wallet, o.market_id, o.trade_side)] = (lev, n + 1)
    assert ex._s.open_leverage == index
    # Realised PnL is zero-sum: what open positions hold beyond their margin (their unrealised
    # PnL, the same at any mark since long = short) is exactly what closed trades took out.
    assert check_conservation(ex).open_pnl == short_basis - long_basis


@settings(max_examples=70, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=ops_st)
def test_random_order_flow_keeps_invariants(ops: list[tuple[Any, ...]]) -> None:
    play(ops)


def play(ops: Iterable[tuple[Any, ...]]) -> Exchange:
    """Run ``ops`` on a fresh exchange, checking atomicity and the invariants after each."""
    ex = funded_exchange(WALLETS, faucet=FUNDS, deposit=FUNDS)
    for op in ops:
        before = snapshot(ex)
        try:
            run(ex, op)
        except MoveAbort:
            assert snapshot(ex) == before, "an aborted transaction changed state"
        check_invariants(ex)
    return ex


def random_op(rng: random.Random) -> tuple[Any, ...]:
    """A plausible operation: mostly opening orders near the mid, closes of real positions."""
    w = rng.randrange(len(WALLETS))
    side, fit = rng.random() < 0.5, rng.random() < 0.9
    size, lev = rng.choice([250, 500, 500, 1000]), rng.choice([10, 10, 20])
    roll = rng.random()
    if roll < 0.1:
        return ("cancel", w, rng.randrange(10))
    direction = roll > 0.7
    if roll < 0.45:
        return ("limit", w, side, direction, size, rng.randint(5745, 5755), lev, 0, fit)
    return ("market", w, side, direction, size, lev, fit)


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_long_random_sessions_keep_invariants(seed: int) -> None:
    rng = random.Random(seed)
    ex = play(random_op(rng) for _ in range(100))
    assert ex.market_trades(M)  # the session really traded
