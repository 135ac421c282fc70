"""``kana.trading``: check, fetch the payload, sign, submit and confirm.

Every action (:class:`~kana_async.resources._actions.Actions`) checks its arguments first (types,
then the market's tick, lot, size limits and maximum leverage from the cached market info, and
the leverage of an open position), asks the REST API for the payload, signs it with the
client's account, submits the signed bytes to the Aptos node and waits for the outcome. Three
views of the same actions:

* ``kana.trading.x(...)`` returns a :class:`~kana_async.TransactionResult` (with the orders the
  transaction placed and cancelled and its fills), or raises
  :class:`~kana_async.MoveAbortError` (with Kana's code name) /
  :class:`~kana_async.TransactionRejectedError` / :class:`~kana_async.OutcomeUnknownError`.
* ``kana.trading.no_wait.x(...)`` returns a :class:`~kana_async.PendingTransaction` as soon as
  the node accepted the transaction; ``await pending.wait()`` later.
* ``kana.trading.dry_run.x(...)`` simulates on the node instead: nothing is submitted.

Cancellation never hides a transaction: once it is signed, the client owns it. Cancelling the
caller (a task group, ``asyncio.timeout``, closing the client) stops the *waiting*, not the
transaction: the client goes on resolving it in its own background task, lists it in
:attr:`Trading.unresolved` meanwhile (and logs one WARNING with its hash), and records the final
outcome (:meth:`Trading.outcome`, :attr:`Trading.outcomes`). Cancelling before the signature
sends nothing.

Prices and sizes are ``Decimal`` in human units. A value off the market's grid raises
:class:`~kana_async.PrecisionError` naming the nearest valid values, unless ``rounding=`` (a
:mod:`decimal` rounding mode such as ``decimal.ROUND_DOWN``) asks to round it.
"""

from __future__ import annotations

import contextlib
import re
from typing import TYPE_CHECKING

from kana_async._exceptions import ArgumentTypeError, InvalidArgumentError
from kana_async._known_orders import KnownOrders
from kana_async._validation import check_timeout, check_tx_hash
from kana_async.models.payloads import FUNCTION_ID_PATTERN, TransactionPayload
from kana_async.models.transactions import (
    PendingTransaction,
    TransactionOutcome,
    TransactionResult,
    UnresolvedTransaction,
)
from kana_async.resources._actions import Actions, Call
from kana_async.resources._checks import CancelSpec, snap
from kana_async.resources._trade_base import DryRun, NoWait, SigningView, TradingCore

if TYPE_CHECKING:
    from kana_async._context import ClientContext
    from kana_async._options import TradingOptions

__all__ = ["CancelSpec", "Trading", "snap"]


class Trading(SigningView, Actions[TransactionResult]):
    """Signed transactions for the client's account (``kana.trading``).

    Its settings are the client's :class:`~kana_async.TradingOptions`
    (``kana.options.trading``: gas, expiry, ``confirm_timeout``, ``submit_retries``,
    ``node_timeout``, ``close_timeout``, ``check_position_leverage``,
    ``max_pending_transactions``), read here through read-only properties; a client with other
    settings (``kana.with_options(confirm_timeout=60)``) shares this one's sender, sequence
    numbers, unresolved transactions and known orders.

    Every action first calls the REST path its docstring names for the payload, then submits
    the signed transaction to the Aptos node (``POST /v1/transactions``) and waits for it
    (``GET /v1/transactions/wait_by_hash/{hash}``).

    Args:
        context: the client's context (its account signs, its pool carries the requests).
    """

    def __init__(self, context: ClientContext) -> None:
        super().__init__(context)
        self._core = TradingCore(context)
        self.no_wait = NoWait(context, self._core)
        """The same actions, returning a :class:`~kana_async.PendingTransaction` once accepted."""
        self.dry_run = DryRun(context, self._core)
        """The same actions, simulated on the node (nothing is submitted)."""

    # -- settings (read-only: they are the client's options) -----------------------------------

    @property
    def options(self) -> TradingOptions:
        """Every trading setting (frozen; ``kana.with_options(...)`` for others)."""
        return self._core.options

    @property
    def confirm_timeout(self) -> float:
        """Seconds a call waits for the outcome by default."""
        return self._core.options.confirm_timeout

    @property
    def submit_retries(self) -> int:
        """Re-sends of the same signed bytes after a timeout, 429 or 5xx."""
        return self._core.state.settings.submit_retries

    @property
    def node_timeout(self) -> float:
        """Seconds each node request may take."""
        return self._core.state.settings.node_timeout

    @property
    def close_timeout(self) -> float:
        """Seconds ``aclose()`` waits for unresolved transactions before it reports them."""
        return self._core.state.settings.close_timeout

    @property
    def check_position_leverage(self) -> bool:
        """Whether orders read the account's positions to check their leverage first."""
        return self._core.options.check_position_leverage

    @property
    def max_pending_transactions(self) -> int:
        """Transactions of the account outstanding at once at most."""
        return self._core.state.settings.max_pending_transactions

    def __repr__(self) -> str:
        return f"<Trading of {self._client!r}>"

    # -- what the client knows about its transactions and orders ---------------------------------

    @property
    def unresolved(self) -> tuple[UnresolvedTransaction, ...]:
        """Signed transactions whose outcome is not known yet (hash, action, market, sequence
        number), oldest first. After ``aclose()`` it lists what was left unresolved."""
        return self._core.tracker.unresolved

    @property
    def outcomes(self) -> tuple[TransactionOutcome, ...]:
        """Final outcomes of the most recent transactions (the last 1,000), oldest first."""
        return self._core.tracker.outcomes

    async def outcome(self, tx_hash: str, *, timeout: float | None = None) -> TransactionOutcome:  # noqa: ASYNC109
        """The final outcome of a transaction this client sent, waiting while it is unresolved.

        Args:
            tx_hash: the transaction hash (from :attr:`unresolved`, a result or an error).
            timeout: seconds to wait at most (default ``options.confirm_timeout``).

        Returns:
            The outcome: the hash, action, market, sequence number and either the result or
            the error it ended in. No request is sent: this is the client's own record.

        Raises:
            InvalidArgumentError: the hash is neither unresolved nor among the recent outcomes.
            OutcomeUnknownError: still unresolved when the timeout passed.
        """
        from kana_async._exceptions import InvalidArgumentError, KanaError

        tx_hash = check_tx_hash(tx_hash)
        timeout = check_timeout(timeout)
        tracker = self._core.tracker
        found = tracker.outcome(tx_hash)
        if found is not None:
            return found
        sub = tracker.pending(tx_hash)
        if sub is None:
            raise InvalidArgumentError(f"no transaction {tx_hash} among this client's recent ones")
        limit = self.confirm_timeout if timeout is None else timeout
        with contextlib.suppress(KanaError):
            await sub.wait(limit)
        found = tracker.outcome(sub.hash)
        if found is None:  # abandoned while closing
            from kana_async._exceptions import OutcomeUnknownError

            raise OutcomeUnknownError(f"transaction {tx_hash} is still unresolved", hash=tx_hash)
        return found

    @property
    def orders(self) -> KnownOrders:
        """The orders this client placed (id → market, side) as its transactions' events say."""
        return self._core.known_orders

    # -- any payload ---------------------------------------------------------------------------

    async def _run(self, call: Call) -> TransactionResult:
        core = self._core
        payload = await core.payload(self, call)
        sender = core.sender()
        sub = await sender.submit(
            payload, action=call.action, market_id=call.market_id, options=core.send_options
        )
        return await sender.wait(sub, self.confirm_timeout)

    async def execute(
        self,
        payload: TransactionPayload,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - a deadline, ends in OutcomeUnknownError
        market_id: int | None = None,
    ) -> TransactionResult:
        """Sign, submit and confirm any entry-function payload (e.g. one from ``kana.payloads``).

        Reads the function's ABI (``GET /v1/accounts/{address}/module/{module}``, cached), the
        gas price estimate and the account's sequence number from the node, then submits
        (``POST /v1/transactions``) and waits (``GET /v1/transactions/wait_by_hash/{hash}``).

        Args:
            payload: the entry-function call.
            timeout: seconds to wait for the outcome (default ``options.confirm_timeout``).
            market_id: the market it acts on, to decode its order events in human units.

        Returns:
            The committed transaction's result, with its order events.

        Raises:
            ClientStateError: the client is not open.
            InvalidArgumentError: the client has no account, the function's module has no such
                entry function, or an argument does not fit its Move type.
            ArgumentTypeError: an argument has the wrong Python type for its Move type.
            APIError: the node refused to give the module's ABI or the gas price.
            MoveAbortError: it was committed but a Move function aborted (``code_name`` is
                Kana's constant).
            TransactionRejectedError: the node refused it or it expired: it did not execute.
            OutcomeUnknownError: no outcome within ``timeout`` (the client keeps resolving it:
                :attr:`unresolved`, :meth:`outcome`).
            TransportError: no attempt reached the node: it did not execute.
            RateLimitError: the node turned every attempt away with 429: it did not execute.
        """
        payload, market_id = self._checked(payload, market_id)
        limit = check_timeout(timeout)
        core = self._core
        sender = core.sender()
        sub = await sender.submit(
            payload, action="execute", market_id=market_id, options=core.send_options
        )
        return await sender.wait(sub, self.confirm_timeout if limit is None else limit)

    async def submit(
        self, payload: TransactionPayload, *, market_id: int | None = None
    ) -> PendingTransaction:
        """Sign and submit any payload, returning once the node accepted it.

        Node calls as for :meth:`execute`, without the wait.

        Args:
            payload: the entry-function call.
            market_id: the market it acts on, to decode its order events when waited for.

        Returns:
            A :class:`~kana_async.PendingTransaction` (``await pending.wait()`` for the
            result).

        Raises:
            ClientStateError: the client is not open.
            InvalidArgumentError: the client has no account, the function's module has no such
                entry function, or an argument does not fit its Move type.
            ArgumentTypeError: an argument has the wrong Python type for its Move type.
            APIError: the node refused to give the module's ABI or the gas price.
            TransactionRejectedError: the node refused it.
            OutcomeUnknownError: no acceptance came back (the client keeps resolving it).
            TransportError: no attempt reached the node: it did not execute.
            RateLimitError: the node turned every attempt away with 429.
        """
        payload, market_id = self._checked(payload, market_id)
        core = self._core
        sender = core.sender()
        sub = await sender.submit(
            payload, action="execute", market_id=market_id, options=core.send_options
        )
        return await sender.accepted(sub, self.confirm_timeout)

    async def simulate(
        self, payload: TransactionPayload, *, market_id: int | None = None
    ) -> TransactionResult:
        """Dry-run any payload on the node (``POST /v1/transactions/simulate``); nothing commits.

        Args:
            payload: the entry-function call.
            market_id: the market it acts on, to decode its order events in human units.

        Returns:
            The result the transaction would have now (gas used, order events).

        Raises:
            ClientStateError: the client is not open.
            InvalidArgumentError: the client has no account, the function's module has no such
                entry function, or an argument does not fit its Move type.
            ArgumentTypeError: an argument has the wrong Python type for its Move type.
            APIError: the node refused to give the module's ABI or the gas price.
            MoveAbortError: it would abort.
            TransactionRejectedError: it would fail otherwise, or the node refused to simulate.
            TransportError: the node cannot be reached.
        """
        payload, market_id = self._checked(payload, market_id)
        core = self._core
        return await core.sender().simulate(payload, market_id=market_id, options=core.send_options)

    async def lookup(self, tx_hash: str) -> TransactionResult | PendingTransaction | None:
        """A transaction by hash, sent by this client or not.

        Calls the node's ``GET /v1/transactions/by_hash/{hash}`` unless this client is still
        resolving the transaction. Use it after :class:`~kana_async.OutcomeUnknownError`.

        Args:
            tx_hash: the transaction hash, ``0x`` + 64 hex digits.

        Returns:
            Its :class:`~kana_async.TransactionResult` when committed, a
            :class:`~kana_async.PendingTransaction` while pending, or ``None`` when the node
            does not know it.

        Raises:
            ClientStateError: the client is not open.
            InvalidArgumentError: the client has no account.
            MoveAbortError: it was committed but aborted.
            TransactionRejectedError: it was committed but failed otherwise, or this client's
                submission of it was refused.
            TransportError: the node cannot be reached, after retries.
            APIError: the node answered with an error status or an unusable body.
        """
        return await self._core.sender().lookup(check_tx_hash(tx_hash))

    def _checked(self, payload: object, market_id: object) -> tuple[TransactionPayload, int | None]:
        """The arguments of the any-payload methods, checked before any I/O."""
        if not isinstance(payload, TransactionPayload):
            raise ArgumentTypeError(
                "payload must be a TransactionPayload (e.g. from kana.payloads), "
                f"not {type(payload).__name__}"
            )
        if re.fullmatch(FUNCTION_ID_PATTERN, payload.function) is None:
            raise InvalidArgumentError(
                f"payload function {payload.function[:80]!r} is not "
                "'0x<address>::<module>::<function>'"
            )
        return payload, None if market_id is None else self._market(market_id)
