"""The registry of orders the client placed, and finding the side of an order by its id."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal

import httpx
import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kana_async._aptos.events import committed_events
from kana_async._aptos.signing import Account
from kana_async._client import KanaClient
from kana_async._exceptions import (
    ArgumentTypeError,
    ConnectError,
    InvalidArgumentError,
    NotFoundError,
)
from kana_async._known_orders import KnownOrder, KnownOrders, chain_side_lookup
from kana_async.models.enums import Direction, OrderStatus, Side
from kana_async.models.events import (
    OrderCancelled,
    OrderFilled,
    OrderPlaced,
    TransactionEvents,
)
from kana_async.models.markets import MarketInfo
from kana_async.models.orders import OrderStatusInfo
from kana_async.sim.server import Simulator

pytestmark = pytest.mark.anyio

M = 1338
ME = "0x" + "a1" * 32


def placed(
    order_id: str, side: Side = Side.LONG, size: str = "1.5", market: int = M
) -> OrderPlaced:
    return OrderPlaced(
        market_id=market,
        order_id=order_id,
        side=side,
        direction=Direction.OPEN,
        order_type=1,
        size=Decimal(size),
        price=Decimal("5.5"),
        leverage=2,
        restriction=0,
        profile_address=ME,
        timestamp=1,
    )


def filled(order_id: str, size: str, side: Side = Side.LONG, market: int = M) -> OrderFilled:
    return OrderFilled(
        market_id=market,
        order_id=order_id,
        side=side,
        direction=Direction.OPEN,
        order_type=1,
        size=Decimal(size),
        price=Decimal("5.5"),
        fee=Decimal("0"),
        is_maker=True,
        trade_id="1",
        profile_address=ME,
        timestamp=2,
    )


def cancelled(order_id: str, side: Side = Side.LONG, market: int = M) -> OrderCancelled:
    return OrderCancelled(
        market_id=market,
        order_id=order_id,
        side=side,
        order_type=1,
        profile_address=ME,
        timestamp=3,
    )


def test_placed_orders_are_known_until_cancelled_or_fully_filled() -> None:
    known = KnownOrders()
    known.record(TransactionEvents(placed=(placed("1"), placed("2", Side.SHORT), placed("3"))))
    assert [k.order_id for k in known.placed(M)] == ["1", "2", "3"]
    assert known.side(M, "2") is Side.SHORT
    assert known.get(M, "1") == KnownOrder(
        market_id=M,
        order_id="1",
        side=Side.LONG,
        status=OrderStatus.OPEN,
        remaining=Decimal("1.5"),
        placed_here=True,
    )

    known.record(TransactionEvents(filled=(filled("1", "0.5"), filled("2", "1.5", Side.SHORT))))
    partly = known.get(M, "1")
    assert partly is not None and partly.status is OrderStatus.PARTIALLY_FILLED
    assert partly.remaining == Decimal("1.0")
    assert known.get(M, "2") is None  # fully filled: gone

    known.record(TransactionEvents(cancelled=(cancelled("3"),)))
    assert known.get(M, "3") is None
    known.record(TransactionEvents(filled=(filled("1", "1.0"),)))
    assert len(known) == 0 and known.placed() == []


def test_one_transaction_that_places_fills_and_cancels_the_rest() -> None:
    # a market order: placed, partly filled, the remainder removed, all in one transaction
    known = KnownOrders()
    known.record(
        TransactionEvents(
            placed=(placed("9", size="2"),), filled=(filled("9", "1"),), cancelled=(cancelled("9"),)
        )
    )
    assert known.get(M, "9") is None
    # a limit order that takes part of the book and rests
    known.record(TransactionEvents(placed=(placed("10", size="2"),), filled=(filled("10", "0.5"),)))
    rest = known.get(M, "10")
    assert rest is not None and rest.remaining == Decimal("1.5")


def test_fills_and_cancels_of_other_orders_change_nothing() -> None:
    known = KnownOrders()
    known.record(TransactionEvents(placed=(placed("1"),)))
    known.record(
        TransactionEvents(
            filled=(filled("5", "1"), filled("1", "1", market=7)),
            cancelled=(cancelled("1", market=7),),
        )
    )
    assert known.get(M, "1") is not None and known.get(M, "1") == known.placed()[0]
    assert known.get(M, "1").remaining == Decimal("1.5")  # type: ignore[union-attr]


def test_same_id_in_two_markets_is_two_orders() -> None:
    known = KnownOrders()
    known.record(
        TransactionEvents(placed=(placed("1", Side.LONG), placed("1", Side.SHORT, market=7)))
    )
    assert known.side(M, "1") is Side.LONG and known.side(7, "1") is Side.SHORT
    assert [k.market_id for k in known.placed(7)] == [7]


def test_capacity_forgets_the_oldest() -> None:
    known = KnownOrders(capacity=3)
    for i in range(5):
        known.record(TransactionEvents(placed=(placed(str(i)),)))
    assert [k.order_id for k in known.placed()] == ["2", "3", "4"]
    assert known.side(M, "0") is None
    assert repr(known) == "KnownOrders(3 of at most 3)"
    with pytest.raises(InvalidArgumentError):
        KnownOrders(capacity=0)


def test_remember_and_forget() -> None:
    known = KnownOrders()
    known.record(TransactionEvents(placed=(placed("1", Side.LONG),)))
    known.remember(M, "1", Side.SHORT)  # a placed order keeps what its own event said
    known.remember(M, "2", Side.SHORT)
    assert known.side(M, "1") is Side.LONG and known.side(M, "2") is Side.SHORT
    assert [k.order_id for k in known.placed()] == ["1"]  # a looked-up order was not placed here
    assert known.get(M, "2") == KnownOrder(market_id=M, order_id="2", side=Side.SHORT)
    known.remember(M, 3, Side.LONG)  # ids are kept in their canonical decimal form
    assert known.side(M, "3") is Side.LONG and known.get(M, 3) == known.get(M, "3")
    known.forget(M, 3)
    known.forget(M, "1")
    known.forget(M, "404")
    assert known.side(M, "1") is None and len(known) == 1


async def test_resolve_sides_from_the_registry() -> None:
    known = KnownOrders()
    known.record(TransactionEvents(placed=(placed("1"), placed("2", Side.SHORT))))
    assert await known.resolve_sides(M, ["2", 1, "1"]) == [Side.SHORT, Side.LONG, Side.LONG]
    with pytest.raises(InvalidArgumentError, match=r"order\(s\) 3, 4 in market 1338 is unknown"):
        await known.resolve_sides(M, ["1", "3", "4"])
    with pytest.raises(InvalidArgumentError, match="in market 7"):
        await known.resolve_sides(7, ["1"])
    with pytest.raises(ArgumentTypeError):
        await known.resolve_sides(M, [1.0])  # type: ignore[list-item]
    with pytest.raises(InvalidArgumentError):
        await known.resolve_sides(M, ["-1"])
    assert await known.resolve_sides(M, []) == []


async def test_resolve_sides_asks_the_lookup_once_per_unknown_id_and_remembers() -> None:
    known = KnownOrders()
    known.record(TransactionEvents(placed=(placed("1"),)))
    asked: list[tuple[int, str]] = []

    async def lookup(market_id: int, order_id: str) -> Side | None:
        asked.append((market_id, order_id))
        await asyncio.sleep(0)
        return {"2": Side.SHORT, "3": Side.LONG}.get(order_id)

    assert await known.resolve_sides(M, ["1", "2", "3", "2"], lookup) == [
        Side.LONG,
        Side.SHORT,
        Side.LONG,
        Side.SHORT,
    ]
    assert sorted(asked) == [(M, "2"), (M, "3")]
    assert await known.resolve_sides(M, ["3"], lookup) == [Side.LONG]
    assert len(asked) == 2  # remembered

    with pytest.raises(
        InvalidArgumentError, match=r"order\(s\) 5 .*no order status or chain event"
    ):
        await known.resolve_sides(M, ["2", "5"], lookup)


async def test_resolve_sides_treats_not_found_as_unknown_and_passes_other_errors_on() -> None:
    known = KnownOrders()

    async def not_found(market_id: int, order_id: str) -> Side | None:
        raise NotFoundError("no such order", status_code=404)

    async def offline(market_id: int, order_id: str) -> Side | None:
        raise ConnectError("connection refused")

    with pytest.raises(InvalidArgumentError, match="order\\(s\\) 1 "):
        await known.resolve_sides(M, ["1"], not_found)
    with pytest.raises(ConnectError):
        await known.resolve_sides(M, ["1"], offline)


async def test_many_unknown_ids_are_looked_up_a_few_at_a_time_and_named_in_the_error() -> None:
    known = KnownOrders()
    running = peak = 0

    async def lookup(market_id: int, order_id: str) -> Side | None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0)
        running -= 1
        return None if int(order_id) % 2 else Side.LONG

    ids = [str(i) for i in range(40)]
    with pytest.raises(InvalidArgumentError) as raised:
        await known.resolve_sides(M, ids, lookup)
    assert "1, 3, 5, 7, 9, 11, 13, 15, 17, 19 and 10 more" in str(raised.value)
    assert 1 < peak <= 8
    assert len(known) == 20


async def test_cancelled_resolve_leaves_the_registry_consistent() -> None:
    known = KnownOrders()
    release = asyncio.Event()

    async def slow(market_id: int, order_id: str) -> Side | None:
        await release.wait()
        return Side.SHORT

    task = asyncio.create_task(known.resolve_sides(M, ["1", "2"], slow))
    await asyncio.sleep(0)
    known.record(TransactionEvents(placed=(placed("3"),)))  # another task uses it meanwhile
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert known.side(M, "1") is None and known.side(M, "3") is Side.LONG


# -- the chain lookup ------------------------------------------------------------------------


def status_row(order_id: str, version: int | None) -> OrderStatusInfo:
    return OrderStatusInfo(
        order_id=order_id, market_id=M, status=OrderStatus.OPEN, transaction_version=version
    )


async def test_chain_lookup_reads_the_side_from_the_orders_last_transaction() -> None:
    versions: list[int] = []

    async def status(market_id: int, order_id: str) -> OrderStatusInfo:
        if order_id == "404":
            raise NotFoundError("order not found", status_code=404)
        return status_row(order_id, None if order_id == "8" else 100 + int(order_id))

    async def events_at(market_id: int, version: int) -> TransactionEvents | None:
        assert market_id == M
        versions.append(version)
        return {
            101: TransactionEvents(placed=(placed("1", Side.SHORT),)),
            102: TransactionEvents(filled=(filled("2", "1", Side.LONG),)),
            103: TransactionEvents(cancelled=(cancelled("3", Side.SHORT),)),
            104: TransactionEvents(placed=(placed("5"), placed("4", Side.LONG, market=7))),
        }.get(version)

    lookup = chain_side_lookup(status, events_at)
    assert await lookup(M, "1") is Side.SHORT
    assert await lookup(M, "2") is Side.LONG
    assert await lookup(M, "3") is Side.SHORT
    assert await lookup(M, "4") is None  # the event there is another market's order 4
    assert await lookup(M, "6") is None  # the node does not have version 106
    assert await lookup(M, "8") is None  # no version in the status row
    assert await lookup(M, "404") is None
    assert versions == [101, 102, 103, 104, 106]

    known = KnownOrders()
    assert await known.resolve_sides(M, ["1", "3"], lookup) == [Side.SHORT, Side.SHORT]
    with pytest.raises(InvalidArgumentError, match=r"order\(s\) 404 "):
        await known.resolve_sides(M, ["1", "404"], lookup)


# -- property: the registry agrees with a plain model --------------------------------------

steps = st.lists(
    st.tuples(
        st.sampled_from(["place", "fill", "cancel"]),
        st.integers(0, 6),  # order id
        st.sampled_from([M, 7]),
        st.integers(1, 4),  # size in lots of 0.5
        st.booleans(),  # side
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(steps=steps, capacity=st.integers(1, 8))
def test_registry_matches_a_model(
    steps: list[tuple[str, int, int, int, bool]], capacity: int
) -> None:
    known = KnownOrders(capacity=capacity)
    model: dict[tuple[int, str], tuple[Side, Decimal]] = {}  # insertion order = age
    for kind, number, market, lots, long in steps:
        order_id, side, size = str(number), Side.from_wire(long), Decimal(lots) / 2
        key = (market, order_id)
        if kind == "place":
            known.record(TransactionEvents(placed=(placed(order_id, side, str(size), market),)))
            model.pop(key, None)
            model[key] = (side, size)
            while len(model) > capacity:
                del model[next(iter(model))]
        elif kind == "fill":
            known.record(TransactionEvents(filled=(filled(order_id, str(size), side, market),)))
            if key in model:
                left = model[key][1] - size
                if left > 0:
                    model[key] = (model[key][0], left)
                else:
                    del model[key]
        else:
            known.record(TransactionEvents(cancelled=(cancelled(order_id, side, market),)))
            model.pop(key, None)
        assert len(known) <= capacity
        assert [(k.market_id, k.order_id) for k in known.placed()] == list(model)
        assert {(k.market_id, k.order_id): (k.side, k.remaining) for k in known.placed()} == model


# -- against the simulator -------------------------------------------------------------------


@asynccontextmanager
async def sim_client() -> AsyncIterator[tuple[KanaClient, int, MarketInfo]]:
    async with Simulator(seed=5, market_maker=False) as sim:
        funded = sim.new_account(apt=Decimal("10"), usdt=Decimal("1000"))
        async with KanaClient(
            sim.network, account=Account.from_hex(funded.private_key_hex)
        ) as kana:
            market = sim.network.market_id("APT-USD")
            info = await kana.markets.info(market)
            await kana.trading.deposit(Decimal("500"))
            yield kana, market, info


async def test_chain_lookup_reads_the_placing_transaction_named_by_the_order_status() -> None:
    async with sim_client() as (kana, market, info):
        placed = await kana.trading.place_limit_order(
            market, side=Side.SHORT, size=info.min_size, price=Decimal(50), leverage=2
        )
        (order,) = await kana.portfolio.open_orders(market_id=market)
        asked: list[tuple[int, int]] = []

        async def events_at(market_id: int, version: int) -> TransactionEvents | None:
            asked.append((market_id, version))
            return None  # the hop under test is order status -> ledger version

        lookup = chain_side_lookup(kana.orders.status, events_at)
        assert await lookup(market, order.order_id) is None
        assert asked == [(market, placed.version)]

        # an id the exchange does not know: order status answers 404 and the error names it
        asked.clear()
        with pytest.raises(InvalidArgumentError, match=r"order\(s\) 12345 in market"):
            await KnownOrders().resolve_sides(market, ["12345"], lookup)
        assert asked == []


async def test_chain_lookup_finds_the_side_of_an_order_placed_through_the_sdk() -> None:
    async with sim_client() as (kana, market, info):
        placed = await kana.trading.place_limit_order(
            market, side=Side.SHORT, size=info.min_size, price=Decimal(50), leverage=2
        )
        assert placed.order_id is not None
        assert kana.trading.orders.side(market, placed.order_id) is Side.SHORT

        async with httpx.AsyncClient(base_url=kana.network.node_url + "/") as node:

            async def events_at(market_id: int, version: int) -> TransactionEvents | None:
                answer = await node.get(f"transactions/by_version/{version}")
                if answer.status_code == 404:
                    return None
                tx = msgspec.json.decode(answer.content, type=dict[str, msgspec.Raw])
                function = msgspec.json.decode(tx["payload"], type=dict[str, object])["function"]
                assert isinstance(function, str)
                return committed_events(tx["events"], info, function=function)

            lookup = chain_side_lookup(kana.orders.status, events_at)
            fresh = KnownOrders()  # knows nothing: a client that did not place the order
            assert await fresh.resolve_sides(market, [placed.order_id], lookup) == [Side.SHORT]
            assert fresh.get(market, placed.order_id) == KnownOrder(
                market_id=market, order_id=placed.order_id, side=Side.SHORT
            )


async def test_cancel_by_id_from_a_client_that_did_not_place_the_order() -> None:
    async with sim_client() as (kana, market, info):
        placed = await kana.trading.place_limit_order(
            market, side=Side.SHORT, size=info.min_size, price=Decimal(50), leverage=2
        )
        (row,) = await kana.portfolio.open_orders(market_id=market)
        assert row.order_id == placed.order_id
        async with KanaClient(kana.network, account=kana.account) as other:
            assert len(other.trading.orders) == 0
            cancelled = await other.trading.cancel_order(market, row.order_id)
        assert cancelled.events.cancelled_ids == (row.order_id,)
        assert cancelled.cancelled[0].side is Side.SHORT
        assert await kana.portfolio.open_orders(market_id=market) == []
