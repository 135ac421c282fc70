"""Static result types of the trading views, checked by ``mypy --strict`` on this file, and the
rule that every action is written once.

The ``_typed_*`` functions are never run: they exist for mypy, which proves with ``assert_type``
that ``kana.trading.x`` gives ``TransactionResult``, ``kana.trading.no_wait.x`` gives
``PendingTransaction``, ``kana.trading.dry_run.x`` gives ``TransactionResult`` and
``kana.payloads.x`` gives ``TransactionPayload``, from one definition per action. The tests
below check at run time that each action is one function shared by every view, with no overloads.
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
from kana_async.resources._actions import Actions
from kana_async.resources._trade_base import DryRun, NoWait
from kana_async.resources.payloads import Payloads
from kana_async.resources.trading import Trading

ACTIONS = (
    "deposit",
    "withdraw",
    "add_margin",
    "place_limit_order",
    "place_market_order",
    "place_multiple_orders",
    "cancel_order",
    "cancel_multiple_orders",
    "cancel_and_place_multiple_orders",
    "update_take_profit",
    "update_stop_loss",
    "collapse_position",
    "settle_pnl",
)
VIEWS = (Trading, NoWait, DryRun, Payloads)


async def _typed_views(kana: KanaClient, payload: TransactionPayload) -> None:
    t = kana.trading
    one = Decimal("1")
    order = OrderRequest.limit(side=Side.LONG, size=one, price=one, leverage=2)
    assert_type(await t.execute(payload), TransactionResult)
    assert_type(await t.submit(payload), PendingTransaction)
    assert_type(await t.simulate(payload), TransactionResult)
    assert_type(await t.deposit(one), TransactionResult)
    assert_type(await t.no_wait.deposit(one), PendingTransaction)
    assert_type(await t.dry_run.deposit(one), TransactionResult)
    assert_type(await kana.payloads.deposit(one), TransactionPayload)
    assert_type(
        await t.place_limit_order(1, side=Side.LONG, size=one, price=one, leverage=2),
        TransactionResult,
    )
    assert_type(
        await t.no_wait.place_limit_order(1, side=Side.LONG, size=one, price=one, leverage=2),
        PendingTransaction,
    )
    assert_type(await t.dry_run.place_multiple_orders(1, [order]), TransactionResult)
    assert_type(await t.cancel_order(1, "7"), TransactionResult)
    assert_type(await t.no_wait.cancel_multiple_orders(1, ["7", 8]), PendingTransaction)
    assert_type(await kana.payloads.cancel_multiple_orders(1, [("7", True)]), TransactionPayload)
    assert_type(await t.collapse_position(1), TransactionResult)
    assert_type(await t.lookup("0x1"), TransactionResult | PendingTransaction | None)


@pytest.mark.parametrize("name", ACTIONS)
def test_each_action_is_one_definition_shared_by_every_view(name: str) -> None:
    owners = [cls for cls in Actions.__mro__ if name in vars(cls)]
    assert len(owners) == 1, f"{name} is defined in {owners}"
    defined = vars(owners[0])[name]
    assert get_overloads(defined) == []
    for view in VIEWS:
        assert getattr(view, name) is defined, f"{view.__name__}.{name} is written again"
        assert not any(name in vars(cls) for cls in view.__mro__ if cls not in owners)
    assert inspect.signature(defined).return_annotation == "R"


@pytest.mark.parametrize("name", ACTIONS)
def test_each_action_documents_its_path_arguments_result_and_errors(name: str) -> None:
    doc = inspect.getdoc(getattr(Actions, name)) or ""
    assert "``GET /" in doc or "``POST /" in doc, doc
    for section in ("Args:", "Returns:", "Raises:"):
        assert doc.count(section) == 1, (name, section)
    for parameter in list(inspect.signature(getattr(Actions, name)).parameters)[1:]:
        assert parameter in doc, (name, parameter)


def test_every_public_action_is_covered() -> None:
    public = {
        name
        for name, member in inspect.getmembers(Actions, inspect.iscoroutinefunction)
        if not name.startswith("_")
    }
    assert public == set(ACTIONS)
