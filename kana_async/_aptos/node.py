"""Aptos fullnode calls over the client's shared connection pool.

:class:`NodeClient` reads (ledger info, sequence numbers, module ABIs, the gas price estimate,
transactions by hash), simulates, submits signed bytes and waits for them. Every request goes
through :func:`kana_async._http.send_raw` and every non-2xx status through the one status mapping,
:func:`kana_async._http.raise_for_status`. This module adds only what is specific to the node:
which failures are retried, and what a refused submission means
(:class:`~kana_async._aptos.errors.NodeRefusal`).

Reads are retried on transport errors, 429 and 5xx. Module ABIs are cached per module and fetched
once however many callers ask at the same time; the gas price estimate is cached briefly.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any, Final

import anyio

from kana_async._aptos import signing as _signing
from kana_async._aptos.answers import (
    AccountAnswer,
    ByHash,
    CommittedTransaction,
    GasEstimate,
    LedgerInfo,
    ModuleAbi,
    Simulation,
    SubmitAnswer,
    decode_answer,
    u64,
)
from kana_async._aptos.errors import NodeRefusal, SendOutcome
from kana_async._aptos.movetypes import normalize_address
from kana_async._aptos.singleflight import SingleFlight
from kana_async._exceptions import (
    APIError,
    APIStatusError,
    InvalidArgumentError,
    KanaError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitError,
    ResponseDecodeError,
    ServerError,
    TransactionRejectedError,
    TransportError,
)
from kana_async._http import InFlightGate, Pool, RawResponse, may_have_reached_server, send_raw

__all__ = ["BCS_CONTENT_TYPE", "NodeClient", "backoff"]


log = logging.getLogger("kana_async")

#: Content type of a BCS signed transaction body.
BCS_CONTENT_TYPE: Final = "application/x.aptos.signed_transaction+bcs"
_BCS_HEADERS: Final = {"content-type": BCS_CONTENT_TYPE}

#: Failures after which the same request may be sent again.
_TRANSIENT: Final = (TransportError, RateLimitError, ServerError)
#: The longest ``Retry-After`` the node client honours, in seconds.
_MAX_RETRY_AFTER: Final = 5.0


def backoff(attempt: int, base: float, cap: float = 2.0) -> float:
    """How long to wait before the next retry: exponential, capped, jittered.

    Args:
        attempt: how many retries came before (0 for the first).
        base: the first backoff, in seconds.
        cap: the longest backoff before jitter, in seconds.

    Returns:
        ``min(cap, base * 2**attempt)`` seconds times a random factor in ``[0.5, 1)``.

    Never raises.
    """
    return float(min(cap, base * (2**attempt)) * (0.5 + random.random() / 2))


async def _honour_retry_after(error: Exception) -> None:
    if isinstance(error, RateLimitError) and error.retry_after:
        await anyio.sleep(min(error.retry_after, _MAX_RETRY_AFTER))


class NodeClient:
    """Aptos fullnode calls over a shared connection pool.

    Args:
        http: the client's connection pool.
        node_url: the node's base URL including ``/v1``.
        read_retries: extra attempts for reads on transport errors, 429 and 5xx.
        submit_retries: extra re-sends of the same signed bytes on timeout, 429 or 5xx.
        retry_backoff: first backoff in seconds (doubles, with jitter, capped at 2 s).
        request_timeout: per-request timeout in seconds.
        gas_price_ttl: seconds the gas price estimate is cached.
        max_in_flight: node requests on the wire at once when there is no ``gate``.
        gate: the pool's :class:`~kana_async._http.InFlightGate`, shared with the REST client,
            so that REST and node requests together stay within the pool's connections (the
            pool slows down sharply when requests queue on it, and churns connections between
            the two hosts when it is full). ``wait_by_hash`` long polls go through its
            :meth:`~kana_async._http.InFlightGate.long_poll` share, so waiting never takes every
            slot from submissions. Without one, the node client makes its own of
            ``max_in_flight`` slots.
        clock: unix seconds, to tell when a transaction has expired.

    Raises:
        InvalidArgumentError: ``max_in_flight`` is below 1.
    """

    def __init__(
        self,
        http: Pool,
        node_url: str,
        *,
        read_retries: int = 3,
        submit_retries: int = 5,
        retry_backoff: float = 0.05,
        request_timeout: float = 10.0,
        gas_price_ttl: float = 10.0,
        max_in_flight: int = 10,
        gate: InFlightGate | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_in_flight < 1:
            raise InvalidArgumentError("max_in_flight must be at least 1")
        self.http = http
        self.node_url = node_url.rstrip("/")
        self.read_retries = read_retries
        self.submit_retries = submit_retries
        self.retry_backoff = retry_backoff
        self.request_timeout = request_timeout
        self.gas_price_ttl = gas_price_ttl
        self.clock = clock
        self._cache = SingleFlight()
        self.gate = gate if gate is not None else InFlightGate(max_in_flight)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the transport's per-request timeout
        long_poll: bool = False,
    ) -> RawResponse:
        """One request, status unchecked (within the gate's in-flight cap)."""
        async with self.gate.long_poll() if long_poll else self.gate.slot():
            return await send_raw(
                self.http,
                method,
                self.node_url + path,
                content=content,
                headers=None if content is None else _BCS_HEADERS,
                timeout=self.request_timeout if timeout is None else timeout,
            )

    # -- reads ---------------------------------------------------------------------------------

    async def _get(self, path: str) -> RawResponse:
        """GET with retries on transport errors, 429 and 5xx; a 2xx answer or the status error."""
        attempt = 0
        while True:
            try:
                response = await self._request("GET", path)
                response.raise_for_status()
                return response
            except _TRANSIENT as exc:
                if attempt >= self.read_retries:
                    raise
                await _honour_retry_after(exc)
            await anyio.sleep(backoff(attempt, self.retry_backoff))
            attempt += 1

    async def _get_answer(self, path: str, tp: Any) -> Any:
        return decode_answer(await self._get(path), tp)

    async def ledger_info(self) -> LedgerInfo:
        """Where the node's ledger stands (``GET /v1``).

        Returns:
            The chain id, the newest ledger version and its timestamp (unix microseconds).

        Raises:
            TransportError: no answer, after ``read_retries`` retries.
            APIStatusError: a non-2xx status (429 and 5xx only after ``read_retries`` retries).
            ResponseDecodeError: the answer is not the documented shape.
        """
        info: LedgerInfo = await self._get_answer("", LedgerInfo)
        return info

    async def ledger_time(self) -> float:
        """The chain's notion of now: the newest ledger version's timestamp (``GET /v1``).

        Returns:
            Unix seconds (from the node's microseconds).

        Raises:
            TransportError: no answer, after ``read_retries`` retries.
            APIStatusError: a non-2xx status (429 and 5xx only after ``read_retries`` retries).
            ResponseDecodeError: the answer is not the documented shape.
        """
        info = await self.ledger_info()
        return u64(info.ledger_timestamp, "ledger_timestamp") / 1_000_000

    async def sequence_number(self, address: str) -> int:
        """The account's sequence number on chain (``GET /v1/accounts/{address}``).

        Args:
            address: the account's address.

        Returns:
            The next sequence number the chain expects from the account; 0 for an account that
            does not exist yet (the node answers 404).

        Raises:
            TransportError: no answer, after ``read_retries`` retries.
            APIStatusError: a non-2xx status (429 and 5xx only after ``read_retries`` retries).
            ResponseDecodeError: the answer is not the documented shape.
        """
        try:
            body: AccountAnswer = await self._get_answer(f"/accounts/{address}", AccountAnswer)
        except NotFoundError:
            return 0
        return u64(body.sequence_number, "sequence_number")

    async def module_abi(self, address: str, module: str) -> ModuleAbi:
        """A module's ABI (``GET /v1/accounts/{address}/module/{module}``).

        Fetched once per module and cached for the client's life; concurrent callers share one
        fetch, and a failed fetch is not cached.

        Args:
            address: the module's account (package) address.
            module: the module's name.

        Returns:
            The module's ABI.

        Raises:
            InvalidArgumentError: ``address`` is not an address.
            NotFoundError: the node has no such module.
            TransportError: no answer, after ``read_retries`` retries.
            APIStatusError: another non-2xx status.
            ResponseDecodeError: the answer is not the documented shape.
        """
        address = normalize_address(address)

        async def fetch() -> ModuleAbi:
            log.debug("fetching ABI of %s::%s", address, module)
            abi: ModuleAbi = await self._get_answer(
                f"/accounts/{address}/module/{module}", ModuleAbi
            )
            return abi

        return await self._cache.get(("abi", address, module), fetch)

    async def entry_function_types(self, function_id: str) -> tuple[tuple[str, ...], int]:
        """The signature of an entry function, from its module's ABI (see :meth:`module_abi`).

        Args:
            function_id: the function, ``0xADDR::module::name``.

        Returns:
            ``(parameter types without signers, number of type parameters)``.

        Raises:
            InvalidArgumentError: ``function_id`` is not of that form, or the module has no
                such entry function.
            NotFoundError: the node has no such module.
            TransportError: no answer, after ``read_retries`` retries.
            APIStatusError: another non-2xx status.
            ResponseDecodeError: the ABI is not the documented shape.
        """
        parts = function_id.split("::")
        if len(parts) != 3:
            raise InvalidArgumentError(f"function must be 0xADDR::module::name: {function_id!r}")
        abi = await self.module_abi(parts[0], parts[1])
        found = abi.entry_function(parts[2])
        if found is None:
            raise InvalidArgumentError(f"module {abi.abi.name} has no entry function {parts[2]!r}")
        return found

    async def gas_unit_price(self) -> int:
        """The node's gas price estimate (``GET /v1/estimate_gas_price``).

        Cached for ``gas_price_ttl`` seconds; concurrent callers share one fetch.

        Returns:
            Octas (10^-8 APT) per gas unit.

        Raises:
            TransportError: no answer, after ``read_retries`` retries.
            APIStatusError: a non-2xx status (429 and 5xx only after ``read_retries`` retries).
            ResponseDecodeError: the answer is not the documented shape.
        """

        async def fetch() -> int:
            estimate: GasEstimate = await self._get_answer("/estimate_gas_price", GasEstimate)
            return estimate.gas_estimate

        return await self._cache.get("gas", fetch, ttl=self.gas_price_ttl)

    async def transaction_by_hash(self, tx_hash: str) -> ByHash | None:
        """A transaction by hash (``GET /v1/transactions/by_hash/{hash}``).

        Args:
            tx_hash: the transaction's hash, ``0x`` + 64 hex digits.

        Returns:
            The pending or committed user transaction, or ``None`` when the node does not know
            the hash (404).

        Raises:
            TransportError: no answer, after ``read_retries`` retries.
            APIStatusError: a non-2xx status (429 and 5xx only after ``read_retries`` retries).
            ResponseDecodeError: the answer is not the documented shape.
        """
        try:
            found: ByHash = await self._get_answer(f"/transactions/by_hash/{tx_hash}", ByHash)
        except NotFoundError:
            return None
        return found

    async def transaction_by_version(self, version: int) -> CommittedTransaction | None:
        """The committed user transaction at a ledger version
        (``GET /v1/transactions/by_version/{version}``).

        Args:
            version: the ledger version.

        Returns:
            The transaction, or ``None`` when the node has none at that version (404).

        Raises:
            TransportError: no answer, after ``read_retries`` retries.
            APIStatusError: a non-2xx status (429 and 5xx only after ``read_retries`` retries).
            ResponseDecodeError: the answer is not the documented shape.
                A version holding another kind of transaction fails to decode too.
        """
        try:
            found: CommittedTransaction = await self._get_answer(
                f"/transactions/by_version/{int(version)}", CommittedTransaction
            )
        except NotFoundError:
            return None
        return found

    # -- writes --------------------------------------------------------------------------------

    async def simulate(self, signed: _signing.SignedTransaction) -> CommittedTransaction:
        """Simulate a transaction without committing it (``POST /v1/transactions/simulate``).

        Sent once, not retried.

        Args:
            signed: bytes signed with ``simulate=True`` (a zero signature, as the node requires).

        Returns:
            What the transaction would do: ``success``, ``vm_status``, gas used and events.

        Raises:
            TransactionRejectedError: the node refused the simulation (a non-2xx status).
            TransportError: no answer.
            ResponseDecodeError: the answer is not a list of exactly one result.
        """
        response = await self._request("POST", "/transactions/simulate", content=signed.bytes)
        try:
            response.raise_for_status()
        except APIStatusError as exc:
            refusal = NodeRefusal.from_error(exc)
            raise TransactionRejectedError(
                f"simulation refused: {refusal.message}",
                error_code=refusal.error_code,
                vm_status=refusal.vm_status,
            ) from None
        results: Simulation = decode_answer(response, Simulation)
        if len(results) != 1:
            raise ResponseDecodeError(
                f"the node's simulation answer has {len(results)} results, expected 1",
                method=response.method,
                url=response.url,
                status_code=response.status,
            )
        return results[0].as_committed()

    async def send(self, signed: _signing.SignedTransaction) -> SendOutcome:
        """Submit the signed bytes, re-sending the *same bytes* on timeout, 429 or 5xx.

        Calls ``POST /v1/transactions`` with the BCS body, up to ``1 + submit_retries`` times.

        Args:
            signed: the signed transaction.

        Returns:
            ``"accepted"``, or ``"stale"`` / ``"ahead"`` / ``"taken"`` when the node refused the
            sequence number as too old, too new, or already used by a transaction in its mempool
            (the transaction certainly did not go in).

        Raises:
            TransactionRejectedError: the node refused the transaction for another reason.
            OutcomeUnknownError: an attempt may have reached the node but no usable answer came
                back; look the transaction up by hash before sending it again.
            TransportError: no attempt can have reached the node (every one failed to
                connect, e.g. :class:`~kana_async.ConnectError`): it certainly did not go in.
            RateLimitError: every attempt was turned away with 429 (or failed to connect):
                it certainly did not go in.
        """
        may_have_landed = False
        attempt = 0
        while True:
            try:
                response = await self._request("POST", "/transactions", content=signed.bytes)
                response.raise_for_status()
            except TransportError as exc:
                may_have_landed = may_have_landed or may_have_reached_server(exc)
                failure: KanaError = exc
                why = f"{type(exc).__name__}: {exc}"
            except (RateLimitError, ServerError) as exc:
                may_have_landed = may_have_landed or isinstance(exc, ServerError)
                failure = exc
                why = f"HTTP {exc.status_code}"
                await _honour_retry_after(exc)
            except APIStatusError as exc:
                return await self._refused(signed, NodeRefusal.from_error(exc), may_have_landed)
            else:
                try:
                    answer: SubmitAnswer = decode_answer(response, SubmitAnswer)
                except ResponseDecodeError as exc:
                    raise OutcomeUnknownError(
                        f"transaction {signed.hash}: the node answered HTTP {response.status} "
                        f"but its answer is unreadable ({exc.message}); look it up by hash",
                        hash=signed.hash,
                    ) from None
                if answer.hash != signed.hash:
                    log.warning("node reports hash %s for %s", answer.hash, signed.hash)
                return "accepted"
            log.debug("submit %s: %s, attempt %d", signed.hash, why, attempt)
            if attempt >= self.submit_retries:
                if not may_have_landed:
                    raise failure
                raise OutcomeUnknownError(
                    f"transaction {signed.hash} was sent but no acceptance came back ({why}); "
                    "look it up by hash before sending it again",
                    hash=signed.hash,
                )
            await anyio.sleep(backoff(attempt, self.retry_backoff))
            attempt += 1

    async def _refused(
        self, signed: _signing.SignedTransaction, refusal: NodeRefusal, may_have_landed: bool
    ) -> SendOutcome:
        outcome = refusal.sequence_outcome
        if outcome == "stale" and may_have_landed:
            # Our own earlier copy may be what used the number: ask for it by hash.
            try:
                found = await self.transaction_by_hash(signed.hash)
            except (TransportError, APIError) as exc:
                raise OutcomeUnknownError(
                    f"transaction {signed.hash} may have been executed; lookup failed: {exc}",
                    hash=signed.hash,
                ) from exc
            if found is not None:
                return "accepted"
        if outcome is not None:
            return outcome
        raise TransactionRejectedError(
            f"the node refused transaction {signed.hash}: {refusal.message}",
            hash=signed.hash,
            vm_status=refusal.vm_status,
            error_code=refusal.error_code,
        )

    async def poll(
        self,
        tx_hash: str,
        *,
        timeout: float,  # noqa: ASYNC109 - one long poll's transport timeout
    ) -> ByHash | None:
        """One long poll of ``GET /transactions/wait_by_hash/{hash}``.

        Not retried; the caller polls again.

        Args:
            tx_hash: the transaction's hash.
            timeout: the most seconds this poll may take (at least 0.05, at most the client's
                ``request_timeout``).

        Returns:
            The committed transaction, the pending one (the poll ended first), or ``None`` when
            the node does not know the hash (404).

        Raises:
            TransportError: no answer in time.
            APIStatusError: another non-2xx status.
            ResponseDecodeError: the answer is not the documented shape.
        """
        response = await self._request(
            "GET",
            f"/transactions/wait_by_hash/{tx_hash}",
            timeout=max(0.05, min(timeout, self.request_timeout)),
            long_poll=True,
        )
        try:
            response.raise_for_status()
        except NotFoundError:
            return None
        found: ByHash = decode_answer(response, ByHash)
        return found
