"""Fidelity: the simulator answers like the documented examples (same keys, same JSON types).

``tests/data/spec_examples`` (a copy of the spec's example files) is the ground truth. Where an
example is from an older docs generation, the simulator is compared with the newest shape the
spec documents.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from kana_async.sim.accounts import FundedAccount
from kana_async.sim.server import Simulator

pytestmark = pytest.mark.anyio

EXAMPLES = Path(__file__).parents[1] / "data" / "spec_examples"

#: The newest documented position row (spec §3 #12); the only positions push example is legacy.
POSITION_FIELDS = {
    "address": "string",
    "market_id": "string",
    "leverage": "number",
    "trade_side": "bool",
    "size": "string",
    "available_order_size": "string",
    "value": "string",
    "entry_price": "string",
    "liq_price": "string",
    "margin": "string",
    "tp": ("string", "null"),
    "sl": ("string", "null"),
    "trade_id": "string",
    "last_updated": "number",
    "transaction_version": "number",
}


def example(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text())


def jtype(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def shape(value: dict[str, Any]) -> dict[str, str]:
    return {key: jtype(v) for key, v in value.items()}


def trade(sim: Simulator) -> tuple[FundedAccount, FundedAccount]:
    a, b = sim.new_account(), sim.new_account()
    for acct in (a, b):
        sim.exchange.deposit(acct.address, 2_000 * 10**6)
    sim.exchange.place_limit_order(b.address, 1338, False, False, 10_000, 5758, 20)
    sim.exchange.place_market_order(a.address, 1338, True, False, 10_000, 20)
    return a, b


async def rest(sim: Simulator, path: str, **params: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=sim.network.rest_url) as http:
        response = await http.get(path, params=params)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def recv(ws: ClientConnection) -> dict[str, Any]:
    with anyio.fail_after(10):
        msg: dict[str, Any] = json.loads(await ws.recv())
    return msg


async def test_market_info_matches_the_newest_example(sim: Simulator) -> None:
    newest = example("rest/getMarketInfo.testnet_1338_partial.json")
    got = await rest(sim, "/getMarketInfo", marketId=1338)
    assert shape(got) == shape(newest)
    assert shape(got["data"][0]) == shape(newest["data"][0])
    assert got["message"] == newest["message"]
    # the complete 501-era example: every key it has, the simulator has, with the same type
    older = example("rest/getMarketInfo.json")["data"][0]
    mine = shape(got["data"][0])
    assert {k: mine.get(k) for k in older} == shape(older)


async def test_every_market_has_the_same_shape(sim: Simulator) -> None:
    got = await rest(sim, "/getPerpetualAssetsInfo/allMarkets")
    newest = shape(example("rest/getMarketInfo.testnet_1338_partial.json")["data"][0])
    assert all(shape(m) == newest for m in got["data"])


async def test_profile_address_matches_the_example(sim: Simulator) -> None:
    ex = example("rest/getProfileAddress.json")
    account = sim.new_account()
    got = await rest(sim, "/getProfileAddress", userAddress=account.address)
    assert shape(got) == shape(ex) and got["message"] == ex["message"]


async def test_wallet_balance_is_a_number_in_the_current_envelope(sim: Simulator) -> None:
    legacy = example("rest/getWalletAccountBalance.legacy.json")
    account = sim.new_account()
    got = await rest(sim, "/getWalletAccountBalance", userAddress=account.address)
    assert shape(got) == shape(legacy)  # {success, message, data: number}


async def test_order_history_push_matches_the_example(sim: Simulator) -> None:
    ex = example("ws/order_history.json")
    a, _ = trade(sim)
    async with connect(sim.network.ws_url) as ws:
        await ws.send(json.dumps({"topic": "order_history", "address": a.profile_address}))
        got = await recv(ws)
    assert set(got) == set(ex) and got["message"] == ex["message"]
    assert shape(got["data"][0]) == shape(ex["data"][0])
    assert got["data"][0]["size"] == "10" and got["data"][0]["status"] == "Filled"
    rest_rows = (await rest(sim, "/getOrderHistory", userAddress=a.address))["data"]
    assert shape(rest_rows[0]) == shape(ex["data"][0])


async def test_deposit_withdraw_push_matches_the_example(sim: Simulator) -> None:
    ex = example("ws/deposit_withdraw_history.json")
    a, _ = trade(sim)
    async with connect(sim.network.ws_url) as ws:
        await ws.send(
            json.dumps({"topic": "deposit_withdraw_history", "address": a.profile_address})
        )
        got = await recv(ws)
    assert got["message"] == ex["message"]
    assert shape(got["data"][0]) == shape(ex["data"][0])
    rest_rows = (await rest(sim, "/getDepositAndWithdrawHistory", userAddress=a.address))["data"]
    assert shape(rest_rows[0]) == shape(ex["data"][0])


async def test_positions_subscribe_and_newest_row_shape(sim: Simulator) -> None:
    frame = dict(example("ws/positions.subscribe.json"))
    a, _ = trade(sim)
    async with connect(sim.network.ws_url) as ws:
        await ws.send(json.dumps(frame))  # the documented frame, for an unknown profile
        empty = await recv(ws)
        frame["address"] = a.profile_address
        await ws.send(json.dumps(frame))
        got = await recv(ws)
    assert empty == {"message": "positions", "data": []}
    (row,) = got["data"]
    assert set(row) == set(POSITION_FIELDS)
    for key, kinds in POSITION_FIELDS.items():
        assert jtype(row[key]) in (kinds if isinstance(kinds, tuple) else (kinds,)), key


async def test_every_documented_subscribe_message_is_answered(sim: Simulator) -> None:
    a, _ = trade(sim)
    messages = example("ws/subscribe_messages.json")
    async with connect(sim.network.ws_url) as ws:
        for topic, frame in messages.items():
            filled = {
                k: v.replace("{{user_address}}", a.profile_address).replace("{{market_id}}", "1338")
                for k, v in frame.items()
            }
            await ws.send(json.dumps(filled))
            got = await recv(ws)
            while got["message"] != topic:  # pushes of earlier subscriptions may interleave
                got = await recv(ws)
            assert isinstance(got["data"], list)
