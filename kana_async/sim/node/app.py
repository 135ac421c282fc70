"""The simulator's fake Aptos fullnode: the node REST API under ``/v1`` over :class:`NodeState`.

Routes (shapes follow the Aptos node API)::

    GET  /v1                                    ledger info (chain_id, ledger_version, ...)
    GET  /v1/accounts/{address}                 sequence_number, authentication_key
    GET  /v1/accounts/{address}/module/{name}   module ABI (simulator modules, 0x1::aptos_account)
    GET  /v1/accounts/{address}/transactions    committed transactions it sent (start, limit)
    GET  /v1/estimate_gas_price                 gas price estimates
    POST /v1/transactions                       BCS signed transaction -> 202 pending JSON
    POST /v1/transactions/simulate              BCS, zero signature -> [user_transaction]
    GET  /v1/transactions/by_hash/{hash}        pending or committed transaction
    GET  /v1/transactions/wait_by_hash/{hash}   the same, long-polling while pending
    GET  /v1/transactions/by_version/{version}  a committed transaction by ledger version

Errors use the node's shape ``{"message", "error_code", "vm_error_code"}``. The node fields of
:class:`kana_async.sim.faults.Faults` apply to ``POST /v1/transactions``:

* ``node_drop_request``: the connection is closed before the transaction is read (not executed);
* ``node_submit_429`` / ``node_submit_5xx``: refused with 429 (``Retry-After: 0``) / 503;
* ``node_submit_delay``: accepted at once, answered that many seconds later;
* ``node_drop_response``: accepted and executed, then the connection is closed unanswered;
* ``node_lose_submission``: answered 202 as if accepted, then forgotten (never executes, its hash
  answers 404); with ``node_lose_resends`` its re-sent bytes are lost again.

:meth:`FakeNode.restart` is a node restart that may lose the mempool. With a ``block_interval``,
:meth:`FakeNode.run_blocks` (started by the simulator) commits waiting transactions in blocks.

Like Aptos, re-submitting the identical bytes of a pending transaction answers 202 again and a
committed one answers ``SEQUENCE_NUMBER_TOO_OLD``: nothing ever executes twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final

from aiohttp import web

from kana_async.sim import contract
from kana_async.sim.faults import Faults

from . import framework
from .bcs import transaction_hash
from .state import MIN_GAS_UNIT_PRICE, Ledger, NodeState
from .transactions import NodeError, Transaction, norm

__all__ = ["BCS_CONTENT_TYPE", "FakeNode"]

log = logging.getLogger("kana_async.sim")

#: Page size of ``/accounts/{address}/transactions`` by default, and the largest allowed.
DEFAULT_PAGE: Final = 25
MAX_PAGE: Final = 100
#: Content type of a BCS signed transaction body.
BCS_CONTENT_TYPE: Final = "application/x.aptos.signed_transaction+bcs"

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class FakeNode:
    """A fake Aptos fullnode executing the simulator's entry functions against ``ledger``.

    Args:
        chain_id: the chain id transactions must carry.
        ledger: executes committed entry functions (see :class:`Ledger`).
        faults: switchable faults; the ``node_*`` fields apply to submissions.
        clock: seconds since the epoch (expiry checks, timestamps).
        long_poll: seconds ``wait_by_hash`` waits for a pending transaction before answering.
        block_interval: seconds between blocks; 0 commits each transaction as soon as its turn
            comes (no block loop needed).
    """

    def __init__(
        self,
        *,
        chain_id: int,
        ledger: Ledger,
        faults: Faults,
        clock: Callable[[], float] = time.time,
        long_poll: float = 1.0,
        block_interval: float = 0.0,
    ) -> None:
        self.state = NodeState(
            chain_id=chain_id, ledger=ledger, clock=clock, block_interval=block_interval
        )
        self.faults = faults
        self.long_poll = long_poll
        self._changed = asyncio.Event()
        self._lost: set[str] = set()
        self.state.listeners.append(self._on_commit)

    # -- accounts (for the simulator and tests) ----------------------------------------------

    @property
    def chain_id(self) -> int:
        """The node's chain id."""
        return self.state.chain_id

    def create_account(self, public_key: bytes) -> str:
        """Register the account of an Ed25519 public key; returns its address."""
        return self.state.create_account(public_key)

    def register_account(self, address: str, authentication_key: str | None = None) -> None:
        """Create ``address`` if needed (auth key = address unless given)."""
        self.state.register_account(address, authentication_key)

    def fund_apt(self, address: str, octas: int) -> None:
        """Credit APT octas to ``address``, creating the account if needed."""
        self.state.fund_apt(address, octas)

    def apt_balance(self, address: str) -> int:
        """APT balance of ``address`` in octas."""
        return self.state.apt_balance(address)

    def transaction(self, tx_hash: str) -> Transaction | None:
        """A transaction by hash, pending or committed."""
        return self.state.lookup(tx_hash)

    def sequence_number(self, address: str) -> int:
        """The account's current sequence number (0 for an unknown account)."""
        account = self.state.accounts.get(norm(address))
        return account.sequence_number if account else 0

    @property
    def block_interval(self) -> float:
        """Seconds between blocks (0: no blocks, commits at once)."""
        return self.state.block_interval

    def restart(self, *, lose_mempool: bool = True) -> int:
        """Simulate a node restart: with ``lose_mempool``, every accepted transaction that has not
        executed yet is forgotten (never executes; its hash answers 404). Committed transactions
        and accounts are kept. Returns how many transactions were forgotten."""
        gone = self.state.restart(lose_mempool=lose_mempool)
        self._wake()
        return len(gone)

    async def run_blocks(self) -> None:
        """Commit waiting transactions every ``block_interval`` seconds until cancelled."""
        interval = self.state.block_interval
        if interval <= 0:
            return
        while True:
            await asyncio.sleep(interval)
            try:
                self.state.produce_block()
            except Exception:  # pragma: no cover - a bug must not stop the chain
                log.exception("fake node: producing a block failed")

    # -- HTTP ----------------------------------------------------------------------------------

    def build_app(self) -> web.Application:
        """The aiohttp application serving the node API under ``/v1``."""
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/v1", self._ledger_info)
        app.router.add_get("/v1/", self._ledger_info)
        app.router.add_get("/v1/accounts/{address}", self._account)
        app.router.add_get("/v1/accounts/{address}/module/{module}", self._module)
        app.router.add_get("/v1/accounts/{address}/transactions", self._account_transactions)
        app.router.add_get("/v1/estimate_gas_price", self._gas_price)
        app.router.add_post("/v1/transactions", self._submit)
        app.router.add_post("/v1/transactions/simulate", self._simulate)
        app.router.add_get("/v1/transactions/by_hash/{hash}", self._by_hash)
        app.router.add_get("/v1/transactions/wait_by_hash/{hash}", self._wait_by_hash)
        app.router.add_get("/v1/transactions/by_version/{version}", self._by_version)
        return app

    def _on_commit(self, tx: Transaction) -> None:
        self._wake()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    @web.middleware
    async def _middleware(self, request: web.Request, handler: _Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except NodeError as exc:
            response = _json(exc.body, status=exc.status)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            response = _json(
                {"message": exc.reason, "error_code": "web_framework_error", "vm_error_code": None},
                status=exc.status,
            )
        response.headers["X-Aptos-Chain-Id"] = str(self.state.chain_id)
        response.headers["X-Aptos-Ledger-Version"] = str(self.state.ledger_version)
        response.headers["X-Aptos-Ledger-TimestampUsec"] = str(int(self.state.clock() * 1e6))
        return response

    async def _ledger_info(self, request: web.Request) -> web.Response:
        version = str(self.state.ledger_version)
        return _json(
            {
                "chain_id": self.state.chain_id,
                "epoch": "1",
                "ledger_version": version,
                "oldest_ledger_version": "0",
                "ledger_timestamp": str(int(self.state.clock() * 1e6)),
                "node_role": "full_node",
                "oldest_block_height": "0",
                "block_height": str(self.state.block_height),
                "git_hash": "kana-async-sim",
            }
        )

    async def _account(self, request: web.Request) -> web.Response:
        return _json(self.state.account_json(_address(request.match_info["address"])))

    async def _account_transactions(self, request: web.Request) -> web.Response:
        address = _address(request.match_info["address"])
        self.state.account_json(address)  # 404 for an unknown account
        start = _query_int(request, "start")
        limit = _query_int(request, "limit")
        if limit is not None and not 1 <= limit <= MAX_PAGE:
            raise NodeError(400, f"limit must be 1..{MAX_PAGE}, got {limit}", "invalid_input")
        page = self.state.sent_by(address, start, limit or DEFAULT_PAGE)
        return _json([tx.to_json() for tx in page])

    async def _module(self, request: web.Request) -> web.Response:
        address = _address(request.match_info["address"])
        name = request.match_info["module"]
        abi = contract.module_abi(name) if address == contract.KANA_PACKAGE else None
        abi = abi or framework.module_abi(address, name)
        if abi is None:
            raise NodeError(
                404,
                f"Module not found by Address({address}), Module name({name}) and "
                f"Ledger version({self.state.ledger_version})",
                "module_not_found",
            )
        return _json(abi)

    async def _gas_price(self, request: web.Request) -> web.Response:
        return _json(
            {
                "deprioritized_gas_estimate": MIN_GAS_UNIT_PRICE,
                "gas_estimate": MIN_GAS_UNIT_PRICE,
                "prioritized_gas_estimate": MIN_GAS_UNIT_PRICE * 3 // 2,
            }
        )

    async def _submit(self, request: web.Request) -> web.StreamResponse:
        faults = self.faults
        if faults.take("node_drop_request"):
            _drop(request)
        if faults.take("node_submit_429"):
            response = _json(
                {"message": "Too many requests", "error_code": "rate_limited"}, status=429
            )
            response.headers["Retry-After"] = "0"
            return response
        if faults.take("node_submit_5xx"):
            return _json(
                {"message": "Service unavailable", "error_code": "internal_error"}, status=503
            )
        data = await _bcs_body(request)
        again = faults.node_lose_resends and transaction_hash(data) in self._lost
        lose = again or faults.node_lose_submission > 0
        tx = self.state.submit(data, forget=lose)
        if lose and not again:  # counted only for a submission the node would have accepted
            faults.take("node_lose_submission")
        if lose:
            self._lost.add(tx.hash)
        if faults.node_submit_delay > 0:  # accepted at once, answered late
            await asyncio.sleep(faults.node_submit_delay)
        if faults.take("node_drop_response"):
            _drop(request)
        return _json(_pending(tx), status=202)

    async def _simulate(self, request: web.Request) -> web.Response:
        body = await _bcs_body(request)
        tx = self.state.simulate(body)
        response = _json([tx.to_json()])
        response.headers["X-Aptos-Gas-Used"] = str(tx.gas_used)
        return response

    async def _by_hash(self, request: web.Request) -> web.Response:
        return _json(self._find(request.match_info["hash"]).to_json())

    async def _by_version(self, request: web.Request) -> web.Response:
        text = request.match_info["version"]
        if not text.isascii() or not text.isdigit() or len(text) > 20:
            raise NodeError(400, f"invalid ledger version {text!r}", "invalid_input")
        tx = self.state.by_version.get(int(text))
        if tx is None:
            raise NodeError(
                404, f"Transaction not found by Ledger version({text})", "transaction_not_found"
            )
        return _json(tx.to_json())

    async def _wait_by_hash(self, request: web.Request) -> web.Response:
        tx_hash = request.match_info["hash"]
        deadline = asyncio.get_running_loop().time() + self.long_poll
        tx = self._find(tx_hash)
        while not tx.committed:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                break
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except TimeoutError:
                break
            tx = self._find(tx_hash)
        return _json(tx.to_json())

    def _find(self, tx_hash: str) -> Transaction:
        tx = self.state.lookup(tx_hash)
        if tx is None:
            raise NodeError(
                404,
                f"Transaction not found by Transaction hash({tx_hash})",
                "transaction_not_found",
            )
        return tx


def _pending(tx: Transaction) -> dict[str, Any]:
    """The 202 answer: the pending form, even when execution already happened."""
    body = tx.to_json()
    keep = (
        "hash",
        "sender",
        "sequence_number",
        "max_gas_amount",
        "gas_unit_price",
        "expiration_timestamp_secs",
        "payload",
        "signature",
    )
    return {"type": "pending_transaction", **{k: body[k] for k in keep}}


def _query_int(request: web.Request, name: str) -> int | None:
    """An optional non-negative integer query parameter (at most 20 digits)."""
    text = request.query.get(name)
    if text is None:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 20:
        raise NodeError(400, f"invalid {name} {text!r}", "invalid_input")
    return int(text)


def _address(text: str) -> str:
    body = text.lower().removeprefix("0x")
    if not body or len(body) > 64 or any(c not in "0123456789abcdef" for c in body):
        raise NodeError(400, f"invalid account address {text!r}", "invalid_input")
    return norm(text)


async def _bcs_body(request: web.Request) -> bytes:
    if request.content_type != BCS_CONTENT_TYPE:
        raise NodeError(415, f"expected Content-Type {BCS_CONTENT_TYPE}", "unsupported_media_type")
    return await request.read()


def _drop(request: web.Request) -> None:
    """Close the connection without an answer (aiohttp closes on CancelledError)."""
    if request.transport is not None:
        request.transport.close()
    raise asyncio.CancelledError


def _json(body: Any, *, status: int = 200) -> web.Response:
    return web.Response(
        body=json.dumps(body).encode(), status=status, content_type="application/json"
    )
