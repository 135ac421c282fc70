"""Static result types of ``kana.trading``, checked by ``mypy --strict`` on this file.

The ``_typed_*`` functions are never run: they exist for mypy, which proves with ``assert_type``
that the default call and ``dry_run=True`` give ``TransactionResult``, ``wait=False`` gives
``PendingTransaction`` and a ``wait`` known only at run time gives the union. The tests below
check at run time that every trading method carries the same four overloads.
"""

from __future__ import annotations

import inspect
from decimal import Decimal
from typing import assert_type, get_overloads

import pytest

from kana_async._client import KanaClient
from kana_async.models.enums import Side
from kana_async.models.payloads import TransactionPayload
from kana_async.models.requests import OrderRequest
from kana_async.models.transactions import PendingTransaction, TransactionResult
from kana_async.resources.trading import TradeOutcome, Trading

TRADING_METHODS = (
    "execute",
    "deposit",
    "withdraw",
    "add_margin",
    "place_limit_order",
    "place_market_order",
    "place_multiple_orders",
    "cancel_multiple_orders",
    "cancel_and_place_multiple_orders",
    "update_take_profit",
    "update_stop_loss",
    "collapse_position",
    "settle_pnl",
)


async def _typed_defaults(kana: KanaClient, payload: TransactionPayload) -> None:
    t = kana.trading
    one = Decimal("1")
    order = OrderRequest.limit(side=Side.LONG, size=one, price=one, leverage=2)
    assert_type(await t.execute(payload), TransactionResult)
    assert_type(await t.deposit(one), TransactionResult)
    assert_type(await t.withdraw(1, one), TransactionResult)
    assert_type(await t.add_margin(1, Side.LONG, one), TransactionResult)
    assert_type(
        await t.place_limit_order(1, side=Side.LONG, size=one, price=one, leverage=2),
        TransactionResult,
    )
    assert_type(
        await t.place_market_order(1, side=Side.LONG, size=one, leverage=2), TransactionResult
    )
    assert_type(await t.place_multiple_orders(1, [order]), TransactionResult)
    assert_type(await t.cancel_multiple_orders(1, [("7", Side.LONG)]), TransactionResult)
    assert_type(
        await t.cancel_and_place_multiple_orders(1, [(7, True)], [order]), TransactionResult
    )
    assert_type(await t.update_take_profit(1, Side.LONG, one), TransactionResult)
    assert_type(await t.update_stop_loss(1, Side.LONG, one), TransactionResult)
    assert_type(await t.collapse_position(1), TransactionResult)
    assert_type(await t.settle_pnl(1), TransactionResult)


async def _typed_wait_false(kana: KanaClient, payload: TransactionPayload) -> None:
    t = kana.trading
    one = Decimal("1")
    order = OrderRequest.market(side=Side.SHORT, size=one, leverage=2)
    assert_type(await t.execute(payload, wait=False), PendingTransaction)
    assert_type(await t.deposit(one, wait=False), PendingTransaction)
    assert_type(await t.withdraw(1, one, wait=False, timeout=3.0), PendingTransaction)
    assert_type(await t.add_margin(1, Side.LONG, one, wait=False), PendingTransaction)
    assert_type(
        await t.place_limit_order(
            1, side=Side.LONG, size=one, price=one, leverage=2, rounding=None, wait=False
        ),
        PendingTransaction,
    )
    assert_type(
        await t.place_market_order(1, side=Side.LONG, size=one, leverage=2, wait=False),
        PendingTransaction,
    )
    assert_type(await t.place_multiple_orders(1, [order], wait=False), PendingTransaction)
    assert_type(await t.cancel_multiple_orders(1, [], wait=False), PendingTransaction)
    assert_type(
        await t.cancel_and_place_multiple_orders(1, [], [order], wait=False), PendingTransaction
    )
    assert_type(await t.update_take_profit(1, True, one, wait=False), PendingTransaction)
    assert_type(await t.update_stop_loss(1, False, one, wait=False), PendingTransaction)
    assert_type(await t.collapse_position(1, wait=False, dry_run=False), PendingTransaction)
    assert_type(await t.settle_pnl(1, wait=False), PendingTransaction)


async def _typed_dry_run_and_runtime_flags(
    kana: KanaClient, payload: TransactionPayload, flag: bool
) -> None:
    t = kana.trading
    one = Decimal("1")
    assert_type(await t.execute(payload, dry_run=True), TransactionResult)
    assert_type(await t.deposit(one, dry_run=True), TransactionResult)
    assert_type(await t.settle_pnl(1, wait=False, dry_run=True), TransactionResult)
    assert_type(await t.collapse_position(1, wait=True, timeout=None), TransactionResult)
    assert_type(await t.execute(payload, wait=flag), TradeOutcome)
    assert_type(await t.deposit(one, wait=flag), TradeOutcome)
    assert_type(await t.settle_pnl(1, wait=False, dry_run=flag), TradeOutcome)
    assert_type(await t.lookup("0x1"), TradeOutcome | None)


@pytest.mark.parametrize("name", TRADING_METHODS)
def test_every_trading_method_has_the_four_result_overloads(name: str) -> None:
    method = getattr(Trading, name)
    returns = [inspect.signature(o).return_annotation for o in get_overloads(method)]
    assert returns == [
        "TransactionResult",
        "TransactionResult",
        "PendingTransaction",
        "TradeOutcome",
    ]
    assert inspect.signature(method).return_annotation == "TradeOutcome"
    keywords = inspect.signature(method).parameters
    assert keywords["wait"].default is True and keywords["dry_run"].default is False


def test_every_public_trading_coroutine_is_covered() -> None:
    public = {
        name
        for name, member in inspect.getmembers(Trading, inspect.iscoroutinefunction)
        if not name.startswith("_") and name != "lookup"
    }
    assert public == set(TRADING_METHODS)
