"""The big property test: thousands of random actions, price shocks and liquidations, and the
exchange stays a closed system — checked from the public views only.

Several traders act against each other and the house market maker in two markets while the
index (the maker's mid) random-walks and now and then jumps by several percent. Every few hundred
actions, and at the end, the public views must show: long = short in every market; wallets +
trading balances + unsettled PnL + order reservations + position equity (margin + unrealised
PnL) of every account (traders, maker, fee collector, insurance fund, liquidator) = everything
minted, to the unit; every funding round zero-sum; no order's size ever changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import pytest

from kana_async.sim.contract import MoveAbort
from kana_async.sim.engine import (
    ORDER_TYPE_AUTO_DELEVERAGE,
    ORDER_TYPE_LIQUIDATION,
    Event,
    Exchange,
    OrderEvent,
    normalize_address,
)
from kana_async.sim.maker import HOUSE_TAKER, HOUSE_WALLET, MakerConfig, MarketMaker
from kana_async.sim.markets import FEE_ADDRESS, INSURANCE_FUND_ADDRESS, LIQUIDATOR_ADDRESS
from kana_async.sim.server import Simulator

MARKETS = (1338, 2387)
TRADERS = tuple(normalize_address(f"0x{n:x}") for n in range(0x101, 0x107))
HOUSE = (HOUSE_WALLET, HOUSE_TAKER, FEE_ADDRESS, INSURANCE_FUND_ADDRESS, LIQUIDATOR_ADDRESS)
EVERYONE = TRADERS + HOUSE
START = 1_700_000_000
USDT = 10**6


@dataclass
class World:
    """The exchange, the maker, a settable clock and what the run saw."""

    ex: Exchange
    maker: MarketMaker
    rng: random.Random
    now: list[int]
    sizes: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    aborts: Counter[int] = field(default_factory=Counter)
    actions: int = 0


def build(seed: int, insurance_fund: int) -> World:
    now = [START]
    ex = Exchange(clock=lambda: now[0], funding_interval=60, insurance_fund=insurance_fund)
    maker = MarketMaker(
        ex, seed, markets=MARKETS, config=MakerConfig(volatility_bps=20, cross_probability=0.5)
    )
    world = World(ex, maker, random.Random(seed), now)

    def watch(event: Event) -> None:
        if isinstance(event, OrderEvent):
            world.sizes[event.order.order_id].add(event.order.total_size)

    ex.subscribe(watch)
    for wallet in TRADERS:
        ex.faucet(wallet, 20_000 * USDT)
        ex.deposit(wallet, 15_000 * USDT)
    maker.step(now[0])
    return world


def act(w: World) -> None:
    """One random trader action (aborts are part of the game)."""
    ex, rng = w.ex, w.rng
    wallet = rng.choice(TRADERS)
    market = rng.choice(MARKETS)
    spec = ex.market(market)
    mark = ex.mark_price(market)
    side = rng.random() < 0.5
    held = {p.trade_side: p for p in ex.positions(wallet, market)}
    pos = held.get(side)
    leverage = pos.leverage if pos else rng.choice([2, 5, 10, 20])
    lots = spec.min_lots * rng.randint(1, 30)
    roll = rng.random()
    if roll < 0.35:
        ex.place_market_order(wallet, market, side, False, lots, leverage)
    elif roll < 0.55:
        price = max(1, mark + rng.randint(-30, 30) * max(1, mark // 10_000))
        ex.place_limit_order(wallet, market, side, False, lots, price, leverage)
    elif roll < 0.72 and pos and pos.available_order_size:
        close = min(pos.available_order_size, rng.choice([lots, pos.available_order_size]))
        if rng.random() < 0.6:
            ex.place_market_order(wallet, market, side, True, close, leverage)
        else:
            price = max(1, mark + rng.randint(-20, 20) * max(1, mark // 10_000))
            ex.place_limit_order(wallet, market, side, True, close, price, leverage)
    elif roll < 0.85:
        mine = ex.open_orders(wallet, market)
        if mine:
            order = rng.choice(mine)
            ex.cancel_orders(wallet, market, [order.order_id], [order.trade_side])
    elif roll < 0.9 and pos:
        ex.add_margin(wallet, market, side, rng.randint(1, 200) * USDT)
    elif roll < 0.94:
        ex.settle_pnl(wallet, market)
    elif roll < 0.97:
        ex.withdraw(wallet, market, rng.randint(1, 500) * USDT)
    else:
        ex.deposit(wallet, rng.randint(1, 500) * USDT)


def move_prices(w: World, shock: bool) -> None:
    """Time passes (funding every minute), the maker re-quotes; maybe the index jumps."""
    w.now[0] += 13
    if shock:
        for market in MARKETS:
            jump = w.rng.choice([-1, 1]) * w.rng.uniform(0.03, 0.12)
            w.maker.mids[market] = int(w.maker.mids[market] * (1 + jump))
    w.ex.tick(w.now[0])
    w.maker.step(w.now[0])
    w.ex.tick(w.now[0])


def audit_public_views(w: World) -> dict[str, int]:
    """The closed-system checks, from the exchange's public read methods only."""
    ex = w.ex
    held = 0
    long_lots: Counter[int] = Counter()
    short_lots: Counter[int] = Counter()
    for wallet in EVERYONE:
        held += ex.wallet_balance(wallet) + ex.net_profile_balance(wallet)
        held += ex.reserved_margin(wallet)
        for p in ex.positions(wallet):
            assert p.size > 0 and p.margin >= 0 and ex.trading_balance(wallet) >= 0
            # equity = margin + unrealised PnL; with long = short the PnL sums to
            # Σ short value − Σ long value whatever the mark
            held += p.margin + (-p.value if p.trade_side else p.value)
            (long_lots if p.trade_side else short_lots)[p.market_id] += p.size
    for market in MARKETS:
        assert long_lots[market] == short_lots[market], market
    assert held == ex.minted(), (held, ex.minted())
    rounds: Counter[tuple[int, int]] = Counter()
    for wallet in EVERYONE:
        for pay in ex.funding_history(wallet):
            rounds[(pay.market_id, pay.transaction_version)] += pay.amount
    assert all(net == 0 for net in rounds.values()), rounds
    assert all(len(sizes) == 1 for sizes in w.sizes.values())
    return {"funding_rounds_with_payments": len(rounds)}


def run(seed: int, actions: int, insurance_fund: int) -> dict[str, int]:
    w = build(seed, insurance_fund)
    fund_low = insurance_fund
    for i in range(actions):
        try:
            act(w)
        except MoveAbort as exc:
            w.aborts[exc.code] += 1
        if i % 15 == 0:
            move_prices(w, shock=w.rng.random() < 0.08)
            fund_low = min(fund_low, w.ex.insurance_fund_balance())
        if i % 500 == 0:
            audit_public_views(w)
    stats = audit_public_views(w)
    fills = [f for wallet in EVERYONE for f in w.ex.trades(wallet)]
    kinds = Counter(f.order_type for f in fills)
    stats.update(
        actions=actions,
        trades=sum(len(w.ex.market_trades(m, 10**6)) for m in MARKETS),
        liquidations=sum(
            1 for f in fills if f.order_type == ORDER_TYPE_LIQUIDATION and f.wallet in TRADERS
        ),
        taken_over=sum(
            1 for f in w.ex.trades(LIQUIDATOR_ADDRESS) if f.order_type == ORDER_TYPE_LIQUIDATION
        ),
        liquidator_unwind_fills=sum(
            1 for f in w.ex.trades(LIQUIDATOR_ADDRESS) if f.order_type != ORDER_TYPE_LIQUIDATION
        ),
        liquidator_open_lots=sum(p.size for p in w.ex.positions(LIQUIDATOR_ADDRESS)),
        deleveraged_fills=kinds[ORDER_TYPE_AUTO_DELEVERAGE],
        aborts=sum(w.aborts.values()),
        fund_start=insurance_fund,
        fund_low=fund_low,
        fund_end=w.ex.insurance_fund_balance(),
        fees=w.ex.fees_collected(),
        open_interest_lots=sum(
            p.size for wallet in EVERYONE for p in w.ex.positions(wallet) if p.trade_side
        ),
    )
    print(f"seed {seed}: {stats}")  # the numbers the report quotes (pytest -s)
    return stats


@pytest.mark.parametrize(
    ("seed", "insurance_fund"),
    [(11, 1_000_000 * USDT), (12, 20 * USDT)],  # a deep fund, and one that runs dry
)
def test_thousands_of_random_actions_keep_the_system_closed(seed: int, insurance_fund: int) -> None:
    stats = run(seed, 4_000, insurance_fund)
    assert stats["trades"] > 1_000
    assert stats["liquidations"] > 0 and stats["taken_over"] > 0
    assert stats["liquidator_unwind_fills"] > 0  # it hands what it took over back to the book
    assert stats["funding_rounds_with_payments"] > 0
    if insurance_fund < 100 * USDT:
        assert stats["deleveraged_fills"] > 0  # the dry fund made deleveraging happen


@pytest.mark.anyio
async def test_the_books_balance_through_the_rest_api() -> None:
    """The same accounting, read over HTTP from a running simulator after a session."""
    async with Simulator(seed=21, tick_interval=3600, insurance_fund=Decimal(50)) as sim:
        for _ in range(3):  # let the driver's first background step run before the session
            await asyncio.sleep(0)
        ex = sim.exchange
        w = World(ex, sim.maker, random.Random(21), [START])  # type: ignore[arg-type]
        for wallet in TRADERS:
            ex.faucet(wallet, 20_000 * USDT)
            ex.deposit(wallet, 15_000 * USDT)
        for i in range(600):
            with contextlib.suppress(MoveAbort):
                act(w)
            if i % 15 == 0:
                sim.driver.step()
                if w.rng.random() < 0.1:
                    for market in MARKETS:
                        sim.maker.mids[market] = sim.maker.mids[market] * 95 // 100  # type: ignore[union-attr]
                    sim.driver.step()
        for wallet in EVERYONE:  # REST shows no order reservations: rest nothing
            for order in ex.open_orders(wallet):
                ex.cancel_orders(wallet, order.market_id, [order.order_id], [order.trade_side])
        assert any(f.order_type == ORDER_TYPE_LIQUIDATION for t in TRADERS for f in ex.trades(t))
        async with httpx.AsyncClient(base_url=sim.network.rest_url) as http:

            async def data(path: str, **params: object) -> Any:
                reply = await http.get(path, params=params)
                assert reply.status_code == 200, reply.text
                return json.loads(reply.text, parse_float=Decimal)["data"]

            held = Decimal(0)
            long_lots: Counter[str] = Counter()
            short_lots: Counter[str] = Counter()
            for wallet in EVERYONE:
                held += await data("/getWalletAccountBalance", userAddress=wallet)
                held += await data("/getNetProfileBalance", userAddress=wallet)
                for row in await data("/getPositions", userAddress=wallet):
                    value = Decimal(str(row["value"]))
                    held += Decimal(str(row["margin"])) + (-value if row["trade_side"] else value)
                    lots = long_lots if row["trade_side"] else short_lots
                    lots[row["market_id"]] += Decimal(str(row["size"]))
            assert long_lots == short_lots and long_lots
            assert held == Decimal(ex.minted()) / USDT
            fund = await data("/getProfileBalanceSnapshot", userAddress=INSURANCE_FUND_ADDRESS)
            assert fund == sim.insurance_fund_balance
