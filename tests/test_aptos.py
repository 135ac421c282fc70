"""Node client, sequence allocator and transaction sender against the fake node (real sockets)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from typing import Any

import anyio
import httpx
import pytest

from kana_async._aptos.abort_codes import KANA_ABORT_CODES, SIMULATOR_ABORT_CODES
from kana_async._aptos.answers import CommittedTransaction
from kana_async._aptos.errors import NodeRefusal
from kana_async._aptos.node import NodeClient
from kana_async._aptos.sender import SendOptions, TransactionSender, result_from_committed
from kana_async._aptos.sequence import SequenceAllocator
from kana_async._aptos.signing import Account, TransactionSpec, sign_transaction
from kana_async._aptos.singleflight import SingleFlight
from kana_async._exceptions import (
    APIStatusError,
    ConnectError,
    InvalidArgumentError,
    MoveAbortError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitError,
    ResponseDecodeError,
    TransactionRejectedError,
)
from kana_async._http import RawResponse
from kana_async.models.payloads import TransactionPayload
from kana_async.models.transactions import (
    PendingTransaction,
    TransactionResult,
    abort_code_name,
    parse_move_abort,
)
from kana_async.sim import contract
from tests.aptos_support import CHAIN_ID, FN, NodeFixture, served_node

pytestmark = pytest.mark.anyio


def payload(name: str, *args: Any, type_args: tuple[str, ...] = ()) -> TransactionPayload:
    return TransactionPayload(function=FN[name], type_arguments=type_args, function_arguments=args)


def limit_order(market: int, leverage: int = 2) -> TransactionPayload:
    return payload(
        "place_limit_order",
        str(market),
        "true",
        "false",
        "10",
        "5500",
        str(leverage),
        "0",
        "0",
        "0",
    )


class Recorder:
    """Counts requests per path on a shared httpx client."""

    def __init__(self) -> None:
        self.paths: Counter[str] = Counter()
        self.bodies: list[bytes] = []

    async def __call__(self, request: httpx.Request) -> None:
        self.paths[request.url.path] += 1
        if request.method == "POST":
            self.bodies.append(request.content)


async def submit(sender: TransactionSender, tx: Any) -> PendingTransaction:
    """Submit ``tx`` and return its pending handle once the node accepted it."""
    return await sender.accepted(await sender.submit(tx))


def sender_for(
    fx: NodeFixture, http: httpx.AsyncClient, *, chain_id: int = CHAIN_ID, **node_kw: Any
) -> TransactionSender:
    node = NodeClient(http, fx.url, retry_backoff=0.001, **node_kw)
    return TransactionSender(node, fx.account, chain_id=chain_id, options=SendOptions())


# -- single flight ------------------------------------------------------------------------------


async def test_abi_fetched_once_for_fifty_concurrent_callers() -> None:
    recorder = Recorder()
    async with served_node() as fx, httpx.AsyncClient(event_hooks={"request": [recorder]}) as http:
        node = NodeClient(http, fx.url)
        results: list[tuple[tuple[str, ...], int]] = []

        async def one() -> None:
            results.append(await node.entry_function_types(FN["place_limit_order"]))

        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                for _ in range(50):
                    tg.start_soon(one)
        module_path = f"/v1/accounts/{contract.KANA_PACKAGE}/module/perpetual_scripts"
        assert recorder.paths[module_path] == 1
        assert len(results) == 50 and len(set(results)) == 1
        assert results[0][0] == contract.ENTRY_FUNCTIONS["place_limit_order"].params
        # Another module is a separate fetch; the first stays cached.
        await node.entry_function_types(FN["faucet_to_address"])
        await node.entry_function_types(FN["deposit"])
        assert recorder.paths[module_path] == 1
        assert recorder.paths[f"/v1/accounts/{contract.KANA_PACKAGE}/module/usdt"] == 1
        # Gas price: cached too.
        assert await node.gas_unit_price() == await node.gas_unit_price() == 100
        assert recorder.paths["/v1/estimate_gas_price"] == 1


async def test_abi_errors_are_shared_then_retried() -> None:
    recorder = Recorder()
    async with served_node() as fx, httpx.AsyncClient(event_hooks={"request": [recorder]}) as http:
        node = NodeClient(http, fx.url)
        bogus = f"{contract.KANA_PACKAGE}::missing::f"
        outcomes = await asyncio.gather(
            *(node.entry_function_types(bogus) for _ in range(5)), return_exceptions=True
        )
        assert all(isinstance(o, NotFoundError) for o in outcomes)
        assert recorder.paths[f"/v1/accounts/{contract.KANA_PACKAGE}/module/missing"] == 1
        with pytest.raises(NotFoundError):
            await node.entry_function_types(bogus)
        assert recorder.paths[f"/v1/accounts/{contract.KANA_PACKAGE}/module/missing"] == 2
        with pytest.raises(InvalidArgumentError, match="no entry function"):
            await node.entry_function_types(f"{contract.KANA_PACKAGE}::perpetual_scripts::nope")
        with pytest.raises(InvalidArgumentError):
            await node.entry_function_types("not-a-function")


async def test_single_flight_survives_a_cancelled_fetcher() -> None:
    flight = SingleFlight()
    gate = asyncio.Event()
    calls = 0

    async def slow() -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            await gate.wait()  # the first fetcher hangs until cancelled
        return 7

    first = asyncio.create_task(flight.get("k", slow))
    await asyncio.sleep(0)
    waiter = asyncio.create_task(flight.get("k", slow))
    await asyncio.sleep(0)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    with anyio.fail_after(5):
        assert await waiter == 7
    assert calls == 2
    assert await flight.get("k", slow) == 7 and calls == 2


async def test_single_flight_ttl_expires() -> None:
    flight = SingleFlight()
    values = iter([1, 2])

    async def fetch() -> int:
        return next(values)

    assert await flight.get("g", fetch, ttl=0.0) == 1
    assert await flight.get("g", fetch, ttl=0.0) == 2


# -- submit and confirm against the node ---------------------------------------------------------


async def test_execute_returns_typed_result() -> None:
    async with served_node() as fx, httpx.AsyncClient() as http:
        sender = sender_for(fx, http)
        result = await sender.execute(limit_order(1338))
        assert result.success is True and result.vm_status == "Executed successfully"
        assert result.version == 1 and result.gas_used > 0 and result.gas_unit_price == 100
        assert result.sender == fx.account.address and result.sequence_number == 0
        assert result.function == FN["place_limit_order"]
        assert result.hash == fx.node.transaction(result.hash).hash  # type: ignore[union-attr]
        (call,) = fx.ledger.calls
        assert call[3] == [1338, True, False, 10, 5500, 2, 0, 0, 0]
        deposit = payload(
            "deposit", fx.account.address, "1000000", type_args=(contract.COLLATERAL_TYPE,)
        )
        await sender.execute(deposit)
        assert fx.ledger.calls[-1][2] == [contract.COLLATERAL_TYPE]


async def test_move_abort_error_carries_kana_code_name() -> None:
    async with served_node() as fx, httpx.AsyncClient() as http:
        sender = sender_for(fx, http)
        with pytest.raises(MoveAbortError) as info:
            await sender.execute(limit_order(1338, leverage=50))
        err = info.value
        assert err.code_name == "E_INVALID_LEVERAGE" and err.abort_code == 1006
        assert err.hash and err.version == 1 and "E_INVALID_LEVERAGE" in str(err)
        assert isinstance(err, TransactionRejectedError)
        # The aborted one used sequence number 0; the next goes on with 1.
        assert (await sender.execute(limit_order(1338))).sequence_number == 1


async def test_pending_handle_and_simulate() -> None:
    async with served_node() as fx, httpx.AsyncClient() as http:
        sender = sender_for(fx, http)
        dry = await sender.simulate(limit_order(5))
        assert dry.success and fx.ledger.calls == []
        pending = await submit(sender, limit_order(5))
        assert "PendingTransaction(hash=" in repr(pending) and pending.sequence_number == 0
        assert pending.expiration_timestamp_secs > time.time()
        result = await pending.wait()
        assert result.hash == pending.hash and len(fx.ledger.calls) == 1


async def test_bad_arguments_fail_before_a_sequence_number_is_taken() -> None:
    async with served_node() as fx, httpx.AsyncClient() as http:
        sender = sender_for(fx, http)
        with pytest.raises(InvalidArgumentError):
            await sender.execute(payload("collapse_position", "1", "2"))
        with pytest.raises(InvalidArgumentError, match="type arguments"):
            await sender.execute(payload("deposit", fx.account.address, "1"))
        with pytest.raises(TypeError):
            await sender.execute(payload("collapse_position", 1.5))
        assert sender.allocator.next_number is None
        assert (await sender.execute(payload("collapse_position", "1"))).sequence_number == 0


async def test_rejected_submission_does_not_wedge_the_next() -> None:
    async with served_node() as fx, httpx.AsyncClient() as http:
        wrong_chain = sender_for(fx, http, chain_id=CHAIN_ID + 1)
        with pytest.raises(TransactionRejectedError) as info:
            await wrong_chain.execute(limit_order(1))
        assert info.value.vm_status == "BAD_CHAIN_ID" and info.value.error_code == "vm_error"
        assert info.value.hash
        sender = sender_for(fx, http)
        # Its submission fails (5xx until retries run out) and the node does not know it: the
        # same signed bytes are sent again, so the order executes once and nothing waits behind
        # a gap.
        fx.faults.node_submit_5xx = 3
        node = NodeClient(http, fx.url, submit_retries=2, retry_backoff=0.001)
        sender.node = node
        first = await sender.execute(limit_order(2))
        assert first.sequence_number == 0 and fx.faults.node_submit_5xx == 0
        result = await sender.execute(limit_order(3))
        assert result.sequence_number == 1
        assert [c[3][0] for c in fx.ledger.calls] == [2, 3]


async def test_expired_transaction_frees_its_number() -> None:
    async with served_node() as fx, httpx.AsyncClient() as http:
        later = [0.0]
        node = NodeClient(http, fx.url, retry_backoff=0.001, clock=lambda: time.time() + later[0])
        sender = TransactionSender(node, fx.account, chain_id=CHAIN_ID)
        gap = await sender.allocator.allocate()  # number 0 handed out, never used...
        sender.allocator.forget(gap)  # ...and its fate unknown (like a lost transaction)
        pending = await submit(sender, limit_order(1))  # number 1: parked behind the gap
        assert (gap, pending.sequence_number) == (0, 1)
        fx.node.state.clock = lambda: time.time() + 100  # the parked one expires on the node
        later[0] = 100
        with pytest.raises(TransactionRejectedError) as info:
            await pending.wait(timeout=5)
        assert info.value.vm_status == "TRANSACTION_EXPIRED" and info.value.hash == pending.hash
        fx.node.state.clock = time.time
        later[0] = 0
        assert sender.allocator.outstanding == frozenset()
        first = await sender.execute(limit_order(2))
        second = await sender.execute(limit_order(3))
        assert (first.sequence_number, second.sequence_number) == (0, 1)  # both numbers re-used
        assert [c[3][0] for c in fx.ledger.calls] == [2, 3]


async def test_resync_on_stale_and_too_new() -> None:
    async with served_node() as fx, httpx.AsyncClient() as http:
        sender = sender_for(fx, http)
        await sender.execute(limit_order(1))
        # Another process uses number 1 behind our back.
        other = TransactionSender(
            NodeClient(http, fx.url), fx.account, chain_id=CHAIN_ID, options=SendOptions()
        )
        assert (await other.execute(limit_order(2))).sequence_number == 1
        assert (await sender.execute(limit_order(3))).sequence_number == 2  # stale -> resync
        # Our counter ran far ahead (e.g. transactions lost): the node says too new -> resync.
        await sender.allocator.committed(500)
        assert sender.allocator.next_number == 501
        assert (await sender.execute(limit_order(4))).sequence_number == 3
        assert [c[3][0] for c in fx.ledger.calls] == [1, 2, 3, 4]


@pytest.mark.parametrize(
    "fault", ["node_submit_5xx", "node_submit_429", "node_drop_request", "node_drop_response"]
)
async def test_faults_resend_the_same_signed_bytes(fault: str) -> None:
    recorder = Recorder()
    async with served_node() as fx, httpx.AsyncClient(event_hooks={"request": [recorder]}) as http:
        sender = sender_for(fx, http)
        setattr(fx.faults, fault, 2)
        result = await sender.execute(limit_order(9))
        submitted = list(recorder.bodies)
        # drop_response: the first copy executed; the re-send hears "too old", finds it by hash.
        assert len(submitted) == (2 if fault == "node_drop_response" else 3)
        assert len(set(submitted)) == 1  # the same bytes, never re-signed
        assert [c[3][0] for c in fx.ledger.calls] == [9]
        assert result.sequence_number == 0


async def test_two_hundred_concurrent_orders_commit_exactly_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="kana_async")
    async with (
        served_node() as fx,
        httpx.AsyncClient(limits=httpx.Limits(max_connections=50)) as http,
    ):
        sender = sender_for(fx, http)
        fx.faults.node_submit_5xx = 5
        fx.faults.node_drop_request = 2
        fx.faults.node_drop_response = 2
        fx.faults.node_submit_429 = 3
        results: dict[int, Any] = {}

        async def one(i: int) -> None:
            results[i] = await sender.execute(limit_order(i))

        with anyio.fail_after(60):
            async with anyio.create_task_group() as tg:
                for i in range(200):
                    tg.start_soon(one, i)
        markets = [c[3][0] for c in fx.ledger.calls]
        assert sorted(markets) == list(range(200))  # each exactly once
        assert sorted(r.sequence_number for r in results.values()) == list(range(200))
        assert fx.node.sequence_number(fx.account.address) == 200
        assert fx.faults.node_drop_response == 0 and fx.faults.node_submit_5xx == 0
    secret = fx.account.private_key_hex()[2:]
    assert secret not in caplog.text
    assert "submit" in caplog.text  # DEBUG logging was on and did log the re-sends


async def test_in_flight_cap_limits_outstanding_numbers() -> None:
    async with served_node() as fx, httpx.AsyncClient() as http:
        node = NodeClient(http, fx.url, retry_backoff=0.001)
        sender = TransactionSender(node, fx.account, chain_id=CHAIN_ID, max_in_flight=3)
        sender.allocator._poll = 60  # only committed() can free a slot in this test
        gap = await sender.allocator.allocate()  # number 0, held back for now
        pendings = [await submit(sender, limit_order(i)) for i in (1, 2)]  # parked behind 0
        blocked = asyncio.create_task(submit(sender, limit_order(3)))
        await asyncio.sleep(0.05)
        assert not blocked.done()  # three outstanding: the fourth waits
        prepared = await sender.prepare(limit_order(0))
        sender.launch(await sender.sign(prepared, gap), prepared, action="t", market_id=None)
        await pendings[0].wait()
        with anyio.fail_after(5):
            fourth = await blocked
        assert fourth.sequence_number == 3


async def test_answer_that_never_arrives_is_resolved_by_hash_exactly_once() -> None:
    async with served_node() as fx, httpx.AsyncClient() as http:
        sender = sender_for(fx, http, submit_retries=0)
        fx.faults.node_drop_response = 1
        # No acceptance comes back: the caller that does not wait hears OutcomeUnknownError...
        with pytest.raises(OutcomeUnknownError) as info:
            await submit(sender, limit_order(11))
        tx_hash = info.value.hash
        assert tx_hash and tx_hash in str(info.value)
        # ...and the client goes on to find the transaction by hash, without sending it twice.
        outcome = await sender.tracker.pending(tx_hash).wait(5)  # type: ignore[union-attr]
        assert outcome.hash == tx_hash and outcome.success
        assert [c[3][0] for c in fx.ledger.calls] == [11]
        # Slow answer: the node executes after our request timeout; the waiting call still gets
        # the result (found by polling its hash), and the order executes once.
        slow = sender_for(fx, http, submit_retries=0, request_timeout=0.05)
        fx.faults.node_submit_delay = 0.3
        late = await slow.execute(limit_order(12))
        fx.faults.node_submit_delay = 0
        assert late.success and sender.tracker.unresolved == ()
        assert [c[3][0] for c in fx.ledger.calls] == [11, 12]


async def test_poll_answers_pending_or_unknown() -> None:
    async with served_node(long_poll=0.05) as fx, httpx.AsyncClient() as http:
        node = NodeClient(http, fx.url)
        spec = TransactionSpec(
            fx.account.address,
            5,
            FN["collapse_position"],
            (),
            ("1",),
            ("u64",),
            2000,
            100,
            int(time.time()) + 30,
            CHAIN_ID,
        )
        held = await sign_transaction(fx.account, spec)
        assert await node.send(held) == "accepted"
        found = await node.poll(held.hash, timeout=0.2)  # parked behind numbers 0-4
        assert found is not None and found.hash == held.hash
        assert not isinstance(found, CommittedTransaction)
        assert await node.poll("0x" + "00" * 32, timeout=0.2) is None


# -- send() classification with a scripted transport -----------------------------------------------


def scripted(*answers: Any) -> tuple[httpx.AsyncClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(answers)

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[no-any-return]

    return httpx.AsyncClient(transport=httpx.MockTransport(handle)), seen


ACCEPTED = httpx.Response(202, json={"hash": "0x1", "type": "pending_transaction"})
COMMITTED = httpx.Response(
    200,
    json={"type": "user_transaction", "hash": "0x1", "version": "7", "success": True,
          "vm_status": "Executed successfully"},
)  # fmt: skip


def err(status: int, message: str, code: str = "vm_error", vm: int | None = None) -> httpx.Response:
    return httpx.Response(
        status, json={"message": message, "error_code": code, "vm_error_code": vm}
    )


async def signed_tx() -> Any:
    account = Account.generate()
    spec = TransactionSpec(
        account.address,
        0,
        FN["collapse_position"],
        (),
        ("1",),
        ("u64",),
        2000,
        100,
        2_000_000_000,
        4,
    )
    return await sign_transaction(account, spec)


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ([ACCEPTED], "accepted"),
        (
            [err(400, "Invalid transaction: Type: Validation Code: SEQUENCE_NUMBER_TOO_OLD", vm=3)],
            "stale",
        ),
        ([err(400, "x", vm=4)], "ahead"),
        ([err(400, "in mempool", code="invalid_transaction_update")], "taken"),
        (
            [httpx.Response(429, headers={"retry-after": "0"}), ACCEPTED],
            "accepted",
        ),
        ([httpx.ReadTimeout("slow"), ACCEPTED], "accepted"),
        # our own earlier copy landed: too old, but the hash is there
        (
            [
                httpx.ReadError("reset"),
                err(400, "SEQUENCE_NUMBER_TOO_OLD"),
                COMMITTED,
            ],
            "accepted",
        ),
        # the connection was never made: the copy cannot have landed, no lookup by hash
        ([httpx.ConnectError("refused"), err(400, "SEQUENCE_NUMBER_TOO_OLD")], "stale"),
        ([httpx.ConnectTimeout("slow"), err(400, "SEQUENCE_NUMBER_TOO_OLD")], "stale"),
        # a read timeout after sending: it may have landed
        (
            [
                httpx.ReadTimeout("slow"),
                err(400, "SEQUENCE_NUMBER_TOO_OLD"),
                COMMITTED,
            ],
            "accepted",
        ),
        (
            [
                httpx.Response(503),
                err(400, "SEQUENCE_NUMBER_TOO_OLD"),
                httpx.Response(404, json={}),
            ],
            "stale",
        ),
    ],
)
async def test_send_classifies_answers(answers: list[Any], expected: str) -> None:
    http, seen = scripted(*answers)
    async with http:
        node = NodeClient(http, "http://node/v1", retry_backoff=0.001)
        tx = await signed_tx()
        assert await node.send(tx) == expected
        posts = [r.content for r in seen if r.method == "POST"]
        assert len(set(posts)) == 1 and posts[0] == tx.bytes


async def test_send_other_refusal_and_exhausted_retries() -> None:
    http, _ = scripted(
        err(400, "Invalid transaction: Type: Validation Code: INVALID_AUTH_KEY", vm=2)
    )
    async with http:
        with pytest.raises(TransactionRejectedError) as info:
            await NodeClient(http, "http://node/v1").send(await signed_tx())
        assert info.value.vm_status == "INVALID_AUTH_KEY"
    http, seen = scripted(*[httpx.Response(500)] * 3)
    async with http:
        node = NodeClient(http, "http://node/v1", submit_retries=2, retry_backoff=0.001)
        tx = await signed_tx()
        with pytest.raises(OutcomeUnknownError) as unknown:
            await node.send(tx)
        assert unknown.value.hash == tx.hash and len(seen) == 3
    http, _ = scripted(
        httpx.ReadError("reset"), err(400, "SEQUENCE_NUMBER_TOO_OLD"), httpx.ConnectError("down")
    )
    async with http:
        node = NodeClient(http, "http://node/v1", read_retries=0, retry_backoff=0.001)
        with pytest.raises(OutcomeUnknownError, match="lookup failed"):
            await node.send(await signed_tx())


async def test_poll_unknown_and_transient_errors() -> None:
    http, _ = scripted(httpx.ConnectError("x"), httpx.Response(503), httpx.Response(404, json={}))
    async with http:
        node = NodeClient(http, "http://node/v1", retry_backoff=0.001)
        with pytest.raises(ConnectError):
            await node.poll("0xab", timeout=5)
        with pytest.raises(APIStatusError) as info:
            await node.poll("0xab", timeout=5)
        assert info.value.status_code == 503
        assert await node.poll("0xab", timeout=5) is None


async def test_read_errors_map_to_the_error_tree() -> None:
    from kana_async._exceptions import (
        ConnectError,
        RequestTimeoutError,
        ResponseDecodeError,
        ServerError,
    )

    http, _ = scripted(httpx.ConnectError("refused"))
    async with http:
        with pytest.raises(ConnectError):
            await NodeClient(http, "http://node/v1", read_retries=0).ledger_info()
    http, _ = scripted(httpx.ReadTimeout("slow"))
    async with http:
        with pytest.raises(RequestTimeoutError):
            await NodeClient(http, "http://node/v1", read_retries=0).ledger_info()
    http, _ = scripted(httpx.Response(503), httpx.Response(503))
    async with http:
        with pytest.raises(ServerError):
            await NodeClient(
                http, "http://node/v1", read_retries=1, retry_backoff=0.001
            ).ledger_info()
    http, _ = scripted(httpx.Response(200, content=b"not json"))
    async with http:
        with pytest.raises(ResponseDecodeError):
            await NodeClient(http, "http://node/v1").ledger_info()
    http, _ = scripted(httpx.Response(404, json={}), httpx.Response(500, json={"message": "x"}))
    async with http:
        node = NodeClient(http, "http://node/v1", read_retries=0)
        assert await node.sequence_number("0x1") == 0
        with pytest.raises(ServerError):
            await node.transaction_by_hash("0x1")
    http, _ = scripted(httpx.Response(400, json={"message": "bad", "error_code": "invalid_input"}))
    async with http:
        with pytest.raises(TransactionRejectedError, match="simulation refused"):
            await NodeClient(http, "http://node/v1").simulate(await signed_tx())


# -- allocator -----------------------------------------------------------------------------------


async def test_allocator_unique_reuse_and_resync() -> None:
    chain = [0]
    fetches = 0

    async def fetch() -> int:
        nonlocal fetches
        fetches += 1
        return chain[0]

    alloc = SequenceAllocator(fetch, max_in_flight=100)
    numbers = await asyncio.gather(*(alloc.allocate() for _ in range(50)))
    assert sorted(numbers) == list(range(50)) and fetches == 1
    alloc.release(7)
    alloc.release(3)
    alloc.release(3)
    assert [await alloc.allocate(), await alloc.allocate(), await alloc.allocate()] == [3, 7, 50]
    chain[0] = 60
    alloc.release(10)
    await alloc.resync()
    assert await alloc.allocate() == 60  # 10 is below the chain now: dropped
    chain[0] = 5
    await alloc.resync(reset=True)
    assert await alloc.allocate() == 5
    # A number whose fate became unknown is a gap once the chain is below it: filled on resync.
    numbers = [await alloc.allocate() for _ in range(3)]
    assert numbers == [6, 7, 8] and alloc.outstanding >= {6, 7, 8}
    alloc.forget(7)
    await alloc.committed(6)
    await alloc.resync()
    assert await alloc.allocate() == 7
    assert await alloc.allocate() == 9
    with pytest.raises(InvalidArgumentError):
        SequenceAllocator(fetch, max_in_flight=0)


async def test_allocator_cap_polls_the_chain_when_full() -> None:
    chain = [0]

    async def fetch() -> int:
        return chain[0]

    alloc = SequenceAllocator(fetch, max_in_flight=2, poll=0.02)
    assert [await alloc.allocate(), await alloc.allocate()] == [0, 1]
    third = asyncio.create_task(alloc.allocate())
    await asyncio.sleep(0.05)
    assert not third.done()
    chain[0] = 1  # seen on the next poll, without any committed() call
    with anyio.fail_after(5):
        assert await third == 2


async def test_waiters_that_time_out_together_read_the_chain_once() -> None:
    """No convoy: 20 waiters whose polls run out together make one chain read, not 20."""
    chain = [0]
    fetches = 0
    reading = asyncio.Event()
    answer = asyncio.Event()
    got: list[int] = []
    allocated = asyncio.Event()

    async def fetch() -> int:
        nonlocal fetches
        fetches += 1
        if fetches > 1:  # the first poll: held until every waiter's poll has run out
            reading.set()
            await answer.wait()
        return chain[0]

    alloc = SequenceAllocator(fetch, max_in_flight=1, poll=0.5)
    assert await alloc.allocate() == 0

    async def waiter() -> None:
        got.append(await alloc.allocate())
        allocated.set()

    tasks = [asyncio.create_task(waiter()) for _ in range(20)]
    try:
        with anyio.fail_after(10):
            await reading.wait()  # one waiter's poll ran out and it is reading the chain
            await asyncio.sleep(0.2)  # the other polls (same 0.5 s) run out meanwhile
            chain[0] = 1  # number 0 is on chain: one more number fits
            answer.set()
            await allocated.wait()
            for _ in range(50):  # let the queued waiters take the lock in turn
                await asyncio.sleep(0)
        assert got == [1]
        assert fetches == 2  # the initial read and ONE poll, not one per waiter
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


# -- result parsing ------------------------------------------------------------------------------


def test_parse_move_abort_forms() -> None:
    status = "Move abort in 0x1::perpetual_core: E_PAUSED(0x3ea): paused"
    assert parse_move_abort(status) == (1002, "E_PAUSED")
    assert parse_move_abort("Move abort in 0xabc::m: (0x10403)") == (0x10403, None)
    assert parse_move_abort("Move abort in 0x1::m: E_X(0x103ee):") == (
        0x103EE,
        "E_INVALID_LEVERAGE",
    )
    assert parse_move_abort("ABORTED with code 1007") == (
        1007,
        "E_INSUFFICIENT_LIQUIDITY_IN_ORDERBOOK",
    )
    assert parse_move_abort("Move abort in 0x1::m: E_NEW(0x9999): new") == (0x9999, "E_NEW")
    assert parse_move_abort("OUT_OF_GAS") is None
    assert abort_code_name(1109) == "E_INSUFFICIENT_MARGIN" and abort_code_name(42) is None


def test_result_from_committed_failures() -> None:
    with pytest.raises(TransactionRejectedError) as info:
        result_from_committed(
            CommittedTransaction(hash="0x1", success=False, vm_status="OUT_OF_GAS", version="3")
        )
    assert not isinstance(info.value, MoveAbortError) and info.value.vm_status == "OUT_OF_GAS"
    ok = result_from_committed(
        CommittedTransaction(
            hash="0x2", success=True, vm_status="Executed successfully", version="4"
        )
    )
    assert ok.version == 4 and ok.gas_used == 0


# -- node refusals, abort code tables, lookups ---------------------------------------------------


def status_error(status: int, body: bytes) -> APIStatusError:
    with pytest.raises(APIStatusError) as info:
        RawResponse("POST", "http://node/v1/transactions", status, {}, body).raise_for_status()
    return info.value


def test_node_refusal_reads_the_node_error_body() -> None:
    too_old = status_error(
        400,
        b'{"message": "Invalid transaction: Type: Validation Code: SEQUENCE_NUMBER_TOO_OLD",'
        b' "error_code": "vm_error", "vm_error_code": 3}',
    )
    refusal = NodeRefusal.from_error(too_old)
    assert refusal.status_code == 400 and refusal.error_code == "vm_error"
    assert refusal.vm_error_code == 3 and refusal.vm_status == "SEQUENCE_NUMBER_TOO_OLD"
    assert refusal.sequence_outcome == "stale"
    by_number = NodeRefusal.from_error(status_error(400, b'{"message": "x", "vm_error_code": 4}'))
    assert (
        by_number.vm_status == "SEQUENCE_NUMBER_TOO_NEW" and by_number.sequence_outcome == "ahead"
    )
    taken = NodeRefusal.from_error(
        status_error(400, b'{"message": "in mempool", "error_code": "invalid_transaction_update"}')
    )
    assert taken.sequence_outcome == "taken" and taken.vm_status is None
    for body in (b"", b"<html>bad gateway</html>", b"[1, 2]", b'{"vm_error_code": true}'):
        plain = NodeRefusal.from_error(status_error(400, body))
        assert plain.message == "HTTP 400"
        assert plain.vm_error_code is None and plain.sequence_outcome is None


def test_abort_code_tables_are_one_source() -> None:
    assert contract.ABORT_CODES is KANA_ABORT_CODES
    assert contract.SIM_ABORT_CODES is SIMULATOR_ABORT_CODES
    assert set(KANA_ABORT_CODES) == set(range(1001, 1015))
    assert set(SIMULATOR_ABORT_CODES) == set(range(1101, 1110))
    assert not set(KANA_ABORT_CODES.values()) & set(SIMULATOR_ABORT_CODES.values())
    assert abort_code_name(1006) == "E_INVALID_LEVERAGE" == contract.abort_name(1006)
    assert abort_code_name(0x10000 | 1104) == "E_FILL_OR_ABORT_NOT_FILLED"
    assert contract.MoveAbort(1107).vm_status.find("E_INVALID_RESTRICTION(0x453)") > 0
    with pytest.raises(TypeError):
        KANA_ABORT_CODES[1001] = "E_CHANGED"  # type: ignore[index]


async def test_lookup_finds_committed_parked_and_unknown_transactions() -> None:
    async with served_node() as fx, httpx.AsyncClient() as http:
        sender = sender_for(fx, http)
        done = await sender.execute(limit_order(1))
        found = await sender.lookup(done.hash)
        assert isinstance(found, TransactionResult) and found.hash == done.hash
        assert await sender.lookup("0x" + "00" * 32) is None
        gap = await sender.allocator.allocate()  # a number that never gets used...
        sender.allocator.forget(gap)
        parked = await submit(sender, limit_order(2))  # ...so this one waits behind the gap
        handle = await sender.lookup(parked.hash)
        assert isinstance(handle, PendingTransaction) and handle.hash == parked.hash
        assert handle.sequence_number == parked.sequence_number == gap + 1
        assert handle.expiration_timestamp_secs == parked.expiration_timestamp_secs
        with pytest.raises(OutcomeUnknownError) as info:
            await handle.wait(timeout=0.2)
        assert info.value.hash == parked.hash


async def test_send_that_never_reached_the_node_raises_the_plain_error() -> None:
    http, seen = scripted(*[httpx.ConnectError("refused")] * 3)
    async with http:
        node = NodeClient(http, "http://node/v1", submit_retries=2, retry_backoff=0.001)
        with pytest.raises(ConnectError) as refused:
            await node.send(await signed_tx())
        assert not isinstance(refused.value, OutcomeUnknownError) and len(seen) == 3
    http, seen = scripted(*[httpx.Response(429, headers={"retry-after": "0"})] * 2)
    async with http:
        node = NodeClient(http, "http://node/v1", submit_retries=1, retry_backoff=0.001)
        with pytest.raises(RateLimitError):
            await node.send(await signed_tx())
        assert len(seen) == 2
    # One attempt may have landed (a 5xx): the outcome is unknown, whatever came after.
    http, seen = scripted(httpx.Response(502), httpx.ConnectError("refused"))
    async with http:
        node = NodeClient(http, "http://node/v1", submit_retries=1, retry_backoff=0.001)
        tx = await signed_tx()
        with pytest.raises(OutcomeUnknownError) as unknown:
            await node.send(tx)
        assert unknown.value.hash == tx.hash and len(seen) == 2


async def test_malformed_acceptance_is_outcome_unknown_with_the_hash() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    http, _ = scripted(httpx.Response(202, content=deep))
    async with http:
        node = NodeClient(http, "http://node/v1", submit_retries=0)
        tx = await signed_tx()
        with pytest.raises(OutcomeUnknownError) as info:
            await node.send(tx)  # the node took it (202) but its answer is unreadable
        assert info.value.hash == tx.hash


@pytest.mark.parametrize("version", ["1e1000000", "1" * 1_000_000, "-1", "18446744073709551616"])
async def test_committed_answer_with_an_absurd_version_is_a_typed_error(version: str) -> None:
    body = (
        b'{"type": "user_transaction", "hash": "0x1", "success": true, "vm_status": "ok", '
        b'"version": "%s"}' % version.encode()
    )
    http, _ = scripted(httpx.Response(200, content=body))
    async with http:
        node = NodeClient(http, "http://node/v1")
        # Refused by the decoder, or (2**64: twenty digits, but no u64) when converted.
        with anyio.fail_after(5), pytest.raises(ResponseDecodeError):
            found = await node.poll("0x1", timeout=1)
            assert isinstance(found, CommittedTransaction)
            result_from_committed(found)


async def test_entry_function_is_encoded_once_per_submission_even_when_renumbered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from kana_async._aptos import bcs
    from kana_async._aptos import sender as sender_module

    calls: list[str] = []
    real = bcs.entry_function_bytes

    def counting(*args: Any) -> bytes:
        calls.append(args[0])
        return real(*args)

    monkeypatch.setattr(sender_module.bcs, "entry_function_bytes", counting)
    async with served_node() as fx, httpx.AsyncClient() as http:
        sender = sender_for(fx, http)
        await sender.execute(limit_order(1))
        assert calls == [FN["place_limit_order"]]
        # Another client uses the next number: ours is refused as stale and re-signed under a
        # fresh one, from the same encoded call.
        other = sender_for(fx, http)
        await other.execute(limit_order(2))
        calls.clear()
        result = await sender.execute(limit_order(3))
        assert result.sequence_number == 2 and calls == [FN["place_limit_order"]]


async def test_allocator_reset_never_hands_out_a_number_still_outstanding() -> None:
    chain = [10]

    async def fetch() -> int:
        return chain[0]

    alloc = SequenceAllocator(fetch, max_in_flight=100)
    held = [await alloc.allocate() for _ in range(5)]  # their transactions are in flight
    assert held == [10, 11, 12, 13, 14]
    alloc.release(12)  # 12 certainly did not go in
    await alloc.committed(99)  # a confused view: the counter runs far ahead of the chain
    await alloc.resync(reset=True)  # the node said "too new": start again from the chain...
    assert alloc.outstanding == frozenset({10, 11, 13, 14})  # ...keeping what is in flight
    assert [await alloc.allocate() for _ in range(2)] == [12, 15]
