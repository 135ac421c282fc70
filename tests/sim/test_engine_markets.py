"""Market specs and their exact unit conversions."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kana_async.sim.markets import DEFAULT_MARKETS, MarketSpec, market_by_id

APT = market_by_id(1338)


def test_default_markets_are_the_testnet_ids() -> None:
    assert [m.market_id for m in DEFAULT_MARKETS] == [1338, 1339, 1340, 2387]
    assert APT.base_name == "APT/USDC"
    assert (APT.lot_size, APT.tick_size, APT.min_lots, APT.max_lots) == (
        100_000,
        1,
        500,
        150_000_000,
    )
    assert (APT.max_leverage, APT.maintenance_margin, APT.quote_precision) == (20, 250, 3)
    for m in DEFAULT_MARKETS:
        assert (m.base_decimals, m.quote_decimals) == (8, 6)
        # prices × 10**quote_precision fit in u64 with room to spare
        assert m.initial_ticks * 1000 < 2**64
        # a lot at the initial price is a small, realistic increment (< $5)
        assert 0 < m.notional_units(1, m.initial_ticks) < 5_000_000
        # every default market values lots × ticks one-to-one in quote units
        assert m.notional_units(7, 13) == 91


def test_market_by_id_unknown() -> None:
    with pytest.raises(KeyError):
        market_by_id(1)


@pytest.mark.parametrize("spec", DEFAULT_MARKETS, ids=lambda m: m.base_name)
def test_round_trips(spec: MarketSpec) -> None:
    ticks = spec.initial_ticks + 3 * spec.tick_size
    assert spec.price_to_ticks(spec.ticks_to_price(ticks)) == ticks
    assert spec.size_to_lots(spec.lots_to_size(12345)) == 12345
    assert spec.amount_to_units(spec.units_to_amount(987654321)) == 987654321


def test_apt_conversions_are_exact() -> None:
    assert APT.price_to_ticks(Decimal("5.75")) == 5750
    assert APT.ticks_to_price(5750) == Decimal("5.750")
    assert APT.size_to_lots(Decimal("1")) == 1000
    assert APT.lots_to_size(500) == Decimal("0.5")
    assert APT.amount_to_units(Decimal("10.5")) == 10_500_000
    assert APT.units_to_amount(611899) == Decimal("0.611899")


def test_off_tick_price_names_nearest_prices() -> None:
    with pytest.raises(ValueError, match=r"5\.750 or 5\.751"):
        APT.price_to_ticks(Decimal("5.7505"))
    btc = market_by_id(1339)
    with pytest.raises(ValueError, match="nearest valid prices"):
        btc.price_to_ticks(Decimal("100000.05"))


def test_bad_size_and_amount() -> None:
    with pytest.raises(ValueError, match=r"nearest valid sizes: 0\.001 or 0\.002"):
        APT.size_to_lots(Decimal("0.0015"))
    with pytest.raises(ValueError, match="more than 6 decimals"):
        APT.amount_to_units(Decimal("0.0000001"))
    with pytest.raises(ValueError, match="finite"):
        APT.price_to_ticks(Decimal("NaN"))


def test_ticks_for_notional_and_zero_lots() -> None:
    assert APT.ticks_for_notional(11500, 2) == 5750
    assert APT.ticks_for_notional(11500, 0) == 0
