"""The node's events alone tell each account's open orders and fills, after random trading."""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

import httpx
import pytest

from kana_async.sim.server import Simulator
from tests.sim.chain_support import Key, run, trader

pytestmark = pytest.mark.anyio

MARKET = 1338


def _suffix(event: dict[str, Any]) -> str:
    return "::".join(event["type"].rsplit("::", 2)[-2:])


async def test_events_replay_to_the_engines_open_orders_and_fills() -> None:
    rng = random.Random(11)
    async with Simulator(market_maker=False) as sim, httpx.AsyncClient(timeout=10) as http:
        spec = sim.markets[MARKET]
        keys = [trader(sim, 9_000 * 10**6) for _ in range(3)]
        mid, lot = spec.initial_ticks, spec.min_lots
        events: list[dict[str, Any]] = []

        def open_ids(key: Key) -> list[int]:
            return [o.order_id for o in sim.exchange.open_orders(key.address)]

        for _ in range(120):
            key = rng.choice(keys)
            side = rng.random() < 0.5
            price = mid + rng.randint(-3, 3) * spec.tick_size
            size = lot * rng.randint(1, 3)
            roll = rng.random()
            if roll < 0.45:
                args: tuple[Any, ...] = (MARKET, side, False, size, price, 2, 0, 0, 0)
                tx = await run(sim, http, key, "place_limit_order", *args)
            elif roll < 0.6:
                tx = await run(
                    sim, http, key, "place_market_order", MARKET, side, False, size, 2, 0, 0
                )
            elif roll < 0.75:
                tx = await run(
                    sim,
                    http,
                    key,
                    "place_multiple_orders",
                    MARKET,
                    [True, True],
                    [side, not side],
                    [False, False],
                    [size, size],
                    [price, price + spec.tick_size],
                    [2, 2],
                    [0, 0],
                    [0, 0],
                    [0, 0],
                )
            else:
                mine = [o for o in sim.exchange.open_orders(key.address)]
                if not mine:
                    continue
                victim = rng.choice(mine)
                tx = await run(
                    sim,
                    http,
                    key,
                    "cancel_and_place_multiple_orders",
                    MARKET,
                    [victim.order_id],
                    [victim.trade_side],
                    [True],
                    [side],
                    [False],
                    [size],
                    [price],
                    [2],
                    [0],
                    [0],
                    [0],
                )
            if not tx["success"]:
                assert tx["events"] == []
            events.extend(tx["events"])

        placed: dict[str, dict[str, Any]] = {}
        filled: dict[str, int] = defaultdict(int)
        cancelled: set[str] = set()
        trades: dict[str, list[bool]] = defaultdict(list)
        for event in events:
            data = event["data"]
            kind = _suffix(event)
            if kind == "perpetual_core::PlaceOrderEvent":
                assert data["order_id"] not in placed
                placed[data["order_id"]] = data
            elif kind == "perpetual_core::FillEvent":
                assert data["order_id"] in placed  # placed before any fill of it
                filled[data["order_id"]] += int(data["size"])
                trades[data["trade_id"]].append(data["is_maker"])
            elif kind == "perpetual_core::CancelOrderEvent":
                assert data["order_id"] in placed and data["order_id"] not in cancelled
                cancelled.add(data["order_id"])
        assert len(placed) > 50 and len(trades) > 10 and len(cancelled) > 5
        assert all(sorted(sides) == [False, True] for sides in trades.values())
        for key in keys:
            profile = sim.exchange.profile_address(key.address)
            mine = {i: p for i, p in placed.items() if p["profile_address"] == profile}
            from_events = {
                int(i) for i, p in mine.items() if i not in cancelled and filled[i] < int(p["size"])
            }
            assert from_events == set(open_ids(key))
            for order in sim.exchange.order_history(key.address):
                assert filled[str(order.order_id)] == order.filled_size
