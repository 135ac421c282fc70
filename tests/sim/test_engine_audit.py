"""The conservation audit itself: it passes on a consistent exchange and names what is off."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kana_async.sim.engine import ConservationError, Exchange, check_conservation
from kana_async.sim.engine.core import ExchangeCore
from kana_async.sim.engine.state import EngineState, normalize_address

from .helpers import funded_exchange

A, B = normalize_address("0xa"), normalize_address("0xb")
M = 1338


def traded() -> Exchange:
    ex = funded_exchange((A, B), faucet=10**10, deposit=10**10)
    ex.place_limit_order(A, M, True, False, 1000, 5750, 10)
    ex.place_market_order(B, M, False, False, 1000, 10)
    return ex


def test_consistent_exchange_balances() -> None:
    ex = traded()
    report = check_conservation(ex)
    assert (
        report.total == report.minted == ex.total_collateral()
        and report.long_lots[M] == report.short_lots[M] == 1000
    )
    assert report.fees_collected == 2875 and report.margin == 2 * 575_000


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        (lambda s: s.accounts.trading.__setitem__(A, s.accounts.trading[A] + 1), "holdings"),
        (lambda s: setattr(next(iter(s.positions.values())), "size", 999), "long lots"),
        (lambda s: s.accounts.trading.__setitem__("0xdebt", -5), "negative trading"),
    ],
)
def test_a_discrepancy_is_reported(
    corrupt: Callable[[EngineState], None], message: str, conservation_audit: list[ExchangeCore]
) -> None:
    ex = traded()
    corrupt(ex._s)
    with pytest.raises(ConservationError, match=message):
        check_conservation(ex)
    conservation_audit.remove(ex)  # deliberately broken: the autouse audit must skip it
