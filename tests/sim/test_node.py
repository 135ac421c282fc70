"""The fake Aptos node over real sockets: validation, sequence numbers, faults, long poll."""

from __future__ import annotations

import random
import time
from typing import Any

import anyio
import httpx
import pytest

from kana_async._aptos.signing import Account, SignedTransaction, TransactionSpec, sign_transaction
from kana_async.sim import contract
from kana_async.sim.node import BCS_CONTENT_TYPE
from tests.aptos_support import CHAIN_ID, FN, NodeFixture, served_node

pytestmark = pytest.mark.anyio
BCS = {"content-type": BCS_CONTENT_TYPE}


async def make(
    fx: NodeFixture,
    seq: int,
    *,
    market: int = 7,
    chain_id: int = CHAIN_ID,
    expires_in: int = 30,
    signer: Account | None = None,
    sender: str | None = None,
    gas_price: int = 100,
    max_gas: int = 2000,
    simulate: bool = False,
) -> SignedTransaction:
    """A signed collapse_position(market) transaction."""
    signer = signer or fx.account
    spec = TransactionSpec(
        sender=sender or signer.address,
        sequence_number=seq,
        function=FN["collapse_position"],
        type_arguments=(),
        arguments=(str(market),),
        param_types=("u64",),
        max_gas_amount=max_gas,
        gas_unit_price=gas_price,
        expiration_timestamp_secs=int(time.time()) + expires_in,
        chain_id=chain_id,
    )
    return await sign_transaction(signer, spec, simulate=simulate)


async def post(http: httpx.AsyncClient, fx: NodeFixture, data: bytes) -> httpx.Response:
    return await http.post(f"{fx.url}/transactions", content=data, headers=BCS)


def executed_markets(fx: NodeFixture) -> list[int]:
    return [call[3][0] for call in fx.ledger.calls]


async def test_ledger_info_account_module_and_gas() -> None:
    async with served_node() as fx, httpx.AsyncClient() as http:
        info = (await http.get(fx.url)).json()
        assert info["chain_id"] == CHAIN_ID and info["ledger_version"] == "0"
        account = (await http.get(f"{fx.url}/accounts/{fx.account.address}")).json()
        assert account == {
            "sequence_number": "0",
            "authentication_key": fx.account.address,
        }
        missing = await http.get(f"{fx.url}/accounts/0x1234")
        assert missing.status_code == 404
        assert missing.json()["error_code"] == "account_not_found"
        assert missing.json()["vm_error_code"] is None
        abi = await http.get(f"{fx.url}/accounts/{contract.KANA_PACKAGE}/module/perpetual_scripts")
        names = {f["name"] for f in abi.json()["abi"]["exposed_functions"]}
        assert "place_limit_order" in names
        nomod = await http.get(f"{fx.url}/accounts/{contract.KANA_PACKAGE}/module/nope")
        assert nomod.status_code == 404 and nomod.json()["error_code"] == "module_not_found"
        gas = (await http.get(f"{fx.url}/estimate_gas_price")).json()
        assert gas["gas_estimate"] == 100
        bad = await http.get(f"{fx.url}/accounts/0xzz")
        assert bad.status_code == 400


async def test_submit_executes_and_reports_committed_transaction() -> None:
    async with served_node() as fx, httpx.AsyncClient() as http:
        tx = await make(fx, 0, market=42)
        response = await post(http, fx, tx.bytes)
        assert response.status_code == 202
        assert response.json()["hash"] == tx.hash
        assert response.json()["type"] == "pending_transaction"
        body = (await http.get(f"{fx.url}/transactions/by_hash/{tx.hash}")).json()
        assert body["type"] == "user_transaction" and body["success"] is True
        assert body["vm_status"] == "Executed successfully"
        assert body["sequence_number"] == "0" and body["sender"] == fx.account.address
        assert body["payload"]["arguments"] == ["42"]
        assert int(body["gas_used"]) > 0
        assert fx.ledger.calls == [(fx.account.address, FN["collapse_position"], [], [42], 1)]
        assert fx.node.apt_balance(fx.account.address) == 10**9 - int(body["gas_used"]) * 100
        assert fx.node.sequence_number(fx.account.address) == 1


async def test_move_abort_is_committed_as_failure_with_kana_code() -> None:
    async with served_node() as fx, httpx.AsyncClient() as http:
        fx.ledger.abort = lambda fn, args: 1006
        tx = await make(fx, 0)
        assert (await post(http, fx, tx.bytes)).status_code == 202
        body = (await http.get(f"{fx.url}/transactions/wait_by_hash/{tx.hash}")).json()
        assert body["success"] is False
        assert "E_INVALID_LEVERAGE(0x3ee)" in body["vm_status"]
        assert fx.node.sequence_number(fx.account.address) == 1  # a failed tx still uses its number


@pytest.mark.parametrize(
    ("mutate", "vm_error", "number"),
    [
        ("signature", "INVALID_SIGNATURE", 1),
        ("chain", "BAD_CHAIN_ID", 23),
        ("expired", "TRANSACTION_EXPIRED", 6),
        ("auth_key", "INVALID_AUTH_KEY", 2),
        ("gas_price", "GAS_UNIT_PRICE_BELOW_MIN_BOUND", 15),
        ("balance", "INSUFFICIENT_BALANCE_FOR_TRANSACTION_FEE", 5),
        ("no_account", "SENDING_ACCOUNT_DOES_NOT_EXIST", 7),
        ("max_gas", "MAX_GAS_UNITS_EXCEEDS_MAX_GAS_UNITS_BOUND", 13),
        ("gas_price_high", "GAS_UNIT_PRICE_ABOVE_MAX_BOUND", 16),
    ],
)
async def test_invalid_transactions_are_rejected(mutate: str, vm_error: str, number: int) -> None:
    async with served_node() as fx, httpx.AsyncClient() as http:
        kwargs: dict[str, Any] = {}
        if mutate == "chain":
            kwargs["chain_id"] = CHAIN_ID + 1
        elif mutate == "expired":
            kwargs["expires_in"] = -5
        elif mutate == "auth_key":
            kwargs["signer"] = Account.generate()
            kwargs["sender"] = fx.account.address
        elif mutate == "gas_price":
            kwargs["gas_price"] = 1
        elif mutate == "balance":  # 2,000,000 units at 1,000 octas > the 10 APT held
            kwargs["max_gas"] = 2_000_000
            kwargs["gas_price"] = 1_000
        elif mutate == "max_gas":
            kwargs["max_gas"] = 2_000_001
        elif mutate == "gas_price_high":
            kwargs["gas_price"] = 10_000_000_001
        elif mutate == "no_account":
            kwargs["signer"] = Account.generate()
        tx = await make(fx, 0, **kwargs)
        data = tx.bytes
        if mutate == "signature":
            data = data[:-1] + bytes([data[-1] ^ 1])
        response = await post(http, fx, data)
        assert response.status_code == 400
        body = response.json()
        assert body["error_code"] == "vm_error"
        assert vm_error in body["message"]
        assert body["vm_error_code"] == number
        assert fx.ledger.calls == []
        assert (await http.get(f"{fx.url}/transactions/by_hash/{tx.hash}")).status_code == 404


async def test_garbage_and_wrong_content_type() -> None:
    async with served_node() as fx, httpx.AsyncClient() as http:
        garbage = await post(http, fx, b"\x01\x02\x03")
        assert garbage.status_code == 400 and garbage.json()["error_code"] == "invalid_input"
        tx = await make(fx, 0)
        wrong = await http.post(f"{fx.url}/transactions", content=tx.bytes)
        assert wrong.status_code == 415
        assert fx.ledger.calls == []


async def test_stale_future_and_too_far_sequence_numbers() -> None:
    async with served_node() as fx, httpx.AsyncClient() as http:
        first = await make(fx, 0, market=1)
        assert (await post(http, fx, first.bytes)).status_code == 202
        stale = await post(http, fx, (await make(fx, 0, market=2)).bytes)
        assert stale.status_code == 400
        assert "SEQUENCE_NUMBER_TOO_OLD" in stale.json()["message"]
        assert stale.json()["vm_error_code"] == 3
        too_new = await post(http, fx, (await make(fx, 500, market=3)).bytes)
        assert "SEQUENCE_NUMBER_TOO_NEW" in too_new.json()["message"]
        # A future number is held (pending) until the gap fills.
        future = await make(fx, 2, market=5)
        assert (await post(http, fx, future.bytes)).status_code == 202
        held = (await http.get(f"{fx.url}/transactions/wait_by_hash/{future.hash}")).json()
        assert held["type"] == "pending_transaction"
        # A different transaction for a held number is refused.
        other = await post(http, fx, (await make(fx, 2, market=6)).bytes)
        assert other.json()["error_code"] == "invalid_transaction_update"
        gap = await make(fx, 1, market=4)
        assert (await post(http, fx, gap.bytes)).status_code == 202
        done = (await http.get(f"{fx.url}/transactions/by_hash/{future.hash}")).json()
        assert done["type"] == "user_transaction" and done["success"] is True
        assert executed_markets(fx) == [1, 4, 5]


async def test_identical_resubmission_never_executes_twice() -> None:
    async with served_node() as fx, httpx.AsyncClient() as http:
        held = await make(fx, 1, market=9)
        assert (await post(http, fx, held.bytes)).status_code == 202
        again = await post(http, fx, held.bytes)  # pending: accepted again, same hash
        assert again.status_code == 202 and again.json()["hash"] == held.hash
        first = await make(fx, 0, market=8)
        await post(http, fx, first.bytes)
        replay = await post(http, fx, first.bytes)  # committed: Aptos says too old
        assert "SEQUENCE_NUMBER_TOO_OLD" in replay.json()["message"]
        assert executed_markets(fx) == [8, 9]


async def test_hundred_transactions_out_of_order_execute_in_sequence_order() -> None:
    async with served_node() as fx, httpx.AsyncClient() as http:
        txs = [await make(fx, seq, market=seq) for seq in range(100)]
        order = list(range(100))
        random.Random(7).shuffle(order)
        for seq in order:
            assert (await post(http, fx, txs[seq].bytes)).status_code == 202
        assert executed_markets(fx) == list(range(100))
        versions = [call[4] for call in fx.ledger.calls]
        assert versions == sorted(versions)
        assert fx.node.sequence_number(fx.account.address) == 100


async def test_held_transaction_expires() -> None:
    now = [time.time()]
    async with served_node() as fx, httpx.AsyncClient() as http:
        fx.node.state.clock = lambda: now[0]
        future = await make(fx, 3, expires_in=5)
        assert (await post(http, fx, future.bytes)).status_code == 202
        now[0] += 10
        gone = await http.get(f"{fx.url}/transactions/by_hash/{future.hash}")
        assert gone.status_code == 404
        assert gone.json()["error_code"] == "transaction_not_found"


async def test_wait_by_hash_returns_when_the_transaction_commits() -> None:
    async with served_node(long_poll=10.0) as fx, httpx.AsyncClient() as http:
        held = await make(fx, 1)
        await post(http, fx, held.bytes)
        result: dict[str, Any] = {}

        async def waiter() -> None:
            response = await http.get(f"{fx.url}/transactions/wait_by_hash/{held.hash}")
            result.update(response.json())

        with anyio.fail_after(5):
            async with anyio.create_task_group() as tg:
                tg.start_soon(waiter)
                await anyio.sleep(0.05)
                await post(http, fx, (await make(fx, 0)).bytes)
        assert result["type"] == "user_transaction"
        unknown = await http.get(f"{fx.url}/transactions/wait_by_hash/0x{'ab' * 32}")
        assert unknown.status_code == 404


async def test_faults_on_submission() -> None:
    async with served_node() as fx, httpx.AsyncClient() as http:
        tx0, tx1, tx2, tx3 = [await make(fx, seq, market=seq) for seq in range(4)]
        fx.faults.node_submit_5xx = 1
        assert (await post(http, fx, tx0.bytes)).status_code == 503
        fx.faults.node_submit_429 = 1
        limited = await post(http, fx, tx0.bytes)
        assert limited.status_code == 429 and "retry-after" in limited.headers
        assert fx.ledger.calls == []
        fx.faults.node_drop_request = 1
        with pytest.raises(httpx.RemoteProtocolError):
            await post(http, fx, tx0.bytes)
        assert fx.ledger.calls == []
        fx.faults.node_drop_response = 1
        with pytest.raises(httpx.RemoteProtocolError):
            await post(http, fx, tx0.bytes)
        assert executed_markets(fx) == [0]  # executed although the answer was lost
        fx.faults.node_submit_delay = 0.01
        assert (await post(http, fx, tx1.bytes)).status_code == 202
        assert executed_markets(fx) == [0, 1]
        del tx2, tx3


async def test_simulate() -> None:
    async with served_node() as fx, httpx.AsyncClient() as http:
        sim = await make(fx, 0, simulate=True)
        response = await http.post(
            f"{fx.url}/transactions/simulate", content=sim.bytes, headers=BCS
        )
        assert response.status_code == 200
        assert response.json()[0]["success"] is True
        assert fx.ledger.calls == [] and fx.node.sequence_number(fx.account.address) == 0
        real = await make(fx, 0)
        refused = await http.post(
            f"{fx.url}/transactions/simulate", content=real.bytes, headers=BCS
        )
        assert refused.status_code == 400

        class Simulating:
            def __init__(self) -> None:
                self.version = 0

            def allocate_version(self) -> int:
                return 0

            def execute(self, *args: Any) -> None:
                raise AssertionError("simulate must not execute")

            def simulate(self, sender: str, fn: str, ta: list[str], args: list[Any]) -> None:
                raise contract.MoveAbort(1007, "no liquidity")

        fx.node.state.ledger = Simulating()
        aborted = await http.post(f"{fx.url}/transactions/simulate", content=sim.bytes, headers=BCS)
        assert aborted.json()[0]["success"] is False
        assert "E_INSUFFICIENT_LIQUIDITY_IN_ORDERBOOK" in aborted.json()[0]["vm_status"]


async def test_undecodable_arguments_fail_on_chain() -> None:
    async with served_node() as fx, httpx.AsyncClient() as http:
        spec = TransactionSpec(
            sender=fx.account.address,
            sequence_number=0,
            function=FN["collapse_position"],
            type_arguments=(),
            arguments=(True,),
            param_types=("bool",),  # wrong type for the contract's u64
            max_gas_amount=2000,
            gas_unit_price=100,
            expiration_timestamp_secs=int(time.time()) + 30,
            chain_id=CHAIN_ID,
        )
        tx = await sign_transaction(fx.account, spec)
        assert (await post(http, fx, tx.bytes)).status_code == 202
        body = (await http.get(f"{fx.url}/transactions/by_hash/{tx.hash}")).json()
        assert body["success"] is False
        assert body["vm_status"] == "FAILED_TO_DESERIALIZE_ARGUMENT"
        assert fx.ledger.calls == []


async def test_ledger_crash_is_a_failed_transaction() -> None:
    async with served_node() as fx, httpx.AsyncClient() as http:

        def boom(fn: str, args: list[Any]) -> int | None:
            raise RuntimeError("engine bug")

        fx.ledger.abort = boom
        tx = await make(fx, 0)
        await post(http, fx, tx.bytes)
        body = (await http.get(f"{fx.url}/transactions/by_hash/{tx.hash}")).json()
        assert body["success"] is False
        assert body["vm_status"] == "UNKNOWN_INVARIANT_VIOLATION_ERROR"
