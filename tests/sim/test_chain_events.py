"""Kana-shaped events on the node's committed transactions, checked field by field."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kana_async.sim import contract
from kana_async.sim.server import Simulator
from tests.sim.chain_support import Key, committed, post, run, sign, trader

pytestmark = pytest.mark.anyio

MARKET = 1338
PKG = contract.KANA_PACKAGE
BOOK = contract.ORDER_BOOK_PACKAGE
ZERO = "0x" + "0" * 64
MAINNET = Path(__file__).parent.parent / "data" / "spec_examples" / "chain"


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(market_maker=False) as running:
        yield running


def kana(name: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "guid": {"creation_number": "0", "account_address": ZERO},
        "sequence_number": "0",
        "type": f"{PKG}::perpetual_core::{name}",
        "data": {"__variant__": "V1", **data},
    }


def book_cancel(profile: str, seq: int, order_id: str, reason: int) -> dict[str, Any]:
    return {
        "guid": {"creation_number": "12", "account_address": profile},
        "sequence_number": str(seq),
        "type": f"{BOOK}::user::CancelOrderEvent",
        "data": {
            "custodian_id": "2",
            "market_id": str(MARKET),
            "order_id": order_id,
            "reason": reason,
            "user": profile,
        },
    }


def profile(sim: Simulator, key: Key) -> str:
    return sim.exchange.profile_address(key.address)


def only_order(sim: Simulator, key: Key) -> str:
    history = sim.exchange.order_history(key.address)
    return str(history[-1].order_id)


def fill_of(sim: Simulator, key: Key) -> tuple[str, str]:
    """(fee, trade_id) of the wallet's last fill, as the engine booked them."""
    fill = sim.exchange.trades(key.address)[-1]
    return str(fill.fee), str(fill.trade_id)


async def test_events_of_rest_fill_cancel_and_market_remainder(sim: Simulator) -> None:
    spec = sim.markets[MARKET]
    price, size = spec.initial_ticks, spec.min_lots * 2
    maker, taker = trader(sim), trader(sim)
    async with httpx.AsyncClient(timeout=10) as http:
        # A short opening limit order that rests.
        tx = await run(
            sim, http, maker, "place_limit_order", MARKET, False, False, size, price, 3, 0, 0, 0
        )
        assert tx["success"] is True, tx["vm_status"]
        seconds = str(int(tx["timestamp"]) // 1_000_000)
        maker_order = only_order(sim, maker)
        placed = {
            "market_id": "1338",
            "order_id": maker_order,
            "order_type": 1,
            "trade_side": False,
            "direction": False,
            "size": str(size),
            "price": str(price),
            "leverage": "3",
            "restriction": 0,
            "profile_address": profile(sim, maker),
            "timestamp": seconds,
        }
        assert tx["events"] == [kana("PlaceOrderEvent", placed)]

        # A long limit order that takes half of it: its placement, then both sides' fills.
        half = size // 2
        tx = await run(
            sim, http, taker, "place_limit_order", MARKET, True, False, half, price, 2, 0, 0, 0
        )
        assert tx["success"] is True, tx["vm_status"]
        seconds = str(int(tx["timestamp"]) // 1_000_000)
        taker_order = only_order(sim, taker)
        maker_fee, trade_id = fill_of(sim, maker)
        taker_fee, taker_trade = fill_of(sim, taker)
        assert taker_trade == trade_id
        assert int(taker_fee) > 0
        common = {"market_id": "1338", "size": str(half), "price": str(price), "trade_id": trade_id}
        assert tx["events"] == [
            kana(
                "PlaceOrderEvent",
                {
                    "market_id": "1338",
                    "order_id": taker_order,
                    "order_type": 1,
                    "trade_side": True,
                    "direction": False,
                    "size": str(half),
                    "price": str(price),
                    "leverage": "2",
                    "restriction": 0,
                    "profile_address": profile(sim, taker),
                    "timestamp": seconds,
                },
            ),
            kana(
                "FillEvent",
                {
                    "market_id": "1338",
                    "order_id": maker_order,
                    "order_type": 1,
                    "trade_side": False,
                    "direction": False,
                    "size": str(half),
                    "price": str(price),
                    "fee": maker_fee,
                    "is_maker": True,
                    "trade_id": trade_id,
                    "profile_address": profile(sim, maker),
                    "timestamp": seconds,
                },
            ),
            kana(
                "FillEvent",
                {
                    **common,
                    "market_id": "1338",
                    "order_id": taker_order,
                    "order_type": 1,
                    "trade_side": True,
                    "direction": False,
                    "fee": taker_fee,
                    "is_maker": False,
                    "profile_address": profile(sim, taker),
                    "timestamp": seconds,
                },
            ),
        ]

        # Cancelling the rest of the maker's order.
        tx = await run(
            sim, http, maker, "cancel_multiple_orders", MARKET, [int(maker_order)], [False]
        )
        assert tx["success"] is True, tx["vm_status"]
        seconds = str(int(tx["timestamp"]) // 1_000_000)
        assert tx["events"] == [
            book_cancel(profile(sim, maker), 0, maker_order, 3),
            kana(
                "CancelOrderEvent",
                {
                    "market_id": "1338",
                    "order_id": maker_order,
                    "order_type": 1,
                    "profile_address": profile(sim, maker),
                    "timestamp": seconds,
                    "trade_side": False,
                },
            ),
        ]

        # A market order larger than the book: placement, fills, the engine cancels the rest.
        await run(
            sim, http, maker, "place_limit_order", MARKET, False, False, size, price, 3, 0, 0, 0
        )
        resting = only_order(sim, maker)
        tx = await run(
            sim, http, taker, "place_market_order", MARKET, True, False, size * 2, 2, 0, 0
        )
        assert tx["success"] is True, tx["vm_status"]
        seconds = str(int(tx["timestamp"]) // 1_000_000)
        market_order = only_order(sim, taker)
        types = [e["type"].rsplit("::", 2)[-2:] for e in tx["events"]]
        assert types == [
            ["perpetual_core", "PlaceOrderEvent"],
            ["perpetual_core", "FillEvent"],
            ["perpetual_core", "FillEvent"],
            ["user", "CancelOrderEvent"],
            ["perpetual_core", "CancelOrderEvent"],
        ]
        maker_fee, trade_id = fill_of(sim, maker)
        taker_fee, _ = fill_of(sim, taker)
        taker_profile, maker_profile = profile(sim, taker), profile(sim, maker)
        assert tx["events"][:3] == [
            kana(
                "PlaceOrderEvent",
                {
                    "market_id": "1338",
                    "order_id": market_order,
                    "order_type": 2,
                    "trade_side": True,
                    "direction": False,
                    "size": str(size * 2),
                    "price": "0",
                    "leverage": "2",
                    "restriction": 0,
                    "profile_address": taker_profile,
                    "timestamp": seconds,
                },
            ),
            *(
                kana(
                    "FillEvent",
                    {
                        "market_id": "1338",
                        "order_id": order_id,
                        "order_type": order_type,
                        "trade_side": side,
                        "direction": False,
                        "size": str(size),
                        "price": str(price),
                        "fee": fee,
                        "is_maker": is_maker,
                        "trade_id": trade_id,
                        "profile_address": who,
                        "timestamp": seconds,
                    },
                )
                for order_id, order_type, side, fee, is_maker, who in (
                    (resting, 1, False, maker_fee, True, maker_profile),
                    (market_order, 2, True, taker_fee, False, taker_profile),
                )
            ),
        ]
        assert tx["events"][3] == book_cancel(profile(sim, taker), 0, market_order, 5)
        assert tx["events"][4] == kana(
            "CancelOrderEvent",
            {
                "market_id": "1338",
                "order_id": market_order,
                "order_type": 2,
                "profile_address": profile(sim, taker),
                "timestamp": seconds,
                "trade_side": True,
            },
        )
        # The same answer by ledger version.
        again = await http.get(f"{sim.network.node_url}/transactions/by_version/{tx['version']}")
        assert again.json() == tx
        missing = await http.get(f"{sim.network.node_url}/transactions/by_version/99999999")
        assert missing.status_code == 404
        bad = await http.get(f"{sim.network.node_url}/transactions/by_version/1e999999")
        assert bad.status_code == 400


async def test_failed_transaction_has_no_events(sim: Simulator) -> None:
    poor = trader(sim, usdt_units=1)
    spec = sim.markets[MARKET]
    async with httpx.AsyncClient(timeout=10) as http:
        tx = await run(
            sim,
            http,
            poor,
            "place_limit_order",
            MARKET,
            True,
            False,
            spec.min_lots * 100,
            spec.initial_ticks,
            2,
            0,
            0,
            0,
        )
        assert tx["success"] is False and tx["events"] == []


async def test_self_trade_prevention_cancels_after_the_taker_is_placed(sim: Simulator) -> None:
    spec = sim.markets[MARKET]
    price, size = spec.initial_ticks, spec.min_lots
    me = trader(sim)
    async with httpx.AsyncClient(timeout=10) as http:
        # One batch: a resting short, then a long that crosses it (removed, not matched).
        tx = await run(
            sim,
            http,
            me,
            "place_multiple_orders",
            MARKET,
            [True, True],
            [False, True],
            [False, False],
            [size, size],
            [price, price],
            [2, 2],
            [0, 0],
            [0, 0],
            [0, 0],
        )
        assert tx["success"] is True, tx["vm_status"]
        first, second = (str(o.order_id) for o in sim.exchange.order_history(me.address)[-2:])
        kinds = [(e["type"].rsplit("::", 1)[-1], e["data"]["order_id"]) for e in tx["events"]]
        assert kinds == [
            ("PlaceOrderEvent", first),
            ("PlaceOrderEvent", second),
            ("CancelOrderEvent", first),
            ("CancelOrderEvent", first),
        ]
        assert tx["events"][2]["data"]["reason"] == 6
        assert tx["events"][2]["sequence_number"] == "0"


def test_the_envelope_matches_the_mainnet_transaction() -> None:
    """The mainnet cancel's Kana event has exactly the keys the simulator emits."""
    mainnet = json.loads((MAINNET / "cancel_multiple_orders.mainnet.json").read_text())
    real = [
        e for e in mainnet["events"] if e["type"].endswith("::perpetual_core::CancelOrderEvent")
    ]
    econia = [e for e in mainnet["events"] if e["type"].endswith("::user::CancelOrderEvent")]
    ours = kana(
        "CancelOrderEvent",
        {
            k: ""
            for k in (
                "market_id",
                "order_id",
                "order_type",
                "profile_address",
                "timestamp",
                "trade_side",
            )
        },
    )
    assert set(real[0]) == set(ours) and set(real[0]["data"]) == set(ours["data"])
    assert real[0]["guid"] == ours["guid"] and real[0]["sequence_number"] == "0"
    assert set(econia[0]["data"]) == set(book_cancel(ZERO, 0, "1", 3)["data"])


async def test_sequence_of_book_cancel_events_counts_per_profile(sim: Simulator) -> None:
    spec = sim.markets[MARKET]
    me = trader(sim)
    async with httpx.AsyncClient(timeout=10) as http:
        seqs = []
        for _ in range(2):
            await run(
                sim,
                http,
                me,
                "place_limit_order",
                MARKET,
                True,
                False,
                spec.min_lots,
                spec.initial_ticks // 2,
                2,
                0,
                0,
                0,
            )
            order = int(only_order(sim, me))
            signed = sign(sim, me, "cancel_multiple_orders", MARKET, [order], [True])
            assert (await post(sim, http, signed)).status_code == 202
            tx = await committed(sim, http, signed.hash)
            seqs.append(tx["events"][0]["sequence_number"])
        assert seqs == ["0", "1"]
