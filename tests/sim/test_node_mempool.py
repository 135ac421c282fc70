"""The fake node's Aptos limits: mempool cap, far-ahead numbers, expiry, blocks, gas, faults."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from nacl.signing import SigningKey

from kana_async.sim import contract
from kana_async.sim.node.framework import TRANSFER
from kana_async.sim.server import Simulator
from tests.aptos_support import NodeFixture, served_node
from tests.sim.chain_support import BCS, Key, Signed, committed, sign, sign_raw, trader

pytestmark = pytest.mark.anyio

COLLAPSE = contract.ENTRY_FUNCTIONS["collapse_position"]
CANCEL = contract.ENTRY_FUNCTIONS["cancel_multiple_orders"]


@asynccontextmanager
async def node(
    *, blocks: bool = False
) -> AsyncIterator[tuple[NodeFixture, Key, httpx.AsyncClient]]:
    """A served node with one funded key; ``blocks``: transactions wait for produce_block()."""
    async with served_node() as fx, httpx.AsyncClient() as http:
        key = Key.from_hex(bytes(SigningKey(b"\x07" * 32)).hex())
        fx.node.create_account(bytes(key.signing.verify_key))
        fx.node.fund_apt(key.address, 10**9)
        if blocks:
            fx.node.state.block_interval = 3600.0  # no block loop runs: the test cuts blocks
        yield fx, key, http


def collapse(key: Key, seq: int, *, market: int = 7, expires_in: int = 30, **kw: Any) -> Signed:
    return sign_raw(
        key,
        key.address,
        COLLAPSE.function_id,
        COLLAPSE.params,
        (market,),
        seq=seq,
        expires_at=int(time.time()) + expires_in,
        **kw,
    )


async def submit(fx: NodeFixture, http: httpx.AsyncClient, tx: Signed) -> httpx.Response:
    return await http.post(f"{fx.url}/transactions", content=tx.bytes, headers=BCS)


async def status(fx: NodeFixture, http: httpx.AsyncClient, tx: Signed) -> httpx.Response:
    return await http.get(f"{fx.url}/transactions/by_hash/{tx.hash}")


async def test_the_101st_waiting_transaction_is_refused_with_507() -> None:
    async with node(blocks=True) as (fx, key, http):
        txs = [collapse(key, seq, market=seq) for seq in range(101)]
        for tx in txs[:100]:
            assert (await submit(fx, http, tx)).status_code == 202
        full = await submit(fx, http, txs[100])
        assert full.status_code == 507
        assert full.json() == {
            "message": "Mempool over capacity for account. Number of seq number transactions "
            "from account: 100 Capacity per account: 100",
            "error_code": "mempool_is_full",
            "vm_error_code": None,
        }
        assert fx.ledger.calls == []
        assert fx.node.state.produce_block() == 100
        assert [c[3][0] for c in fx.ledger.calls] == list(range(100))
        assert (await submit(fx, http, txs[100])).status_code == 202  # room again


async def test_a_sequence_number_100_ahead_is_too_new() -> None:
    async with node() as (fx, key, http):
        too_new = await submit(fx, http, collapse(key, 100))
        assert too_new.status_code == 400
        assert too_new.json()["vm_error_code"] == 4
        assert "SEQUENCE_NUMBER_TOO_NEW" in too_new.json()["message"]
        ahead = collapse(key, 99)
        assert (await submit(fx, http, ahead)).status_code == 202
        assert (await status(fx, http, ahead)).json()["type"] == "pending_transaction"


async def test_expiry_follows_the_node_clock() -> None:
    now = [time.time()]
    async with node(blocks=True) as (fx, key, http):
        fx.node.state.clock = lambda: now[0]
        ready = collapse(key, 0, expires_in=5)
        assert (await submit(fx, http, ready)).status_code == 202
        now[0] += 10  # it expires while waiting for its block
        assert fx.node.state.produce_block() == 0
        assert (await status(fx, http, ready)).status_code == 404
        assert fx.ledger.calls == [] and fx.node.sequence_number(key.address) == 0
        # Valid by the wall clock, expired by the node's: refused.
        late = await submit(fx, http, collapse(key, 0, expires_in=8))
        assert late.status_code == 400 and late.json()["vm_error_code"] == 6
        # A far expiration does not keep a transaction waiting past the system TTL (600 s).
        patient = collapse(key, 1, expires_in=3600)
        assert (await submit(fx, http, patient)).status_code == 202
        now[0] += 599
        assert (await status(fx, http, patient)).status_code == 200
        now[0] += 2
        assert (await status(fx, http, patient)).status_code == 404


async def test_transactions_commit_in_blocks_with_the_block_timestamp() -> None:
    async with node(blocks=True) as (fx, key, http):
        txs = [collapse(key, seq, market=seq) for seq in range(3)]
        for tx in txs:
            assert (await submit(fx, http, tx)).status_code == 202
        assert (await status(fx, http, txs[0])).json()["type"] == "pending_transaction"
        assert fx.node.sequence_number(key.address) == 0 and fx.ledger.calls == []
        height = int((await http.get(fx.url)).json()["block_height"])
        assert fx.node.state.produce_block() == 3
        bodies = [(await status(fx, http, tx)).json() for tx in txs]
        assert [b["type"] for b in bodies] == ["user_transaction"] * 3
        assert len({b["timestamp"] for b in bodies}) == 1
        versions = [int(b["version"]) for b in bodies]
        assert versions == list(range(versions[0], versions[0] + 3))
        assert int((await http.get(fx.url)).json()["block_height"]) == height + 1
        assert fx.node.state.produce_block() == 0  # nothing waiting: no block


async def test_gas_depends_on_the_function_and_is_charged_at_the_price() -> None:
    async with node() as (fx, key, http):
        before = fx.node.apt_balance(key.address)
        one = collapse(key, 0, gas_price=150)
        await submit(fx, http, one)
        eight = sign_raw(
            key,
            key.address,
            CANCEL.function_id,
            CANCEL.params,
            (7, list(range(8)), [True] * 8),
            seq=1,
            expires_at=int(time.time()) + 30,
        )
        await submit(fx, http, eight)
        first, second = (await status(fx, http, one)).json(), (await status(fx, http, eight)).json()
        assert (first["gas_used"], first["gas_unit_price"]) == ("48", "150")
        assert second["gas_used"] == "172"  # 12 + 8 × 20
        assert fx.node.apt_balance(key.address) == before - 48 * 150 - 172 * 100


async def test_out_of_gas_fails_without_executing_and_charges_the_maximum() -> None:
    async with node() as (fx, key, http):
        before = fx.node.apt_balance(key.address)
        starved = collapse(key, 0, max_gas=20)
        assert (await submit(fx, http, starved)).status_code == 202
        body = (await status(fx, http, starved)).json()
        assert body["success"] is False and body["vm_status"] == "Out of gas"
        assert body["gas_used"] == "20" and body["events"] == []
        assert fx.ledger.calls == [] and fx.node.sequence_number(key.address) == 1
        assert fx.node.apt_balance(key.address) == before - 20 * 100


async def test_restart_loses_the_mempool_and_keeps_history() -> None:
    async with node() as (fx, key, http):
        done, held = collapse(key, 0), collapse(key, 2)
        await submit(fx, http, done)
        await submit(fx, http, held)
        assert fx.node.restart(lose_mempool=True) == 1
        assert (await status(fx, http, held)).status_code == 404
        assert (await status(fx, http, done)).json()["success"] is True
        assert fx.node.sequence_number(key.address) == 1
        await submit(fx, http, collapse(key, 1, market=8))
        assert [c[3][0] for c in fx.ledger.calls] == [7, 8]  # the lost one never ran
        assert fx.node.restart(lose_mempool=False) == 0
        assert (await submit(fx, http, held)).status_code == 202  # the same bytes, re-sent
        assert (await status(fx, http, held)).json()["success"] is True


async def test_lost_submission_is_answered_but_never_executes() -> None:
    async with node() as (fx, key, http):
        fx.faults.node_lose_submission = 1
        stale = await submit(fx, http, collapse(key, 0, chain_id=9))  # refused: not counted
        assert stale.status_code == 400 and fx.faults.node_lose_submission == 1
        lost = collapse(key, 0)
        answer = await submit(fx, http, lost)
        assert answer.status_code == 202 and answer.json()["hash"] == lost.hash
        assert fx.faults.node_lose_submission == 0
        assert (await status(fx, http, lost)).status_code == 404
        assert fx.ledger.calls == [] and fx.node.sequence_number(key.address) == 0
        assert (await submit(fx, http, lost)).status_code == 202  # re-sent, it goes in now
        assert [c[3][0] for c in fx.ledger.calls] == [7]


async def test_zero_transfer_to_oneself_fills_a_hole() -> None:
    async with node() as (fx, key, http):
        behind = collapse(key, 1)
        await submit(fx, http, behind)
        filler = sign_raw(
            key,
            key.address,
            TRANSFER,
            ("address", "u64"),
            (key.address, 0),
            seq=0,
            expires_at=int(time.time()) + 30,
        )
        before = fx.node.apt_balance(key.address)
        assert (await submit(fx, http, filler)).status_code == 202
        body = (await status(fx, http, filler)).json()
        assert body["success"] is True and body["payload"]["function"] == TRANSFER
        assert (await status(fx, http, behind)).json()["success"] is True
        assert fx.node.apt_balance(key.address) == before - (12 + 48) * 100
        abi = await http.get(f"{fx.url}/accounts/0x1/module/aptos_account")
        assert abi.json()["abi"]["exposed_functions"][0]["params"] == ["&signer", "address", "u64"]
        broke = sign_raw(
            key,
            key.address,
            TRANSFER,
            ("address", "u64"),
            ("0x5", 10**12),
            seq=2,
            expires_at=int(time.time()) + 30,
        )
        await submit(fx, http, broke)
        failed = (await status(fx, http, broke)).json()
        assert (
            failed["success"] is False and "EINSUFFICIENT_BALANCE(0x10006)" in failed["vm_status"]
        )


async def test_simulator_block_loop_and_restart() -> None:
    async with Simulator(market_maker=False, block_interval=0.02) as sim:
        me = trader(sim)
        spec = sim.markets[1338]
        async with httpx.AsyncClient(timeout=10) as http:
            tx = sign(
                sim,
                me,
                "place_limit_order",
                1338,
                True,
                False,
                spec.min_lots,
                spec.initial_ticks // 2,
                2,
                0,
                0,
                0,
            )
            await http.post(f"{sim.network.node_url}/transactions", content=tx.bytes, headers=BCS)
            body = await committed(sim, http, tx.hash)
            assert body["success"] is True and body["events"][0]["type"].endswith("PlaceOrderEvent")
            gap = sign(sim, me, "collapse_position", 1338, seq=5)
            await http.post(f"{sim.network.node_url}/transactions", content=gap.bytes, headers=BCS)
            assert sim.restart_node(lose_mempool=True) == 1
            gone = await http.get(f"{sim.network.node_url}/transactions/by_hash/{gap.hash}")
            assert gone.status_code == 404


async def test_account_transactions_page_by_sequence_number() -> None:
    async with node() as (fx, key, http):
        txs = [collapse(key, seq, market=seq) for seq in range(3)]
        for tx in txs:
            await submit(fx, http, tx)
        url = f"{fx.url}/accounts/{key.address}/transactions"
        every = (await http.get(url)).json()
        assert [t["hash"] for t in every] == [t.hash for t in txs]
        assert every[0]["type"] == "user_transaction"
        page = (await http.get(url, params={"start": "1", "limit": "1"})).json()
        assert [t["sequence_number"] for t in page] == ["1"]
        latest = (await http.get(url, params={"limit": "2"})).json()
        assert [t["sequence_number"] for t in latest] == ["1", "2"]
        for bad in ({"limit": "0"}, {"limit": "101"}, {"start": "1e9"}, {"start": "-1"}):
            assert (await http.get(url, params=bad)).status_code == 400
        unknown = await http.get(f"{fx.url}/accounts/0x{'ab' * 32}/transactions")
        assert unknown.status_code == 404


async def test_simulation_reports_gas_in_a_header() -> None:
    async with node() as (fx, key, http):
        dry = sign_raw(
            key,
            key.address,
            COLLAPSE.function_id,
            COLLAPSE.params,
            (7,),
            seq=0,
            expires_at=int(time.time()) + 30,
            simulation=True,
        )
        response = await http.post(
            f"{fx.url}/transactions/simulate", content=dry.bytes, headers=BCS
        )
        assert response.headers["x-aptos-gas-used"] == "48" == response.json()[0]["gas_used"]


async def test_a_lost_submission_can_stay_lost_until_it_expires() -> None:
    now = [time.time()]
    async with node() as (fx, key, http):
        fx.node.state.clock = lambda: now[0]
        fx.faults.node_lose_submission, fx.faults.node_lose_resends = 1, True
        lost, behind = collapse(key, 0, expires_in=20), collapse(key, 1, market=8, expires_in=90)
        for _ in range(3):  # every re-send of the same bytes is lost again
            assert (await submit(fx, http, lost)).status_code == 202
            assert (await status(fx, http, lost)).status_code == 404
        assert (await submit(fx, http, behind)).status_code == 202
        assert fx.ledger.calls == []  # behind waits for the hole
        now[0] += 30  # the lost one is dead for good: a different transaction fills its number
        assert (await submit(fx, http, lost)).json()["vm_error_code"] == 6
        filler = sign_raw(
            key,
            key.address,
            TRANSFER,
            ("address", "u64"),
            (key.address, 0),
            seq=0,
            expires_at=int(now[0]) + 30,
        )
        assert (await submit(fx, http, filler)).status_code == 202
        assert (await status(fx, http, behind)).json()["success"] is True
        assert [c[3][0] for c in fx.ledger.calls] == [8]
