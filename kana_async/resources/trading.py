"""``kana.trading``: validate, fetch the payload, sign, submit and confirm (spec §4).

Every method checks its arguments first (types, then the market's tick and lot grid from the
cached market info), asks the REST API for the payload, signs it with the client's account,
submits the signed bytes to the Aptos node and waits for the outcome:

* ``wait=True`` (default) returns a :class:`~kana_async.models.transactions.TransactionResult`,
  or raises :class:`~kana_async.MoveAbortError` (with Kana's code name) /
  :class:`~kana_async.TransactionRejectedError` / :class:`~kana_async.OutcomeUnknownError`.
* ``wait=False`` returns a :class:`~kana_async.models.transactions.PendingTransaction` as soon as
  the node accepted the transaction; ``await pending.wait()`` later.
* ``dry_run=True`` runs the transaction through the node's simulate endpoint instead: nothing is
  submitted, the result (or the abort) is what would happen now.

Prices and sizes are ``Decimal`` in human units. A value off the market's grid raises
:class:`~kana_async.PrecisionError` naming the nearest valid values, unless ``rounding=`` (a
:mod:`decimal` rounding mode such as ``decimal.ROUND_DOWN``) asks to round it.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, Any

from kana_async._aptos import NodeClient, SendOptions, TransactionSender, result_from_json
from kana_async._exceptions import ArgumentTypeError, InvalidArgumentError, PrecisionError
from kana_async._validation import check_decimal, check_int
from kana_async.models.enums import Direction, OrderType, Restriction, Side
from kana_async.models.markets import MarketInfo
from kana_async.models.payloads import TransactionPayload
from kana_async.models.requests import OrderRequest
from kana_async.models.transactions import PendingTransaction, TransactionResult

if TYPE_CHECKING:
    from kana_async._client import KanaClient

__all__ = ["TradeOutcome", "Trading"]

#: What a trading call returns: the committed result, or the pending handle with ``wait=False``.
TradeOutcome = TransactionResult | PendingTransaction

CancelSpec = tuple[int | str, Side | bool]


class Trading:
    """Signed transactions for the client's account (``kana.trading``).

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
        self._sender_http: object = None

    def __repr__(self) -> str:
        return f"<Trading of {self._client!r}>"

    # -- plumbing ------------------------------------------------------------------------------

    def _tx_sender(self) -> TransactionSender:
        client = self._client
        client._ensure_open()
        account = client.account
        if account is None:
            raise InvalidArgumentError(
                "trading needs an account: KanaClient(..., account=Account.from_env())"
            )
        http = client._http.httpx
        if self._sender is None or self._sender_http is not http:
            node = NodeClient(
                http,
                client.network.node_url,
                max_in_flight=getattr(client, "_max_in_flight", 10),
            )
            self._sender = TransactionSender(
                node,
                account,
                chain_id=client.network.chain_id,
                options=self.options,
                max_in_flight=self.max_in_flight,
            )
            self._sender_http = http
        self._sender.options = self.options
        self._sender.node.submit_retries = self.submit_retries
        self._sender.node.request_timeout = self.request_timeout
        return self._sender

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
        sender = self._tx_sender()
        body = await sender.node.transaction_by_hash(tx_hash)
        if body is None:
            return None
        if body.get("type") == "pending_transaction":
            expiry = int(body.get("expiration_timestamp_secs") or time.time())

            async def waiter(timeout: float | None) -> TransactionResult:  # noqa: ASYNC109
                limit = sender.options.confirm_timeout if timeout is None else timeout
                done = await sender.node.wait(
                    tx_hash, timeout=limit, expiration_timestamp_secs=expiry
                )
                return result_from_json(done)

            return PendingTransaction(
                hash=tx_hash,
                sender=str(body.get("sender", "")),
                sequence_number=int(body.get("sequence_number") or 0),
                expiration_timestamp_secs=expiry,
                waiter=waiter,
            )
        return result_from_json(body)

    async def _market_info(self, market_id: int) -> MarketInfo:
        info: MarketInfo = await self._client.markets.info(market_id)
        return info

    # -- collateral ----------------------------------------------------------------------------

    async def deposit(
        self,
        amount: Decimal | str,
        *,
        wait: bool = True,
        timeout: float | None = None,  # noqa: ASYNC109
        dry_run: bool = False,
    ) -> TradeOutcome:
        """Move collateral (quote asset, human units) from the wallet into trading (#4)."""
        check_decimal(amount, "amount")
        self._tx_sender()
        payload = await self._client.payloads.deposit(amount)
        return await self.execute(payload, wait=wait, timeout=timeout, dry_run=dry_run)

    async def withdraw(
        self,
        market_id: int,
        amount: Decimal | str,
        *,
        wait: bool = True,
        timeout: float | None = None,  # noqa: ASYNC109
        dry_run: bool = False,
    ) -> TradeOutcome:
        """Withdraw collateral from a market back to the wallet (#5)."""
        check_decimal(amount, "amount")
        self._tx_sender()
        payload = await self._client.payloads.withdraw(market_id, amount)
        return await self.execute(payload, wait=wait, timeout=timeout, dry_run=dry_run)

    async def add_margin(
        self,
        market_id: int,
        side: Side | bool,
        amount: Decimal | str,
        *,
        wait: bool = True,
        timeout: float | None = None,  # noqa: ASYNC109
        dry_run: bool = False,
    ) -> TradeOutcome:
        """Add collateral to the position on ``side`` (#25)."""
        check_decimal(amount, "amount")
        self._tx_sender()
        payload = await self._client.payloads.add_margin(market_id, side, amount)
        return await self.execute(payload, wait=wait, timeout=timeout, dry_run=dry_run)

    # -- orders --------------------------------------------------------------------------------

    async def place_limit_order(
        self,
        market_id: int,
        *,
        side: Side | bool,
        size: Decimal | str,
        price: Decimal | str,
        leverage: int,
        direction: Direction | bool = Direction.OPEN,
        restriction: Restriction | int = Restriction.NO_RESTRICTION,
        take_profit: Decimal | str | None = None,
        stop_loss: Decimal | str | None = None,
        rounding: str | None = None,
        wait: bool = True,
        timeout: float | None = None,  # noqa: ASYNC109
        dry_run: bool = False,
    ) -> TradeOutcome:
        """Place a limit order (#6); size and price must sit on the market's lot and tick."""
        size_d = check_decimal(size, "size")
        price_d = check_decimal(price, "price")
        check_int(leverage, "leverage", minimum=1)
        self._tx_sender()
        info = await self._market_info(market_id)
        size_d = _size(info, size_d, rounding)
        price_d = _price(info, price_d, "price", rounding)
        tp, sl = _tp_sl(info, take_profit, stop_loss, rounding)
        payload = await self._client.payloads.place_limit_order(
            market_id,
            side=side,
            size=size_d,
            price=price_d,
            leverage=leverage,
            direction=direction,
            restriction=restriction,
            take_profit=tp,
            stop_loss=sl,
        )
        return await self.execute(payload, wait=wait, timeout=timeout, dry_run=dry_run)

    async def place_market_order(
        self,
        market_id: int,
        *,
        side: Side | bool,
        size: Decimal | str,
        leverage: int,
        direction: Direction | bool = Direction.OPEN,
        take_profit: Decimal | str | None = None,
        stop_loss: Decimal | str | None = None,
        rounding: str | None = None,
        wait: bool = True,
        timeout: float | None = None,  # noqa: ASYNC109
        dry_run: bool = False,
    ) -> TradeOutcome:
        """Place a market order (#7); aborts on chain if the book cannot fill it (1007)."""
        size_d = check_decimal(size, "size")
        check_int(leverage, "leverage", minimum=1)
        self._tx_sender()
        info = await self._market_info(market_id)
        size_d = _size(info, size_d, rounding)
        tp, sl = _tp_sl(info, take_profit, stop_loss, rounding)
        payload = await self._client.payloads.place_market_order(
            market_id,
            side=side,
            size=size_d,
            leverage=leverage,
            direction=direction,
            take_profit=tp,
            stop_loss=sl,
        )
        return await self.execute(payload, wait=wait, timeout=timeout, dry_run=dry_run)

    async def place_multiple_orders(
        self,
        market_id: int,
        orders: Sequence[OrderRequest],
        *,
        rounding: str | None = None,
        wait: bool = True,
        timeout: float | None = None,  # noqa: ASYNC109
        dry_run: bool = False,
    ) -> TradeOutcome:
        """Place several orders in one transaction (#8b)."""
        self._tx_sender()
        info = await self._market_info(market_id)
        checked = [_order(info, o, rounding, i) for i, o in enumerate(orders)]
        payload = await self._client.payloads.place_multiple_orders(market_id, checked)
        return await self.execute(payload, wait=wait, timeout=timeout, dry_run=dry_run)

    async def cancel_multiple_orders(
        self,
        market_id: int,
        orders: Sequence[CancelSpec],
        *,
        wait: bool = True,
        timeout: float | None = None,  # noqa: ASYNC109
        dry_run: bool = False,
    ) -> TradeOutcome:
        """Cancel orders given as ``(order_id, side)`` pairs (#8)."""
        self._tx_sender()
        payload = await self._client.payloads.cancel_multiple_orders(market_id, orders)
        return await self.execute(payload, wait=wait, timeout=timeout, dry_run=dry_run)

    async def cancel_and_place_multiple_orders(
        self,
        market_id: int,
        cancel: Sequence[CancelSpec],
        place: Sequence[OrderRequest],
        *,
        rounding: str | None = None,
        wait: bool = True,
        timeout: float | None = None,  # noqa: ASYNC109
        dry_run: bool = False,
    ) -> TradeOutcome:
        """Cancel some orders and place others atomically (#9)."""
        self._tx_sender()
        info = await self._market_info(market_id)
        checked = [_order(info, o, rounding, i) for i, o in enumerate(place)]
        payload = await self._client.payloads.cancel_and_place_multiple_orders(
            market_id, cancel, checked
        )
        return await self.execute(payload, wait=wait, timeout=timeout, dry_run=dry_run)

    # -- positions -----------------------------------------------------------------------------

    async def update_take_profit(
        self,
        market_id: int,
        side: Side | bool,
        price: Decimal | str,
        *,
        rounding: str | None = None,
        wait: bool = True,
        timeout: float | None = None,  # noqa: ASYNC109
        dry_run: bool = False,
    ) -> TradeOutcome:
        """Set the take-profit price of the position on ``side`` (#17; 0 clears it)."""
        price_d = check_decimal(price, "price", allow_zero=True)
        self._tx_sender()
        info = await self._market_info(market_id)
        price_d = _price(info, price_d, "price", rounding)
        payload = await self._client.payloads.update_take_profit(market_id, side, price_d)
        return await self.execute(payload, wait=wait, timeout=timeout, dry_run=dry_run)

    async def update_stop_loss(
        self,
        market_id: int,
        side: Side | bool,
        price: Decimal | str,
        *,
        rounding: str | None = None,
        wait: bool = True,
        timeout: float | None = None,  # noqa: ASYNC109
        dry_run: bool = False,
    ) -> TradeOutcome:
        """Set the stop-loss price of the position on ``side`` (#19; 0 clears it)."""
        price_d = check_decimal(price, "price", allow_zero=True)
        self._tx_sender()
        info = await self._market_info(market_id)
        price_d = _price(info, price_d, "price", rounding)
        payload = await self._client.payloads.update_stop_loss(market_id, side, price_d)
        return await self.execute(payload, wait=wait, timeout=timeout, dry_run=dry_run)

    async def collapse_position(
        self,
        market_id: int,
        *,
        wait: bool = True,
        timeout: float | None = None,  # noqa: ASYNC109
        dry_run: bool = False,
    ) -> TradeOutcome:
        """Close the position(s) in a market (#21)."""
        self._tx_sender()
        payload = await self._client.payloads.collapse_position(market_id)
        return await self.execute(payload, wait=wait, timeout=timeout, dry_run=dry_run)

    async def settle_pnl(
        self,
        market_id: int,
        *,
        wait: bool = True,
        timeout: float | None = None,  # noqa: ASYNC109
        dry_run: bool = False,
    ) -> TradeOutcome:
        """Settle the unreleased PnL of the position(s) in a market (#27)."""
        self._tx_sender()
        payload = await self._client.payloads.settle_pnl(market_id)
        return await self.execute(payload, wait=wait, timeout=timeout, dry_run=dry_run)


# -- grid checks ---------------------------------------------------------------------------------


def snap(value: Decimal, step: Decimal, what: str, rounding: str | None, where: str) -> Decimal:
    """``value`` if it is a multiple of ``step``; rounded with ``rounding``; else PrecisionError."""
    if step <= 0:
        return value
    units = value / step
    if units == units.to_integral_value():
        return value
    if rounding is not None:
        return (units.quantize(Decimal(1), rounding=rounding) * step).normalize()
    lower = (units.quantize(Decimal(1), rounding=ROUND_FLOOR) * step).normalize()
    upper = (units.quantize(Decimal(1), rounding=ROUND_CEILING) * step).normalize()
    raise PrecisionError(
        f"{what} {value} is not a multiple of {_fmt(step)} ({where}); nearest valid values: "
        f"{_fmt(lower)} and {_fmt(upper)} (or pass rounding=decimal.ROUND_DOWN etc. to round)",
        nearest=(lower, upper),
    )


def _fmt(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _where(info: MarketInfo, grid: str) -> str:
    return f"the {grid} of market {info.market_id} {info.symbol}"


def _price(info: MarketInfo, price: Decimal, what: str, rounding: str | None) -> Decimal:
    snapped = snap(price, info.tick, what, rounding, _where(info, "tick"))
    if snapped == 0 and price != 0:
        raise InvalidArgumentError(f"{what} {price} rounds to 0 on a tick of {_fmt(info.tick)}")
    return snapped


def _size(info: MarketInfo, size: Decimal, rounding: str | None) -> Decimal:
    snapped = snap(size, info.lot, "size", rounding, _where(info, "lot size"))
    lots = snapped / info.lot if info.lot > 0 else Decimal(0)
    too_small = lots < max(info.min_lots, 1)
    too_big = info.max_lots is not None and lots > info.max_lots
    if too_small or too_big:
        most = _fmt(info.max_size) if info.max_size is not None else "no limit"
        raise InvalidArgumentError(
            f"size {_fmt(snapped)} is outside market {info.market_id} {info.symbol}'s limits: "
            f"at least {_fmt(max(info.min_size, info.lot))}, at most {most} "
            f"(lot {_fmt(info.lot)})"
        )
    return snapped


def _tp_sl(
    info: MarketInfo,
    take_profit: Decimal | str | None,
    stop_loss: Decimal | str | None,
    rounding: str | None,
) -> tuple[Decimal | None, Decimal | None]:
    out: list[Decimal | None] = []
    for name, value in (("take_profit", take_profit), ("stop_loss", stop_loss)):
        if value is None:
            out.append(None)
            continue
        number = check_decimal(value, name, allow_zero=True)
        out.append(_price(info, number, name, rounding))
    return out[0], out[1]


def _order(info: MarketInfo, order: Any, rounding: str | None, index: int) -> OrderRequest:
    if not isinstance(order, OrderRequest):
        raise ArgumentTypeError(
            f"orders[{index}] must be an OrderRequest (e.g. OrderRequest.limit(...)), "
            f"not {type(order).__name__}"
        )
    changes: dict[str, Any] = {"size": _size(info, order.size, rounding)}
    if order.order_type is OrderType.LIMIT and order.price is not None:
        changes["price"] = _price(info, order.price, f"orders[{index}] price", rounding)
    tp, sl = _tp_sl(info, order.take_profit, order.stop_loss, rounding)
    changes["take_profit"], changes["stop_loss"] = tp, sl
    return dataclasses.replace(order, **changes)
