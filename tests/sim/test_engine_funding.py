"""Funding rate estimate: the gap between the mark (index + bounded book premium) and the index."""

from __future__ import annotations

import json
from decimal import Decimal

import anyio
import pytest
from websockets.asyncio.client import connect

from kana_async.sim.engine import Exchange
from kana_async.sim.server import Simulator

from .helpers import funded_exchange

A, B = "0xa", "0xb"
M = 1338
CLAMP = Decimal("0.0005")


def rate(ex: Exchange) -> Decimal:
    (found,) = [r.rate for r in ex.funding_rates() if r.market_id == M]
    return found


def make() -> Exchange:
    return funded_exchange((A, B), faucet=10**12, deposit=10**12)


def test_rate_is_zero_while_the_index_lies_inside_the_spread() -> None:
    ex = make()
    ex.set_index_price(M, 5750)
    ex.place_limit_order(A, M, True, False, 500, 5746, 10)
    ex.place_limit_order(A, M, False, False, 500, 5754, 10)
    ex.place_limit_order(B, M, False, False, 500, 5748, 10)
    ex.place_market_order(A, M, True, False, 500, 10)  # last trade 5748 ≠ index
    assert ex.last_price(M) == 5748
    assert ex.funding_rates()[0].mark_price == 5750  # a trade does not move the mark
    assert rate(ex) == 0


def test_rate_follows_the_side_of_the_book_beyond_the_index() -> None:
    ex = make()
    ex.set_index_price(M, 5000)
    ex.place_limit_order(A, M, True, False, 500, 5001, 10)  # bid above the index: longs pay
    assert rate(ex) == Decimal("0.0002")
    ex.set_index_price(M, 6000)
    assert rate(ex) == 0  # the lone bid is below the index
    ex.place_limit_order(B, M, False, False, 500, 5998, 10)  # ask below the index: shorts pay
    assert rate(ex) == Decimal("-0.00033333")
    ex.set_index_price(M, 10_000)
    assert rate(ex) == -CLAMP  # clamped


def test_empty_book_mark_is_the_index_whatever_the_last_trade() -> None:
    ex = make()
    ex.set_index_price(M, 5750)
    assert rate(ex) == 0  # no trade, no book: the mark is the index
    ex.place_limit_order(A, M, True, False, 500, 5751, 10)
    assert rate(ex) == Decimal("0.00017391")  # bid 1 above: (5751 − 5750) / 5750, rounded down
    ex.place_market_order(B, M, False, False, 500, 10)
    assert ex.book(M) == ([], []) and ex.last_price(M) == 5751
    assert ex.mark_price(M) == 5750 and rate(ex) == 0


@pytest.mark.anyio
async def test_simulator_funding_rates_start_near_zero() -> None:
    async with Simulator(seed=3, tick_interval=60) as sim:
        async with connect(sim.network.ws_url) as ws:
            await ws.send(json.dumps({"topic": "live_funding_rate"}))
            with anyio.fail_after(10):
                frame = json.loads(await ws.recv())
        assert frame["message"] == "live_funding_rate"
        rows = frame["data"]
        assert sorted(int(r["market_id"]) for r in rows) == sorted(sim.markets)
        for row in rows:
            assert abs(Decimal(row["funding_rate"])) < CLAMP / 5, row
        for _ in range(30):  # the maker moves its mid, re-quotes and trades
            sim.driver.step()
        assert sim.exchange.market_trades(1338)
        for record in sim.exchange.funding_rates():
            assert abs(record.rate) < CLAMP / 5, record
