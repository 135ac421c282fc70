"""Every REST endpoint against the local simulator (kana_async.sim): client and server agree."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import anyio
import pytest

from kana_async import (
    KanaClient,
    MarketInfo,
    MarketPrice,
    NotFoundError,
    OrderRequest,
    Side,
    TransactionPayload,
)
from kana_async.sim.server import Simulator

API_KEY = "sim-key"


@pytest.mark.anyio
async def test_every_endpoint_round_trips_through_the_simulator() -> None:
    async with Simulator(api_key=API_KEY, market_maker=False) as sim:
        account = sim.new_account()
        async with KanaClient(sim.network, api_key=API_KEY, wallet_address=account.address) as kana:
            mid = sorted(sim.markets)[0]
            now = datetime.now(UTC)
            reads: dict[str, Callable[[], Awaitable[Any]]] = {
                "all": kana.markets.all,
                "info": lambda: kana.markets.info(mid),
                "asset_info": lambda: kana.markets.asset_info(market_id=mid),
                "price": lambda: kana.markets.price(mid),
                "last_price": lambda: kana.markets.last_price(mid),
                "all_trades": lambda: kana.markets.all_trades(mid),
                "wallet_balance": kana.portfolio.wallet_balance,
                "profile_balance": kana.portfolio.profile_balance,
                "net_profile_balance": kana.portfolio.net_profile_balance,
                "apt_balance": kana.portfolio.apt_balance,
                "profile_address": kana.portfolio.profile_address,
                "open_orders": kana.portfolio.open_orders,
                "open_order_ids": lambda: kana.portfolio.open_order_ids(mid),
                "positions": kana.portfolio.positions,
                "positions_from_contract": kana.portfolio.positions_from_contract,
                "open_orders_from_contract": kana.portfolio.open_orders_from_contract,
                "order_history": lambda: kana.history.orders(limit=5),
                "trade_history": lambda: kana.history.trades(limit=5),
                "funding": lambda: kana.history.funding(limit=5),
                "transfers": kana.history.transfers,
                "fills": lambda: kana.history.fills(mid, now - timedelta(days=1), now),
                "fills_between": lambda: kana.history.fills_between(from_timestamp=1),
            }
            results: dict[str, Any] = {}
            with anyio.fail_after(30):
                for name, call in reads.items():
                    results[name] = await call()
                with pytest.raises(NotFoundError):
                    await kana.orders.status(mid, "1")
                with pytest.raises(NotFoundError):
                    await kana.orders.status_by_order_id(mid, "1")

                payloads = [
                    await kana.payloads.deposit("100"),
                    await kana.payloads.withdraw(mid, "10"),
                    await kana.payloads.place_limit_order(
                        mid, side=Side.LONG, size="1", price="5", leverage=2
                    ),
                    await kana.payloads.place_market_order(
                        mid, side=Side.SHORT, size="1", leverage=2
                    ),
                    await kana.payloads.cancel_multiple_orders(mid, [("1", True)]),
                    await kana.payloads.place_multiple_orders(
                        mid, [OrderRequest.limit(side=True, size="1", price="5", leverage=2)]
                    ),
                    await kana.payloads.cancel_and_place_multiple_orders(
                        mid,
                        [("1", True)],
                        [OrderRequest.market(side=Side.SHORT, size="1", leverage=2)],
                    ),
                    await kana.payloads.update_take_profit(mid, Side.LONG, "7"),
                    await kana.payloads.update_stop_loss(mid, Side.LONG, "4"),
                    await kana.payloads.collapse_position(mid),
                    await kana.payloads.add_margin(mid, Side.LONG, "5"),
                    await kana.payloads.settle_pnl(mid),
                ]
    assert {m.market_id for m in results["all"]} == set(sim.markets)
    assert isinstance(results["info"], MarketInfo) and results["info"].market_id == mid
    assert isinstance(results["price"], MarketPrice)
    assert results["wallet_balance"] == Decimal(10000)
    assert results["apt_balance"] == Decimal(10)
    assert results["profile_address"] == account.profile_address
    assert all(isinstance(p, TransactionPayload) for p in payloads)
    assert [p.function_name for p in payloads] == [
        "deposit",
        "withdraw_specific_market",
        "place_limit_order",
        "place_market_order",
        "cancel_multiple_orders",
        "place_multiple_orders",
        "cancel_and_place_multiple_orders",
        "update_take_profit",
        "update_stop_loss",
        "collapse_position",
        "add_margin",
        "settle_pnl",
    ]
