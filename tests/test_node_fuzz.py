"""1,000 malformed node answers over a real socket: only typed errors, and nothing hangs.

A loopback server plays the Aptos node and answers each request with the next fuzzed body:
well-formed answers with a member dropped or of the wrong type, deep nesting, numbers with a
million digits or an absurd exponent, other JSON types, truncated or non-JSON bytes, and odd
statuses. Every node call and ``kana.trading.lookup`` must return or raise a
:class:`~kana_async.KanaError`, each within a bounded time.
"""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import pytest
from aiohttp import web

from kana_async._aptos.node import NodeClient
from kana_async._aptos.sender import result_from_committed
from kana_async._aptos.signing import Account, TransactionSpec, sign_transaction
from kana_async._client import KanaClient
from kana_async._config import Network
from kana_async._exceptions import KanaError
from tests.aptos_support import FN

pytestmark = pytest.mark.anyio

ANSWERS = 1000
HASH = "0x" + "ab" * 32
BIG_DIGITS = "7" * 1_000_000

TEMPLATES: dict[str, Any] = {
    "ledger": {"chain_id": 4, "ledger_version": "10", "ledger_timestamp": "1700000000000000"},
    "account": {"sequence_number": "3", "authentication_key": "0x1"},
    "gas": {"gas_estimate": 100, "prioritized_gas_estimate": 150},
    "abi": {
        "abi": {
            "name": "perpetual_scripts",
            "exposed_functions": [
                {
                    "name": "collapse_position",
                    "params": ["&signer", "u64"],
                    "generic_type_params": [],
                },
            ],
        }
    },
    "committed": {
        "type": "user_transaction",
        "hash": HASH,
        "version": "12",
        "success": True,
        "vm_status": "Executed successfully",
        "gas_used": "12",
        "gas_unit_price": "100",
        "sender": "0x1",
        "sequence_number": "3",
        "timestamp": "1700000000000000",
        "payload": {"function": "0x1::m::f"},
        "events": [],
    },
    "pending": {
        "type": "pending_transaction",
        "hash": HASH,
        "sequence_number": "3",
        "expiration_timestamp_secs": "1700000030",
    },
}

_RAW_JUNK = [
    b"",
    b"{",
    b"not json",
    b"[" * 200_000 + b"]" * 200_000,
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    BIG_DIGITS.encode(),
    b"1e999999",
    b"-1e999999",
    b"NaN",
    b"\xff\xfe",
]


def _mutate_value(rng: random.Random) -> Any:
    return rng.choice(
        [
            None, True, 0, -1, 2**64, 2**200, "x", "", "-5", "1e999999", "0x", BIG_DIGITS,
            [], {}, [1, 2], {"a": 1}, 1.5, "18446744073709551616", "99999999999999999999999",
        ]
    )  # fmt: skip


def _mutated(template: dict[str, Any], rng: random.Random) -> bytes:
    body = json.loads(json.dumps(template))
    target = body
    while isinstance(target, dict) and target and rng.random() < 0.4:
        key = rng.choice(list(target))
        if isinstance(target[key], dict) and target[key]:
            target = target[key]
        else:
            break
    if isinstance(target, dict) and target:
        key = rng.choice(list(target))
        if rng.random() < 0.3:
            del target[key]
        else:
            target[key] = _mutate_value(rng)
    text = json.dumps(body)
    if rng.random() < 0.15:  # splice in a number no JSON library can hold in a double
        text = text.replace('"12"', BIG_DIGITS, 1).replace("100", "1e999999", 1)
    if rng.random() < 0.05:
        text = text[: rng.randrange(1, max(2, len(text)))]  # truncated
    return text.encode()


def fuzzed_answers(seed: int, count: int) -> list[tuple[int, bytes]]:
    rng = random.Random(seed)
    answers: list[tuple[int, bytes]] = []
    for _ in range(count):
        status = rng.choice([200, 200, 200, 202, 202, 400, 404, 429, 500, 503])
        roll = rng.random()
        if roll < 0.15:
            body = rng.choice(_RAW_JUNK)
        elif roll < 0.25:
            body = json.dumps(rng.choice([[], [1], "s", 5, None, True, [{"type": 1}]])).encode()
        elif roll < 0.35:  # an error body in the node's shape, mutated
            error = {"message": "x", "error_code": "vm_error", "vm_error_code": 3}
            body = _mutated(error, rng)
        else:
            body = _mutated(rng.choice(list(TEMPLATES.values())), rng)
        answers.append((status, body))
    return answers


@asynccontextmanager
async def fuzz_node(answers: list[tuple[int, bytes]]) -> AsyncIterator[str]:
    queue = list(answers)
    served = 0

    async def handle(request: web.Request) -> web.Response:
        nonlocal served
        await request.read()
        status, body = queue[served % len(queue)]
        served += 1
        return web.Response(status=status, body=body, content_type="application/json")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def test_a_thousand_malformed_node_answers_give_only_typed_errors() -> None:
    answers = fuzzed_answers(seed=8, count=ANSWERS)
    account = Account.generate()
    spec = TransactionSpec(
        account.address, 0, FN["collapse_position"], (), ("1",), ("u64",), 2000, 100,
        2_000_000_000, 4,
    )  # fmt: skip
    signed = await sign_transaction(account, spec)
    outcomes: dict[str, int] = {}
    async with fuzz_node(answers) as base, httpx.AsyncClient() as http:
        network = Network(
            name="fuzz", rest_url=base, ws_url="ws://127.0.0.1:1/ws/", node_url=f"{base}/v1",
            chain_id=4, markets={"APT-USD": 1338},
        )  # fmt: skip
        async with KanaClient(network, account=account) as kana:

            def node() -> NodeClient:  # fresh caches, no retries: one answer per call
                return NodeClient(http, f"{base}/v1", read_retries=0, submit_retries=0)

            async def committed() -> object:
                found = await node().transaction_by_hash(HASH)
                if found is not None and found.__class__.__name__ == "CommittedTransaction":
                    return result_from_committed(found)  # type: ignore[arg-type]
                return found

            calls: list[Callable[[], Awaitable[object]]] = [
                lambda: node().ledger_info(),
                lambda: node().ledger_time(),
                lambda: node().sequence_number(account.address),
                lambda: node().entry_function_types(FN["collapse_position"]),
                lambda: node().gas_unit_price(),
                committed,
                lambda: node().poll(HASH, timeout=2),
                lambda: node().send(signed),
                lambda: node().transaction_by_version(12),
                lambda: kana.trading.lookup(HASH),
            ]
            for i in range(ANSWERS):
                call = calls[i % len(calls)]
                with anyio.fail_after(5):  # no hang: every answer is read in bounded time
                    try:
                        await call()
                        kind = "ok"
                    except KanaError as exc:
                        kind = type(exc).__name__
                outcomes[kind] = outcomes.get(kind, 0) + 1
    assert sum(outcomes.values()) == ANSWERS
    assert outcomes.get("ResponseDecodeError", 0) >= 100, outcomes  # the fuzz hit the decoder
    assert outcomes.get("ok", 0) >= 10, outcomes  # and some answers were still usable
