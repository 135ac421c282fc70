"""Frames that cannot crash anything: fuzzed, deep, huge, non-finite, ids as numbers.

The router and the topic decoders are driven directly with hypothesis-made frames (no socket
needed to decode); the same kinds of frames then go over a real socket to show the reader
survives them and keeps delivering.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation, getcontext, localcontext
from importlib.util import find_spec
from typing import Any

import anyio
import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kana_async._streams import (
    TOPICS,
    OverflowPolicy,
    StreamManager,
    StreamOptions,
    Subscription,
)
from kana_async._streams.frames import BadFrame, check_rows, row_checker, row_properties
from kana_async._streams.routing import Router
from kana_async.models.enums import Side
from kana_async.models.orderbook import OrderBook
from kana_async.models.positions import Position
from kana_async.models.stream_events import Reconnected
from tests.ws_support import (
    ADDR,
    FAST,
    FakeKana,
    both_backends,
    level,
    order,
    take_frames,
    trade,
)

anyio_backend = both_backends()

BIG_ID = "11905620858892513160724480"  # a u128 order id: above 2**64, exact only as text


def _router() -> tuple[Router, dict[str, Subscription[Any]]]:
    """A router with one subscriber on every topic, as a connection with one key each has."""
    router = Router("ws://fuzz")
    subs: dict[str, Subscription[Any]] = {}
    for name, topic in TOPICS.items():
        key = {"none": None, "market_id": 14, "address": ADDR}[topic.key.value]
        wire, _ = router.wire(topic, key)
        sub: Subscription[Any] = Subscription(
            name, key, policy=OverflowPolicy.DROP_OLDEST, buffer_size=10_000
        )
        wire.add(sub)
        subs[name] = sub
    router.subscribe_frames()
    return router, subs


def _read_everything(subs: dict[str, Subscription[Any]]) -> int:
    """Decode every buffered frame and touch every public property of every item."""
    items = 0
    for sub in subs.values():
        for rows in take_frames(sub):
            for item in rows or ():
                items += 1
                for name in dir(type(item)):
                    if not name.startswith("_") and isinstance(getattr(type(item), name), property):
                        getattr(item, name)
                if isinstance(item, OrderBook):
                    item.depth()
                    item.depth(3)
    return items


# -- hypothesis ----------------------------------------------------------------------------------

_numbers = st.one_of(
    st.integers(min_value=-(2**200), max_value=2**200),
    st.sampled_from(["1e999999999", "-1e-999999999", "1" * 5000, "1e400", "0e-99999"]),
    st.sampled_from(['"Infinity"', '"-Infinity"', '"NaN"', '"sNaN"', '"1e99999"', '"²"']),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
)
_scalars = st.one_of(
    st.none(), st.booleans(), st.text(max_size=8).map(json.dumps), _numbers.map(str)
)
_fields = st.sampled_from(
    [
        "market_id",
        "price",
        "size",
        "is_ask",
        "address",
        "order_id",
        "trade_id",
        "status",
        "timestamp",
        "last_updated",
        "funding_rate",
        "bid",
        "ask",
        "remaining_size",
        "total_size",
        "transaction_version",
    ]
)


@st.composite
def _row(draw: st.DrawFn) -> str:
    base = draw(st.sampled_from([level(14, False, "5.5", "1"), trade(14, 1), order(1)]))
    members = {k: json.dumps(v) for k, v in base.items()}
    for name in draw(st.lists(_fields, max_size=4)):
        members[name] = draw(_scalars)
    return "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in members.items()) + "}"


@st.composite
def _frame(draw: st.DrawFn) -> bytes:
    topic = draw(st.sampled_from([*TOPICS, "bestPrice", "error", "nope"]))
    rows = "[" + ",".join(draw(st.lists(_row(), max_size=4))) + "]"
    depth = draw(st.sampled_from([0, 0, 0, 50, 5000]))
    data = "[" * depth + rows + "]" * depth
    layout = draw(st.sampled_from(["message_first", "data_first", "extra"]))
    if layout == "message_first":
        text = f'{{"message":{json.dumps(topic)},"data":{data}}}'
    elif layout == "data_first":
        text = f'{{"data":{data},"message":{json.dumps(topic)}}}'
    else:
        text = f'{{"success":"true","data":{data},"message":{json.dumps(topic)},"x":null}}'
    raw = text.encode()
    cut = draw(st.sampled_from([None, None, None, len(raw) // 2, 1]))
    return raw if cut is None else raw[:cut]


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
@given(frames=st.lists(st.one_of(_frame(), st.binary(max_size=64)), min_size=1, max_size=8))
def test_fuzzed_frames_never_raise_and_every_frame_is_used_or_counted(frames: list[bytes]) -> None:
    router, subs = _router()
    for frame in frames:
        router.on_frame(frame)  # never raises
    _read_everything(subs)  # decoding and every property: never raises
    assert router.delivered + router.ignored + sum(router.bad.values()) >= len(frames)


# -- the bounds, one by one ----------------------------------------------------------------------


def _decode_one(topic: str, data: Any) -> Any:
    router, subs = _router()
    text = data if isinstance(data, str) else json.dumps(data)
    router.on_frame(f'{{"message": "{topic}", "data": {text}}}'.encode())
    (items,) = take_frames(subs[topic])
    return items, router.bad


@pytest.mark.parametrize(
    "price", ['"Infinity"', '"-Infinity"', '"NaN"', "1e999999999", '"1e400"', "1" + "0" * 80]
)
def test_unusable_numbers_are_refused_at_decode_time(price: str) -> None:
    data = f'[{{"market_id": 14, "is_ask": true, "price": {price}, "size": "1"}}]'
    items, bad = _decode_one("orderbook", data)
    assert items is None and bad == {"bad_number": 1}


class _Row:
    """Just the two number fields the check reads."""

    def __init__(self, price: str, size: str) -> None:
        self.price = Decimal(price)
        self.size = Decimal(size)


@pytest.mark.parametrize("count", [1, 2, 5, 9])  # 2, 4, 10 values (sorted); 18 (min, max)
def test_the_number_check_leaves_the_callers_decimal_context_as_it_was(count: int) -> None:
    good = [_Row("5.8", "1")] * count
    with localcontext() as mine:
        mine.prec = 7
        check_rows(good, ("price", "size"))
        assert getcontext() is mine and getcontext().prec == 7
        with pytest.raises(BadFrame):
            check_rows([*good[1:], _Row("1e50", "1")], ("price", "size"))
        assert getcontext() is mine and getcontext().prec == 7
        assert Decimal(1) / 3 == Decimal("0.3333333")  # still computing in the caller's context


@pytest.mark.parametrize("count", [1, 2, 5, 9])  # 2, 4, 10 values (sorted); 18 (min, max)
def test_each_value_is_bounded_on_its_own_whatever_the_others_sum_to(count: int) -> None:
    fields = ("price", "size")
    big = "9.9e40"  # adjusted exponent 40: in range
    check_rows([_Row(big, big)] * count, fields)  # accepted, though their sum is above 1e41
    check_rows([_Row("-" + big, big)] * count, fields)
    for out in ("1.2e41", "-1.2e41", "Infinity", "NaN", "sNaN"):
        # an in-range value of the other sign before it must not hide it (a sum cancels them)
        if count == 1:
            rows = [_Row("-9e40", out)]
        else:
            rows = [_Row("-9e40", "1"), *[_Row("1", "1")] * (count - 2), _Row(out, "1")]
        with pytest.raises(BadFrame) as refused:
            check_rows(rows, fields)
        assert refused.value.kind == "bad_number"


@pytest.mark.parametrize("count", [1, 2, 9])
def test_a_nan_is_refused_under_a_caller_context_that_does_not_trap_and_leaves_it_unflagged(
    count: int,
) -> None:
    # comparing a NaN only flags InvalidOperation where it is not trapped: a check comparing in
    # the caller's context would let it through (and flag the caller's context)
    fields = ("price", "size")
    for bad in ("NaN", "-NaN", "sNaN"):
        rows = [*[_Row("5.8", "1")] * (count - 1), _Row(bad, "2")]
        with localcontext() as mine:
            mine.traps[InvalidOperation] = False
            mine.clear_flags()
            with pytest.raises(BadFrame) as refused:
                check_rows(rows, fields)
            assert refused.value.kind == "bad_number"
            assert not any(mine.flags.values())


def test_nesting_deeper_than_the_decoder_allows_is_counted_not_raised() -> None:
    items, bad = _decode_one("recent_trades", "[" * 100_000 + "]" * 100_000)
    assert items is None and bad == {"too_deep": 1}
    router, _ = _router()
    deep = b'{"data":' + b"[" * 100_000 + b"]" * 100_000
    router.on_frame(deep + b',"message":"x","success":true}')
    assert router.bad == {"too_deep": 1}  # in the envelope too
    router.on_frame(deep + b',"message":"x"}')  # a trailing unknown topic: never decoded
    assert router.bad == {"too_deep": 1, "unknown_topic": 1}


def test_ids_sent_as_json_numbers_are_kept_exact_as_strings() -> None:
    row = {**order(1), "order_id": int(BIG_ID)}
    (entry,), bad = _decode_one("order_history", [row])
    assert entry.order_id == BIG_ID and bad == {}
    (fill,), _ = _decode_one("trade_history", [{**trade(14, 1), "trade_id": 987, "order_id": 5}])
    assert (fill.trade_id, fill.order_id) == ("987", "5")
    text = json.dumps([row]).replace(BIG_ID, BIG_ID + ".5")  # not an integer: not an id
    items, bad = _decode_one("order_history", text)
    assert items is None and bad == {"bad_number": 1}


def test_a_lax_envelope_is_accepted_where_the_data_is_usable() -> None:
    router, subs = _router()
    data = json.dumps([trade(14, 7)])
    router.on_frame(f'{{"success": "true", "data": {data}, "message": "recent_trades"}}'.encode())
    router.on_frame(f'{{"data": {data}, "message": null}}'.encode())  # no topic: cannot route
    (rows,) = take_frames(subs["recent_trades"])
    (row,) = rows or ()
    assert row.trade_id == "7" and row.price == Decimal("5.75")
    assert router.bad == {"unexpected_shape": 1}


# -- over a real socket --------------------------------------------------------------------------


@pytest.mark.anyio
async def test_the_reader_survives_hostile_frames_and_keeps_delivering() -> None:
    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=FAST)
        with anyio.fail_after(10):
            async with mgr.subscribe("order_history", ADDR) as orders:
                await srv.wait_for(lambda: srv.subscribed(1))
                await srv.send_raw('{"message":"order_history","data":' + "[" * 50_000 + "]}")
                await srv.send_raw('{"data":' + "[" * 50_000 + ',"message":"order_history"}')
                bad_price = {**order(2), "price": "Infinity"}
                await srv.push("order_history", [bad_price])
                await srv.send_raw(json.dumps({"message": "order_history", "data": [order(3)]}))
                await srv.send_raw(
                    '{"message":"order_history","data":['
                    + json.dumps(order(4))[:-1]
                    + f',"order_id":{BIG_ID}'
                    + "}]}"
                )
                assert (await orders.__anext__()).order_id == "3"
                assert (await orders.__anext__()).order_id == BIG_ID
                stats = mgr.statistics()
                assert stats.reconnects == 0
                assert sum(stats.bad_frames.values()) == 3
            await mgr.aclose()


@pytest.mark.anyio
@pytest.mark.parametrize(
    "anyio_backend",
    [
        pytest.param(
            ("asyncio", {"use_uvloop": True}),
            marks=pytest.mark.skipif(find_spec("uvloop") is None, reason="uvloop not installed"),
        )
    ],
)
async def test_streams_work_under_uvloop() -> None:
    import asyncio

    assert "uvloop" in type(asyncio.get_running_loop()).__module__
    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=FAST)
        with anyio.fail_after(10):
            async with mgr.subscribe("recent_trades", 14) as trades:
                await srv.wait_for(lambda: srv.subscribed(1))
                await srv.push("recent_trades", [trade(14, 1)])
                assert (await trades.__anext__()).trade_id == "1"
                mgr.reconnect("test")
                await srv.wait_for(lambda: srv.subscribed(1) and len(srv.conns) == 2)
                await srv.push("recent_trades", [trade(14, 2)])
                assert (await trades.__anext__()).reconnects == 1
                assert (await trades.__anext__()).trade_id == "2"
            await mgr.aclose()
    assert mgr.statistics().tasks == 0


@pytest.mark.anyio
async def test_a_frame_above_max_size_is_counted_and_the_stream_goes_on() -> None:
    small = StreamOptions(
        ping_interval=None,
        stale_timeout=None,
        backoff_initial=0.005,
        backoff_max=0.02,
        close_timeout=0.5,
        max_size=4096,
    )
    async with FakeKana() as srv:
        mgr = StreamManager(srv.url, options=small)
        with anyio.fail_after(10):
            async with mgr.subscribe("recent_trades", 14) as trades:
                await srv.wait_for(lambda: srv.subscribed(1))
                await srv.push("recent_trades", [trade(14, i) for i in range(100)])  # ~20 KB
                await srv.wait_for(lambda: len(srv.conns) == 2 and srv.subscribed(1))
                await srv.push("recent_trades", [trade(14, 500)])
                items = [await trades.__anext__(), await trades.__anext__()]
                assert isinstance(items[0], Reconnected) and items[1].trade_id == "500"
                assert mgr.statistics().bad_frames == {"too_large": 1}
            await mgr.aclose()


# -- properties a row could fail on ---------------------------------------------------------------


@pytest.mark.parametrize("trade_side", [None, True, False])
@pytest.mark.parametrize("is_long", [None, True, False])
@pytest.mark.parametrize("layout", ["message_first", "data_first"])
def test_a_position_row_is_refused_exactly_when_its_side_would_raise(
    trade_side: bool | None, is_long: bool | None, layout: str
) -> None:
    row: dict[str, Any] = {"address": ADDR, "market_id": "14", "size": "2"}
    if trade_side is not None:
        row["trade_side"] = trade_side
    if is_long is not None:
        row["is_long"] = is_long
    other = {**row, "trade_side": True, "size": "3"}  # a usable row in the same frame
    data = json.dumps([other, row])
    if layout == "message_first":
        frame = f'{{"message": "positions", "data": {data}}}'
    else:
        frame = f'{{"data": {data}, "message": "positions"}}'
    router, subs = _router()
    router.on_frame(frame.encode())
    (items,) = take_frames(subs["positions"])
    built = Position(market_id=14, size=Decimal(2), trade_side=trade_side, is_long=is_long)
    if trade_side is None and is_long is None:
        with pytest.raises(ValueError):
            _ = built.side  # the property would raise ...
        assert items is None and router.bad == {"unexpected_shape": 1}  # ... so it is refused
    else:
        assert items is not None and router.bad == {}
        assert [p.side for p in items] == [Side.LONG, built.side]


class _Fragile(msgspec.Struct, frozen=True):
    price: Decimal

    @property
    def inverse(self) -> Decimal:
        return 1 / self.price


def test_an_undeclared_property_is_tried_on_every_row() -> None:
    check = row_checker(_Fragile)
    assert check is not None
    check([_Fragile(Decimal(2)), _Fragile(Decimal("0.5"))])  # both compute: accepted
    with pytest.raises(BadFrame) as refused:
        check([_Fragile(Decimal(2)), _Fragile(Decimal(0))])  # 1 / 0 raises: refused
    assert refused.value.kind == "unexpected_shape"
    assert row_checker(Position) is not None and row_properties(Position) == ()
