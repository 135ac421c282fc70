"""The plumbing under ``kana.trading``: one sender per account, and running a trade.

:class:`TradingBase` owns the settings and the
:class:`~kana_async._aptos.sender.TransactionSender` of the client's account (rebuilt when the
client's pool changes), and runs every trading method the same way: check that there is an
account (before any I/O), build the payload, then sign, submit and, unless asked not to, wait.
The methods themselves live in :mod:`._trade_orders` and :mod:`.trading`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Unpack, overload

from kana_async._aptos.node import NodeClient
from kana_async._aptos.sender import SendOptions, TransactionSender
from kana_async._exceptions import InvalidArgumentError
from kana_async.models.markets import MarketInfo
from kana_async.models.payloads import TransactionPayload
from kana_async.models.transactions import PendingTransaction, TransactionResult
from kana_async.resources._outcomes import Confirmed, DryRun, NoWait, TradeOutcome, WaitOptions

if TYPE_CHECKING:
    from kana_async._client import KanaClient

__all__ = ["BuildPayload", "TradingBase"]

BuildPayload = Callable[[], Awaitable[TransactionPayload]]
"""Fetches the payload of one trade (after its arguments were checked)."""


class TradingBase:
    """Settings, the account's transaction sender, :meth:`execute` and :meth:`lookup`.

    Settings (change them on the instance): :attr:`options` holds ``max_gas_amount``,
    ``gas_unit_price`` (``None``: the node's estimate, cached briefly), ``expiration_seconds``
    and ``confirm_timeout``; :attr:`submit_retries` is how often the same signed bytes are
    re-sent after a timeout, 429 or 5xx; :attr:`request_timeout` bounds each node request;
    ``max_in_flight`` (fixed at the first transaction) caps transactions outstanding per account.
    """

    def __init__(self, client: KanaClient, *, max_in_flight: int = 100) -> None:
        self._client = client
        self.options = SendOptions()
        self.submit_retries = 5
        self.request_timeout = 10.0
        self.max_in_flight = max_in_flight
        self._sender: TransactionSender | None = None
        self._sender_pool: object = None

    def __repr__(self) -> str:
        return f"<Trading of {self._client!r}>"

    def _tx_sender(self) -> TransactionSender:
        client = self._client
        client._ensure_open()
        account = client.account
        if account is None:
            raise InvalidArgumentError(
                "trading needs an account: KanaClient(..., account=Account.from_env())"
            )
        http = client._http
        pool = http.pool
        if self._sender is None or self._sender_pool is not pool:
            # The REST client's gate: REST and node requests share the pool's slots.
            node = NodeClient(pool, client.network.node_url, gate=http.gate)
            self._sender = TransactionSender(
                node,
                account,
                chain_id=client.network.chain_id,
                options=self.options,
                max_in_flight=self.max_in_flight,
            )
            self._sender_pool = pool
        self._sender.options = self.options
        self._sender.node.submit_retries = self.submit_retries
        self._sender.node.request_timeout = self.request_timeout
        return self._sender

    async def _trade(
        self,
        build: BuildPayload,
        wait: bool,
        timeout: float | None,  # noqa: ASYNC109 - a deadline, ends in OutcomeUnknownError
        dry_run: bool,
    ) -> TradeOutcome:
        """Check there is an account (before any I/O), ``build`` the payload, execute it."""
        self._tx_sender()
        payload = await build()
        return await self.execute(payload, wait=wait, timeout=timeout, dry_run=dry_run)

    async def _market_info(self, market_id: int) -> MarketInfo:
        info: MarketInfo = await self._client.markets.info(market_id)
        return info

    @overload
    async def execute(
        self, payload: TransactionPayload, **opts: Unpack[Confirmed]
    ) -> TransactionResult: ...
    @overload
    async def execute(
        self, payload: TransactionPayload, **opts: Unpack[DryRun]
    ) -> TransactionResult: ...
    @overload
    async def execute(
        self, payload: TransactionPayload, **opts: Unpack[NoWait]
    ) -> PendingTransaction: ...
    @overload
    async def execute(
        self, payload: TransactionPayload, **opts: Unpack[WaitOptions]
    ) -> TradeOutcome: ...
    async def execute(
        self,
        payload: TransactionPayload,
        *,
        wait: bool = True,
        timeout: float | None = None,  # noqa: ASYNC109 - a deadline, ends in OutcomeUnknownError
        dry_run: bool = False,
    ) -> TradeOutcome:
        """Sign and submit any entry-function payload (e.g. one from ``kana.payloads``)."""
        sender = self._tx_sender()
        if dry_run:
            return await sender.simulate(payload)
        pending = await sender.submit(payload)
        if not wait:
            return pending
        return await pending.wait(timeout)

    async def lookup(self, tx_hash: str) -> TradeOutcome | None:
        """A transaction by hash: its result, a pending handle, or ``None`` if the node has none.

        Use it after :class:`~kana_async.OutcomeUnknownError`. Raises the typed failure when the
        transaction was committed but failed.
        """
        return await self._tx_sender().lookup(tx_hash)
