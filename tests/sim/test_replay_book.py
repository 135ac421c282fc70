"""Recorded book rows onto the simulator's grid, and the orders that rest them (pure)."""

from __future__ import annotations

from decimal import Decimal

from kana_async.sim.engine import OrderRequest
from kana_async.sim.markets import market_by_id
from kana_async.sim.replay.book import level_orders, levels, recorded_mid, to_grid
from tests.sim.helpers import funded_exchange

APT = market_by_id(1338)  # tick $0.001, lot 0.001 APT, min 0.5 APT, cap $125
WALLET = "0x4e71a7"
OTHER = "0xb0b"


def row(is_ask: bool, price: object, size: object) -> dict[str, object]:
    return {"market_id": "14", "is_ask": is_ask, "price": price, "size": size}


def test_rows_go_onto_the_grid_bids_down_asks_up() -> None:
    rows = [
        row(False, Decimal("5.7409"), "1"),
        row(False, "5.7401", "0.5"),  # the same tick once rounded down: sizes add up
        row(True, Decimal("5.7501"), "2.0009"),
        row(True, "abc", "1"),  # not a price
        row(True, "5.76", "-1"),  # not a size
        row(False, None, "1"),
        "not a row",
    ]
    bids, asks = levels(APT, rows)
    assert bids == {5740: 1500}
    assert asks == {5751: 2000}
    assert recorded_mid(rows) == (Decimal("5.7409") + Decimal("5.7501")) / 2


def test_a_crossed_recording_keeps_its_asks() -> None:
    rows = [row(False, "5.80", "1"), row(False, "5.70", "1"), row(True, "5.75", "1")]
    assert levels(APT, rows) == ({5700: 1000}, {5750: 1000})
    assert recorded_mid([row(True, "5.75", "1")]) is None


def test_to_grid_rounds_to_whole_ticks() -> None:
    assert to_grid(Decimal("1234.5"), 10, up=True) == 1240
    assert to_grid(Decimal("1234.5"), 10, up=False) == 1230
    assert to_grid(Decimal("1230"), 10, up=True) == 1230


def test_levels_close_the_wallets_position_first_then_open() -> None:
    ex = funded_exchange([WALLET, OTHER], faucet=10**9, deposit=10**9)
    ex.place_limit_order(WALLET, 1338, False, False, 1500, 5750, 1)  # short 1.5 APT rests
    ex.place_market_order(OTHER, 1338, True, False, 1500, 1)  # ... and is taken
    (short,) = ex.positions(WALLET, 1338)
    assert (short.trade_side, short.size) == (False, 1500)
    orders, cut = level_orders(APT, {5740: 2000}, {5760: 1000}, ex.positions(WALLET, 1338), [])
    assert orders == [
        OrderRequest(True, False, True, 1500, 5740, 1),  # the bid buys the short back first
        OrderRequest(True, True, False, 500, 5740, 1),  # and opens a long with the rest
        OrderRequest(True, False, False, 1000, 5760, 1),  # the ask opens (more) short
    ]
    assert cut == 0


def test_closing_orders_being_cancelled_free_their_size() -> None:
    ex = funded_exchange([WALLET, OTHER], faucet=10**9, deposit=10**9)
    ex.place_limit_order(WALLET, 1338, False, False, 1000, 5750, 1)
    ex.place_market_order(OTHER, 1338, True, False, 1000, 1)
    resting_close = ex.place_limit_order(WALLET, 1338, False, True, 1000, 5000, 1)
    positions = ex.positions(WALLET, 1338)
    assert positions[0].available_order_size == 0  # all of it is reserved by the resting close
    orders, _ = level_orders(APT, {5700: 1000}, {}, positions, [resting_close])
    assert orders == [OrderRequest(True, False, True, 1000, 5700, 1)]
    assert level_orders(APT, {5700: 1000}, {}, positions, [])[0] == [
        OrderRequest(True, True, False, 1000, 5700, 1)
    ]


def test_opening_levels_are_cut_to_the_position_cap_and_the_minimum() -> None:
    # 100 APT at $5.76 is $576; one opening order may add at most $125 (125_000_000 units).
    orders, cut = level_orders(APT, {5700: 300}, {5760: 100_000}, [], [])
    assert orders == [OrderRequest(True, False, False, 21_701, 5760, 1)]
    assert 21_701 * 5760 <= 125_000_000 < 21_702 * 5760
    assert cut == 2  # the 0.3 APT bid (under 0.5 APT) and the capped ask


def test_shared_room_keeps_a_sides_opening_levels_within_the_cap_together() -> None:
    each, _ = level_orders(APT, {}, {5000: 20_000, 5010: 20_000}, [], [])
    assert [o.size for o in each] == [20_000, 20_000]  # $100 each: each alone fits $125
    together, cut = level_orders(APT, {}, {5000: 20_000, 5010: 20_000}, [], [], shared_room=True)
    assert together == [
        OrderRequest(True, False, False, 20_000, 5000, 1),
        OrderRequest(True, False, False, 25_000_000 // 5010, 5010, 1),  # the $25 left
    ]
    assert cut == 1
