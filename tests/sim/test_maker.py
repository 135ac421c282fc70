"""The seeded house market maker."""

from __future__ import annotations

import dataclasses

import pytest

from kana_async.sim.contract import MoveAbort
from kana_async.sim.engine import Exchange, check_conservation
from kana_async.sim.maker import HOUSE_TAKER, HOUSE_WALLET, MakerConfig, MarketMaker

NOW = 1_700_000_000


def run(seed: int, steps: int, **kw: object) -> tuple[Exchange, MarketMaker]:
    ex = Exchange(clock=lambda: NOW)
    mm = MarketMaker(ex, seed, **kw)  # type: ignore[arg-type]
    for i in range(steps):
        mm.step(NOW + i)
        ex.tick(NOW + i)
    return ex, mm


def test_maker_quotes_every_market_with_a_ladder() -> None:
    ex, mm = run(1, 1, config=MakerConfig(cross_probability=0.0))
    for market_id, spec in ex.markets.items():
        bids, asks = ex.book(market_id)
        assert len(bids) == len(asks) == mm.config.levels
        assert bids[0][0] < asks[0][0]
        assert all(size >= spec.min_lots for _, size in bids + asks)
        mid = mm.mids[market_id]
        assert bids[0][0] < mid < asks[0][0]
    assert ex.trades(HOUSE_TAKER) == []


def test_maker_replaces_quotes_and_creates_trades() -> None:
    ex, mm = run(7, 60)
    for market_id in ex.markets:
        assert len(ex.market_trades(market_id, 1000)) > 0
        bids, asks = ex.book(market_id)
        assert bids and asks and bids[0][0] < asks[0][0]
        # stale quotes were cancelled: only the latest ladder rests
        assert len(ex.open_orders(HOUSE_WALLET, market_id)) <= 2 * mm.config.levels
    check_conservation(ex)
    prices = {t.price for t in ex.market_trades(1338, 1000)}
    assert len(prices) > 3  # the mid moves


def test_maker_is_deterministic_per_seed() -> None:
    a, _ = run(3, 20)
    b, _ = run(3, 20)
    c, _ = run(4, 20)
    assert a.book(1338) == b.book(1338)
    assert [t.price for t in a.market_trades(1338)] == [t.price for t in b.market_trades(1338)]
    assert a.book(1338) != c.book(1338)


def test_maker_limited_to_some_markets_and_sets_index() -> None:
    ex, mm = run(2, 3, markets=[1339])
    assert ex.book(1338) == ([], [])
    assert ex.book(1339)[0]
    assert ex.funding_rates()[1].index_price == mm.mids[1339]


def test_maker_keeps_positions_bounded_by_closing_first() -> None:
    ex, _ = run(11, 150)
    for market_id, spec in ex.markets.items():
        sizes = [p.size for p in ex.positions(HOUSE_TAKER, market_id)]
        total_taker_lots = sum(t.size for t in ex.trades(HOUSE_TAKER, market_id))
        assert sum(sizes) < total_taker_lots or total_taker_lots == 0
        assert all(s <= spec.max_lots for s in sizes)


def test_maker_survives_aborts(caplog: pytest.LogCaptureFixture) -> None:
    ex = Exchange(clock=lambda: NOW)
    mm = MarketMaker(ex, 5, config=MakerConfig(cross_probability=1.0))
    calls = {"n": 0}
    real = ex.cancel_and_place_orders

    def flaky(*args: object, **kw: object) -> object:
        calls["n"] += 1
        if calls["n"] == 1:
            raise MoveAbort(1109, "simulated")
        return real(*args, **kw)  # type: ignore[arg-type]

    ex.cancel_and_place_orders = flaky  # type: ignore[method-assign,assignment]
    mm.step(NOW)  # first market's requote fails, the cross then finds no liquidity (1007)
    mm.step(NOW + 1)
    assert ex.book(1338)[0] and calls["n"] > 1


def test_unknown_market_is_rejected() -> None:
    with pytest.raises(MoveAbort):
        MarketMaker(Exchange(), markets=[1])


def test_maker_quotes_stay_within_max_position_value() -> None:
    # A tiny cap: the maker's position plus its resting opening quotes never exceed it (so no
    # requote aborts), and it quotes both sides at every step and trades.
    cap = 60_000_000  # $60 of APT
    ex = Exchange(clock=lambda: NOW)
    ex.markets[1338] = dataclasses.replace(ex.markets[1338], max_position_value=cap)
    spec = ex.markets[1338]
    mm = MarketMaker(ex, 9, markets=[1338], config=MakerConfig(cross_probability=1.0))
    for i in range(150):
        mm.step(NOW + i)
        ex.tick(NOW + i)
        opening = [o for o in ex.open_orders(HOUSE_WALLET, 1338) if not o.direction]
        for side in (True, False):
            held = sum(p.value for p in ex.positions(HOUSE_WALLET, 1338) if p.trade_side == side)
            quoted = sum(
                spec.notional_units(o.remaining_size, o.price)
                for o in opening
                if o.trade_side == side
            )
            assert held + quoted <= cap
        bids, asks = ex.book(1338)
        assert bids and asks, f"one-sided book after step {i}"  # the house taker leans back
    assert ex.trades(HOUSE_WALLET, 1338)  # the maker really traded
