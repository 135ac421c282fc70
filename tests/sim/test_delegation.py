"""Delegate keys over the node: they trade for the user, their withdraw aborts, they expire."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from kana_async.sim import contract
from kana_async.sim.server import Simulator
from tests.sim.chain_support import BCS, Key, committed, post, run, sign_raw, trader

pytestmark = pytest.mark.anyio

MARKET = 1338
NOW = [time.time()]


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    NOW[0] = time.time()
    async with Simulator(market_maker=False, clock=lambda: NOW[0]) as running:
        yield running


async def delegated(
    sim: Simulator, http: httpx.AsyncClient, delegate: Key, name: str, user: str, *args: Any
) -> dict[str, Any]:
    fn = contract.DELEGATED_FUNCTIONS[name]
    signed = sign_raw(
        delegate,
        delegate.address,
        fn.function_id,
        fn.params,
        (user, *args),
        seq=sim.node.sequence_number(delegate.address),
        type_args=fn.generic_params,
        expires_at=int(NOW[0]) + 60,
    )
    response = await post(sim, http, signed)
    assert response.status_code == 202, response.text
    return await committed(sim, http, signed.hash)


async def test_a_delegate_trades_for_the_user_but_cannot_withdraw(sim: Simulator) -> None:
    spec = sim.markets[MARKET]
    price, size = spec.initial_ticks, spec.min_lots
    user, maker = trader(sim), trader(sim)
    funded = sim.new_delegate(user.address)
    delegate = Key.from_hex(funded.private_key_hex)
    assert funded.profile_address == sim.exchange.profile_address(user.address)
    user_apt = sim.node.apt_balance(user.address)
    async with httpx.AsyncClient(timeout=10) as http:
        tx = await delegated(
            sim,
            http,
            delegate,
            "place_limit_order",
            user.address,
            MARKET,
            True,
            False,
            size,
            price // 2,
            2,
            0,
            0,
            0,
        )
        assert tx["success"] is True, tx["vm_status"]
        assert tx["sender"] == delegate.address
        assert tx["payload"]["function"].endswith("::delegated_scripts::place_limit_order")
        (order,) = sim.exchange.open_orders(user.address)
        place = tx["events"][0]["data"]
        assert place["order_id"] == str(order.order_id)
        assert place["profile_address"] == sim.exchange.profile_address(user.address)
        assert sim.node.apt_balance(user.address) == user_apt  # the delegate paid the gas
        tx = await delegated(
            sim,
            http,
            delegate,
            "cancel_multiple_orders",
            user.address,
            MARKET,
            [order.order_id],
            [True],
        )
        assert tx["success"] is True and sim.exchange.open_orders(user.address) == []
        # Open a long for the user against a resting short, then update it as the delegate.
        await run(
            sim, http, maker, "place_limit_order", MARKET, False, False, size, price, 2, 0, 0, 0
        )
        tx = await delegated(
            sim,
            http,
            delegate,
            "place_market_order",
            user.address,
            MARKET,
            True,
            False,
            size,
            2,
            0,
            0,
        )
        assert tx["success"] is True, tx["vm_status"]
        tx = await delegated(
            sim, http, delegate, "update_take_profit", user.address, MARKET, True, price * 2
        )
        assert tx["success"] is True, tx["vm_status"]
        assert sim.exchange.positions(user.address)[0].take_profit == price * 2
        balance = sim.exchange.trading_balance(user.address)
        tx = await delegated(
            sim, http, delegate, "withdraw_specific_market", user.address, MARKET, 1
        )
        assert tx["success"] is False and "E_NOT_KANA(0x3e9)" in tx["vm_status"]
        assert tx["events"] == [] and sim.exchange.trading_balance(user.address) == balance


async def test_only_the_current_unexpired_delegate_may_act(sim: Simulator) -> None:
    spec = sim.markets[MARKET]
    user, stranger = trader(sim), trader(sim)
    delegate = Key.from_hex(sim.new_delegate(user.address, expires_in=50).private_key_hex)
    args = (MARKET, True, False, spec.min_lots, spec.initial_ticks // 2, 2, 0, 0, 0)
    async with httpx.AsyncClient(timeout=10) as http:
        tx = await delegated(sim, http, stranger, "place_limit_order", user.address, *args)
        assert tx["success"] is False and "E_NOT_KANA" in tx["vm_status"]
        assert (await delegated(sim, http, delegate, "place_limit_order", user.address, *args))[
            "success"
        ] is True
        NOW[0] += 100  # the delegation has expired
        tx = await delegated(sim, http, delegate, "place_limit_order", user.address, *args)
        assert tx["success"] is False and "E_NOT_KANA" in tx["vm_status"]
        assert len(sim.exchange.open_orders(user.address)) == 1


async def test_registration_by_transaction(sim: Simulator) -> None:
    spec = sim.markets[MARKET]
    user = trader(sim)
    delegate = Key.from_hex(sim.new_account(usdt=0).private_key_hex)
    args = (MARKET, True, False, spec.min_lots, spec.initial_ticks // 2, 2, 0, 0, 0)
    async with httpx.AsyncClient(timeout=10) as http:
        tx = await run(sim, http, user, "set_delegate", delegate.address, 0)
        assert tx["success"] is True and tx["gas_used"] == "22"
        tx = await delegated(sim, http, delegate, "place_limit_order", user.address, *args)
        assert tx["success"] is True, tx["vm_status"]
        selfish = await run(sim, http, user, "set_delegate", user.address, 0)
        assert selfish["success"] is False
        assert (await run(sim, http, user, "remove_delegate"))["success"] is True
        tx = await delegated(sim, http, delegate, "place_limit_order", user.address, *args)
        assert tx["success"] is False and "E_NOT_KANA" in tx["vm_status"]
        abi = await http.get(
            f"{sim.network.node_url}/accounts/{contract.KANA_PACKAGE}/module/delegated_scripts"
        )
        functions = {f["name"]: f for f in abi.json()["abi"]["exposed_functions"]}
        assert functions["place_limit_order"]["params"][:3] == ["&signer", "address", "u64"]
        assert "deposit" not in functions
        fn = contract.ENTRY_FUNCTIONS["set_delegate"]
        dry = sign_raw(
            user,
            user.address,
            fn.function_id,
            fn.params,
            (delegate.address, 0),
            seq=sim.node.sequence_number(user.address),
            expires_at=int(NOW[0]) + 60,
            simulation=True,
        )
        answer = await http.post(
            f"{sim.network.node_url}/transactions/simulate", content=dry.bytes, headers=BCS
        )
        assert answer.json()[0]["success"] is True
    assert sim.delegates.of(user.address) is None  # the dry run changed nothing
