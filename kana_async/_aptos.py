"""Talking to an Aptos fullnode: ABIs, gas price, sequence numbers, submit and confirm.

Three layers, each usable alone:

* :class:`NodeClient`: node HTTP calls over the client's shared ``httpx.AsyncClient``. Reads are
  retried; module ABIs are cached per module and fetched once however many callers ask at the
  same time (single-flight); the gas price estimate is cached briefly.
* :class:`SequenceAllocator`: one per account. Hands out sequence numbers without collisions,
  re-uses numbers whose transaction never got in (so a failed submission does not leave a gap
  that wedges the ones behind it), resynchronises from the node, caps transactions in flight.
* :class:`TransactionSender`: payload → signed bytes → submit → confirm for one signer. A
  timeout, 429 or 5xx on submit re-sends the *same signed bytes*; a transaction is only ever
  re-signed when the node said for certain that it did not take it.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import random
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol, TypeVar

import httpx

from kana_async import _signing
from kana_async._exceptions import (
    APIStatusError,
    ConnectError,
    InvalidArgumentError,
    MoveAbortError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitError,
    RequestTimeoutError,
    ResponseDecodeError,
    ServerError,
    TransactionRejectedError,
    TransportError,
)
from kana_async._movetypes import normalize_address
from kana_async._signer import Signer
from kana_async.models.transactions import (
    PendingTransaction,
    TransactionResult,
    parse_move_abort,
)

__all__ = [
    "BCS_CONTENT_TYPE",
    "NodeClient",
    "PayloadLike",
    "SequenceAllocator",
    "TransactionSender",
]

log = logging.getLogger("kana_async")

#: Content type of a BCS signed transaction body.
BCS_CONTENT_TYPE: Final = "application/x.aptos.signed_transaction+bcs"

_T = TypeVar("_T")
#: What a submission ended in when it did not raise.
_SendOutcome = Literal["accepted", "stale", "ahead", "taken"]
_RETRY_STATUS: Final = frozenset({429, 500, 502, 503, 504})


class PayloadLike(Protocol):
    """An entry-function payload (:class:`kana_async.models.TransactionPayload` is one)."""

    @property
    def function(self) -> str: ...

    @property
    def type_arguments(self) -> tuple[str, ...]: ...

    @property
    def function_arguments(self) -> tuple[Any, ...]: ...


class _Retry(Exception):
    """The single-flight fetcher was cancelled; a waiter should fetch itself."""


class _SingleFlight:
    """A keyed cache where concurrent misses share one fetch."""

    def __init__(self) -> None:
        self._values: dict[Hashable, tuple[float | None, Any]] = {}
        self._inflight: dict[Hashable, asyncio.Future[Any]] = {}

    def invalidate(self, key: Hashable) -> None:
        self._values.pop(key, None)

    async def get(
        self, key: Hashable, fetch: Callable[[], Awaitable[_T]], ttl: float | None = None
    ) -> _T:
        loop = asyncio.get_running_loop()
        while True:
            hit = self._values.get(key)
            if hit is not None and (hit[0] is None or hit[0] > loop.time()):
                value: _T = hit[1]
                return value
            shared = self._inflight.get(key)
            if shared is None:
                break
            try:
                result: _T = await asyncio.shield(shared)
                return result
            except _Retry:
                continue
        future: asyncio.Future[Any] = loop.create_future()
        self._inflight[key] = future
        try:
            fetched = await fetch()
        except BaseException as exc:
            del self._inflight[key]
            shared_exc = exc if isinstance(exc, Exception) else _Retry()
            future.set_exception(shared_exc)
            future.exception()  # retrieved: no "never retrieved" noise when nobody waited
            raise
        del self._inflight[key]
        self._values[key] = (None if ttl is None else loop.time() + ttl, fetched)
        future.set_result(fetched)
        return fetched


def _backoff(attempt: int, base: float, cap: float = 2.0) -> float:
    return float(min(cap, base * (2**attempt)) * (0.5 + random.random() / 2))


def _error_json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _status_error(response: httpx.Response) -> APIStatusError:
    body = _error_json(response)
    message = str(body.get("message") or response.reason_phrase or "node error")
    kw: dict[str, Any] = {
        "method": response.request.method,
        "url": str(response.request.url),
        "status_code": response.status_code,
        "body": response.content,
    }
    if response.status_code == 404:
        return NotFoundError(message, **kw)
    if response.status_code == 429:
        return RateLimitError(message, retry_after=_retry_after(response), **kw)
    if response.status_code >= 500:
        return ServerError(message, **kw)
    return APIStatusError(message, **kw)


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("retry-after", "")))
    except ValueError:
        return None


class NodeClient:
    """Aptos fullnode calls over a shared ``httpx.AsyncClient``.

    Args:
        http: the client's connection pool.
        node_url: the node's base URL including ``/v1``.
        read_retries: extra attempts for reads on transport errors, 429 and 5xx.
        submit_retries: extra re-sends of the same signed bytes on timeout, 429 or 5xx.
        retry_backoff: first backoff in seconds (doubles, with jitter, capped at 2 s).
        request_timeout: per-request timeout in seconds.
        gas_price_ttl: seconds the gas price estimate is cached.
        max_in_flight: node requests on the wire at once (httpx slows down sharply when many
            requests queue on its pool); ``wait_by_hash`` long polls get half as many slots,
            so waiting never starves submissions.
        clock: unix seconds, to tell when a transaction has expired.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        node_url: str,
        *,
        read_retries: int = 3,
        submit_retries: int = 5,
        retry_backoff: float = 0.05,
        request_timeout: float = 10.0,
        gas_price_ttl: float = 10.0,
        max_in_flight: int = 10,
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
        self._cache = _SingleFlight()
        self._slots = asyncio.Semaphore(max_in_flight)
        self._wait_slots = asyncio.Semaphore(max(1, max_in_flight // 2))

    # -- reads ---------------------------------------------------------------------------------

    async def _get(self, path: str) -> httpx.Response:
        """GET with retries; returns any non-retryable answer (including 4xx)."""
        url = self.node_url + path
        attempt = 0
        while True:
            try:
                async with self._slots:
                    response = await self.http.get(url, timeout=self.request_timeout)
            except httpx.TimeoutException as exc:
                if attempt >= self.read_retries:
                    raise RequestTimeoutError(f"no answer from the node for GET {url}") from exc
            except httpx.TransportError as exc:
                if attempt >= self.read_retries:
                    raise ConnectError(f"cannot reach the node for GET {url}: {exc}") from exc
            else:
                if response.status_code not in _RETRY_STATUS or attempt >= self.read_retries:
                    return response
                delay = _retry_after(response) if response.status_code == 429 else None
                await asyncio.sleep(min(delay, 5.0) if delay is not None else 0)
            await asyncio.sleep(_backoff(attempt, self.retry_backoff))
            attempt += 1

    async def _get_json(self, path: str) -> Any:
        response = await self._get(path)
        if response.status_code != 200:
            raise _status_error(response)
        try:
            return response.json()
        except ValueError:
            raise ResponseDecodeError(
                "the node answered with malformed JSON",
                method="GET",
                url=self.node_url + path,
                status_code=response.status_code,
                body=response.content,
            ) from None

    async def ledger_info(self) -> dict[str, Any]:
        """``GET /`` (chain id, ledger version and timestamp)."""
        info: dict[str, Any] = await self._get_json("")
        return info

    async def sequence_number(self, address: str) -> int:
        """The account's sequence number on chain (0 for an account that does not exist yet)."""
        response = await self._get(f"/accounts/{address}")
        if response.status_code == 404:
            return 0
        if response.status_code != 200:
            raise _status_error(response)
        return int(response.json()["sequence_number"])

    async def module_abi(self, address: str, module: str) -> dict[str, Any]:
        """A module's ABI document; fetched once per module and shared by concurrent callers."""
        address = normalize_address(address)

        async def fetch() -> dict[str, Any]:
            log.debug("fetching ABI of %s::%s", address, module)
            doc: dict[str, Any] = await self._get_json(f"/accounts/{address}/module/{module}")
            return doc

        return await self._cache.get(("abi", address, module), fetch)

    async def entry_function_types(self, function_id: str) -> tuple[tuple[str, ...], int]:
        """``(parameter types without signers, number of type parameters)`` from the ABI."""
        parts = function_id.split("::")
        if len(parts) != 3:
            raise InvalidArgumentError(f"function must be 0xADDR::module::name: {function_id!r}")
        abi = await self.module_abi(parts[0], parts[1])
        return _signing.entry_param_types(abi, parts[2])

    async def gas_unit_price(self) -> int:
        """The node's gas price estimate (octas per gas unit), cached for ``gas_price_ttl``."""

        async def fetch() -> int:
            body = await self._get_json("/estimate_gas_price")
            return int(body["gas_estimate"])

        return await self._cache.get("gas", fetch, ttl=self.gas_price_ttl)

    async def transaction_by_hash(self, tx_hash: str) -> dict[str, Any] | None:
        """A transaction (pending or committed) by hash, or ``None`` if the node has none."""
        response = await self._get(f"/transactions/by_hash/{tx_hash}")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise _status_error(response)
        body: dict[str, Any] = response.json()
        return body

    # -- writes --------------------------------------------------------------------------------

    async def simulate(self, signed: _signing.SignedTransaction) -> dict[str, Any]:
        """``POST /transactions/simulate`` for bytes signed with ``simulate=True``."""
        url = self.node_url + "/transactions/simulate"
        try:
            async with self._slots:
                response = await self.http.post(
                    url,
                    content=signed.bytes,
                    headers={"content-type": BCS_CONTENT_TYPE},
                    timeout=self.request_timeout,
                )
        except httpx.TimeoutException as exc:
            raise RequestTimeoutError(f"no answer from the node for POST {url}") from exc
        except httpx.TransportError as exc:
            raise ConnectError(f"cannot reach the node for POST {url}: {exc}") from exc
        if response.status_code != 200:
            body = _error_json(response)
            raise TransactionRejectedError(
                f"simulation refused: {body.get('message') or response.status_code}",
                error_code=body.get("error_code"),
                vm_status=_vm_error_name(body),
            )
        result = response.json()
        first: dict[str, Any] = result[0] if isinstance(result, list) else result
        return first

    async def send(self, signed: _signing.SignedTransaction) -> _SendOutcome:
        """Submit the signed bytes, re-sending the *same bytes* on timeout, 429 or 5xx.

        Returns ``"accepted"``, or ``"stale"`` / ``"ahead"`` / ``"taken"`` when the node refused
        the sequence number (the transaction certainly did not go in). Raises
        :class:`TransactionRejectedError` for any other refusal and
        :class:`OutcomeUnknownError` when no usable answer came back.
        """
        url = self.node_url + "/transactions"
        may_have_landed = False
        attempt = 0
        while True:
            try:
                async with self._slots:
                    response = await self.http.post(
                        url,
                        content=signed.bytes,
                        headers={"content-type": BCS_CONTENT_TYPE},
                        timeout=self.request_timeout,
                    )
            except httpx.TransportError as exc:
                may_have_landed = True
                why = f"{type(exc).__name__}: {exc}"
                log.debug("submit %s: no answer (%s), attempt %d", signed.hash, why, attempt)
            else:
                status = response.status_code
                if status == 202 or status == 200:
                    landed = str(_error_json(response).get("hash", signed.hash))
                    if landed != signed.hash:
                        log.warning("node reports hash %s for %s", landed, signed.hash)
                    return "accepted"
                if status not in _RETRY_STATUS:
                    return await self._refused(signed, response, may_have_landed)
                if status >= 500:
                    may_have_landed = True
                why = f"HTTP {status}"
                log.debug("submit %s: %s, attempt %d", signed.hash, why, attempt)
                delay = _retry_after(response) if status == 429 else None
                if delay:
                    await asyncio.sleep(min(delay, 5.0))
            if attempt >= self.submit_retries:
                raise OutcomeUnknownError(
                    f"transaction {signed.hash} was sent but no acceptance came back ({why}); "
                    "look it up by hash before sending it again",
                    hash=signed.hash,
                )
            await asyncio.sleep(_backoff(attempt, self.retry_backoff))
            attempt += 1

    async def _refused(
        self, signed: _signing.SignedTransaction, response: httpx.Response, may_have_landed: bool
    ) -> _SendOutcome:
        body = _error_json(response)
        vm_error = _vm_error_name(body)
        error_code = body.get("error_code")
        if vm_error == "SEQUENCE_NUMBER_TOO_OLD":
            if may_have_landed:
                # Our own earlier copy may be what used the number: ask for it by hash.
                try:
                    found = await self.transaction_by_hash(signed.hash)
                except (TransportError, APIStatusError) as exc:
                    raise OutcomeUnknownError(
                        f"transaction {signed.hash} may have been executed; lookup failed: {exc}",
                        hash=signed.hash,
                    ) from exc
                if found is not None:
                    return "accepted"
            return "stale"
        if vm_error == "SEQUENCE_NUMBER_TOO_NEW":
            return "ahead"
        if error_code == "invalid_transaction_update":
            return "taken"
        message = str(body.get("message") or f"HTTP {response.status_code}")
        raise TransactionRejectedError(
            f"the node refused transaction {signed.hash}: {message}",
            hash=signed.hash,
            vm_status=vm_error,
            error_code=str(error_code) if error_code is not None else None,
        )

    async def wait(
        self,
        tx_hash: str,
        *,
        timeout: float,  # noqa: ASYNC109 - a deadline that ends in OutcomeUnknownError
        expiration_timestamp_secs: int | None = None,
    ) -> dict[str, Any]:
        """Long-poll ``wait_by_hash`` until the transaction is committed; its JSON.

        Raises :class:`OutcomeUnknownError` when ``timeout`` passes first and
        :class:`TransactionRejectedError` once the node no longer knows it after its expiry.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        attempt = 0
        last = "no answer yet"
        while True:
            left = deadline - loop.time()
            if left <= 0:
                raise OutcomeUnknownError(
                    f"transaction {tx_hash} not confirmed within {timeout:g}s ({last}); "
                    "look it up by hash before sending it again",
                    hash=tx_hash,
                )
            try:
                async with self._wait_slots:
                    response = await self.http.get(
                        f"{self.node_url}/transactions/wait_by_hash/{tx_hash}",
                        timeout=max(0.05, min(left, self.request_timeout)),
                    )
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}"
            else:
                if response.status_code == 200:
                    body: dict[str, Any] = response.json()
                    if body.get("type") not in (None, "pending_transaction"):
                        return body
                    last = "still pending"
                    attempt = 0
                elif response.status_code == 404:
                    last = "unknown to the node"
                    expiry = expiration_timestamp_secs
                    if expiry is not None and self.clock() > expiry + 1:
                        raise TransactionRejectedError(
                            f"transaction {tx_hash} expired without being executed",
                            hash=tx_hash,
                            vm_status="TRANSACTION_EXPIRED",
                        )
                else:
                    last = f"HTTP {response.status_code}"
            await asyncio.sleep(min(_backoff(attempt, self.retry_backoff, cap=0.5), left))
            attempt += 1


def _vm_error_name(body: dict[str, Any]) -> str | None:
    """The validation status name in a node error (``SEQUENCE_NUMBER_TOO_OLD``...)."""
    message = str(body.get("message") or "")
    for name in _VM_CODES:
        if name in message:
            return name
    number = body.get("vm_error_code")
    for name, known in _VM_CODES.items():
        if number == known:
            return name
    return None


_VM_CODES: Final[dict[str, int]] = {
    "INVALID_SIGNATURE": 1,
    "INVALID_AUTH_KEY": 2,
    "SEQUENCE_NUMBER_TOO_OLD": 3,
    "SEQUENCE_NUMBER_TOO_NEW": 4,
    "INSUFFICIENT_BALANCE_FOR_TRANSACTION_FEE": 5,
    "TRANSACTION_EXPIRED": 6,
    "SENDING_ACCOUNT_DOES_NOT_EXIST": 7,
    "GAS_UNIT_PRICE_BELOW_MIN_BOUND": 15,
    "BAD_CHAIN_ID": 18,
}


class SequenceAllocator:
    """Sequence numbers for one account: unique, gap-filling, resynchronising, capped.

    ``fetch`` returns the account's on-chain sequence number. ``max_in_flight`` bounds how far
    the numbers handed out may run ahead of the last number known to be used on chain (Aptos
    parks at most about 100 per account); when full, :meth:`allocate` waits for
    :meth:`committed` calls and re-reads the chain every ``poll`` seconds.

    Every number handed out is *outstanding* until :meth:`committed` (it is on chain),
    :meth:`release` (it certainly or possibly did not get in: hand it out again first) or
    :meth:`forget` (its fate is unknown). A resync turns any number between the chain's and the
    next fresh one that is not outstanding into a free number, so a transaction that never
    landed cannot leave a gap that parks every later one.
    """

    def __init__(
        self,
        fetch: Callable[[], Awaitable[int]],
        *,
        max_in_flight: int = 100,
        poll: float = 0.5,
    ) -> None:
        if max_in_flight < 1:
            raise InvalidArgumentError("max_in_flight must be at least 1")
        self._fetch = fetch
        self._max = max_in_flight
        self._poll = poll
        self._next: int | None = None
        self._floor = 0
        self._free: list[int] = []
        self._outstanding: set[int] = set()
        self._cond = asyncio.Condition()

    @property
    def next_number(self) -> int | None:
        """The next fresh number (``None`` before the first sync)."""
        return self._next

    @property
    def outstanding(self) -> frozenset[int]:
        """Numbers handed out whose transactions are not known to be resolved."""
        return frozenset(self._outstanding)

    async def allocate(self) -> int:
        """A sequence number no other pending transaction of this allocator holds."""
        async with self._cond:
            if self._next is None:
                await self._sync_locked(reset=True)
            assert self._next is not None
            while True:
                while self._free and self._free[0] < self._floor:
                    heapq.heappop(self._free)
                if self._free:
                    number = heapq.heappop(self._free)
                    break
                if self._next - self._floor < self._max:
                    number = self._next
                    self._next += 1
                    break
                try:
                    await asyncio.wait_for(self._cond.wait(), self._poll)
                except TimeoutError:
                    await self._sync_locked(reset=False)
            self._outstanding.add(number)
            return number

    def release(self, number: int) -> None:
        """``number`` was not (or may not have been) used: hand it out again first."""
        self._outstanding.discard(number)
        if number >= self._floor and number not in self._free:
            heapq.heappush(self._free, number)

    def forget(self, number: int) -> None:
        """``number``'s transaction has an unknown fate; a later resync decides about it."""
        self._outstanding.discard(number)

    async def committed(self, number: int) -> None:
        """The transaction with ``number`` is on chain: everything below is used."""
        async with self._cond:
            self._outstanding.discard(number)
            if number + 1 > self._floor:
                self._floor = number + 1
                if self._next is not None and self._next < self._floor:
                    self._next = self._floor
                self._cond.notify_all()

    async def resync(self, *, reset: bool = False) -> None:
        """Re-read the chain's number and fill gaps. ``reset`` also forgets every number above."""
        async with self._cond:
            await self._sync_locked(reset=reset)

    async def _sync_locked(self, *, reset: bool) -> None:
        on_chain = await self._fetch()
        log.debug("sequence number on chain: %d (reset=%s)", on_chain, reset)
        if reset or self._next is None:
            self._floor = on_chain
            self._next = on_chain
            self._free = []
            self._outstanding.clear()
        else:
            self._floor = max(self._floor, on_chain)
            self._next = max(self._next, self._floor)
            self._outstanding = {n for n in self._outstanding if n >= self._floor}
            free = {n for n in self._free if n >= self._floor}
            free.update(n for n in range(self._floor, self._next) if n not in self._outstanding)
            self._free = sorted(free)
        self._cond.notify_all()


@dataclass(frozen=True, slots=True)
class SendOptions:
    """Gas and expiry settings of a :class:`TransactionSender`."""

    max_gas_amount: int = 20_000
    gas_unit_price: int | None = None  # None: the node's estimate
    expiration_seconds: int = 30
    confirm_timeout: float = 30.0
    max_resign: int = 8


class TransactionSender:
    """Sign, submit and confirm entry-function payloads for one signer.

    Concurrent calls are safe: each gets its own sequence number from one
    :class:`SequenceAllocator`.
    """

    def __init__(
        self,
        node: NodeClient,
        signer: Signer,
        *,
        chain_id: int,
        options: SendOptions | None = None,
        max_in_flight: int = 100,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.node = node
        self.signer = signer
        self.chain_id = chain_id
        self.options = options or SendOptions()
        self.clock = clock
        self.allocator = SequenceAllocator(
            lambda: node.sequence_number(signer.address), max_in_flight=max_in_flight
        )

    async def _spec(self, payload: PayloadLike, sequence_number: int) -> _signing.TransactionSpec:
        params, generics = await self.node.entry_function_types(payload.function)
        if len(payload.type_arguments) != generics:
            raise InvalidArgumentError(
                f"{payload.function} takes {generics} type arguments, "
                f"the payload has {len(payload.type_arguments)}"
            )
        price = self.options.gas_unit_price or await self.node.gas_unit_price()
        return _signing.TransactionSpec(
            sender=self.signer.address,
            sequence_number=sequence_number,
            function=payload.function,
            type_arguments=tuple(payload.type_arguments),
            arguments=tuple(payload.function_arguments),
            param_types=params,
            max_gas_amount=self.options.max_gas_amount,
            gas_unit_price=price,
            expiration_timestamp_secs=int(self.clock()) + self.options.expiration_seconds,
            chain_id=self.chain_id,
        )

    async def submit(self, payload: PayloadLike) -> PendingTransaction:
        """Sign and submit ``payload``; returns once the node accepted it."""
        # Encode once before taking a number: bad arguments fail without touching the account.
        await _signing.sign_transaction(self.signer, await self._spec(payload, 0), simulate=True)
        for _ in range(self.options.max_resign):
            number = await self.allocator.allocate()
            try:
                spec = await self._spec(payload, number)
                signed = await _signing.sign_transaction(self.signer, spec)
                outcome = await self.node.send(signed)
            except BaseException:
                self.allocator.release(number)
                raise
            if outcome == "accepted":
                return self._pending(signed)
            log.debug("sequence number %d refused (%s); re-signing", number, outcome)
            if outcome == "stale":
                await self.allocator.resync()
            elif outcome == "ahead":
                await self.allocator.resync(reset=True)
        raise TransactionRejectedError(
            f"could not get a sequence number accepted after {self.options.max_resign} tries"
        )

    def _pending(self, signed: _signing.SignedTransaction) -> PendingTransaction:
        async def waiter(timeout: float | None) -> TransactionResult:  # noqa: ASYNC109
            return await self.confirm(signed, timeout=timeout)

        return PendingTransaction(
            hash=signed.hash,
            sender=signed.sender,
            sequence_number=signed.sequence_number,
            expiration_timestamp_secs=signed.expiration_timestamp_secs,
            waiter=waiter,
        )

    async def confirm(
        self,
        signed: _signing.SignedTransaction,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - ends in OutcomeUnknownError
    ) -> TransactionResult:
        """Wait for a submitted transaction; the result, or the typed failure."""
        try:
            body = await self.node.wait(
                signed.hash,
                timeout=self.options.confirm_timeout if timeout is None else timeout,
                expiration_timestamp_secs=signed.expiration_timestamp_secs,
            )
        except TransactionRejectedError:
            # Expired unexecuted: its number is free again, and so is any other gap.
            self.allocator.release(signed.sequence_number)
            await self.allocator.resync()
            raise
        except OutcomeUnknownError:
            self.allocator.forget(signed.sequence_number)
            raise
        await self.allocator.committed(signed.sequence_number)
        return result_from_json(body)

    async def execute(
        self,
        payload: PayloadLike,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - ends in OutcomeUnknownError
    ) -> TransactionResult:
        """Submit ``payload`` and wait for it to be committed."""
        pending = await self.submit(payload)
        return await pending.wait(timeout)

    async def simulate(self, payload: PayloadLike) -> TransactionResult:
        """Dry-run ``payload`` on the node; raises like :meth:`execute` when it would fail."""
        number = await self.node.sequence_number(self.signer.address)
        spec = await self._spec(payload, number)
        signed = await _signing.sign_transaction(self.signer, spec, simulate=True)
        return result_from_json(await self.node.simulate(signed))


def result_from_json(body: dict[str, Any]) -> TransactionResult:
    """A :class:`TransactionResult` from a committed transaction's JSON; raises if it failed."""
    vm_status = str(body.get("vm_status", ""))
    tx_hash = str(body.get("hash", ""))
    version = int(body.get("version") or 0)
    if not body.get("success"):
        abort = parse_move_abort(vm_status)
        if abort is not None:
            code, name = abort
            raise MoveAbortError(
                f"transaction {tx_hash} aborted with {name or 'code'} ({code}): {vm_status}",
                hash=tx_hash,
                vm_status=vm_status,
                abort_code=code,
                code_name=name,
                version=version,
            )
        raise TransactionRejectedError(
            f"transaction {tx_hash} failed: {vm_status}", hash=tx_hash, vm_status=vm_status
        )
    payload = body.get("payload") or {}
    return TransactionResult(
        hash=tx_hash,
        version=version,
        success=True,
        vm_status=vm_status,
        gas_used=int(body.get("gas_used") or 0),
        gas_unit_price=int(body.get("gas_unit_price") or 0),
        sender=str(body.get("sender", "")),
        sequence_number=int(body.get("sequence_number") or 0),
        timestamp_usec=int(body.get("timestamp") or 0),
        function=str(payload.get("function", "")),
    )
