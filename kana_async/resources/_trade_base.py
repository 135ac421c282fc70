"""The machinery under ``kana.trading`` and its views: one sender per account, checks, events.

:class:`TradingCore` owns the trading settings, the node client, the account's
:class:`~kana_async._aptos.sender.TransactionSender` (rebuilt when the client's pool changes),
the list of unresolved submissions and the registry of the client's orders. Every signing view
(``kana.trading``, ``kana.trading.no_wait``, ``kana.trading.dry_run``) runs an action the same
way (:meth:`TradingCore.payload`): check there is an account (before any I/O), check the
arguments against the market (and the leverage of an existing position), find the sides of
orders to cancel, fetch the payload; then the view signs and submits it, or simulates it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import anyio

from kana_async._aptos.answers import CommittedTransaction
from kana_async._aptos.events import committed_events
from kana_async._aptos.node import NodeClient
from kana_async._aptos.sender import TransactionSender
from kana_async._aptos.tracking import SubmissionTracker
from kana_async._exceptions import InvalidArgumentError, KanaError
from kana_async._known_orders import KnownOrders, SideLookup, chain_side_lookup
from kana_async.models.enums import Side
from kana_async.models.events import TransactionEvents
from kana_async.models.markets import MarketInfo
from kana_async.models.payloads import TransactionPayload
from kana_async.models.transactions import PendingTransaction, TransactionResult
from kana_async.resources._actions import Actions, Call
from kana_async.resources._base import Resource
from kana_async.resources._checks import Grid

if TYPE_CHECKING:
    from kana_async._context import ClientContext
    from kana_async._options import TradingOptions

__all__ = ["DryRun", "NoWait", "SigningView", "TradingCore", "TradingState"]

log = logging.getLogger("kana_async")


class TradingState:
    """What the trading views of related clients share: one sender per account, the list of
    unresolved submissions and the registry of the client's orders.

    Args:
        settings: the first client's trading options; the node and the sender are built with
            its ``submit_retries``, ``node_timeout`` and ``max_pending_transactions``, and
            closing waits its ``close_timeout``.
    """

    def __init__(self, settings: TradingOptions) -> None:
        self.settings = settings
        self.tracker = SubmissionTracker()
        self.known_orders = KnownOrders()
        self.profiles: set[str] = set()
        self.sender: TransactionSender | None = None
        self.node: NodeClient | None = None
        self.pool: object = None
        self.drain_registered = False


class TradingCore:
    """One client's trading settings over the shared :class:`TradingState`.

    Args:
        context: the client's context; its ``options.trading`` are this view's settings.
    """

    def __init__(self, context: ClientContext) -> None:
        self._context = context
        self._client = context.client
        self.options: TradingOptions = context.options.trading
        self.send_options = self.options.send_options()
        shared = context.shared
        if shared.trading is None:
            shared.trading = TradingState(shared.root_options.trading)
        self.state: TradingState = shared.trading

    @property
    def tracker(self) -> SubmissionTracker:
        """The unresolved submissions and recent outcomes (shared)."""
        return self.state.tracker

    @property
    def known_orders(self) -> KnownOrders:
        """The orders the client placed (shared)."""
        return self.state.known_orders

    # -- the node and the sender ---------------------------------------------------------------

    def node(self) -> NodeClient:
        """The node client over the client's pool (no account needed).

        Rebuilt when the client's pool changes; built with the first client's
        ``submit_retries`` and ``node_timeout``.

        Returns:
            The shared :class:`~kana_async._aptos.node.NodeClient` for the network's node URL.

        Raises:
            ClientStateError: the client is not open.
        """
        http = self._context.http
        state = self.state
        if state.node is None or state.pool is not http.pool:
            # The REST client's gate: REST and node requests share the pool's slots.
            state.node = NodeClient(
                http.pool,
                self._context.network.node_url,
                gate=http.gate,
                submit_retries=state.settings.submit_retries,
                request_timeout=state.settings.node_timeout,
            )
            state.sender = None
            state.pool = http.pool
        return state.node

    def sender(self) -> TransactionSender:
        """The account's sender (shared by the related clients), built on first use over
        :meth:`node`.

        Returns:
            The :class:`~kana_async._aptos.sender.TransactionSender`; each call passes this
            view's gas and expiry settings.

        Raises:
            ClientStateError: the client is not open.
            InvalidArgumentError: the client has no account.
        """
        context = self._context
        context.ensure_open()
        account = context.account
        if account is None:
            raise InvalidArgumentError(
                "trading needs an account: KanaClient(..., account=Account.from_env())"
            )
        node = self.node()
        state = self.state
        if not state.drain_registered:
            context.on_close(self._drain)
            state.drain_registered = True
        if state.sender is None:
            state.sender = TransactionSender(
                node,
                account,
                chain_id=context.network.chain_id,
                options=state.settings.send_options(),
                max_in_flight=state.settings.max_pending_transactions,
                tasks=context.tasks,
                tracker=state.tracker,
                describe=self.describe,
            )
        return state.sender

    # -- running an action ---------------------------------------------------------------------

    async def payload(self, view: Actions[Any], call: Call) -> TransactionPayload:
        """Check ``call`` against its market and fetch its payload (nothing signed yet).

        Reads the market's parameters (``GET /getMarketInfo``, cached) and, unless
        ``check_position_leverage`` is off, the account's positions
        (``GET /getPositionsFromContract``); finds the sides of orders to cancel; then asks for
        the payload at ``call.path``.

        Args:
            view: the view running the action (it fetches the payload).
            call: the action's request.

        Returns:
            The unsigned payload.

        Raises:
            ClientStateError: the client is not open.
            InvalidArgumentError: no account, a value outside the market's limits, a leverage
                other than the open position's, or an order side that cannot be found.
            PrecisionError: a price or size off the market's grid (no rounding asked for).
            APIError: a REST call failed (error status or unusable body).
            TransportError: a REST call got no answer, after retries.
        """
        self.sender()
        grid = None
        if call.market_id is not None:
            info = await self._market_info(call.market_id)
            grid = Grid(info, call.rounding)
            # The grid checks first (the result is rebuilt below): a value off the market's
            # limits fails before the position read or the side lookups do any I/O.
            call.build(grid, [False] * len(call.cancel))
            if self.options.check_position_leverage and call.open_sides:
                await self._check_position_leverage(info, call)
        sides = await self.find_sides(call.market_id, call.cancel)
        return await view._payload(call, grid, sides)

    async def _market_info(self, market_id: int) -> MarketInfo:
        info: MarketInfo = await self._client.markets.info(market_id)
        return info

    async def _check_position_leverage(self, info: MarketInfo, call: Call) -> None:
        """Refuse a leverage the exchange would refuse: one that differs from the leverage of
        the account's open position on that side (``GET /getPositionsFromContract``)."""
        positions = await self._client.portfolio.positions_from_contract(info.market_id)
        held = {p.side.value: p.leverage for p in positions if p.size > 0 and p.leverage > 0}
        for side, leverage in call.open_sides:
            expected = held.get(side)
            if expected is not None and expected != leverage:
                raise InvalidArgumentError(
                    f"leverage {leverage} differs from the leverage {expected} of the open "
                    f"{'long' if side else 'short'} position in market {info.market_id}; "
                    "the exchange refuses that"
                )

    async def find_sides(
        self, market_id: int | None, targets: tuple[tuple[str, bool | None], ...]
    ) -> list[bool]:
        """The side of each order to cancel: given, known from this client's orders, or looked
        up (``GET /fetchOrderStatusById``, then the node's transaction of the order's last
        change). Given sides are remembered.

        Args:
            market_id: the orders' market (``None`` only when there are no targets).
            targets: ``(order_id, side or None)`` per order (``True`` = long).

        Returns:
            ``True`` (long) or ``False`` (short) per target, in order.

        Raises:
            InvalidArgumentError: some sides cannot be found; the message names the ids.
            TransportError: a lookup got no answer (the side may be found on a retry).
            APIError: a lookup failed otherwise.
        """
        if not targets:
            return []
        assert market_id is not None
        for order_id, side in targets:
            if side is not None:
                self.known_orders.remember(market_id, order_id, Side.from_wire(side))
        ids = [order_id for order_id, _ in targets]
        sides = await self.known_orders.resolve_sides(market_id, ids, self._lookup())
        return [side.value for side in sides]

    def _lookup(self) -> SideLookup:
        client = self._client

        async def events_at(market_id: int, version: int) -> TransactionEvents | None:
            found = await self.node().transaction_by_version(version)
            if found is None:
                return None
            return await self._decode(found, market_id)

        return chain_side_lookup(client.orders.status, events_at)

    # -- results -------------------------------------------------------------------------------

    async def describe(
        self, committed: CommittedTransaction, market_id: int | None
    ) -> TransactionEvents:
        """The order events of a committed transaction; this client's orders are recorded.

        Sizes, prices and fees are converted to human units with the market's parameters
        (read with ``GET /getMarketInfo``, cached); when they cannot be read the events stay
        undecoded (counted as unknown) and a warning is logged.

        Args:
            committed: the node's record of the transaction.
            market_id: the market it acted on, or ``None``.

        Returns:
            The placed, filled and cancelled orders of the called package.

        Never raises: unreadable events are counted as unknown, not raised (the
        transaction has executed; an error would invite a retry that repeats it).
        """
        events = await self._decode(committed, market_id)
        self.state.profiles.update(e.profile_address for e in events.placed)
        own = self._own(events)
        self.known_orders.record(own)
        return events

    async def _decode(
        self, committed: CommittedTransaction, market_id: int | None
    ) -> TransactionEvents:
        markets: dict[int, MarketInfo] = {}
        if market_id is not None:
            try:
                markets[market_id] = await self._market_info(market_id)
            except KanaError as exc:
                log.warning("events of %s left undecoded: %s", committed.hash, exc)
        return committed_events(committed.events, markets, function=committed.payload.function)

    def _own(self, events: TransactionEvents) -> TransactionEvents:
        """The events about this client's orders: what it placed, and fills and removals of
        orders of its profile(s) or known to its registry (a match also reports the other
        side's fill)."""
        mine = self.state.profiles
        known = self.known_orders

        def ours(profile: str, market_id: int, order_id: str) -> bool:
            return profile in mine or known.get(market_id, order_id) is not None

        return TransactionEvents(
            placed=events.placed,
            filled=tuple(
                e for e in events.filled if ours(e.profile_address, e.market_id, e.order_id)
            ),
            cancelled=tuple(
                e for e in events.cancelled if ours(e.profile_address, e.market_id, e.order_id)
            ),
        )

    async def _drain(self) -> None:
        """On client close: wait up to ``close_timeout`` for unresolved submissions."""
        if not self.tracker.unresolved:
            return
        close_timeout = self.state.settings.close_timeout
        # Shielded (and bounded): a client closed by a cancelled task still waits.
        with anyio.CancelScope(shield=True):
            idle = await self.tracker.wait_idle(close_timeout)
        if not idle:
            left = self.tracker.unresolved
            log.warning(
                "closing with %d transaction(s) unresolved after %gs: %s "
                "(kana.trading.unresolved still lists them; look them up by hash)",
                len(left),
                close_timeout,
                ", ".join(f"{u.action} {u.hash}" for u in left),
            )


class SigningView(Resource):
    """What the signing views share: an account is required before any argument is used."""

    _core: TradingCore

    def _market(self, market_id: object) -> int:
        self._core.sender()
        return super()._market(market_id)

    def _user(self, user_address: str | None) -> str:
        self._core.sender()
        return super()._user(user_address)


class NoWait(SigningView, Actions[PendingTransaction]):
    """``kana.trading.no_wait``: each action returns a :class:`~kana_async.PendingTransaction`
    as soon as the node accepted the transaction (``await pending.wait()`` for the result).

    Raises what ``kana.trading`` raises before submission, and
    :class:`~kana_async.OutcomeUnknownError` when no acceptance came back (the client keeps
    resolving it: see ``kana.trading.unresolved``).

    Args:
        context: the client's context.
        core: the trading machinery shared with ``kana.trading``.
    """

    def __init__(self, context: ClientContext, core: TradingCore) -> None:
        super().__init__(context)
        self._core = core

    async def _run(self, call: Call) -> PendingTransaction:
        core = self._core
        payload = await core.payload(self, call)
        sender = core.sender()
        sub = await sender.submit(
            payload, action=call.action, market_id=call.market_id, options=core.send_options
        )
        return await sender.accepted(sub, core.options.confirm_timeout)


class DryRun(SigningView, Actions[TransactionResult]):
    """``kana.trading.dry_run``: each action is simulated on the node; nothing is submitted.

    Returns the result the transaction would have now (with its order events), or raises the
    failure it would meet (:class:`~kana_async.MoveAbortError`...).

    Args:
        context: the client's context.
        core: the trading machinery shared with ``kana.trading``.
    """

    def __init__(self, context: ClientContext, core: TradingCore) -> None:
        super().__init__(context)
        self._core = core

    async def _run(self, call: Call) -> TransactionResult:
        core = self._core
        payload = await core.payload(self, call)
        return await core.sender().simulate(
            payload, market_id=call.market_id, options=core.send_options
        )
